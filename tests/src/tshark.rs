//! Wireshark's `tshark` as the reference decoder.
//!
//! [`reference()`] runs `tshark` once per capture and turns its output into one
//! JSON object per frame, in the same schema as `rstcp-dump --json`, holding
//! only the keys that tshark can tell. The comparison lives in
//! [`crate::compare`].
//!
//! # How the layers are found
//!
//! tshark is run with `-T fields -E occurrence=a`: every field prints all of
//! its occurrences in the frame, in dissection order, joined by `,`. A field
//! by itself does not say which layer instance it came from, so the layer
//! stack comes from `frame.protocols` (for example
//! `eth:ethertype:vlan:ethertype:ip:icmp:ip:udp`), and:
//!
//! * the **outer IP layer** is the first `ip` or `ipv6` in that list (only
//!   the outermost IP layer is decoded by our tool: IP-in-IP, tunnels and the
//!   headers quoted by ICMP errors are not layers). Since the outer layer is
//!   the first instance of its protocol, its fields are the *first*
//!   occurrence of each `ip.*` / `ipv6.*` field;
//! * the **transport layer** is the protocol directly after the outer IPv4
//!   header, or after the outer IPv6 header and its extension headers; it is
//!   taken only if it is `tcp`, `udp`, `icmp` or `icmpv6`, and again its
//!   fields are the first occurrences. So the UDP header quoted inside an
//!   ICMP error (`ip:icmp:ip:udp`) is never taken for a transport layer;
//! * **DHCP** is taken only directly above that UDP layer;
//! * **ARP** only directly above Ethernet or its VLAN tags;
//! * **VLAN tags** are the `vlan` (802.1Q, fields `vlan.*`) and `ieee8021ad`
//!   (802.1ad S-tag, fields `ieee8021ad.*`, its type field is
//!   `ieee8021ah.etype`) layers that directly follow Ethernet, in order; the
//!   k-th such `vlan` layer's fields are the k-th occurrences.
//!
//! # Field mapping decisions
//!
//! * `checksum_ok` comes from the `*.checksum.status` fields, whose values
//!   are tshark's `proto_checksum_enum_e`: 0 bad → `false`, 1 good → `true`,
//!   2 unverified → key omitted (tshark could not check it: a truncated
//!   capture, a first IP fragment whose transport checksum covers data that
//!   is not in the frame, …), 3 not present → `true` (tshark's only case is a
//!   zero UDP checksum over IPv4, which RFC 768 defines as "no checksum", so
//!   the datagram is accepted), 4 illegal → `false`. A zero UDP checksum over
//!   IPv6 is reported by tshark as bad (0), i.e. `false` (RFC 8200 §8.1).
//! * `tcp.flags`: tshark's `tcp.flags` is 12 bits wide (reserved bits and
//!   NS/AE above CWR); we keep the low 8 bits (CWR..FIN).
//! * `ipv4.frag_offset`: tshark 4.0 prints the raw 13-bit field (units of 8
//!   bytes); the schema wants bytes, so it is multiplied by 8.
//! * `ipv6.ext` is read from `frame.protocols`, not from the `*.nxt` fields:
//!   after the outer `ipv6`, each consecutive `ipv6.hopopts` (0),
//!   `ipv6.routing` (43), `ipv6.fraghdr` (44), `ipv6.dstopts` (60) or `ah`
//!   (51) is one extension header walked, in order. This needs no
//!   correlation of field occurrences between different header types. (A
//!   non-first fragment ends the walk: tshark shows its payload as `data`.)
//! * `eth.type`: the final ethertype. Untagged: `eth.type`; tagged: the type
//!   field of the last tag. Omitted for 802.3 (length) frames, i.e. when
//!   `frame.protocols` shows no `ethertype` after the last Ethernet/tag.
//! * `tcp.seq`/`tcp.ack` are `tcp.seq_raw`/`tcp.ack_raw` (the wire values,
//!   whatever the ACK flag), `tcp.window` is `tcp.window_size_value` (the
//!   unscaled field).
//! * TCP options: `mss` = first `tcp.options.mss_val`, `wscale` = first
//!   `tcp.options.wscale.shift`, `sack_perm` = `true` if kind 4 is among
//!   `tcp.option_kind`, `ts` = first `tsval`/`tsecr`, `sack` = all
//!   `sack_le`/`sack_re` pairs in order. If the frame holds more than one
//!   `tcp` layer (TCP inside a tunnel inside TCP), the options are left out:
//!   their occurrences could not be told apart.
//! * `dhcp.msg_type` is option 53 (`dhcp.option.dhcp`), absent for plain
//!   BOOTP.
//! * IPv6 addresses are re-written as Rust's `Ipv6Addr` displays them
//!   (RFC 5952). tshark prints IPv4-*compatible* addresses in dotted form
//!   (`::1.2.3.4`), Rust as hex (`::102:304`); both print IPv4-mapped ones
//!   as `::ffff:1.2.3.4`.
//! * `ipv4.total_len`: for a zero Total Length, tshark assumes TCP
//!   segmentation offload and shows the length it saw instead. Above 65535
//!   (BIG TCP captures) that can only be such a substitute, so it is mapped
//!   back to the wire value 0; a substitute below 65536 cannot be told from
//!   the field output.
//! * A layer tshark names in `frame.protocols` but could not decode any of
//!   our fields of (a header cut short) yields no object: empty objects are
//!   removed. tshark does decode *partial* headers: it gives the fields it
//!   could read before the header ran out, or was found bogus (e.g. an IPv4
//!   Total Length below the header length gives `total_len` only). Where our
//!   decoder reports an `error` instead, those fields count as
//!   disagreements of their own kind (see [`crate::compare`]).
use std::path::Path;
use std::process::Command;

