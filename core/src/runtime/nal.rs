//! embedded-nal's blocking traits on the std runtime (feature
//! `embedded-nal`): [`TcpClientStack`], [`UdpClientStack`] and [`Dns`] on
//! [`Stack`], so a driver or client written against embedded-nal (an MQTT
//! or CoAP client, an SNTP query) runs over rstcp unchanged.
//!
//! Every call completes or fails; none returns `nb::Error::WouldBlock`
//! (the runtime blocks its caller's thread as `std::net` does), so
//! `nb::block!` around a call returns at once. `receive` waits for data
//! and reports the end of a TCP stream as [`TcpErrorKind::PipeClosed`].

use core::fmt;
use core::net::{IpAddr, SocketAddr};
use std::io::{self, ErrorKind, Read, Write};

use embedded_nal::{AddrType, Dns, TcpClientStack, TcpError, TcpErrorKind, UdpClientStack};

use super::dns::{lookup_host_family, AddrFamily};
use super::{Stack, TcpStream, UdpSocket};

/// An error of the embedded-nal adapters: the runtime's `io::Error`,
/// whose kind says what happened.
#[derive(Debug)]
pub struct NalError(pub io::Error);

impl fmt::Display for NalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for NalError {}

impl From<io::Error> for NalError {
    fn from(e: io::Error) -> NalError {
        NalError(e)
    }
}

impl TcpError for NalError {
    fn kind(&self) -> TcpErrorKind {
        match self.0.kind() {
            ErrorKind::BrokenPipe
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::NotConnected
            | ErrorKind::UnexpectedEof => TcpErrorKind::PipeClosed,
            _ => TcpErrorKind::Other,
        }
    }
}

fn nb_err(e: io::Error) -> nb::Error<NalError> {
    nb::Error::Other(NalError(e))
}

fn not_connected(what: &str) -> NalError {
    NalError(io::Error::new(
        ErrorKind::NotConnected,
        std::format!("{what}: the socket is not connected"),
    ))
}

/// A TCP socket of [`TcpClientStack`]: nothing until `connect`, then a
/// [`TcpStream`].
#[derive(Debug, Default)]
pub struct NalTcpSocket {
    stream: Option<TcpStream>,
}

impl NalTcpSocket {
    /// The connection, once `connect` made it (for its timeouts, stats).
    pub fn stream(&self) -> Option<&TcpStream> {
        self.stream.as_ref()
    }
}

impl TcpClientStack for Stack {
    type TcpSocket = NalTcpSocket;
    type Error = NalError;

    fn socket(&mut self) -> Result<NalTcpSocket, NalError> {
        self.shared().lock().check_running()?;
        Ok(NalTcpSocket::default())
    }

    /// Opens the connection, blocking through the handshake (a socket
    /// already connected is closed first, as a new one would be).
    fn connect(
        &mut self,
        socket: &mut NalTcpSocket,
        remote: SocketAddr,
    ) -> nb::Result<(), NalError> {
        socket.stream = None;
        socket.stream = Some(TcpStream::connect(self, remote).map_err(nb_err)?);
        Ok(())
    }

    fn send(&mut self, socket: &mut NalTcpSocket, buffer: &[u8]) -> nb::Result<usize, NalError> {
        let stream = socket
            .stream
            .as_mut()
            .ok_or_else(|| nb::Error::Other(not_connected("send")))?;
        stream.write(buffer).map_err(nb_err)
    }

    fn receive(
        &mut self,
        socket: &mut NalTcpSocket,
        buffer: &mut [u8],
    ) -> nb::Result<usize, NalError> {
        let stream = socket
            .stream
            .as_mut()
            .ok_or_else(|| nb::Error::Other(not_connected("receive")))?;
        match stream.read(buffer).map_err(nb_err)? {
            // The peer's FIN: nothing more will come.
            0 if !buffer.is_empty() => Err(nb_err(io::Error::new(
                ErrorKind::UnexpectedEof,
                "the peer closed the connection",
            ))),
            n => Ok(n),
        }
    }

    /// Closes with a FIN (the stack finishes the close in the background).
    fn close(&mut self, socket: NalTcpSocket) -> Result<(), NalError> {
        drop(socket);
        Ok(())
    }
}

/// A UDP socket of [`UdpClientStack`]: bound to an ephemeral port and
/// connected by `connect`.
#[derive(Debug, Default)]
pub struct NalUdpSocket {
    socket: Option<UdpSocket>,
}

impl UdpClientStack for Stack {
    type UdpSocket = NalUdpSocket;
    type Error = NalError;

    fn socket(&mut self) -> Result<NalUdpSocket, NalError> {
        self.shared().lock().check_running()?;
        Ok(NalUdpSocket::default())
    }

    fn connect(&mut self, socket: &mut NalUdpSocket, remote: SocketAddr) -> Result<(), NalError> {
        let s = match socket.socket.take() {
            Some(s) => s,
            None => UdpSocket::bind(self, 0)?,
        };
        s.connect(remote)?;
        socket.socket = Some(s);
        Ok(())
    }

    fn send(&mut self, socket: &mut NalUdpSocket, buffer: &[u8]) -> nb::Result<(), NalError> {
        let s = socket
            .socket
            .as_ref()
            .ok_or_else(|| nb::Error::Other(not_connected("send")))?;
        s.send(buffer).map(drop).map_err(nb_err)
    }

    /// Waits for a datagram from the connected peer.
    fn receive(
        &mut self,
        socket: &mut NalUdpSocket,
        buffer: &mut [u8],
    ) -> nb::Result<(usize, SocketAddr), NalError> {
        let s = socket
            .socket
            .as_ref()
            .ok_or_else(|| nb::Error::Other(not_connected("receive")))?;
        s.recv_from(buffer).map_err(nb_err)
    }

    fn close(&mut self, socket: NalUdpSocket) -> Result<(), NalError> {
        drop(socket);
        Ok(())
    }
}

impl Dns for Stack {
    type Error = NalError;

    /// The first address of `hostname` of that type, through the stack's
    /// DNS servers ([`lookup_host_family`]); an address literal as is.
    fn get_host_by_name(
        &mut self,
        hostname: &str,
        addr_type: AddrType,
    ) -> nb::Result<IpAddr, NalError> {
        let family = match addr_type {
            AddrType::IPv4 => AddrFamily::V4,
            AddrType::IPv6 => AddrFamily::V6,
            AddrType::Either => AddrFamily::Any,
        };
        let addrs = lookup_host_family(self, hostname, family).map_err(nb_err)?;
        addrs.first().copied().ok_or_else(|| {
            nb_err(io::Error::new(
                ErrorKind::NotFound,
                std::format!("{hostname}: no address"),
            ))
        })
    }

    /// Reverse lookups (PTR) are not done: `Unsupported`.
    fn get_host_by_address(
        &mut self,
        addr: IpAddr,
        _result: &mut [u8],
    ) -> nb::Result<usize, NalError> {
        Err(nb_err(io::Error::new(
            ErrorKind::Unsupported,
            std::format!("no reverse lookup of {addr}"),
        )))
    }
}
