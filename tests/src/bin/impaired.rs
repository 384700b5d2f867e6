//! Prints issue 10's table: rstcp and Linux, each sending to and
//! receiving from the Linux kernel through the same impaired link, for
//! each link profile; every byte checked. Needs root (namespaces, TAPs).
//! `examples/scripts/impaired.sh` builds and runs it.
//!
//! ```text
//! impaired [--seconds S] [--seed N] [--runs N] [--cc NAME] [--only rstcp|linux]
//!          [--flow send|receive]
//!          [--stall S] [--prefix P] [--no-offload] [-v]
//!          [--profile NAME | --profile NAME=SPEC]... [--list]
//! ```
//!
//! Without `--profile`, the standard rows. A SPEC is comma-separated
//! `key=value` (see `rstcp_tests::impair::profile::Profile::parse`), e.g.
//! `--profile 'burst=gilbert=1%/30%,delay=5ms'`. `--runs N` runs each
//! row N times in turn and prints each cell's median (seeds N, N+1, …).
//! `--only rstcp` leaves the Linux cells out (to iterate on rstcp; the
//! yardstick changes little between runs); `--flow receive` the cells
//! where the tested side receives (to profile one direction alone). `--cc` sets the kernels' congestion control on each socket (default
//! cubic, as rstcp's; a namespace would take the host's default, which
//! may be BBR). `--no-offload` opens rstcp's TAP without offloads (the
//! stack cuts every segment itself); by default it runs as users run it,
//! with TSO super-frames the forwarder cuts as the kernel's GSO cuts
//! Linux's. Exits 1 when a cell failed or lost a byte.

use std::process::ExitCode;
use std::time::Duration;

use rstcp_tests::impair::cell::{CellConfig, Flow};
use rstcp_tests::impair::profile::{standard, Profile, STANDARD};
use rstcp_tests::impair::rig::Side;
use rstcp_tests::impair::table::print_table;
use rstcp_tests::netns::require_root;

const USAGE: &str =
    "usage: impaired [--seconds S] [--seed N] [--runs N] [--cc NAME] [--only rstcp|linux] \
     [--flow send|receive] [--stall S] [--prefix P] [--no-offload] [-v] [--profile NAME|NAME=SPEC]... [--list]";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("impaired: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let mut cfg = CellConfig {
        duration: Duration::from_secs(5),
        seed: 1,
        stall: Duration::from_secs(30),
        prefix: "rstcp-imp-".into(),
        runs: 1,
        only: None,
        flow: None,
        linux_cc: Some("cubic".into()),
        offload: true,
    };
    let mut profiles = Vec::new();
    let mut verbose = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |what: &str| args.next().ok_or(format!("{arg} needs {what}"));
        match arg.as_str() {
            "--seconds" => cfg.duration = secs(&value("seconds")?)?,
            "--stall" => cfg.stall = secs(&value("seconds")?)?,
            "--seed" => {
                let v = value("a number")?;
                cfg.seed = v
                    .parse()
                    .map_err(|_| format!("--seed {v}: want a number"))?;
            }
            "--prefix" => cfg.prefix = value("a name prefix")?,
            "--cc" => cfg.linux_cc = Some(value("a congestion control")?),
            "--only" => {
                cfg.only = match value("rstcp or linux")?.as_str() {
                    "rstcp" => Some(Side::Rstcp),
                    "linux" => Some(Side::Linux),
                    other => return Err(format!("--only {other}: rstcp or linux")),
                }
            }
            "--flow" => {
                cfg.flow = match value("send or receive")?.as_str() {
                    "send" => Some(Flow::Send),
                    "receive" => Some(Flow::Receive),
                    other => return Err(format!("--flow {other}: send or receive")),
                }
            }
            "--runs" => {
                let v = value("a count")?;
                cfg.runs = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=99).contains(n))
                    .ok_or(format!("--runs {v}: want 1 to 99"))?;
            }
            "--profile" => profiles.push(Profile::from_arg(&value("a profile")?)?),
            "--no-offload" => cfg.offload = false,
            "-v" | "--verbose" => verbose = true,
            "--list" => {
                for (name, spec) in STANDARD {
                    println!("{name:<24} {spec}");
                }
                return Ok(ExitCode::SUCCESS);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    if profiles.is_empty() {
        profiles = standard();
    }
    if !require_root() {
        return Ok(ExitCode::FAILURE);
    }
    eprintln!(
        "impaired: {} s per cell, {} run(s) each (median), seed {}, rstcp std runtime with 1 MiB buffers \
         on a TAP {}, Linux with {} and its default buffers (GSO in software at its plain TAP)",
        cfg.duration.as_secs_f64(),
        cfg.runs,
        cfg.seed,
        if cfg.offload {
            "with offloads (its TSO super-frames cut by the forwarder)"
        } else {
            "without offloads (--no-offload)"
        },
        cfg.linux_cc.as_deref().unwrap_or_default()
    );
    let rows = print_table(&profiles, &cfg, verbose);
    let bad: Vec<String> = rows
        .iter()
        .flat_map(|r| {
            r.cells()
                .map(|(what, c)| (r.profile.name.clone(), what, c.clone()))
        })
        .filter(|(_, _, c)| !c.intact)
        .map(|(name, what, c)| format!("{name} / {what}: {}", c.error.unwrap_or_default()))
        .collect();
    if bad.is_empty() {
        println!(
            "\nevery cell complete, every byte verified ({} cells)",
            rows.iter()
                .flat_map(|r| r.cells())
                .filter(|(_, c)| c.ran)
                .count()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("\nFAILED cells:");
        for b in &bad {
            println!("  {b}");
        }
        Ok(ExitCode::FAILURE)
    }
}

fn secs(v: &str) -> Result<Duration, String> {
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 3600.0)
        .map(Duration::from_secs_f64)
        .ok_or(format!("{v}: want seconds, like 5 or 1.5"))
}
