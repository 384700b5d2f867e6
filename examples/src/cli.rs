//! The command-line flags every TAP example shares, PyTCP's set: which TAP
//! (or TUN), which MAC, static addresses or DHCPv4, an optional capture,
//! verbosity.

use std::path::PathBuf;

use std::fs::File;
use std::io::{self, BufRead, BufWriter};
use std::time::Duration;

use clap::builder::ArgPredicate;
use clap::{ArgAction, Args};
use rstcp::runtime::{Stack, StackConfig};
use rstcp::wire::{EthernetAddress, IpAddr, Ipv4Addr, Ipv4Cidr, Ipv6Addr, Ipv6Cidr};
use rstcp_pcap::device::PcapRecorder;
use rstcp_tap::TapDevice;

/// Where the stack lives and how it is addressed.
#[derive(Args, Debug, Clone)]
pub struct NetArgs {
    /// The TAP interface to open (created if it does not exist; needs root).
    /// With `--tun`, the TUN's name (tun7 by default).
    #[arg(
        long,
        default_value = "tap7",
        default_value_if("tun", ArgPredicate::IsPresent, "tun7"),
        value_name = "NAME"
    )]
    pub tap: String,
    /// Open a TUN instead of a TAP: bare IP packets, no Ethernet, ARP or
    /// Neighbor Discovery, addresses used at once (no probing, no DAD), as
    /// Linux does on a TUN. No DHCPv4 there: give `--ipv4` (without it the
    /// stack runs IPv6 only). Host side: `ip addr add 10.7.0.1/24 dev tun7`.
    #[arg(long)]
    pub tun: bool,
    /// The stack's MAC address.
    #[arg(long, default_value = "02:00:00:77:77:77")]
    pub mac: EthernetAddress,
    /// A static IPv4 address with its prefix length (repeatable). Without
    /// one, the stack asks a DHCPv4 server.
    #[arg(long = "ipv4", value_name = "ADDR/LEN")]
    pub ipv4: Vec<Ipv4Cidr>,
    /// The IPv4 default gateway (with static addresses).
    #[arg(long, value_name = "ADDR")]
    pub gateway4: Option<Ipv4Addr>,
    /// A static IPv6 address with its prefix length (repeatable). The
    /// link-local address derived from the MAC is always there, and
    /// addresses from Router Advertisements' prefixes (SLAAC) unless
    /// `--no-slaac`.
    #[arg(long = "ipv6", value_name = "ADDR/LEN")]
    pub ipv6: Vec<Ipv6Cidr>,
    /// The IPv6 default gateway.
    #[arg(long, value_name = "ADDR")]
    pub gateway6: Option<Ipv6Addr>,
    /// Form no IPv6 address from Router Advertisements (SLAAC, RFC 4862
    /// §5.5, is on by default).
    #[arg(long)]
    pub no_slaac: bool,
    /// A DNS server to ask for names, before those of the DHCPv4 lease and
    /// of Router Advertisements (repeatable).
    #[arg(long = "dns", value_name = "ADDR")]
    pub dns: Vec<IpAddr>,
    /// Use static IPv4 addresses at once, without RFC 5227 probing (about
    /// 6 s) for another host that has them. Only on a link you control.
    #[arg(long)]
    pub no_probe: bool,
    /// Record every frame that crosses the TAP into this pcap file (the
    /// TAP then runs without offloads, so the capture holds wire frames).
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// Plain frames on the TAP: no virtio-net header, no TSO or received
    /// super-frames, checksums in software (a device without offloads).
    #[arg(long)]
    pub no_offload: bool,
    /// More log output on stderr (-v: info, -vv: debug, -vvv: trace).
    #[arg(short, long, action = ArgAction::Count)]
    pub verbose: u8,
}

impl NetArgs {
    /// The runtime configuration these flags describe: static addresses
    /// when given, else DHCPv4; SLAAC unless `--no-slaac`.
    pub fn stack_config(&self) -> StackConfig {
        let mut c = StackConfig::new(self.mac);
        c.ipv4 = self.ipv4.clone();
        c.ipv4_gateway = self.gateway4;
        c.ipv6 = self.ipv6.clone();
        c.ipv6_gateway = self.gateway6;
        // RFC 2131 needs a broadcast link with hardware addresses: a TUN
        // has neither, so without a static address it runs IPv6 only.
        c.dhcpv4 = self.ipv4.is_empty() && !self.tun;
        c.ipv4_probe = !self.no_probe;
        c.slaac = !self.no_slaac;
        c.dns_servers = self.dns.clone();
        c
    }

