//! Names on the std runtime: [`lookup_host`] asks the stack's DNS servers
//! (the core's [`Resolver`] over a runtime [`UdpSocket`]), and
//! [`ToStackAddrs`] lets [`TcpStream::connect`](super::TcpStream::connect)
//! take `("host.lan", 80)` as std's `ToSocketAddrs` does.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::{self, ErrorKind};
use std::net::{IpAddr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::string::{String, ToString};
use std::task::Poll;
use std::time::{Duration, Instant};
use std::vec::Vec;
use std::{format, vec};

use super::{Stack, UdpSocket};
use crate::dns::{Answer, QueryType, ResolveError, Resolver, StartError};
use crate::wire::IpEndpoint;

/// The addresses of `host`: an IP address literal as is, else the A and
/// AAAA records the stack's DNS servers ([`Stack::dns_servers`]) give,
/// IPv4 first (IPv6 first when the stack has no IPv4 address). Blocks for
/// the resolver's retries at most ([`StackConfig::resolver`](super::StackConfig::resolver)).
///
/// Errors: `NotFound` when the name does not exist or has no address,
/// `TimedOut` when no server answered, `InvalidInput` for a malformed name,
/// `NotConnected` when no DNS server is known.
pub fn lookup_host(stack: &Stack, host: &str) -> io::Result<Vec<IpAddr>> {
    lookup_host_family(stack, host, AddrFamily::Any)
}

/// Which addresses [`lookup_host_family`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddrFamily {
    /// IPv4 only (A records).
    V4,
    /// IPv6 only (AAAA records).
    V6,
    /// Both, in the order [`lookup_host`] gives.
    Any,
}

/// [`lookup_host`] for one family, or both: embedded-nal's
/// `AddrType`, for the blocking and async adapters. A literal of the
/// other family is `InvalidInput`.
pub fn lookup_host_family(
    stack: &Stack,
    host: &str,
    family: AddrFamily,
) -> io::Result<Vec<IpAddr>> {
    let literal = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = literal.parse::<IpAddr>() {
        let fits = match family {
            AddrFamily::V4 => ip.is_ipv4(),
            AddrFamily::V6 => ip.is_ipv6(),
            AddrFamily::Any => true,
        };
        if !fits {
            return Err(io::Error::new(
                ErrorKind::InvalidInput,
                format!("{host} is not an address of the family asked for ({family:?})"),
            ));
        }
        return Ok(vec![ip]);
    }
    let servers = stack.dns_servers();
    let mut slots = [None, None];
    let config = stack.shared().lock().config.resolver;
    let mut resolver = Resolver::new(&mut slots[..], config, RandomState::new().hash_one(host));
    resolver.set_servers(&servers);
    let mut start = |t| {
        resolver.start_query(host, t).map_err(|e| {
            let kind = match e {
                StartError::NoServers => ErrorKind::NotConnected,
                StartError::InvalidName => ErrorKind::InvalidInput,
                StartError::Full => ErrorKind::Other,
            };
            io::Error::new(kind, format!("resolving {host:?}: {e}"))
        })
    };
    let v4_first = !stack
        .addresses()
        .iter()
        .all(|a| matches!(a.cidr, crate::wire::IpCidr::V6(_)));
    let (first, second) = if v4_first {
        (QueryType::A, QueryType::Aaaa)
    } else {
        (QueryType::Aaaa, QueryType::A)
    };
    let types: &[QueryType] = match family {
        AddrFamily::V4 => &[QueryType::A],
        AddrFamily::V6 => &[QueryType::Aaaa],
        AddrFamily::Any => &[first, second],
    };
    let mut queries = Vec::with_capacity(2);
    for t in types {
        queries.push(start(*t)?);
    }
    let socket = UdpSocket::bind(stack, 0)?;
    let started = Instant::now();
    let now = || crate::time::Instant::from_micros(started.elapsed().as_micros() as i64);
    let mut results: Vec<Option<Result<Answer, ResolveError>>> = vec![None; queries.len()];
    let mut buf = [0u8; 1500];
    loop {
        resolver.dispatch(now(), |to, datagram| {
            // A datagram the socket refuses is retried at the next dispatch.
            socket
                .send_to(datagram, SocketAddr::new(to.addr, to.port))
                .is_ok()
        });
        for (q, r) in queries.iter().zip(results.iter_mut()) {
            if r.is_none() {
                if let Poll::Ready(x) = resolver.result(*q) {
                    *r = Some(x);
                }
            }
        }
        if results.iter().all(Option::is_some) {
            break;
        }
        let wait = match resolver.poll_at() {
            Some(at) => Duration::from(at.saturating_duration_since(now())),
            None => Duration::ZERO,
        };
        socket.set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => resolver.process(IpEndpoint::new(from.ip(), from.port()), &buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            // An ICMP error from a server (port unreachable) or a stopped
            // stack: the resolver's timers move on or the error stands.
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {}
            Err(e) => return Err(e),
        }
    }
    let mut addrs = Vec::new();
    let mut worst = ResolveError::TimedOut;
    for r in results.into_iter().flatten() {
        match r {
            Ok(a) => addrs.extend(a.addresses.iter().copied()),
            // The most telling failure: the server's word over silence.
            Err(e) => {
                if e == ResolveError::NoSuchName
                    || (e == ResolveError::NoAddress && worst == ResolveError::TimedOut)
                {
                    worst = e;
                }
            }
        }
    }
    if !addrs.is_empty() {
        return Ok(addrs);
    }
    let kind = match worst {
        ResolveError::TimedOut => ErrorKind::TimedOut,
        _ => ErrorKind::NotFound,
    };
    let servers: Vec<String> = servers.iter().map(|s| s.to_string()).collect();
    Err(io::Error::new(
        kind,
        format!("resolving {host:?}: {worst} (asked {})", servers.join(", ")),
    ))
}