use serde_json::{json, Map, Value};

/// The fields asked of tshark, in the column order of its output.
pub const FIELDS: &[&str] = &[
    "frame.number",
    "frame.len",
    "frame.protocols",
    "eth.src",
    "eth.dst",
    "eth.type",
    "vlan.id",
    "vlan.priority",
    "vlan.etype",
    "ieee8021ad.id",
    "ieee8021ad.priority",
    "ieee8021ah.etype",
    "arp.opcode",
    "arp.src.hw_mac",
    "arp.src.proto_ipv4",
    "arp.dst.hw_mac",
    "arp.dst.proto_ipv4",
    "ip.src",
    "ip.dst",
    "ip.proto",
    "ip.ttl",
    "ip.id",
    "ip.flags.df",
    "ip.flags.mf",
    "ip.frag_offset",
    "ip.len",
    "ip.checksum.status",
    "ipv6.src",
    "ipv6.dst",
    "ipv6.nxt",
    "ipv6.hlim",
    "ipv6.plen",
    "icmp.type",
    "icmp.code",
    "icmp.checksum.status",
    "icmpv6.type",
    "icmpv6.code",
    "icmpv6.checksum.status",
    "udp.srcport",
    "udp.dstport",
    "udp.length",
    "udp.checksum.status",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.flags",
    "tcp.window_size_value",
    "tcp.checksum.status",
    "tcp.option_kind",
    "tcp.options.mss_val",
    "tcp.options.wscale.shift",
    "tcp.options.timestamp.tsval",
    "tcp.options.timestamp.tsecr",
    "tcp.options.sack_le",
    "tcp.options.sack_re",
    "dhcp.type",
    "dhcp.id",
    "dhcp.option.dhcp",
];

/// The preferences set on the tshark command line (`-o name:value`).
///
/// No reassembly (so every frame shows its own headers), absolute sequence
/// numbers, no TCP analysis, and checksum validation where it is optional.
/// ICMP and ICMPv6 checksums are always validated by tshark.
pub const PREFS: &[&str] = &[
    "ip.defragment:FALSE",
    "ipv6.defragment:FALSE",
    "tcp.desegment_tcp_streams:FALSE",
    "tcp.relative_sequence_numbers:FALSE",
    "tcp.analyze_sequence_numbers:FALSE",
    "ip.check_checksum:TRUE",
    "tcp.check_checksum:TRUE",
    "udp.check_checksum:TRUE",
];

