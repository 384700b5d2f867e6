//! The DHCPv4 client's address in the interface: RFC 5227 for it is the
//! same engine ([`super::acd`]) that checks static addresses.
//!
//! After an ACK the client hands the offered address over
//! ([`Dhcpv4Client::take_probe`]); the interface keeps an [`Acd`] for it in
//! `Inner::dhcp_acd` while it is probed and announced, tells the client how
//! that ended, and moves the `Acd` into the address when the lease is
//! applied ([`Interface::apply_dhcpv4`](super::Interface::apply_dhcpv4)), so
//! that a leased address is defended (§2.4) like a static one. A defence
//! lost there is reported to the client too, which declines the address
//! (RFC 2131 §4.4.1).

use super::acd::{Acd, AcdConfig, AcdEvent};
use super::interface::Inner;
use super::out::{Out, SendError};
use super::packet::{Body, IpOut};
use crate::socket::dhcpv4::Dhcpv4Client;
use crate::time::Instant;
use crate::wire::arp::ArpRepr;
use crate::wire::{EthernetAddress, IpAddr, IpProtocol, Ipv4Addr};

impl Inner {
    /// Starts probing an address the client asked about, sends what the
    /// probe wants sent, and tells the client once the address is ours
    /// (RFC 5227 §2.1.1: ANNOUNCE_WAIT after the last probe).
    pub(crate) fn dhcp_acd_timers(&mut self, out: &mut Out<'_, '_>, dhcp: &mut Dhcpv4Client) {
        let now = out.now;
        if let Some(address) = dhcp.take_probe() {
            let random = self.rand();
            match self.dhcp_acd.as_mut() {
                // The same machine again: the conflict count and the
                // §2.1.1 rate limit carry over from the last offer.
                Some(acd) => {
                    acd.restart_with_address(now, address, random);
                }
                None => {
                    let acd = Acd::new(address, self.hw, AcdConfig::DEFAULT, now, random);
                    self.dhcp_acd = Some(acd);
                }
            }
        }
        let Some(mut acd) = self.dhcp_acd.take() else {
            return;
        };
        let was_usable = acd.is_usable();
        let hw = self.hw;
        // A busy device leaves the packet due: the machine advances only
        // once it went out.
        let _ = acd.dispatch(now, |p| {
            if self.send_arp(out, EthernetAddress::BROADCAST, &p.arp_repr(hw)) {
                Ok(())
            } else {
                Err(())
            }
        });
        if acd.is_usable() && !was_usable {
            dhcp.probe_done(now);
        }
        self.dhcp_acd = Some(acd);
    }

    /// Feeds a received ARP packet to the probe of the client's address; a
    /// conflict goes to the client, which declines the address.
    pub(crate) fn dhcp_acd_arp(
        &mut self,
        now: Instant,
        repr: &ArpRepr,
        dhcp: Option<&mut Dhcpv4Client>,
    ) {
        let Some(acd) = self.dhcp_acd.as_mut() else {
            return;
        };
        match acd.process_arp(now, repr) {
            Some(AcdEvent::Conflict { address, other }) => {
                net_debug!("dhcp: {} in use by {}", address, other);
                if let Some(dhcp) = dhcp {
                    dhcp.address_conflict(now, address);
                }
            }
            Some(AcdEvent::Defended { address, .. }) => {
                net_debug!("acd: defended {}", address);
            }
            None => {}
        }
    }

    /// The RFC 5227 machine to install with a lease of `address`: the one
    /// that probed it, or none when the client did not have it probed.
    pub(crate) fn take_dhcp_acd(&mut self, address: Ipv4Addr) -> Option<Acd> {
        self.dhcp_acd
            .take_if(|acd| acd.address() == address && acd.is_usable())
    }

    /// Whether `address` is the one applied from a DHCP lease.
    pub(crate) fn is_dhcp_address(&self, address: Ipv4Addr) -> bool {
        self.dhcp.is_some_and(|(cidr, _)| cidr.address() == address)
    }
}

impl Inner {
    /// Sends what the DHCP client asked for.
    pub(super) fn send_dhcp(
        &mut self,
        out: &mut Out<'_, '_>,
        output: crate::socket::dhcpv4::DhcpOutput<'_>,
    ) -> Result<(), SendError> {
        use crate::socket::dhcpv4::DhcpOutput;
        if self.caps.medium == crate::phy::Medium::Ip {
            // RFC 2131 §2: DHCP needs broadcast and a client hardware
            // address, which an IP link has not (Linux does not run it on
            // a TUN either): the message is consumed and counted, and the
            // client goes on with its own timers, never spinning.
            self.drop(crate::iface::DropReason::Unsupported);
            return Ok(());
        }
        match output {
            DhcpOutput::Message { src, dst, repr } => {
                let body = Body::Dhcp {
                    udp: crate::wire::udp::UdpRepr {
                        src_port: 68,
                        dst_port: 67,
                    },
                    repr,
                };
                let pkt = IpOut {
                    src: IpAddr::V4(src),
                    dst: IpAddr::V4(dst),
                    protocol: IpProtocol::Udp,
                    hop_limit: self.hop_limit,
                    body,
                };
                if dst.is_broadcast() {
                    if self.send_ip_to(out, EthernetAddress::BROADCAST, &pkt) {
                        Ok(())
                    } else {
                        Err(SendError::Busy)
                    }
                } else {
                    self.send_socket_packet(out, &pkt)
                }
            }
        }
    }
}
