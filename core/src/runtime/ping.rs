//! [`ping`]: one ICMP echo round trip (RFC 792, RFC 4443 §4).

use std::io::{self, ErrorKind};
use std::net::IpAddr;
use std::time::{Duration, Instant};
use std::vec;
use std::vec::Vec;

use super::error;
use super::stack::{Deadline, Stack, Watch};
use crate::socket::icmp::{IcmpSocket, SendError};
use crate::socket::SetError;
use crate::storage::{PacketBuffer, PacketMetadata};

/// ICMP header: type, code, checksum, identifier, sequence number.
const HEADER_LEN: usize = 8;
const ECHO_REQUEST_V4: u8 = 8;
const ECHO_REPLY_V4: u8 = 0;
const ECHO_REQUEST_V6: u8 = 128;
const ECHO_REPLY_V6: u8 = 129;
/// Sends one echo request with `size` bytes of data to `addr` and waits for
/// the matching reply; returns the round-trip time. Fails with `TimedOut`
/// when no reply came within `timeout`. The request carries sequence
/// number 1; [`ping_seq`] chooses it.
pub fn ping(stack: &Stack, addr: IpAddr, size: usize, timeout: Duration) -> io::Result<Duration> {
    ping_seq(stack, addr, 1, size, timeout)
}

/// [`ping`] with the request's sequence number `seq`: a ping(8)-like tool
/// numbers its requests so that its `icmp_seq=N` lines match what a
/// capture of the wire shows. A reply must echo `seq` to count (RFC 792,
/// RFC 4443 §4.2: the reply returns the identifier, sequence number and
/// data unchanged).
pub fn ping_seq(
    stack: &Stack,
    addr: IpAddr,
    seq: u16,
    size: usize,
    timeout: Duration,
) -> io::Result<Duration> {
    let (request_type, reply_type) = match addr {
        IpAddr::V4(_) => (ECHO_REQUEST_V4, ECHO_REPLY_V4),
        IpAddr::V6(_) => (ECHO_REQUEST_V6, ECHO_REPLY_V6),
    };
    let data: Vec<u8> = (0..size).map(|i| i as u8).collect();
    let mut request = vec![0u8; HEADER_LEN + size];
    request[0] = request_type;
    // Checksum and identifier (bytes 2..6) are filled in by the interface
    // and the socket.
    request[6..8].copy_from_slice(&seq.to_be_bytes());
    request[HEADER_LEN..].copy_from_slice(&data);

    let shared = stack.shared();
    let handle = shared.with(|core| {
        let bytes = (HEADER_LEN + size).max(1500) * 4;
        let buffer = || PacketBuffer::new(vec![PacketMetadata::EMPTY; 4], vec![0u8; bytes]);
        let h = core.add(IcmpSocket::new(buffer(), buffer()))?;
        // Another ping may hold an identifier: take the next free one.
        for _ in 0..64 {
            let ident = core.next_ident();
            match core.sockets.bind_icmp(h, ident) {
                Ok(()) => {
                    let sent = core
                        .sockets
                        .get_mut::<IcmpSocket>(h)
                        .map(|s| s.send_slice(&request, addr));
                    return match sent {
                        Some(Ok(())) => {
                            core.kick();
                            Ok(h)
                        }
                        Some(Err(e)) => {
                            core.remove(h);
                            let kind = match e {
                                SendError::BufferFull => ErrorKind::WouldBlock,
                                _ => ErrorKind::InvalidInput,
                            };
                            Err(io::Error::new(kind, e))
                        }
                        None => {
                            core.remove(h);
                            Err(io::Error::other("the ICMP socket is gone"))
                        }
                    };
                }
                Err(SetError::AddrInUse) => continue,
                Err(e) => {
                    core.remove(h);
                    return Err(error::set(e, "binding an ICMP echo identifier"));
                }
            }
        }
        core.remove(h);
        Err(io::Error::new(
            ErrorKind::AddrInUse,
            "no free ICMP echo identifier",
        ))
    })?;
    let start = Instant::now();
    let r = shared.block(
        Deadline::At(start + timeout),
        Watch::Socket(handle),
        |core| {
            let s = core
                .sockets
                .get_mut::<IcmpSocket>(handle)
                .ok_or_else(|| io::Error::other("the ICMP socket is gone"))?;
            while let Ok((reply, from)) = s.recv() {
                let matches = from == addr
                    && reply.len() == HEADER_LEN + size
                    && reply[0] == reply_type
                    && reply[6..8] == seq.to_be_bytes()
                    && reply[HEADER_LEN..] == data[..];
                if matches {
                    return Ok(Some(start.elapsed()));
                }
            }
            Ok(None)
        },
    );
    shared.release(|core| core.remove(handle));
    match r? {
        Ok(rtt) => Ok(rtt),
        Err(_) => Err(io::Error::new(
            ErrorKind::TimedOut,
            std::format!("no echo reply from {addr} within {timeout:?}"),
        )),
    }
}