/// The tshark program: `$TSHARK` if set, else `tshark` from `PATH`.
pub(crate) fn program() -> String {
    std::env::var("TSHARK").unwrap_or_else(|_| "tshark".to_string())
}

/// The tshark program for a test that needs it, or `None` after printing
/// why the test skips. Under `CI=true` a missing tshark fails the test
/// instead: CI installs it, so its absence is a broken setup.
pub fn required(what: &str) -> Option<String> {
    if available() {
        return Some(program());
    }
    let why = format!("skipping {what}: tshark not found (apt-get install tshark, or set TSHARK)");
    assert!(
        !std::env::var("CI").is_ok_and(|v| v == "true"),
        "{why}, but CI=true requires it"
    );
    eprintln!("{why}");
    None
}

/// Whether tshark can be run here.
pub fn available() -> bool {
    Command::new(program())
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// The full tshark command that decodes `path` (see [`FIELDS`], [`PREFS`]).
///
/// It runs with an empty configuration directory, so a user's own
/// preferences or disabled protocols cannot change the output, and with
/// `-n` (no name resolution).
pub fn command(path: &Path) -> Command {
    let mut cmd = Command::new(program());
    let config = std::env::temp_dir().join("rstcp-tshark-empty-config");
    // Best effort: tshark runs with its defaults if the directory is missing.
    let _ = std::fs::create_dir_all(&config);
    cmd.env("WIRESHARK_CONFIG_DIR", &config);
    cmd.arg("-n").arg("-r").arg(path);
    cmd.args(["-T", "fields", "-E", "separator=/t", "-E", "occurrence=a"]);
    cmd.args(["-E", "aggregator=,", "-E", "quote=n", "-E", "header=n"]);
    for pref in PREFS {
        cmd.arg("-o").arg(pref);
    }
    for field in FIELDS {
        cmd.arg("-e").arg(field);
    }
    cmd
}

/// Decodes the capture at `path` with tshark: one JSON object per frame, in
/// the schema of `rstcp-dump --json`, holding only the keys tshark can tell.
///
/// A capture that ends in a cut-short record still yields the frames before
/// it (tshark exits non-zero but prints them); only a run that prints no
/// frame at all and fails is an error.
pub fn reference(path: &Path) -> Result<Vec<Value>, String> {
    let out = command(path)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() && stdout.trim().is_empty() {
        return Err(format!(
            "tshark failed on {} ({}): {}",
            path.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    stdout
        .lines()
        .filter(|l| !l.is_empty())
        .map(frame_from_line)
        .collect()
}

/// One line of tshark's output, its columns split by field occurrence.
struct Row<'a> {
    cols: Vec<&'a str>,
}

impl<'a> Row<'a> {
    fn column(&self, field: &str) -> &'a str {
        let i = FIELDS
            .iter()
            .position(|f| *f == field)
            .unwrap_or_else(|| panic!("{field} is not in FIELDS"));
        self.cols.get(i).copied().unwrap_or("")
    }

    /// All occurrences of `field`, in dissection order.
    fn all(&self, field: &str) -> Vec<&'a str> {
        let c = self.column(field);
        if c.is_empty() {
            Vec::new()
        } else {
            c.split(',').collect()
        }
    }

    /// The `n`-th (0-based) occurrence of `field`.
    fn nth(&self, field: &str, n: usize) -> Option<&'a str> {
        self.all(field).get(n).copied().filter(|s| !s.is_empty())
    }

    fn first(&self, field: &str) -> Option<&'a str> {
        self.nth(field, 0)
    }

    fn num(&self, field: &str) -> Option<u64> {
        self.first(field).and_then(parse_num)
    }

    fn nth_num(&self, field: &str, n: usize) -> Option<u64> {
        self.nth(field, n).and_then(parse_num)
    }

    fn nums(&self, field: &str) -> Vec<u64> {
        self.all(field).into_iter().filter_map(parse_num).collect()
    }

    fn text(&self, field: &str) -> Option<Value> {
        self.first(field).map(|s| Value::String(s.to_string()))
    }

    /// An IPv6 address, re-written as Rust's `Ipv6Addr` displays it.
    fn ipv6(&self, field: &str) -> Option<Value> {
        let text = self.first(field)?;
        let canonical = text
            .parse::<std::net::Ipv6Addr>()
            .map_or_else(|_| text.to_string(), |a| a.to_string());
        Some(Value::String(canonical))
    }

    fn flag(&self, field: &str) -> Option<Value> {
        self.first(field).and_then(|s| match s {
            "1" | "True" | "true" => Some(Value::Bool(true)),
            "0" | "False" | "false" => Some(Value::Bool(false)),
            _ => None,
        })
    }

    fn checksum(&self, field: &str) -> Option<Value> {
        checksum_status(self.num(field)?).map(Value::Bool)
    }
}

