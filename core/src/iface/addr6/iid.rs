//! Interface identifiers for autoconfigured addresses: modified EUI-64
//! from the MAC (RFC 4291 §2.5.1, appendix A; the default, as PyTCP and
//! Linux's `addr_gen_mode 0`) or stable and semantically opaque (RFC 7217,
//! Linux's `addr_gen_mode 2`), which does not follow the host from network
//! to network.

use crate::socket::tcp::isn::siphash24;
use crate::wire::{EthernetAddress, Ipv6Addr, Ipv6Cidr};

/// How SLAAC forms the interface identifier of an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum InterfaceIdMode {
    /// Modified EUI-64 from the MAC (RFC 4291 appendix A).
    Eui64,
    /// RFC 7217: a pseudo-random function of the prefix, the MAC, a DAD
    /// counter and this secret key (keep it across reboots, give each
    /// host its own: RFC 7217 §5 "secret_key").
    StablePrivacy {
        /// The secret key.
        secret: [u8; 16],
    },
}

/// RFC 7217 §6 IDGEN_RETRIES: other identifiers tried after a DAD conflict.
pub const IDGEN_RETRIES: u8 = 3;

/// The modified EUI-64 interface identifier of a MAC: the U/L bit flipped
/// and ff:fe in the middle (RFC 4291 appendix A).
pub fn eui64(mac: &EthernetAddress) -> [u8; 8] {
    let m = mac.as_bytes();
    [m[0] ^ 0x02, m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]]
}

/// RFC 7217 §5: `F(Prefix, Net_Iface, Network_ID, DAD_Counter,
/// secret_key)` with SipHash-2-4 as F (§5 asks for a PRF whose output
/// cannot be guessed without the key; SHA-1 and SHA-256 are examples, not
/// requirements) and no Network_ID. Identifiers RFC 5453 reserves (the
/// subnet-router anycast all-zero one, the reserved anycast range
/// fdff:ffff:ffff:ff80-ff) are skipped by counting on, as §5 asks.
pub fn stable_privacy(
    prefix: &Ipv6Cidr,
    mac: &EthernetAddress,
    dad_counter: u8,
    secret: &[u8; 16],
) -> [u8; 8] {
    let mut msg = [0u8; 8 + 6 + 1];
    msg[..8].copy_from_slice(&prefix.network().address().octets()[..8]);
    msg[8..14].copy_from_slice(mac.as_bytes());
    let mut id = [0u8; 8];
    // A reserved draw has odds of 2^-57; 256 counters bound the loop.
    for step in 0..=u8::MAX {
        msg[14] = dad_counter.wrapping_add(step);
        id = siphash24(secret, &msg).to_be_bytes();
        if !reserved(&id) {
            break;
        }
    }
    id
}

/// RFC 5453 §3: the subnet-router anycast identifier and the reserved
/// subnet anycast range.
fn reserved(id: &[u8; 8]) -> bool {
    let v = u64::from_be_bytes(*id);
    v == 0 || (0xfdff_ffff_ffff_ff80..=0xfdff_ffff_ffff_ffff).contains(&v)
}

/// The address `prefix` (a /64) + `id` (RFC 4862 §5.5.3 d).
pub fn address(prefix: &Ipv6Cidr, id: &[u8; 8]) -> Ipv6Addr {
    let mut o = prefix.network().address().octets();
    o[8..].copy_from_slice(id);
    Ipv6Addr::from(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: EthernetAddress = EthernetAddress([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);

    fn prefix(third: u16) -> Ipv6Cidr {
        Ipv6Cidr::new(Ipv6Addr::new(0x2001, 0xdb8, third, 0, 0, 0, 0, 0), 64).unwrap()
    }

    #[test]
    fn eui64_flips_the_universal_bit_and_inserts_fffe() {
        // RFC 4291 appendix A, as Linux forms it for 52:54:00:12:34:56.
        let a = address(&prefix(1), &eui64(&MAC));
        assert_eq!(
            a,
            Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0x5054, 0x00ff, 0xfe12, 0x3456)
        );
    }

    #[test]
    fn stable_privacy_is_stable_per_prefix_and_differs_across_prefixes_and_counters() {
        let key = [7u8; 16];
        let a = stable_privacy(&prefix(1), &MAC, 0, &key);
        assert_eq!(a, stable_privacy(&prefix(1), &MAC, 0, &key));
        assert_ne!(a, stable_privacy(&prefix(2), &MAC, 0, &key));
        assert_ne!(a, stable_privacy(&prefix(1), &MAC, 1, &key));
        assert_ne!(a, stable_privacy(&prefix(1), &MAC, 0, &[8u8; 16]));
        assert_ne!(a, eui64(&MAC));
    }

    #[test]
    fn reserved_identifiers_are_recognised() {
        assert!(reserved(&[0; 8]));
        assert!(reserved(&0xfdff_ffff_ffff_ff80u64.to_be_bytes()));
        assert!(!reserved(&eui64(&MAC)));
    }
}
