//! IPv6 extension headers (RFC 8200 §4) and the walk over their chain.
//!
//! Views and reprs for Hop-by-Hop and Destination Options (§4.3, §4.6), the
//! Routing header (§4.4), the Fragment header (§4.5) and the Authentication
//! Header (RFC 4302), then [`Ipv6ExtChain`]/[`walk`], which steps from the
//! fixed header's Next Header to the upper-layer protocol.

use super::ip::enum_with_unknown;
use super::{Error, IpProtocol, Result};

mod auth;
mod chain;
mod fragment;
mod options;
mod routing;
#[cfg(test)]
mod tests;

pub use self::auth::*;
pub use self::chain::*;
pub use self::fragment::*;
pub use self::options::*;
pub use self::routing::*;

/// Read the generic "Hdr Ext Len" in 8-octet units, not counting the first 8
/// (RFC 8200 §4.3, §4.4, §4.6). Needs 2 bytes.
fn generic_header_len(data: &[u8]) -> Result<usize> {
    let units = *data.get(1).ok_or(Error::Truncated)?;
    // At most (255 + 1) * 8 = 2048: no overflow.
    Ok((usize::from(units) + 1) * 8)
}

/// The Hdr Ext Len value that makes a header `len` bytes long (`len` rounded
/// up to 8), clamped to the field's range for oversized input.
fn generic_ext_len_for(len: usize) -> u8 {
    let units = len.div_ceil(8).saturating_sub(1);
    u8::try_from(units).unwrap_or(u8::MAX)
}
