//! UDP in the interface (RFC 768): datagrams to sockets (or the DHCP
//! client), port unreachable for those no one takes, and a socket's
//! datagrams out.

use super::interface::Inner;
use super::out::{dropped_is_done, Out, SendError};
use super::packet::{Body, IpIn, IpOut};
use super::stats::DropReason;
use crate::socket::SocketSet;
use crate::wire::dhcpv4::{DhcpPacket, DhcpRepr};
use crate::wire::icmpv4::{Icmpv4DstUnreachable, Icmpv4Repr};
use crate::wire::icmpv6::{self, Icmpv6Repr};
use crate::wire::udp::{UdpPacket, UdpRepr};
use crate::wire::{IpAddr, IpProtocol};

impl Inner {
    pub(super) fn process_udp(
        &mut self,
        out: &mut Out<'_, '_>,
        ip: IpIn<'_>,
        payload: &[u8],
        sockets: &mut SocketSet<'_>,
    ) {
        let now = out.now;
        let Some(packet) = self.wire(UdpPacket::new_checked(payload)) else {
            return;
        };
        let Some(repr) = self.wire(UdpRepr::parse(
            &packet,
            &ip.src,
            &ip.dst,
            self.l4_rx_mode(self.caps.checksum.udp),
        )) else {
            return;
        };
        let data = packet.payload();
        if repr.dst_port == 68 && repr.src_port == 67 {
            if let (Some(dhcp), IpAddr::V4(src)) = (sockets.dhcp(), ip.src) {
                match DhcpPacket::new_checked(data).and_then(|p| DhcpRepr::parse(&p)) {
                    Ok(msg) => dhcp.process(now, src, &msg),
                    Err(e) => self.drop(DropReason::from_wire(&e)),
                }
                return;
            }
        }
        // Unicast to an address we do not own (accepted only for DHCP).
        let ours = match ip.dst {
            IpAddr::V4(a) => self.has_v4(&a) || ip.to_group,
            IpAddr::V6(a) => self.has_v6(&a) || ip.to_group,
        };
        if !ours {
            return self.drop(DropReason::NotForUs);
        }
        let src = crate::wire::IpEndpoint::new(ip.src, repr.src_port);
        match sockets.udp_for(&ip.dst, repr.dst_port) {
            Some(socket)
                if socket.accepts(&src, &crate::wire::IpEndpoint::new(ip.dst, repr.dst_port)) =>
            {
                if socket.process(now, src, ip.dst, data).is_err() {
                    self.drop(DropReason::BufferFull);
                }
            }
            _ => {
                self.drop(DropReason::NoSocket);
                // RFC 1122 §4.1.3.1: port unreachable for a datagram no one takes.
                match ip.src {
                    IpAddr::V4(_) => self.icmpv4_error(
                        out,
                        &ip,
                        Icmpv4Repr::DstUnreachable {
                            reason: Icmpv4DstUnreachable::PortUnreachable,
                            next_hop_mtu: 0,
                            data: &[],
                        },
                    ),
                    IpAddr::V6(_) => self.icmpv6_error(
                        out,
                        &ip,
                        Icmpv6Repr::DstUnreachable {
                            reason: icmpv6::DstUnreachable::PortUnreachable,
                            data: &[],
                        },
                        false,
                    ),
                }
            }
        }
    }
}

impl Inner {
    /// Sends one UDP datagram from a socket's send ring.
    pub(super) fn send_udp(
        &mut self,
        out: &mut Out<'_, '_>,
        meta: &crate::socket::udp::UdpMetadata,
        local: crate::wire::IpListenEndpoint,
        data: &[u8],
    ) -> Result<(), SendError> {
        let dst = meta.endpoint.addr;
        let Some(src) = meta
            .local_address
            .or(local.addr)
            .or_else(|| self.source_for(&dst))
        else {
            self.drop(DropReason::NoRoute);
            return Ok(());
        };
        let repr = crate::wire::udp::UdpRepr {
            src_port: local.port,
            dst_port: meta.endpoint.port,
        };
        let body = Body::udp(&src, &dst, repr, data, self.caps.checksum.udp.tx_mode());
        let pkt = IpOut {
            src,
            dst,
            protocol: IpProtocol::Udp,
            hop_limit: meta.hop_limit.unwrap_or(self.hop_limit_for(&dst)),
            body,
        };
        self.send_socket_packet(out, &pkt).or_else(dropped_is_done)
    }
}
