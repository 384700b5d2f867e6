#!/usr/bin/env python3
"""The MSRV check that needs no old toolchain (only stable and nightly are
installed here, and rustup cannot download): every package a published
crate builds on (normal and build dependencies, as Cargo.lock resolves
them, whatever the features) declares a `rust-version` no newer than the
workspace's, and every published crate states that `rust-version`.

What it cannot see: a language feature newer than the MSRV in our own code
(clippy's `incompatible_msrv`, run by CI with each crate's `rust-version`,
catches std and core APIs, not syntax). Exit status 1 with a list when a
dependency needs a newer compiler."""

import json
import subprocess
import sys


def version(v):
    return tuple(int(x) for x in v.split("."))


meta = json.loads(
    subprocess.check_output(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--all-features"]
    )
)
packages = {p["id"]: p for p in meta["packages"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
members = [packages[i] for i in meta["workspace_members"]]
published = [p for p in members if p.get("publish") != []]

msrvs = {p["rust_version"] for p in published}
if len(msrvs) != 1 or None in msrvs:
    sys.exit(f"published crates must all state one rust-version, found {msrvs}")
msrv = msrvs.pop()

bad = []
for crate in published:
    seen, todo = set(), [crate["id"]]
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        for dep in nodes[pid]["deps"]:
            # Dev-dependencies are the tests' and benches' business (smoltcp,
            # criterion), not a user's.
            if any(k["kind"] in (None, "build") for k in dep["dep_kinds"]):
                todo.append(dep["pkg"])
    for pid in seen:
        p = packages[pid]
        rv = p.get("rust_version")
        if rv and version(rv) > version(msrv):
            bad.append(f"{crate['name']} -> {p['name']} {p['version']} needs Rust {rv}")

names = ", ".join(p["name"] for p in published)
if bad:
    print(f"rust-version {msrv} is too old for the dependencies of {names}:")
    print("\n".join(sorted(set(bad))))
    sys.exit(1)
print(f"rust-version {msrv}: every dependency of {names} declares it or older")
