//! Bulk data for transfer tests: a deterministic byte stream either end can
//! produce on its own, and a hash of a stream however it arrives chunked.
//!
//! A 100 MB transfer is checked by comparing the hash of what was sent with
//! the hash of what arrived, so neither end keeps the data: the sender
//! generates it as it goes, the receiver hashes it as it reads.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

pub use rstcp_testkit::stream_hash::{hash, StreamHash};

/// A deterministic pseudo-random byte stream (xorshift64). Every offset of
/// a long stream differs from its neighbours, so a lost, duplicated or
/// reordered segment changes the stream's hash.
#[derive(Debug, Clone)]
pub struct Pattern {
    state: u64,
    word: [u8; 8],
    /// Bytes of `word` already handed out.
    used: usize,
}

impl Pattern {
    /// The stream for `seed` (two ends with the same seed make the same
    /// bytes; different seeds make different streams).
    pub fn new(seed: u64) -> Pattern {
        // xorshift has a fixed point at 0: mix the seed away from it.
        let state = (seed ^ 0x9e37_79b9_7f4a_7c15) | 1;
        Pattern {
            state,
            word: [0; 8],
            used: 8,
        }
    }

    fn next_word(&mut self) -> [u8; 8] {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x.to_le_bytes()
    }

    /// Writes the next `buf.len()` bytes of the stream into `buf`.
    pub fn fill(&mut self, buf: &mut [u8]) {
        let mut rest = buf;
        // Finish the word a previous call started, so chunking does not
        // change the stream.
        let left = (8 - self.used).min(rest.len());
        rest[..left].copy_from_slice(&self.word[self.used..self.used + left]);
        self.used += left;
        rest = &mut rest[left..];
        let mut chunks = rest.chunks_exact_mut(8);
        for chunk in &mut chunks {
            chunk.copy_from_slice(&self.next_word());
        }
        let tail = chunks.into_remainder();
        if !tail.is_empty() {
            self.word = self.next_word();
            tail.copy_from_slice(&self.word[..tail.len()]);
            self.used = tail.len();
        }
    }

    /// The first `len` bytes of the stream for `seed`.
    pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
        let mut v = vec![0; len];
        Pattern::new(seed).fill(&mut v);
        v
    }

    /// The hash of the first `len` bytes of the stream for `seed`, made in
    /// chunks so no `len`-sized buffer is needed.
    pub fn hash(seed: u64, len: usize) -> u64 {
        let mut p = Pattern::new(seed);
        let mut h = StreamHash::default();
        let mut buf = vec![0; 64 * 1024];
        let mut left = len;
        while left > 0 {
            let n = left.min(buf.len());
            p.fill(&mut buf[..n]);
            h.write(&buf[..n]);
            left -= n;
        }
        h.finish()
    }
}

/// What one end of a [`exchange`] saw.
#[derive(Debug, Clone)]
pub struct Exchanged {
    /// Bytes written (all of them, or the call failed).
    pub sent: usize,
    /// The hash of everything read until the peer closed.
    pub received: StreamHash,
    /// From the first byte written to the peer's close.
    pub elapsed: Duration,
}

/// Runs one end of a bulk transfer over a kernel socket: writes `send`
/// bytes of the stream for `seed` and then shuts the write side, while
/// reading (and hashing) everything until the peer closes. Both at once:
/// a peer that echoes cannot hold the whole stream. Set a read timeout on
/// `stream`: a stalled transfer then ends in an error, not a hang.
pub fn exchange(stream: TcpStream, send: usize, seed: u64) -> io::Result<Exchanged> {
    let start = Instant::now();
    let mut writer = stream.try_clone()?;
    let write = std::thread::spawn(move || -> io::Result<()> {
        write_stream(&mut writer, send, seed)?;
        writer.shutdown(Shutdown::Write)
    });
    let mut reader = stream;
    let mut received = StreamHash::default();
    let read = read_hashing(&mut reader, &mut received);
    if read.is_err() {
        // Unblocks a writer stuck on a peer that stopped reading, so the
        // join below cannot hang the test.
        let _ = reader.shutdown(Shutdown::Both);
    }
    let written = write
        .join()
        .map_err(|_| io::Error::other("writer thread panicked"))?;
    read?;
    written?;
    Ok(Exchanged {
        sent: send,
        received,
        elapsed: start.elapsed(),
    })
}

/// Writes the first `send` bytes of the stream for `seed` to `w`, made as
/// it goes (no `send`-sized buffer).
pub fn write_stream(w: &mut impl Write, send: usize, seed: u64) -> io::Result<()> {
    let mut p = Pattern::new(seed);
    let mut buf = vec![0; 256 * 1024];
    let mut left = send;
    while left > 0 {
        let n = left.min(buf.len());
        p.fill(&mut buf[..n]);
        w.write_all(&buf[..n])?;
        left -= n;
    }
    Ok(())
}

/// Reads `r` to its end into `hash`, keeping none of it.
pub fn read_hashing(r: &mut impl Read, hash: &mut StreamHash) -> io::Result<()> {
    let mut buf = vec![0; 256 * 1024];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => hash.write(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Megabits per second for `bytes` in `elapsed`, for the test's output.
pub fn mbps(bytes: usize, elapsed: Duration) -> f64 {
    bytes as f64 * 8.0 / elapsed.as_secs_f64().max(1e-9) / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunking_changes_neither_the_stream_nor_its_hash() {
        let whole = Pattern::bytes(7, 10_007);
        let mut p = Pattern::new(7);
        let mut pieces = Vec::new();
        let mut h = StreamHash::default();
        for size in [1, 3, 8, 13, 1000, 5, 8002] {
            let mut buf = vec![0; size];
            p.fill(&mut buf);
            h.write(&buf);
            pieces.extend_from_slice(&buf);
        }
        let mut rest = vec![0; whole.len() - pieces.len()];
        p.fill(&mut rest);
        h.write(&rest);
        pieces.extend_from_slice(&rest);
        assert_eq!(pieces, whole);
        assert_eq!(h.finish(), Pattern::hash(7, whole.len()));
        assert_eq!(h.len(), whole.len());
    }

    #[test]
    fn a_changed_byte_or_seed_changes_the_hash() {
        let mut data = Pattern::bytes(1, 100_000);
        let mut h = StreamHash::default();
        h.write(&data);
        assert_eq!(h.finish(), Pattern::hash(1, data.len()));
        assert_ne!(h.finish(), Pattern::hash(2, data.len()));
        data[50_000] ^= 1;
        let mut h = StreamHash::default();
        h.write(&data);
        assert_ne!(h.finish(), Pattern::hash(1, data.len()));
    }
}
