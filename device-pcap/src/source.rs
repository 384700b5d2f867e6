//! A buffered byte stream that knows its position in the file.
//!
//! The readers are streaming (they accept any `Read`, a pipe included), so the
//! file size is unknown; what is known is how many bytes were consumed, which
//! is the offset every error message needs. Short reads are returned as counts
//! rather than errors so that the caller can say which structure was cut.

use std::io::{self, BufReader, Read};

/// A `BufReader` plus the number of bytes consumed from it.
#[derive(Debug)]
pub(crate) struct Source<R> {
    inner: BufReader<R>,
    pos: u64,
}

impl<R: Read> Source<R> {
    pub(crate) fn new(r: R) -> Self {
        Source {
            inner: BufReader::new(r),
            pos: 0,
        }
    }

    /// Offset of the next byte to be read.
    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    /// Fills `buf` as far as the stream allows; returns how many bytes were
    /// read, fewer than `buf.len()` only at end of file.
    pub(crate) fn read_full(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match self.inner.read(&mut buf[done..]) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.pos += done as u64;
        Ok(done)
    }

    /// Replaces the contents of `vec` with the next `n` bytes (fewer at end of
    /// file; returns how many). The vector grows only as data actually
    /// arrives, so a lying length field on a short file costs nothing, and
    /// its capacity is kept between calls, so steady-state reading does not
    /// allocate.
    pub(crate) fn read_into(&mut self, vec: &mut Vec<u8>, n: usize) -> io::Result<usize> {
        vec.clear();
        let got = (&mut self.inner).take(n as u64).read_to_end(vec)?;
        self.pos += got as u64;
        Ok(got)
    }

    /// Discards the next `n` bytes (fewer at end of file; returns how many)
    /// without buffering them, for blocks that are skipped.
    pub(crate) fn skip(&mut self, n: u64) -> io::Result<u64> {
        let got = io::copy(&mut (&mut self.inner).take(n), &mut io::sink())?;
        self.pos += got;
        Ok(got)
    }
}

#[cfg(test)]
mod tests {
    use super::Source;

    #[test]
    fn counts_position_and_short_reads() {
        let data: Vec<u8> = (0..10).collect();
        let mut s = Source::new(&data[..]);
        let mut b = [0u8; 4];
        assert_eq!(s.read_full(&mut b).unwrap(), 4);
        assert_eq!(s.pos(), 4);
        assert_eq!(s.skip(2).unwrap(), 2);
        let mut v = Vec::new();
        assert_eq!(s.read_into(&mut v, 100).unwrap(), 4);
        assert_eq!(v, [6, 7, 8, 9]);
        assert_eq!(s.pos(), 10);
        assert_eq!(s.read_full(&mut b).unwrap(), 0);
        assert_eq!(s.skip(5).unwrap(), 0);
    }
}