/// Maps tshark's checksum status (`proto_checksum_enum_e`) to `checksum_ok`;
/// `None` where tshark did not verify it (see the module documentation).
pub fn checksum_status(status: u64) -> Option<bool> {
    match status {
        0 => Some(false), // bad
        1 => Some(true),  // good
        2 => None,        // unverified
        3 => Some(true),  // not present: zero UDP checksum over IPv4
        4 => Some(false), // illegal
        _ => None,
    }
}

/// Parses a decimal or `0x` hexadecimal number as tshark prints it.
fn parse_num(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Inserts `key: value` when the value is known.
fn put(obj: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        obj.insert(key.to_string(), v);
    }
}

fn num_value(n: Option<u64>) -> Option<Value> {
    n.map(Value::from)
}

/// The IPv6 extension header number of a `frame.protocols` entry.
fn ext_header(proto: &str) -> Option<u64> {
    match proto {
        "ipv6.hopopts" => Some(0),
        "ipv6.routing" => Some(43),
        "ipv6.fraghdr" => Some(44),
        "ipv6.dstopts" => Some(60),
        "ah" => Some(51),
        _ => None,
    }
}

/// Removes empty objects (layers tshark named but could not decode a field
/// of, e.g. a header cut short), recursively; empty arrays are kept.
fn prune(v: &mut Value) -> bool {
    if let Value::Object(map) = v {
        map.retain(|_, child| !prune(child));
        map.is_empty()
    } else {
        false
    }
}

/// Builds the frame object from one line of tshark's output.
fn frame_from_line(line: &str) -> Result<Value, String> {
    let mut frame = decode_line(line)?;
    prune(&mut frame);
    Ok(frame)
}