    /// Opens the TAP (recording it when `--pcap` was given), starts the
    /// stack on it and waits up to `timeout` for an address (DHCPv4, or
    /// RFC 5227 probing of a static one, takes a few seconds).
    pub fn start(&self, timeout: Duration) -> io::Result<Stack> {
        self.start_with(self.stack_config(), timeout)
    }

    /// [`start`](Self::start) with a configuration the caller adjusted.
    pub fn start_with(&self, config: StackConfig, timeout: Duration) -> io::Result<Stack> {
        announce(&self.tap, &config, timeout, self.tun);
        let offload = !self.no_offload && self.pcap.is_none();
        let tap = if self.tun {
            TapDevice::open_tun_with_offload(&self.tap, offload)?
        } else {
            TapDevice::open_with_offload(&self.tap, offload)?
        };
        tap.set_up()?;
        let stack = match &self.pcap {
            Some(path) => {
                let file = File::create(path).map_err(|e| {
                    io::Error::new(e.kind(), format!("creating {}: {e}", path.display()))
                })?;
                let dev = PcapRecorder::new(tap, BufWriter::new(file))
                    .map_err(|e| io::Error::other(format!("starting the capture: {e}")))?;
                Stack::start(dev, config)?
            }
            None => Stack::start(tap, config)?,
        };
        stack.wait_configured(timeout).map_err(|e| {
            let how = if self.ipv4.is_empty() {
                "no DHCPv4 lease"
            } else {
                "address not usable"
            };
            io::Error::new(e.kind(), format!("{how} after {timeout:?}: {e}"))
        })?;
        Ok(stack)
    }

    /// Installs the stderr logger at the level `-v` asked for.
    pub fn init_logging(&self) {
        let level = match self.verbose {
            0 => log::LevelFilter::Warn,
            1 => log::LevelFilter::Info,
            2 => log::LevelFilter::Debug,
            _ => log::LevelFilter::Trace,
        };
        // A second call (tests run several examples' mains) keeps the first.
        if log::set_logger(&STDERR_LOGGER).is_ok() {
            log::set_max_level(level);
        }
    }
}

/// Says on stderr what the start waits for and how long it may take, so
/// a user whose link has no DHCP server, or who did not expect RFC 5227
/// probing, is not left looking at a silent terminal (issue 14).
fn announce(tap: &str, config: &StackConfig, timeout: Duration, tun: bool) {
    let limit = timeout.as_secs();
    if tun {
        // No probing and no DAD on a TUN (Linux's IFF_NOARP): nothing to wait for.
        if config.ipv4.is_empty() {
            eprintln!("{tap}: a TUN, IPv6 only (no DHCPv4 on a TUN; --ipv4 ADDR/LEN adds IPv4)");
        }
        return;
    }
    if config.dhcpv4 {
        eprintln!("{tap}: asking for a DHCPv4 lease (giving up after {limit} s)...");
    }
    for cidr in &config.ipv4 {
        if config.ipv4_probe {
            eprintln!(
                "{tap}: probing {} for another owner (RFC 5227, about 6 s; --no-probe skips it)...",
                cidr.address()
            );
        }
    }
    if config.dad_transmits > 0 {
        let mut what = String::from("the link-local address");
        for cidr in &config.ipv6 {
            what.push_str(&format!(", {}", cidr.address()));
        }
        eprintln!("{tap}: duplicate address detection for {what} (RFC 4862, about 1 s)...");
    }
    if config.slaac {
        eprintln!("{tap}: SLAAC: an address from each prefix a router advertises (RFC 4862)");
    }
}

/// The echo server (RFC 862) a client talks to by address, and how long
/// it waits for it.
#[derive(Args, Debug, Clone)]
pub struct EchoServer {
    /// Seconds to wait for the connection and for each echo.
    #[arg(long, default_value_t = 5)]
    pub timeout: u64,
    /// The echo server's address.
    pub addr: std::net::IpAddr,
    /// The echo server's port.
    pub port: u16,
}

