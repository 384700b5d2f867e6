//! A DHCPv4 client on a TAP (RFC 2131): asks for a lease, prints it (the
//! address with its prefix, the router, the DNS servers, the lease time),
//! and prints it again each time it is renewed or rebound, until SIGINT or
//! SIGTERM, or after the first lease with `--once`.
//!
//! ```text
//! sudo cargo run --release -p rstcp-examples --example dhcp_client -- --tap tap7
//! ```
//!
//! Exits 1 with a message when no lease comes within `--timeout`.

use std::io::{self, ErrorKind, Write};
use std::sync::mpsc;
use std::time::Duration;

use clap::Parser;
use rstcp::socket::dhcpv4::Lease;
use rstcp_examples::cli::{self, NetArgs};

/// Acquires and keeps a DHCPv4 lease, printing it.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    net: NetArgs,
    /// Exit after printing the first lease.
    #[arg(long)]
    once: bool,
    /// Seconds to wait for the first lease.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
}

fn main() {
    let args = Args::parse();
    args.net.init_logging();
    cli::exit_on_error("dhcp_client", run(&args));
}

/// A lease's length, `infinite` for RFC 2131 §3.3's 0xffffffff.
fn length(d: rstcp::time::Duration) -> String {
    if d == rstcp::time::Duration::MAX {
        "infinite".into()
    } else {
        format!("{} s", d.secs())
    }
}

fn print_lease(what: &str, lease: &Lease) {
    let dns: Vec<String> = lease.dns_servers.iter().map(|a| a.to_string()).collect();
    let router = lease.router.map_or("none".into(), |r| r.to_string());
    println!("{what} {} from {}", lease.address, lease.server);
    println!("  router      {router}");
    println!(
        "  dns         {}",
        if dns.is_empty() {
            "none".into()
        } else {
            dns.join(" ")
        }
    );
    println!(
        "  lease time  {} (renew after {}, rebind after {})",
        length(lease.lease_duration),
        length(lease.renew_at - lease.acquired_at),
        length(lease.rebind_at - lease.acquired_at),
    );
}

fn run(args: &Args) -> io::Result<()> {
    if !args.net.ipv4.is_empty() {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            "--ipv4 turns DHCPv4 off: dhcp_client takes no static IPv4 address",
        ));
    }
    let (stop_tx, stop_rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .map_err(io::Error::other)?;

    eprintln!("asking for a lease on {}", args.net.tap);
    let stack = args.net.start(Duration::from_secs(args.timeout.max(1)))?;
    let mut current = stack.dhcp_lease();
    match &current {
        Some(lease) => print_lease("lease", lease),
        None => return Err(io::Error::other("configured, but no lease is held")),
    }
    io::stdout().flush()?;
    if args.once {
        return stack.stop();
    }
    // The runtime renews and rebinds on its own (RFC 2131 §4.4.5); this
    // loop only reports it. A renewal shows as a new acquisition time.
    while stop_rx.recv_timeout(Duration::from_millis(500)).is_err() {
        let now = stack.dhcp_lease();
        match (&current, &now) {
            (Some(old), Some(new)) if old.acquired_at != new.acquired_at => {
                let what = if old.address == new.address {
                    "renewed"
                } else {
                    "new lease"
                };
                print_lease(what, new);
            }
            (None, Some(new)) => print_lease("lease", new),
            (Some(old), None) => println!("lease of {} lost, asking again", old.address),
            _ => {}
        }
        io::stdout().flush()?;
        current = now;
    }
    eprintln!("dhcp_client: stopping");
    stack.stop()
}
