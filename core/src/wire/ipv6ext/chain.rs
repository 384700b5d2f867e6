//! The walk over the chain of extension headers (RFC 8200 §4.1), from the
//! fixed header's Next Header to the upper-layer protocol.

use super::*;

/// The most extension headers [`Ipv6ExtChain`] walks before giving up. A
/// legitimate chain has at most one of each and two Destination Options
/// (RFC 8200 §4.1), i.e. about 7; more is an attack on the walker.
pub const MAX_EXT_HEADERS: usize = 8;

/// A view of one extension header, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ipv6ExtView<'a> {
    /// Hop-by-Hop Options.
    HopByHop(Ipv6OptionsHeader<&'a [u8]>),
    /// Destination Options.
    DestOpts(Ipv6OptionsHeader<&'a [u8]>),
    /// Routing header.
    Routing(Ipv6RoutingHeader<&'a [u8]>),
    /// Fragment header.
    Fragment(Ipv6FragmentHeader<&'a [u8]>),
    /// Authentication Header.
    Auth(Ipv6AuthHeader<&'a [u8]>),
}

/// One extension header met by [`Ipv6ExtChain`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6ExtHeader<'a> {
    /// The header's protocol number (what the previous Next Header said).
    pub kind: IpProtocol,
    /// Offset of the header from the end of the fixed IPv6 header.
    pub offset: usize,
    /// Length of the header in bytes.
    pub length: usize,
    /// A checked view of exactly this header's bytes.
    pub view: Ipv6ExtView<'a>,
}

/// True for the protocol numbers the walk steps over.
fn is_walked(proto: IpProtocol) -> bool {
    matches!(
        proto,
        IpProtocol::HopByHop
            | IpProtocol::Ipv6Opts
            | IpProtocol::Ipv6Route
            | IpProtocol::Ipv6Frag
            | IpProtocol::Ah
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChainState {
    Walking,
    Done,
    Failed,
}

/// Iterator over the extension headers after the IPv6 fixed header.
///
/// Yields each Hop-by-Hop, Routing, Fragment, Destination Options and AH
/// header in order. It stops (returns `None`) at the upper layer, at No Next
/// Header (59), at ESP (50, whose contents are encrypted) and after a
/// non-first fragment's Fragment header (what follows is the middle of the
/// original payload, not a header). After that,
/// [`upper`](Self::upper)/[`upper_offset`](Self::upper_offset) say where it
/// stopped. On error it yields one `Err` and then stops.
///
/// Other numbers listed as extension headers by RFC 7045 (Mobility 135,
/// HIP 139, Shim6 140, experimental 253/254) are reported as the upper layer:
/// a node that does not process them treats them as an unrecognised Next
/// Header (RFC 8200 §4), which is the receiver's call.
#[derive(Debug, Clone)]
pub struct Ipv6ExtChain<'a> {
    bytes: &'a [u8],
    next: IpProtocol,
    offset: usize,
    count: usize,
    state: ChainState,
    fragment: Option<Ipv6ExtFragment>,
}

/// The first Fragment header met by the walk, and where it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ipv6ExtFragment {
    /// Offset of the Fragment header from the end of the fixed header: the
    /// bytes before it are the per-fragment (unfragmentable) headers.
    pub header_offset: usize,
    /// The Fragment header's contents.
    pub repr: Ipv6FragmentRepr,
}

impl<'a> Ipv6ExtChain<'a> {
    /// Start a walk: `first_next_header` is the fixed header's Next Header,
    /// `bytes` what follows the fixed header (its payload).
    pub fn new(first_next_header: IpProtocol, bytes: &'a [u8]) -> Ipv6ExtChain<'a> {
        Ipv6ExtChain {
            bytes,
            next: first_next_header,
            offset: 0,
            count: 0,
            state: ChainState::Walking,
            fragment: None,
        }
    }

    /// The protocol where the walk stopped: the upper layer, `Ipv6NoNxt`,
    /// `Esp`, or the Next Header of a non-first fragment. `None` until the
    /// iterator has returned `None` without an error.
    pub fn upper(&self) -> Option<IpProtocol> {
        (self.state == ChainState::Done).then_some(self.next)
    }

    /// Offset (from the end of the fixed header) where the walk stopped.
    pub fn upper_offset(&self) -> usize {
        self.offset
    }

    /// The bytes from [`upper_offset`](Self::upper_offset) to the end.
    pub fn upper_payload(&self) -> &'a [u8] {
        self.bytes.get(self.offset..).unwrap_or(&[])
    }

    /// The first Fragment header met so far.
    pub fn fragment(&self) -> Option<Ipv6ExtFragment> {
        self.fragment
    }

    fn step(&mut self) -> Result<Option<Ipv6ExtHeader<'a>>> {
        let kind = self.next;
        if !is_walked(kind) {
            // Upper layer, No Next Header (RFC 8200 §4.7) or ESP (RFC 4303:
            // encrypted, nothing more to read).
            return Ok(None);
        }
        // RFC 8200 §4.3: Hop-by-Hop, when present, immediately follows the
        // fixed header.
        if kind == IpProtocol::HopByHop && self.count != 0 {
            return Err(Error::Malformed("hop-by-hop not first"));
        }
        if self.count >= MAX_EXT_HEADERS {
            return Err(Error::Malformed("too many extension headers"));
        }
        let rest = self.bytes.get(self.offset..).ok_or(Error::Truncated)?;
        let (length, next, view, stop) = match kind {
            IpProtocol::HopByHop | IpProtocol::Ipv6Opts => {
                let len = generic_header_len(rest)?;
                let bytes = rest.get(..len).ok_or(Error::Truncated)?;
                let header = Ipv6OptionsHeader::new_checked(bytes)?;
                let next = header.next_header();
                let view = if kind == IpProtocol::HopByHop {
                    Ipv6ExtView::HopByHop(header)
                } else {
                    Ipv6ExtView::DestOpts(header)
                };
                (len, next, view, false)
            }
            IpProtocol::Ipv6Route => {
                let len = generic_header_len(rest)?;
                let bytes = rest.get(..len).ok_or(Error::Truncated)?;
                let header = Ipv6RoutingHeader::new_checked(bytes)?;
                (
                    len,
                    header.next_header(),
                    Ipv6ExtView::Routing(header),
                    false,
                )
            }
            IpProtocol::Ipv6Frag => {
                let bytes = rest.get(..FRAGMENT_HEADER_LEN).ok_or(Error::Truncated)?;
                let header = Ipv6FragmentHeader::new_checked(bytes)?;
                let repr = Ipv6FragmentRepr::parse(&header)?;
                if self.fragment.is_none() {
                    self.fragment = Some(Ipv6ExtFragment {
                        header_offset: self.offset,
                        repr,
                    });
                }
                // RFC 8200 §4.5: only the first fragment (offset 0) starts
                // with the fragmentable part's headers.
                let stop = repr.frag_offset != 0;
                (
                    FRAGMENT_HEADER_LEN,
                    repr.next_header,
                    Ipv6ExtView::Fragment(header),
                    stop,
                )
            }
            _ => {
                let header = Ipv6AuthHeader::new_checked(rest)?;
                let len = header.header_len();
                let bytes = rest.get(..len).ok_or(Error::Truncated)?;
                let header = Ipv6AuthHeader::new_unchecked(bytes);
                (len, header.next_header(), Ipv6ExtView::Auth(header), false)
            }
        };
        let item = Ipv6ExtHeader {
            kind,
            offset: self.offset,
            length,
            view,
        };
        // Each header is at least 8 bytes (12 for AH), so the walk always
        // advances; `length` was checked against the buffer, so no overflow.
        self.offset += length;
        self.next = next;
        self.count += 1;
        if stop {
            self.state = ChainState::Done;
        }
        Ok(Some(item))
    }
}

impl<'a> Iterator for Ipv6ExtChain<'a> {
    type Item = Result<Ipv6ExtHeader<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.state != ChainState::Walking {
            return None;
        }
        match self.step() {
            Ok(Some(item)) => Some(Ok(item)),
            Ok(None) => {
                self.state = ChainState::Done;
                None
            }
            Err(e) => {
                self.state = ChainState::Failed;
                Some(Err(e))
            }
        }
    }
}

/// The summary of a whole extension-header walk (see [`walk`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtWalk {
    /// The extension headers walked, in order.
    pub headers: heapless::Vec<IpProtocol, MAX_EXT_HEADERS>,
    /// Where the walk stopped: the upper-layer protocol, `Ipv6NoNxt`, `Esp`,
    /// or the Next Header of a non-first fragment.
    pub upper: IpProtocol,
    /// Offset of the upper layer from the end of the fixed header.
    pub upper_offset: usize,
    /// The first Fragment header, if any.
    pub fragment: Option<Ipv6ExtFragment>,
}

