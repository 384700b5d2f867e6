//! Every example program answers `--help` as a user expects of a command
//! line tool: usage on stdout, exit status 0, and nothing else done (no
//! TAP opened or created, no transfer started, no server run). Needs no
//! root: a program that went on to open a TAP would fail or hang here,
//! and both fail the test.
//!
//! `quickstart` is left out: it is the README's std snippet word for word
//! (`readme_snippet.rs` checks), a dozen lines with no flags to parse.

use std::io::Read;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use rstcp_tests::example_bins::examples;

/// Long enough for any program to print its help, far too short for the
/// work any of them does (the shortest, `ping_pair`, runs about 0.5 s;
/// RFC 5227 probing alone takes 6 s, the servers run until killed).
const LIMIT: Duration = Duration::from_secs(5);

#[test]
fn every_example_prints_usage_on_help_and_exits_0_without_doing_anything() {
    let all = examples();
    // The ones issue 14 found without a working --help must be among them.
    for name in [
        "ping_pair",
        "tcp_table",
        "runtime_pair",
        "tap_echo_client",
        "tap_echo_server",
        "rstcp-dump",
    ] {
        assert!(all.contains_key(name), "no example {name}");
    }
    let mut failures = Vec::new();
    let mut names: Vec<&String> = all.keys().filter(|n| *n != "quickstart").collect();
    names.sort();
    for name in names {
        let mut child = Command::new(&all[name])
            .arg("--help")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let mut stdout = child.stdout.take().unwrap();
        let reader = thread::spawn(move || {
            let mut s = String::new();
            let _ = stdout.read_to_string(&mut s);
            s
        });
        let deadline = Instant::now() + LIMIT;
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break Some(s);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            thread::sleep(Duration::from_millis(20));
        };
        let out = reader.join().unwrap();
        let mut err = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut err);
        match status {
            None => failures.push(format!("{name} --help still running after {LIMIT:?}")),
            Some(s) if !s.success() => {
                failures.push(format!("{name} --help exited with {s}: {err}"))
            }
            Some(_) if !out.contains("Usage:") => {
                failures.push(format!("{name} --help printed no usage: {out:?} {err}"))
            }
            // Options are listed, -h/--help among them.
            Some(_) if !out.contains("-h, --help") => {
                failures.push(format!("{name} --help lists no options: {out:?}"))
            }
            Some(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
