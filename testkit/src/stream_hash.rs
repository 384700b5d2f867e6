//! A hash of a byte stream that does not depend on how it was cut into
//! reads or writes: transfer tests hash what was sent and what arrived
//! instead of keeping the data.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;

/// A hash of a byte stream that does not depend on how the stream was cut
/// into reads (SipHash, which buffers a partial block between writes), and
/// its length.
#[derive(Debug, Clone, Default)]
pub struct StreamHash {
    hasher: DefaultHasher,
    len: usize,
}

impl StreamHash {
    /// Adds the next bytes of the stream.
    pub fn write(&mut self, bytes: &[u8]) {
        self.hasher.write(bytes);
        self.len += bytes.len();
    }

    /// Bytes hashed so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True before any byte was hashed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The hash of the stream so far.
    pub fn finish(&self) -> u64 {
        self.hasher.finish()
    }
}

/// The [`StreamHash`] of `bytes` in one piece.
pub fn hash(bytes: &[u8]) -> u64 {
    let mut h = StreamHash::default();
    h.write(bytes);
    h.finish()
}