/// [`frame_from_line`] before pruning.
fn decode_line(line: &str) -> Result<Value, String> {
    let row = Row {
        cols: line.split('\t').collect(),
    };
    let number = row
        .num("frame.number")
        .ok_or_else(|| format!("no frame number in tshark line {line:?}"))?;
    let mut frame = Map::new();
    frame.insert("frame".into(), number.into());
    put(&mut frame, "len", num_value(row.num("frame.len")));
    let protos: Vec<&str> = row.column("frame.protocols").split(':').collect();
    if protos.first() != Some(&"eth") {
        return Ok(Value::Object(frame));
    }

    // Ethernet and its VLAN tags.
    let mut eth = Map::new();
    put(&mut eth, "src", row.text("eth.src"));
    put(&mut eth, "dst", row.text("eth.dst"));
    let mut i = 1;
    let mut etype = if protos.get(1) == Some(&"ethertype") {
        i = 2;
        row.num("eth.type")
    } else {
        None
    };
    let mut vlans = Vec::new();
    let (mut n_q, mut n_ad) = (0, 0);
    while etype.is_some() {
        let ((id, pcp, ty), n) = match protos.get(i) {
            Some(&"vlan") => {
                n_q += 1;
                (("vlan.id", "vlan.priority", "vlan.etype"), n_q - 1)
            }
            Some(&"ieee8021ad") => {
                n_ad += 1;
                let f = ("ieee8021ad.id", "ieee8021ad.priority", "ieee8021ah.etype");
                (f, n_ad - 1)
            }
            _ => break,
        };
        let mut tag = Map::new();
        put(&mut tag, "id", num_value(row.nth_num(id, n)));
        put(&mut tag, "pcp", num_value(row.nth_num(pcp, n)));
        vlans.push(Value::Object(tag));
        i += 1;
        etype = if protos.get(i) == Some(&"ethertype") {
            i += 1;
            row.nth_num(ty, n)
        } else {
            None
        };
    }
    put(&mut eth, "type", num_value(etype));
    frame.insert("eth".into(), Value::Object(eth));
    if !vlans.is_empty() {
        frame.insert("vlan".into(), Value::Array(vlans));
    }
    if etype.is_none() {
        return Ok(Value::Object(frame));
    }

    // The network layer, directly above Ethernet.
    let transport_at = match protos.get(i) {
        Some(&"arp") => {
            let mut arp = Map::new();
            put(&mut arp, "op", num_value(row.num("arp.opcode")));
            put(&mut arp, "sha", row.text("arp.src.hw_mac"));
            put(&mut arp, "spa", row.text("arp.src.proto_ipv4"));
            put(&mut arp, "tha", row.text("arp.dst.hw_mac"));
            put(&mut arp, "tpa", row.text("arp.dst.proto_ipv4"));
            frame.insert("arp".into(), Value::Object(arp));
            None
        }
        Some(&"ip") => {
            let mut ip = Map::new();
            put(&mut ip, "src", row.text("ip.src"));
            put(&mut ip, "dst", row.text("ip.dst"));
            put(&mut ip, "proto", num_value(row.num("ip.proto")));
            put(&mut ip, "ttl", num_value(row.num("ip.ttl")));
            put(&mut ip, "id", num_value(row.num("ip.id")));
            put(&mut ip, "df", row.flag("ip.flags.df"));
            put(&mut ip, "mf", row.flag("ip.flags.mf"));
            put(
                &mut ip,
                "frag_offset",
                num_value(row.num("ip.frag_offset").map(|o| o * 8)),
            );
            // TSO: tshark replaces a zero total length by the length it saw.
            let total = row.num("ip.len").map(|l| if l > 0xffff { 0 } else { l });
            put(&mut ip, "total_len", num_value(total));
            put(&mut ip, "checksum_ok", row.checksum("ip.checksum.status"));
            frame.insert("ipv4".into(), Value::Object(ip));
            Some(i + 1)
        }
        Some(&"ipv6") => {
            let mut ip = Map::new();
            put(&mut ip, "src", row.ipv6("ipv6.src"));
            put(&mut ip, "dst", row.ipv6("ipv6.dst"));
            put(&mut ip, "next_header", num_value(row.num("ipv6.nxt")));
            put(&mut ip, "hop_limit", num_value(row.num("ipv6.hlim")));
            put(&mut ip, "payload_len", num_value(row.num("ipv6.plen")));
            let mut j = i + 1;
            let mut ext = Vec::new();
            while let Some(n) = protos.get(j).and_then(|p| ext_header(p)) {
                ext.push(Value::from(n));
                j += 1;
            }
            ip.insert("ext".into(), Value::Array(ext));
            frame.insert("ipv6".into(), Value::Object(ip));
            Some(j)
        }
        _ => None,
    };
    let Some(t) = transport_at else {
        return Ok(Value::Object(frame));
    };

    // The transport layer, directly above the outer IP layer.
    match protos.get(t) {
        Some(&p @ ("icmp" | "icmpv6")) => {
            let mut icmp = Map::new();
            put(&mut icmp, "type", num_value(row.num(&format!("{p}.type"))));
            put(&mut icmp, "code", num_value(row.num(&format!("{p}.code"))));
            put(
                &mut icmp,
                "checksum_ok",
                row.checksum(&format!("{p}.checksum.status")),
            );
            frame.insert(p.into(), Value::Object(icmp));
        }
        Some(&"udp") => {
            let mut udp = Map::new();
            put(&mut udp, "src_port", num_value(row.num("udp.srcport")));
            put(&mut udp, "dst_port", num_value(row.num("udp.dstport")));
            put(&mut udp, "len", num_value(row.num("udp.length")));
            put(&mut udp, "checksum_ok", row.checksum("udp.checksum.status"));
            frame.insert("udp".into(), Value::Object(udp));
            let dhcps = protos.iter().filter(|p| **p == "dhcp").count();
            if protos.get(t + 1) == Some(&"dhcp") && dhcps == 1 {
                let mut dhcp = Map::new();
                put(&mut dhcp, "op", num_value(row.num("dhcp.type")));
                put(&mut dhcp, "xid", num_value(row.num("dhcp.id")));
                put(
                    &mut dhcp,
                    "msg_type",
                    num_value(row.num("dhcp.option.dhcp")),
                );
                frame.insert("dhcp".into(), Value::Object(dhcp));
            }
        }
        Some(&"tcp") => {
            let mut tcp = Map::new();
            put(&mut tcp, "src_port", num_value(row.num("tcp.srcport")));
            put(&mut tcp, "dst_port", num_value(row.num("tcp.dstport")));
            put(&mut tcp, "seq", num_value(row.num("tcp.seq_raw")));
            put(&mut tcp, "ack", num_value(row.num("tcp.ack_raw")));
            put(
                &mut tcp,
                "flags",
                num_value(row.num("tcp.flags").map(|f| f & 0xff)),
            );
            put(
                &mut tcp,
                "window",
                num_value(row.num("tcp.window_size_value")),
            );
            put(&mut tcp, "checksum_ok", row.checksum("tcp.checksum.status"));
            if protos.iter().filter(|p| **p == "tcp").count() == 1 {
                tcp.insert("options".into(), Value::Object(tcp_options(&row)));
            }
            frame.insert("tcp".into(), Value::Object(tcp));
        }
        _ => {}
    }
    Ok(Value::Object(frame))
}

