//! Source address selection (RFC 6724 §5) among the interface's usable
//! addresses, for a destination the socket did not choose a source for.
//!
//! The rules that can tell two addresses of one interface apart are
//! applied in order: 1 (same address), 2 (appropriate scope), 3 (avoid
//! deprecated), 6 (matching label, with the §2.1 default policy table) and
//! 8 (longest matching prefix). Rules 4 (home addresses), 5 and 5.5
//! (outgoing interface, next hop) and 7 (temporary addresses) do not apply
//! to a single interface without Mobile IPv6 or privacy addresses.

use core::cmp::Ordering;

use crate::wire::Ipv6Addr;

/// A candidate source (§4): an address that is not tentative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// The address.
    pub addr: Ipv6Addr,
    /// Its prefix length (rule 8 compares only up to it).
    pub prefix_len: u8,
    /// Its preferred lifetime ended (rule 3).
    pub deprecated: bool,
}

/// RFC 6724 §3.1 / RFC 4291 §2.7: the scope of an address, as the
/// multicast scope values (interface-local 1, link-local 2, site 5,
/// global 14). Loopback and link-local unicast are link-local;
/// unique-local (fc00::/7) is global scope (§3.1).
pub fn scope(a: &Ipv6Addr) -> u8 {
    if a.is_multicast() {
        return (a.segments()[0] & 0x000f) as u8;
    }
    if a.is_loopback() || a.is_unicast_link_local() {
        return 2;
    }
    // fec0::/10, the deprecated site-local prefix (RFC 3879).
    if a.segments()[0] & 0xffc0 == 0xfec0 {
        return 5;
    }
    14
}

/// RFC 6724 §2.1: the label of the default policy table's longest match.
pub fn label(a: &Ipv6Addr) -> u8 {
    let s = a.segments();
    let bits = a.to_bits();
    let under = |prefix: u128, len: u32| bits >> (128 - len) == prefix >> (128 - len);
    if a.is_loopback() {
        0 // ::1/128
    } else if s[..5] == [0; 5] && s[5] == 0xffff {
        4 // ::ffff:0:0/96
    } else if s[..6] == [0; 6] {
        3 // ::/96
    } else if under(0x2001 << 112, 32) {
        5 // 2001::/32 (Teredo)
    } else if under(0x2002 << 112, 16) {
        2 // 2002::/16 (6to4)
    } else if under(0x3ffe << 112, 16) {
        12 // 3ffe::/16 (6bone)
    } else if under(0xfec0 << 112, 10) {
        11 // fec0::/10 (site-local)
    } else if under(0xfc00 << 112, 7) {
        13 // fc00::/7 (unique local)
    } else {
        1 // ::/0
    }
}

/// RFC 6724 §2.2 CommonPrefixLen(S, D), capped at the source's prefix
/// length (§5 rule 8).
fn common_prefix_len(c: &Candidate, dst: &Ipv6Addr) -> u32 {
    let same = (c.addr.to_bits() ^ dst.to_bits()).leading_zeros();
    same.min(u32::from(c.prefix_len))
}

/// How `a` compares with `b` as a source for `dst`: `Greater` means `a`
/// is preferred (RFC 6724 §5, rules 1, 2, 3, 6, 8).
pub fn compare(a: &Candidate, b: &Candidate, dst: &Ipv6Addr) -> Ordering {
    // Rule 1: prefer the same address.
    if a.addr == *dst || b.addr == *dst {
        return (a.addr == *dst).cmp(&(b.addr == *dst));
    }
    // Rule 2: prefer appropriate scope: the smallest scope at least the
    // destination's, else the largest.
    let (sa, sb, sd) = (scope(&a.addr), scope(&b.addr), scope(dst));
    if sa != sb {
        return if sa < sb {
            if sa < sd {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        } else if sb < sd {
            Ordering::Greater
        } else {
            Ordering::Less
        };
    }
    // Rule 3: avoid deprecated addresses.
    if a.deprecated != b.deprecated {
        return b.deprecated.cmp(&a.deprecated);
    }
    // Rule 6: prefer matching label.
    let ld = label(dst);
    let (ma, mb) = (label(&a.addr) == ld, label(&b.addr) == ld);
    if ma != mb {
        return ma.cmp(&mb);
    }
    // Rule 8: use the longest matching prefix.
    common_prefix_len(a, dst).cmp(&common_prefix_len(b, dst))
}

/// The best source for `dst` among `candidates` (the first of equals).
pub fn select(candidates: impl Iterator<Item = Candidate>, dst: &Ipv6Addr) -> Option<Ipv6Addr> {
    let mut best: Option<Candidate> = None;
    for c in candidates {
        best = match best {
            Some(b) if compare(&c, &b, dst) != Ordering::Greater => Some(b),
            _ => Some(c),
        };
    }
    best.map(|c| c.addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(addr: Ipv6Addr, deprecated: bool) -> Candidate {
        Candidate {
            addr,
            prefix_len: 64,
            deprecated,
        }
    }

    const LL: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
    const G1: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1);
    const G2: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0, 0, 1);
    const ULA: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1);

    #[test]
    fn rule_2_link_local_for_link_local_global_for_global() {
        let all = [c(LL, false), c(G1, false)];
        let to_ll = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 9);
        assert_eq!(select(all.into_iter(), &to_ll), Some(LL));
        let far = Ipv6Addr::new(0x2a00, 1, 2, 3, 0, 0, 0, 9);
        assert_eq!(select(all.into_iter(), &far), Some(G1));
        // ff02::1 is link scope: the link-local source.
        let ff02 = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
        assert_eq!(select(all.into_iter(), &ff02), Some(LL));
        // A global destination with only a link-local address: still it
        // (the largest scope there is).
        assert_eq!(select([c(LL, false)].into_iter(), &far), Some(LL));
    }

    #[test]
    fn rule_3_a_deprecated_address_loses_to_a_preferred_one_even_with_a_longer_match() {
        let dst = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 9);
        let all = [c(G1, true), c(G2, false)];
        assert_eq!(select(all.into_iter(), &dst), Some(G2));
        // Alone, a deprecated address is still a source (§5: avoid, not forbid).
        assert_eq!(select([c(G1, true)].into_iter(), &dst), Some(G1));
    }

    #[test]
    fn rule_6_matching_label_beats_prefix_length() {
        // A ULA destination takes the ULA source (label 13), a global one
        // the global source (label 5 for 2001::/32 both sides).
        let all = [c(G1, false), c(ULA, false)];
        let ula_dst = Ipv6Addr::new(0xfd12, 0, 0, 0, 0, 0, 0, 9);
        assert_eq!(select(all.into_iter(), &ula_dst), Some(ULA));
        assert_eq!(label(&ULA), 13);
        // 2001:db8::/32 is not 2001::/32 (Teredo): label 1 like any global.
        assert_eq!(label(&G1), 1);
        assert_eq!(label(&Ipv6Addr::new(0x2001, 0, 1, 0, 0, 0, 0, 1)), 5);
        assert_eq!(label(&Ipv6Addr::new(0x2a00, 0, 0, 0, 0, 0, 0, 1)), 1);
        assert_eq!(label(&Ipv6Addr::LOCALHOST), 0);
    }

    #[test]
    fn rule_8_longest_prefix_up_to_the_source_prefix() {
        let dst = Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0, 0, 9);
        let all = [c(G1, false), c(G2, false)];
        assert_eq!(select(all.into_iter(), &dst), Some(G2));
        // Rule 1 first: the destination itself.
        assert_eq!(select(all.into_iter(), &G1), Some(G1));
    }
}
