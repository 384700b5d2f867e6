//! How the stack's errors become `std::io::Error`s: the kind a `std::net`
//! user matches on, and a message that says the cause.

use std::format;
use std::io::{Error, ErrorKind};

use crate::iface::ConnectError;
use crate::socket::tcp::TcpError;
use crate::socket::SetError;

/// A connection that ended badly, as read or connect reports it.
pub(crate) fn tcp(e: TcpError) -> Error {
    let kind = match e {
        TcpError::ConnectionRefused => ErrorKind::ConnectionRefused,
        TcpError::ConnectionReset => ErrorKind::ConnectionReset,
        TcpError::TimedOut => ErrorKind::TimedOut,
        TcpError::Unreachable | TcpError::HostUnreachable(_) => ErrorKind::HostUnreachable,
        #[allow(unreachable_patterns)]
        _ => ErrorKind::Other,
    };
    Error::new(kind, e)
}

/// A write to a connection that ended: like Linux's `EPIPE`, the kind is
/// `BrokenPipe` whatever ended it; the message says what did.
pub(crate) fn broken_pipe(cause: &str) -> Error {
    Error::new(ErrorKind::BrokenPipe, format!("cannot write: {cause}"))
}

/// An active open that could not start.
pub(crate) fn connect(e: ConnectError) -> Error {
    let kind = match e {
        ConnectError::NoSourceAddress | ConnectError::SourceAddressTentative => {
            ErrorKind::AddrNotAvailable
        }
        ConnectError::AddrInUse => ErrorKind::AddrInUse,
        ConnectError::Unaddressable => ErrorKind::InvalidInput,
        _ => ErrorKind::Other,
    };
    Error::new(kind, e)
}

/// Adding or binding a socket failed; `what` names the endpoint.
pub(crate) fn set(e: SetError, what: &str) -> Error {
    let kind = match e {
        SetError::AddrInUse => ErrorKind::AddrInUse,
        SetError::NoPorts => ErrorKind::AddrNotAvailable,
        SetError::Full | SetError::IndexFull => ErrorKind::OutOfMemory,
        SetError::Refused => ErrorKind::InvalidInput,
        _ => ErrorKind::Other,
    };
    Error::new(kind, format!("{what}: {e}"))
}

/// The socket limit of the stack's configuration is reached.
pub(crate) fn too_many_sockets(limit: usize) -> Error {
    Error::new(
        ErrorKind::OutOfMemory,
        format!("the stack's limit of {limit} sockets is reached"),
    )
}

/// The stack's thread has stopped (by `stop`, or a device error).
pub(crate) fn stopped(cause: Option<&str>) -> Error {
    match cause {
        Some(c) => Error::new(
            ErrorKind::NotConnected,
            format!("the network stack stopped: {c}"),
        ),
        None => Error::new(ErrorKind::NotConnected, "the network stack stopped"),
    }
}

/// A blocking call ran out of time. `std` on Unix reports a read or write
/// timeout as `WouldBlock` (`EAGAIN`); a connect timeout is `TimedOut`.
pub(crate) fn timed_out(kind: ErrorKind, what: &str) -> Error {
    Error::new(kind, format!("{what} timed out"))
}

/// A nonblocking call that would have to wait.
pub(crate) fn would_block(what: &str) -> Error {
    Error::new(ErrorKind::WouldBlock, format!("{what} would block"))
}
