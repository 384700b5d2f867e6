//! Wire formats: zero-copy packet views and their high-level representations.
//!
//! Every format follows the same shape, so that a reader who knows one knows all:
//!
//! - A view `XxxPacket<T: AsRef<[u8]>>` (or `XxxFrame`) wraps a byte buffer.
//!   `new_unchecked` wraps without looking; `new_checked` calls `check_len`,
//!   which validates every length the accessors rely on. After `new_checked`
//!   succeeds, **no accessor can panic**, whatever the bytes are. Setters exist
//!   when `T: AsMut<[u8]>`; `payload()`/`payload_mut()` give the inner bytes.
//! - A private `field` module names every byte range once (`Field`, `Rest`).
//! - A `XxxRepr` is the parsed, validated, high-level form: `parse` checks the
//!   semantics (checksums, reserved values, option syntax), `emit` writes a
//!   view, `buffer_len` says how many bytes `emit` needs.
//!
//! Parsing never panics and never allocates: a bad frame yields an [`Error`].
//!
//! This module must never depend on the interface, sockets or any state: it is
//! pure functions over bytes.

use core::fmt;

mod be;
pub mod checksum;
pub mod cidr;
pub mod endpoint;
pub mod ip;
pub mod mac;

pub mod arp;
pub mod dhcpv4;
pub mod dns;
pub mod ethernet;
pub mod icmpv4;
pub mod icmpv6;
pub mod igmp;
pub mod ipv4;
pub mod ipv6;
pub mod ipv6ext;
pub mod tcp;
pub mod udp;
pub mod virtio;

pub use self::cidr::{CidrParseError, IpCidr, Ipv4Cidr, Ipv6Cidr};
pub use self::endpoint::{IpEndpoint, IpListenEndpoint};
pub use self::icmpv6::{mld, ndp};
pub use self::ip::IpProtocol;
pub use self::mac::EthernetAddress;
pub use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A byte range of a header field, named once in each format's `field` module.
pub(crate) type Field = core::ops::Range<usize>;
/// The bytes from an offset to the end of the buffer.
pub(crate) type Rest = core::ops::RangeFrom<usize>;

/// Why a buffer could not be read as (or written as) a given format.
///
/// The variants are what a caller acts on (drop and count by reason); the
/// `&'static str` says which field was wrong, for logs and for `rstcp-dump`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The buffer is shorter than the header, or than a length field says.
    Truncated,
    /// A field holds a value the format forbids (the name of the field).
    Malformed(&'static str),
    /// The checksum does not match the contents.
    Checksum,
    /// Well-formed, but a version, type or feature this crate does not handle.
    Unsupported(&'static str),
}

impl Error {
    /// A short, stable, lowercase reason, suitable for counters and JSON.
    pub fn reason(&self) -> &'static str {
        match self {
            Error::Truncated => "truncated",
            Error::Malformed(_) => "malformed",
            Error::Checksum => "bad checksum",
            Error::Unsupported(_) => "unsupported",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated => f.write_str("truncated"),
            Error::Malformed(what) => write!(f, "malformed {what}"),
            Error::Checksum => f.write_str("bad checksum"),
            Error::Unsupported(what) => write!(f, "unsupported {what}"),
        }
    }
}

impl core::error::Error for Error {}

/// The result of every parse and emit in [`wire`](self).
pub type Result<T> = core::result::Result<T, Error>;

/// Whether checksums are computed on emit and verified on parse.
///
/// `Skip` is for a device that offloads checksums to hardware (and for tools
/// such as `rstcp-dump` that want to report a bad checksum rather than fail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ChecksumMode {
    /// Compute the checksum on emit; reject a bad one on parse.
    #[default]
    Check,
    /// Leave the checksum field alone on emit; do not verify it on parse.
    Skip,
}

impl ChecksumMode {
    /// True when checksums are computed and verified.
    pub const fn is_check(self) -> bool {
        matches!(self, ChecksumMode::Check)
    }
}
