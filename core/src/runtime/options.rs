//! The settings `setsockopt` keeps per socket in a kernel (timeouts and
//! blocking mode), kept here per runtime socket: TCP streams and UDP
//! sockets set and read them alike.

use std::io::{self, ErrorKind};
use std::sync::Mutex;
use std::time::Duration;

/// A socket's timeouts and blocking mode at one moment.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Options {
    /// How long a read or receive waits (`None`: forever).
    pub read_timeout: Option<Duration>,
    /// How long a write or send waits for room (`None`: forever).
    pub write_timeout: Option<Duration>,
    /// Calls that would wait fail with `WouldBlock` at once.
    pub nonblocking: bool,
}

/// [`Options`] shared by the threads using one socket.
#[derive(Debug, Default)]
pub(super) struct SocketOptions(Mutex<Options>);

impl SocketOptions {
    /// The options now.
    pub fn get(&self) -> Options {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, f: impl FnOnce(&mut Options)) {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// Sets the read timeout; zero is refused, as by std.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        check_timeout(timeout)?;
        self.set(|o| o.read_timeout = timeout);
        Ok(())
    }

    /// Sets the write timeout; zero is refused, as by std.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        check_timeout(timeout)?;
        self.set(|o| o.write_timeout = timeout);
        Ok(())
    }

    /// Sets the blocking mode.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        self.set(|o| o.nonblocking = nonblocking);
        Ok(())
    }
}

/// Refuses a zero timeout, as std does (it would mean "none" to the
/// kernel).
pub(super) fn check_timeout(t: Option<Duration>) -> io::Result<()> {
    if t == Some(Duration::ZERO) {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            "cannot set a 0 duration timeout",
        ));
    }
    Ok(())
}