impl ExtWalk {
    /// True when the walk stopped at a non-first fragment: the bytes at
    /// `upper_offset` are the middle of a payload, not an `upper` header.
    pub fn is_non_first_fragment(&self) -> bool {
        self.fragment.is_some_and(|f| f.repr.frag_offset != 0)
    }

    /// True when an upper-layer header can be read at `upper_offset`: not No
    /// Next Header, not ESP, not a non-first fragment.
    pub fn has_upper_header(&self) -> bool {
        !matches!(self.upper, IpProtocol::Ipv6NoNxt | IpProtocol::Esp)
            && !self.is_non_first_fragment()
    }

    /// The bytes from `upper_offset` in the walked buffer.
    pub fn upper_payload<'b>(&self, bytes: &'b [u8]) -> &'b [u8] {
        bytes.get(self.upper_offset..).unwrap_or(&[])
    }
}

/// Walk the whole extension-header chain after the fixed header.
pub fn walk(first_next_header: IpProtocol, bytes: &[u8]) -> Result<ExtWalk> {
    let mut chain = Ipv6ExtChain::new(first_next_header, bytes);
    let mut headers = heapless::Vec::new();
    for header in chain.by_ref() {
        // The chain stops at MAX_EXT_HEADERS, so the push cannot fail.
        headers
            .push(header?.kind)
            .map_err(|_| Error::Malformed("too many extension headers"))?;
    }
    let upper = chain.upper().ok_or(Error::Malformed("extension headers"))?;
    Ok(ExtWalk {
        headers,
        upper,
        upper_offset: chain.upper_offset(),
        fragment: chain.fragment(),
    })
}
