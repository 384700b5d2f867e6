//! What a user sets when creating an interface.

use crate::iface::addr6::iid::InterfaceIdMode;
use crate::iface::neighbor::NeighborConfig;
use crate::phy::Medium;
use crate::time::Duration;
use crate::wire::EthernetAddress;

/// Interface configuration. Build it with [`Config::new`] and adjust fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The interface's MAC address. On an IP link ([`Medium::Ip`]) it is
    /// sent nowhere and only seeds the IPv6 interface identifiers.
    pub hardware_addr: EthernetAddress,
    /// The device's medium, when known before the first poll: with
    /// [`Medium::Ip`] the addresses added before it are used at once (no
    /// RFC 5227 probing, no DAD). The interface follows the device's
    /// [`DeviceCapabilities::medium`](crate::phy::DeviceCapabilities) from
    /// its first poll on either way; Ethernet by default.
    pub medium: Medium,
    /// Seed for the interface's own pseudo-random choices (IPv4 ident start,
    /// ARP probe jitter, ephemeral ports). Give a different value per boot:
    /// the stack has no entropy source of its own.
    pub random_seed: u64,
    /// Take frames tagged with this 802.1Q VLAN id (and tag what we send);
    /// `None`: take untagged frames only and drop tagged ones.
    pub vlan_id: Option<u16>,
    /// TTL / hop limit of packets we originate (64, as Linux).
    pub hop_limit: u8,
    /// Neighbor cache timers, for ARP and NDP alike.
    pub neighbor: NeighborConfig,
    /// Probe each IPv4 address before using it (RFC 5227). On by default.
    pub ipv4_probe: bool,
    /// How long a fragment waits for the rest of its datagram.
    pub reassembly_timeout: Duration,
    /// How long a packet waits for link-layer resolution before it is dropped.
    pub pending_timeout: Duration,
    /// ICMP errors sent per second, and the burst allowed.
    pub icmp_error_rate: (u32, u32),
    /// Answer echo requests sent to a broadcast or multicast IPv4 address
    /// (off, as Linux's `icmp_echo_ignore_broadcasts=1`: smurf amplification).
    pub echo_reply_to_broadcast: bool,
    /// Send Router Solicitations when the interface comes up (RFC 4861
    /// §6.3.7). On by default; Router Advertisements are heard either way.
    pub router_solicitation: bool,
    /// DupAddrDetectTransmits (RFC 4862 §5.1): Neighbor Solicitations sent
    /// to check that an IPv6 address is unique before it is used, one
    /// RetransTimer (1 s) apart. 1 by default, as the RFC and Linux; 0
    /// turns Duplicate Address Detection off (addresses are used at once).
    pub dad_transmits: u8,
    /// Optimistic DAD (RFC 4429): link-local and autoconfigured addresses
    /// are used while DAD runs (as deprecated ones for source selection),
    /// static ones still wait. Off by default.
    pub optimistic_dad: bool,
    /// RFC 4862 §5.4.5: when DAD finds the link-local address formed from
    /// the MAC (EUI-64) in use, IPv6 is turned off on the interface
    /// ([`Event::Ipv6Disabled`](super::Event::Ipv6Disabled)): the MAC is
    /// duplicated, and so would every EUI-64 address be. On by default, as
    /// the RFC's SHOULD (Linux's `accept_dad` 2; its default, 1, only
    /// removes the address, as `false` here).
    pub dad_disables_ipv6: bool,
    /// Form an address from every autonomous /64 prefix that Router
    /// Advertisements carry (SLAAC, RFC 4862 §5.5). On by default.
    pub slaac: bool,
    /// How SLAAC forms interface identifiers: modified EUI-64 by default,
    /// RFC 7217 stable-privacy identifiers as an option. The link-local
    /// address always uses EUI-64.
    pub interface_id: InterfaceIdMode,
}

impl Config {
    /// Defaults for the given MAC.
    pub fn new(hardware_addr: EthernetAddress) -> Config {
        Config {
            hardware_addr,
            medium: Medium::Ethernet,
            random_seed: 0x05ee_d0f7_c9a1,
            vlan_id: None,
            hop_limit: 64,
            neighbor: NeighborConfig::default(),
            ipv4_probe: true,
            // RFC 791 suggests 15 s as a lower bound; Linux uses 30 s (ipfrag_time).
            reassembly_timeout: Duration::from_secs(30),
            // Linux drops packets queued on an unresolved neighbor once
            // resolution fails (3 requests, 1 s apart): a bit more than that.
            pending_timeout: Duration::from_secs(3),
            // Linux: icmp_msgs_per_sec 1000, icmp_msgs_burst 50.
            icmp_error_rate: (1000, 50),
            echo_reply_to_broadcast: false,
            router_solicitation: true,
            dad_transmits: 1,
            optimistic_dad: false,
            dad_disables_ipv6: true,
            slaac: true,
            interface_id: InterfaceIdMode::Eui64,
        }
    }
}
