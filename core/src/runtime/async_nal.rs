//! embedded-nal-async on the std runtime (feature `embedded-nal-async`):
//! [`TcpConnect`] and [`Dns`] on [`Stack`], so a client written for
//! embedded-nal-async (reqwless, rust-mqtt, …) runs on rstcp unchanged,
//! its connections being [`AsyncTcpStream`]s.
//!
//! [`Dns`] resolves address literals (`"192.168.69.100"`, `"fd00::1"`),
//! which is what such clients pass for a URL with an IP host; names need
//! the DNS resolver and are refused with `NotFound` until the runtime has
//! one.

use core::net::{IpAddr, SocketAddr};
use std::io;

use embedded_nal_async::{AddrType, Dns, TcpConnect};

use super::async_tcp::AsyncTcpStream;
use super::stack::Stack;

impl TcpConnect for Stack {
    type Error = io::Error;
    type Connection<'a> = AsyncTcpStream;

    async fn connect(&self, remote: SocketAddr) -> io::Result<AsyncTcpStream> {
        AsyncTcpStream::connect(self, remote).await
    }
}

impl Dns for Stack {
    type Error = io::Error;

    async fn get_host_by_name(&self, host: &str, addr_type: AddrType) -> io::Result<IpAddr> {
        let literal = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        match literal.parse::<IpAddr>() {
            Ok(ip) => {
                let fits = match addr_type {
                    AddrType::IPv4 => ip.is_ipv4(),
                    AddrType::IPv6 => ip.is_ipv6(),
                    AddrType::Either => true,
                };
                if fits {
                    Ok(ip)
                } else {
                    Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        std::format!("{host} is not an {addr_type:?} address"),
                    ))
                }
            }
            Err(_) => Err(io::Error::new(
                io::ErrorKind::NotFound,
                std::format!("cannot resolve {host}: this runtime resolves address literals only"),
            )),
        }
    }

    async fn get_host_by_address(&self, addr: IpAddr, _result: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            std::format!("no reverse lookup of {addr}"),
        ))
    }
}