impl EchoServer {
    /// The server's socket address.
    pub fn socket_addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::new(self.addr, self.port)
    }

    /// `--timeout`, at least a second (zero would mean "never wait").
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout.max(1))
    }
}

/// One echo by name, for the clients written against a trait alone: the
/// server as a host name or an address, its port, and what to send.
#[derive(Args, Debug, Clone)]
pub struct EchoByName {
    /// The echo server: a host name or an address.
    pub host: String,
    /// The echo server's port.
    pub port: u16,
    /// What to send.
    pub text: String,
}

/// What an echo client sends: `--message TEXT` `--count` times, or else
/// each line of stdin.
#[derive(Args, Debug, Clone)]
pub struct Messages {
    /// Send this text instead of reading lines from stdin.
    #[arg(long, value_name = "TEXT")]
    pub message: Option<String>,
    /// How many times to send `--message`.
    #[arg(long, default_value_t = 1, requires = "message", value_name = "N")]
    pub count: u64,
}

impl Messages {
    /// The messages to send, in order.
    pub fn lines(&self) -> Box<dyn Iterator<Item = io::Result<String>> + '_> {
        match &self.message {
            Some(m) => Box::new((0..self.count).map(move |_| Ok(m.clone()))),
            None => Box::new(io::stdin().lock().lines()),
        }
    }
}

/// Ends an example whose `run` gave `result`: on an error, prints it after
/// the `program`'s name and exits with status 1.
pub fn exit_on_error(program: &str, result: io::Result<()>) {
    if let Err(e) = result {
        eprintln!("{program}: {e}");
        std::process::exit(1);
    }
}

/// Writes log records to stderr with the time since start. A few lines of
/// our own rather than a logging crate: the examples need nothing more.
struct StderrLogger;

static STDERR_LOGGER: StderrLogger = StderrLogger;

fn started() -> std::time::Instant {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *START.get_or_init(std::time::Instant::now)
}

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            let t = started().elapsed();
            eprintln!(
                "[{:>4}.{:03}] {:<5} {}: {}",
                t.as_secs(),
                t.subsec_millis(),
                record.level(),
                record.target(),
                record.args()
            );
        }
    }

    fn flush(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        net: NetArgs,
    }

    #[test]
    fn defaults_are_pytcps_and_addresses_parse() {
        let c = Cli::try_parse_from(["x"]).unwrap();
        assert_eq!(c.net.tap, "tap7");
        assert_eq!(c.net.mac, EthernetAddress([2, 0, 0, 0x77, 0x77, 0x77]));
        assert!(c.net.ipv4.is_empty(), "no --ipv4 means DHCPv4");
        assert!(c.net.stack_config().slaac, "SLAAC by default, as DHCPv4");
        let c = Cli::try_parse_from(["x", "--no-slaac"]).unwrap();
        assert!(!c.net.stack_config().slaac);
        let c = Cli::try_parse_from([
            "x",
            "--ipv4",
            "192.168.69.1/24",
            "--ipv4",
            "10.0.0.1/8",
            "--ipv6",
            "fd00::1/64",
            "-vv",
        ])
        .unwrap();
        assert_eq!(c.net.ipv4.len(), 2);
        assert_eq!(c.net.ipv6[0].prefix_len(), 64);
        assert_eq!(c.net.verbose, 2);
        let err = Cli::try_parse_from(["x", "--ipv4", "192.168.69.1"])
            .err()
            .unwrap();
        assert!(err.to_string().contains("ADDRESS/PREFIX_LEN"), "{err}");
    }

    #[test]
    fn tun_names_its_own_default_and_runs_without_dhcpv4() {
        let c = Cli::try_parse_from(["x", "--tun"]).unwrap();
        assert!(c.net.tun);
        assert_eq!(c.net.tap, "tun7");
        assert!(!c.net.stack_config().dhcpv4, "no DHCPv4 on a TUN");
        let c =
            Cli::try_parse_from(["x", "--tun", "--tap", "mytun", "--ipv4", "10.7.0.2/24"]).unwrap();
        assert_eq!(c.net.tap, "mytun");
        assert_eq!(c.net.stack_config().ipv4.len(), 1);
        let c = Cli::try_parse_from(["x"]).unwrap();
        assert!(!c.net.tun);
        assert!(c.net.stack_config().dhcpv4);
    }
}
