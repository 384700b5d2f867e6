//! The DNS Search List option (RFC 8106 §5.2) and the domain names it
//! carries, in the uncompressed wire form of RFC 1035 §3.1.
//!
//! The option's length is checked when it is parsed (as every option's);
//! the names are checked as they are read ([`Dnssl::domains`] yields a typed
//! error for a malformed one), so that a router's bad search list costs the
//! host that option, not the whole Router Advertisement.

use crate::wire::{Error, Result};

/// The longest domain name in wire form (RFC 1035 §2.3.4: 255 octets).
pub const MAX_NAME_WIRE_LEN: usize = 255;
/// The longest label (RFC 1035 §2.3.4: 63 octets).
pub const MAX_LABEL_LEN: usize = 63;

/// The DNS Search List option (RFC 8106 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dnssl<'a> {
    /// Seconds the domains may be used (0xffffffff: infinity, 0: stop using).
    pub lifetime: u32,
    /// The names, each a sequence of labels ended by the root label, then
    /// zero padding to the option's 8-byte boundary.
    pub names: &'a [u8],
}

impl<'a> Dnssl<'a> {
    /// The domain names, in order. A malformed name (a label over 63 bytes,
    /// a compression pointer, RFC 8106 §5.2 forbids compression, a name
    /// over 255 bytes or one that runs past the option) yields one `Err`
    /// and ends the walk. The padding after the last name ends it too.
    pub fn domains(&self) -> Domains<'a> {
        Domains { rest: self.names }
    }
}

/// The domain names of a [`Dnssl`] option.
#[derive(Debug, Clone)]
pub struct Domains<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Domains<'a> {
    type Item = Result<DomainName<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        // RFC 8106 §5.2: the names are followed by zero padding; a root
        // label where a name would start is that padding.
        if self.rest.first().is_none_or(|&b| b == 0) {
            return None;
        }
        let mut at = 0;
        loop {
            let Some(&len) = self.rest.get(at) else {
                self.rest = &[];
                return Some(Err(Error::Truncated));
            };
            let len = usize::from(len);
            if len > MAX_LABEL_LEN {
                // 0b11 is a compression pointer, 0b01/0b10 are not labels.
                self.rest = &[];
                return Some(Err(Error::Malformed("dnssl label")));
            }
            at += 1 + len;
            if at > MAX_NAME_WIRE_LEN {
                self.rest = &[];
                return Some(Err(Error::Malformed("dnssl name length")));
            }
            if len == 0 {
                break;
            }
        }
        let (name, rest) = self.rest.split_at_checked(at).unwrap_or((self.rest, &[]));
        if name.len() < at {
            self.rest = &[];
            return Some(Err(Error::Truncated));
        }
        self.rest = rest;
        Some(Ok(DomainName { wire: name }))
    }
}

/// A domain name in wire form, checked: labels of 1 to 63 bytes ended by
/// the root label, 255 bytes at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainName<'a> {
    wire: &'a [u8],
}

impl<'a> DomainName<'a> {
    /// A name whose wire form was checked already (kept by the caller
    /// after a [`Domains`] walk yielded it).
    pub(crate) fn from_checked(wire: &'a [u8]) -> DomainName<'a> {
        DomainName { wire }
    }

    /// The name's bytes in wire form, root label included.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.wire
    }

    /// The labels, root label excluded.
    pub fn labels(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut rest = self.wire;
        core::iter::from_fn(move || {
            let (&len, tail) = rest.split_first()?;
            let (label, tail) = tail.split_at_checked(usize::from(len))?;
            rest = tail;
            (!label.is_empty()).then_some(label)
        })
    }
}

impl core::fmt::Display for DomainName<'_> {
    /// The dotted form (`example.com`), each byte outside printable ASCII
    /// or a dot inside a label escaped as `\DDD` (RFC 4343 §2.1).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for (i, label) in self.labels().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            for &b in label {
                if b.is_ascii_graphic() && b != b'.' && b != b'\\' {
                    write!(f, "{}", char::from(b))?;
                } else {
                    write!(f, "\\{b:03}")?;
                }
            }
        }
        Ok(())
    }
}

/// Writes `name` (dotted, `example.com`; a trailing dot is allowed) in wire
/// form at the start of `buf` and returns its length. Fails with
/// `Malformed` for an empty label or one over 63 bytes, or a name over 255
/// bytes, and with `Truncated` when `buf` is too short.
pub fn encode_name(name: &str, buf: &mut [u8]) -> Result<usize> {
    let name = name.strip_suffix('.').unwrap_or(name);
    let mut at = 0;
    for label in name.split('.') {
        let len = label.len();
        if len == 0 || len > MAX_LABEL_LEN {
            return Err(Error::Malformed("domain label"));
        }
        let end = at + 1 + len;
        let out = buf.get_mut(at..end).ok_or(Error::Truncated)?;
        out[0] = len as u8;
        out[1..].copy_from_slice(label.as_bytes());
        at = end;
    }
    *buf.get_mut(at).ok_or(Error::Truncated)? = 0;
    at += 1;
    if at > MAX_NAME_WIRE_LEN {
        return Err(Error::Malformed("domain name length"));
    }
    Ok(at)
}