/// The `tcp.options` object: only the options present.
fn tcp_options(row: &Row) -> Map<String, Value> {
    let mut opts = Map::new();
    put(&mut opts, "mss", num_value(row.num("tcp.options.mss_val")));
    put(
        &mut opts,
        "wscale",
        num_value(row.num("tcp.options.wscale.shift")),
    );
    if row.nums("tcp.option_kind").contains(&4) {
        opts.insert("sack_perm".into(), Value::Bool(true));
    }
    if let (Some(val), Some(ecr)) = (
        row.num("tcp.options.timestamp.tsval"),
        row.num("tcp.options.timestamp.tsecr"),
    ) {
        opts.insert("ts".into(), json!([val, ecr]));
    }
    let (le, re) = (
        row.nums("tcp.options.sack_le"),
        row.nums("tcp.options.sack_re"),
    );
    if !le.is_empty() {
        let blocks: Vec<Value> = le.iter().zip(&re).map(|(l, r)| json!([l, r])).collect();
        opts.insert("sack".into(), Value::Array(blocks));
    }
    opts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(pairs: &[(&str, &str)]) -> String {
        FIELDS
            .iter()
            .map(|f| {
                pairs
                    .iter()
                    .find(|(k, _)| k == f)
                    .map(|(_, v)| *v)
                    .unwrap_or("")
            })
            .collect::<Vec<_>>()
            .join("\t")
    }

    #[test]
    fn icmp_error_takes_outer_ip_and_no_quoted_udp() {
        let l = line(&[
            ("frame.number", "3"),
            ("frame.len", "70"),
            ("frame.protocols", "eth:ethertype:ip:icmp:ip:udp"),
            ("eth.src", "00:00:00:00:00:01"),
            ("eth.dst", "00:00:00:00:00:02"),
            ("eth.type", "0x0800"),
            ("ip.src", "10.0.0.1,10.0.0.2"),
            ("ip.dst", "10.0.0.2,10.0.0.3"),
            ("ip.proto", "1,17"),
            ("ip.ttl", "64,1"),
            ("ip.id", "0x0001,0x0002"),
            ("ip.flags.df", "0,1"),
            ("ip.flags.mf", "0,0"),
            ("ip.frag_offset", "0,0"),
            ("ip.len", "56,28"),
            ("ip.checksum.status", "1,2"),
            ("icmp.type", "3"),
            ("icmp.code", "3"),
            ("icmp.checksum.status", "1"),
            ("udp.srcport", "1"),
            ("udp.dstport", "2"),
        ]);
        let f = frame_from_line(&l).unwrap();
        assert_eq!(f["ipv4"]["src"], "10.0.0.1");
        assert_eq!(f["ipv4"]["id"], 1);
        assert_eq!(f["ipv4"]["df"], false);
        assert_eq!(f["ipv4"]["checksum_ok"], true);
        assert_eq!(f["icmp"]["type"], 3);
        assert_eq!(f["eth"]["type"], 0x800);
        assert!(f.get("udp").is_none());
    }

    #[test]
    fn qinq_ipv6_ext_chain_and_tcp() {
        let l = line(&[
            ("frame.number", "1"),
            ("frame.len", "120"),
            (
                "frame.protocols",
                "eth:ethertype:ieee8021ad:ethertype:vlan:ethertype:ipv6:ipv6.hopopts:ipv6.fraghdr:tcp",
            ),
            ("eth.type", "0x88a8"),
            ("ieee8021ad.id", "200"),
            ("ieee8021ad.priority", "3"),
            ("ieee8021ah.etype", "0x8100"),
            ("vlan.id", "2001"),
            ("vlan.priority", "0"),
            ("vlan.etype", "0x86dd"),
            ("ipv6.src", "2001:db8::1"),
            ("ipv6.nxt", "0"),
            ("tcp.flags", "0x01c2"),
            ("tcp.checksum.status", "2"),
            ("tcp.option_kind", "2,4,1,3"),
            ("tcp.options.mss_val", "1460"),
            ("tcp.options.sack_le", "5,9"),
            ("tcp.options.sack_re", "7,11"),
        ]);
        let f = frame_from_line(&l).unwrap();
        assert_eq!(f["eth"]["type"], 0x86dd);
        assert_eq!(
            f["vlan"],
            json!([{"id": 200, "pcp": 3}, {"id": 2001, "pcp": 0}])
        );
        assert_eq!(f["ipv6"]["ext"], json!([0, 44]));
        assert_eq!(f["tcp"]["flags"], 0xc2);
        assert!(f["tcp"].get("checksum_ok").is_none());
        assert_eq!(
            f["tcp"]["options"],
            json!({"mss": 1460, "sack_perm": true, "sack": [[5, 7], [9, 11]]})
        );
    }

    #[test]
    fn tso_length_ipv6_text_and_empty_layers() {
        let l = line(&[
            ("frame.number", "1"),
            ("frame.protocols", "eth:ethertype:ip:tcp"),
            ("eth.type", "0x0800"),
            ("ip.src", "10.0.0.1"),
            ("ip.len", "80052"),
        ]);
        let f = frame_from_line(&l).unwrap();
        assert_eq!(f["ipv4"]["total_len"], 0);
        assert!(f.get("tcp").is_none(), "{f}");
        let l = line(&[
            ("frame.number", "1"),
            ("frame.protocols", "eth:ethertype:ipv6"),
            ("eth.type", "0x86dd"),
            ("ipv6.src", "::1.2.3.4"),
            ("ipv6.dst", "::ffff:1.2.3.4"),
        ]);
        let f = frame_from_line(&l).unwrap();
        assert_eq!(f["ipv6"]["src"], "::102:304");
        assert_eq!(f["ipv6"]["dst"], "::ffff:1.2.3.4");
        assert_eq!(f["ipv6"]["ext"], json!([]));
    }

    #[test]
    fn ieee_802_3_frame_has_no_type() {
        let l = line(&[
            ("frame.number", "1"),
            ("frame.len", "60"),
            ("frame.protocols", "eth:llc:stp"),
            ("eth.src", "00:00:00:00:00:01"),
        ]);
        let f = frame_from_line(&l).unwrap();
        assert!(f["eth"].get("type").is_none());
        assert_eq!(f["eth"]["src"], "00:00:00:00:00:01");
    }
}