/// What [`TcpStream::connect`](super::TcpStream::connect) can be given: a
/// `SocketAddr` or anything that becomes one, or a host name and a port
/// (`("host.lan", 80)`, `"host.lan:80"`), resolved through the stack. As
/// std's `ToSocketAddrs`, but resolved by the stack's DNS servers instead
/// of the system's.
pub trait ToStackAddrs {
    /// The addresses to try, in order.
    fn to_stack_addrs(&self, stack: &Stack) -> io::Result<Vec<SocketAddr>>;
}

macro_rules! plain_addr {
    ($($t:ty),*) => {$(
        impl ToStackAddrs for $t {
            fn to_stack_addrs(&self, _: &Stack) -> io::Result<Vec<SocketAddr>> {
                Ok(vec![SocketAddr::from(*self)])
            }
        }
    )*};
}

plain_addr!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (std::net::Ipv4Addr, u16),
    (std::net::Ipv6Addr, u16),
    ([u8; 4], u16),
    ([u8; 16], u16),
    ([u16; 8], u16)
);

impl ToStackAddrs for (&str, u16) {
    fn to_stack_addrs(&self, stack: &Stack) -> io::Result<Vec<SocketAddr>> {
        let (host, port) = *self;
        Ok(lookup_host(stack, host)?
            .into_iter()
            .map(|ip| SocketAddr::new(ip, port))
            .collect())
    }
}

impl ToStackAddrs for (String, u16) {
    fn to_stack_addrs(&self, stack: &Stack) -> io::Result<Vec<SocketAddr>> {
        (self.0.as_str(), self.1).to_stack_addrs(stack)
    }
}

impl ToStackAddrs for str {
    /// `host:port`, `[v6]:port` or `a.b.c.d:port`.
    fn to_stack_addrs(&self, stack: &Stack) -> io::Result<Vec<SocketAddr>> {
        if let Ok(a) = self.parse::<SocketAddr>() {
            return Ok(vec![a]);
        }
        let (host, port) = self
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
            .ok_or_else(|| {
                io::Error::new(
                    ErrorKind::InvalidInput,
                    format!("{self:?} is not HOST:PORT"),
                )
            })?;
        (host, port).to_stack_addrs(stack)
    }
}

impl ToStackAddrs for String {
    fn to_stack_addrs(&self, stack: &Stack) -> io::Result<Vec<SocketAddr>> {
        self.as_str().to_stack_addrs(stack)
    }
}

impl ToStackAddrs for [SocketAddr] {
    fn to_stack_addrs(&self, _: &Stack) -> io::Result<Vec<SocketAddr>> {
        Ok(self.to_vec())
    }
}

impl<T: ToStackAddrs + ?Sized> ToStackAddrs for &T {
    fn to_stack_addrs(&self, stack: &Stack) -> io::Result<Vec<SocketAddr>> {
        (**self).to_stack_addrs(stack)
    }
}

/// Tries `f` on each address in turn: the first success, or the last
/// error (as std's `TcpStream::connect`).
pub(crate) fn each_addr<T>(
    stack: &Stack,
    addrs: impl ToStackAddrs,
    mut f: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for a in addrs.to_stack_addrs(stack)? {
        match f(a) {
            Ok(t) => return Ok(t),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(ErrorKind::InvalidInput, "no address to connect to")))
}
