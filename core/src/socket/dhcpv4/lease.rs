//! A committed lease and how it is read from an ACK (RFC 2131 §4.4.1,
//! §4.4.5, §3.3).

use super::*;

/// A committed lease: what the interface configures.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Lease {
    /// `yiaddr` with the prefix of option 1. A missing, non-contiguous or
    /// all-zero mask gives /32: only the address itself is on-link, and the
    /// router is then reached directly by ARP (RFC 4632 ended classful
    /// defaults, so no network is guessed).
    pub address: Ipv4Cidr,
    /// The first router of option 3.
    pub router: Option<Ipv4Addr>,
    /// Option 6, the first [`MAX_DNS_SERVERS`].
    pub dns_servers: Vec<Ipv4Addr, MAX_DNS_SERVERS>,
    /// The server identifier (option 54): RENEW and RELEASE go there.
    pub server: Ipv4Addr,
    /// Option 51 (shortened by `max_lease_duration`); 0xffffffff s, infinity
    /// (RFC 2131 §3.3), is [`Duration::MAX`].
    pub lease_duration: Duration,
    /// When the acknowledged REQUEST was sent: RFC 2131 §4.4.1 counts the
    /// lease from the request, not from the reply. The latest transmission
    /// of the transaction is used (retransmissions share the `xid`).
    pub acquired_at: Instant,
    /// T1: RENEWING starts (option 58, default half the lease, §4.4.5).
    pub renew_at: Instant,
    /// T2: REBINDING starts (option 59, default 0.875 of the lease, §4.4.5).
    pub rebind_at: Instant,
    /// The lease ends; the address must no longer be used.
    pub expires_at: Instant,
}

impl Dhcpv4Client {
    /// The lease an ACK grants, or `None` when it grants nothing usable.
    pub(super) fn lease_from_ack(
        &self,
        repr: &DhcpRepr<'_>,
        acquired_at: Instant,
        server: Ipv4Addr,
    ) -> Option<Lease> {
        if !is_host_address(repr.your_ip) {
            return None;
        }
        // RFC 2131 Table 3: an ACK to a REQUEST MUST carry the lease time; a
        // zero lease grants nothing (and would spin RENEWING).
        let secs = repr.lease_duration.filter(|&s| s > 0)?;
        // RFC 2131 §3.3: 0xffffffff is infinity.
        let mut lease_duration = if secs == u32::MAX {
            Duration::MAX
        } else {
            Duration::from_secs(u64::from(secs))
        };
        let mut capped = false;
        if let Some(max) = self.config().max_lease_duration {
            if lease_duration > max {
                lease_duration = max;
                capped = true;
            }
        }
        if lease_duration == Duration::ZERO {
            return None;
        }
        // RFC 2131 §4.4.5: T1 defaults to 0.5 and T2 to 0.875 of the lease.
        // Server values are used when consistent (0 < T1 <= T2 < lease);
        // otherwise the default, so that T1 <= T2 <= expiry always holds.
        let server_time = |s: Option<u32>| {
            s.filter(|&s| s > 0 && !capped)
                .map(|s| Duration::from_secs(u64::from(s)))
        };
        let t2 = server_time(repr.rebind_duration)
            .filter(|&t| t < lease_duration)
            .unwrap_or(lease_duration / 8 * 7);
        let t1 = server_time(repr.renew_duration)
            .filter(|&t| t <= t2)
            .unwrap_or((lease_duration / 2).min(t2));
        // RFC 950 / RFC 4632: a mask is a contiguous prefix; a missing,
        // non-contiguous or all-zero one gives /32 (see `Lease::address`).
        let prefix = repr
            .subnet_mask
            .and_then(Ipv4Cidr::prefix_len_of_mask)
            .filter(|&p| p > 0)
            .unwrap_or(32);
        Some(Lease {
            address: Ipv4Cidr::new(repr.your_ip, prefix)?,
            router: repr.router,
            dns_servers: repr.dns_servers.clone(),
            server,
            lease_duration,
            acquired_at,
            renew_at: acquired_at + t1,
            rebind_at: acquired_at + t2,
            expires_at: acquired_at + lease_duration,
        })
    }
}

/// An address a server may hand out to a host.
pub(super) fn is_host_address(a: Ipv4Addr) -> bool {
    !(a.is_unspecified() || a.is_broadcast() || a.is_multicast() || a.is_loopback())
}
