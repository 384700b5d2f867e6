//! embedded-io on the std runtime (feature `embedded-io`): a
//! [`TcpStream`] is an `embedded_io` [`Read`] and [`Write`], so a client
//! crate written against embedded-io's blocking traits runs over rstcp
//! unchanged. The semantics are std's: `read` blocks until a byte or the
//! end of the stream (`Ok(0)`), `write` until the send buffer takes at
//! least one byte; the stream's read and write timeouts apply.
//! [`ReadReady`] and [`WriteReady`] say whether that call would return at
//! once.

use std::io;

use embedded_io::{ErrorType, Read, ReadReady, Write, WriteReady};

use super::registry::readiness;
use super::TcpStream;

impl ErrorType for TcpStream {
    type Error = io::Error;
}

impl Read for TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        io::Read::read(self, buf)
    }
}

impl Write for TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::Write::write(self, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        io::Write::flush(self)
    }
}

impl ReadReady for TcpStream {
    /// True when `read` would not block: bytes waiting, the peer's FIN, an
    /// error, or the read side shut down.
    fn read_ready(&mut self) -> io::Result<bool> {
        if self.is_read_shut() {
            return Ok(true);
        }
        let core = self.shared().lock();
        Ok(readiness(&core.sockets, self.handle()).0)
    }
}

impl WriteReady for TcpStream {
    /// True when `write` would not block: room in the send buffer, or a
    /// state where it fails at once.
    fn write_ready(&mut self) -> io::Result<bool> {
        let core = self.shared().lock();
        Ok(readiness(&core.sockets, self.handle()).1)
    }
}
