//! What a [`Stack`](super::Stack) is started with.

use std::time::Duration;
use std::vec::Vec;

use crate::dns::ResolverConfig;
use crate::socket::tcp::TcpConfig;
use crate::wire::{EthernetAddress, IpAddr, Ipv4Addr, Ipv4Cidr, Ipv6Addr, Ipv6Cidr};

/// The configuration of a [`Stack`](super::Stack). Build it with
/// [`StackConfig::new`] and adjust the fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StackConfig {
    /// The interface's MAC address. The IPv6 link-local address is always
    /// derived from it (RFC 4291 §2.5.1).
    pub mac: EthernetAddress,
    /// The IP MTU to use instead of the device's.
    pub mtu: Option<usize>,
    /// Static IPv4 addresses. When empty and [`dhcpv4`](Self::dhcpv4) is on,
    /// a DHCPv4 client configures the interface.
    pub ipv4: Vec<Ipv4Cidr>,
    /// The IPv4 default gateway.
    pub ipv4_gateway: Option<Ipv4Addr>,
    /// IPv6 addresses besides the link-local one.
    pub ipv6: Vec<Ipv6Cidr>,
    /// The IPv6 default gateway.
    pub ipv6_gateway: Option<Ipv6Addr>,
    /// Run DHCPv4 when no static IPv4 address is given (on by default).
    /// An IP-medium device (a TUN) cannot carry it: there
    /// [`Stack::start`](super::Stack::start) refuses a configuration without
    /// a static IPv4 address unless this is off.
    pub dhcpv4: bool,
    /// Form IPv6 addresses from the prefixes Router Advertisements carry
    /// (SLAAC, RFC 4862 §5.5), with or without static IPv6 addresses. On
    /// by default, as [`dhcpv4`](Self::dhcpv4).
    pub slaac: bool,
    /// DupAddrDetectTransmits (RFC 4862 §5.1): Neighbor Solicitations that
    /// check each IPv6 address is unique before it is used (about 1 to 2
    /// s). 1 by default; 0 uses IPv6 addresses at once.
    pub dad_transmits: u8,
    /// Probe static IPv4 addresses before using them (RFC 5227; about 5 s).
    /// On by default; [`Stack::wait_configured`](super::Stack::wait_configured)
    /// returns once probing is over.
    pub ipv4_probe: bool,
    /// Seed for the interface's random choices (ISNs, ephemeral ports,
    /// DHCP transaction IDs). `None`: drawn from the process's hash keys
    /// and the clock.
    pub random_seed: Option<u64>,
    /// Receive buffer of each TCP connection, in bytes.
    pub tcp_rx_buffer: usize,
    /// Send buffer of each TCP connection, in bytes.
    pub tcp_tx_buffer: usize,
    /// Tunables of every TCP connection (Nagle, delayed ACK, TIME-WAIT …).
    /// The default is [`TcpConfig::default`] but for
    /// [`ack_each_out_of_order`](TcpConfig::ack_each_out_of_order), off:
    /// the runtime writes what a poll sent only once the poll has taken
    /// its whole batch of frames (`batch.rs`), so an ACK per out-of-order
    /// segment leaves no earlier than one ACK for them all, and the extra
    /// ACKs cost the peer (issue 10, a Linux sender through the impaired
    /// link: at 1 % loss, 1.5x the ACKs and a third less goodput; at 2 %
    /// reordering, twice the ACKs and 3x the spurious fast retransmits).
    pub tcp: TcpConfig,
    /// Half-open connections each listener keeps (beyond them it answers
    /// with SYN cookies). A handshake that completes while the accept queue
    /// is full stays here with its SYN-ACK retried until the application
    /// accepts, so a deep queue rides out a connection burst without
    /// falling back on cookies (Linux sizes it from `tcp_max_syn_backlog`,
    /// 1024 or more). Each record is 112 bytes on a 64-bit target and
    /// holds no buffers, so the default costs 112 KiB per listener,
    /// allocated when it starts listening (64 cost 7 KiB); no socket slot
    /// or buffer is taken until a connection gets a pooled socket.
    pub syn_queue: usize,
    /// Reset a client whose handshake completes when its listener has no
    /// room (accept queue full, no socket lent), instead of dropping the
    /// final ACK and retrying the SYN-ACK until there is room (Linux
    /// `tcp_abort_on_overflow`; off by default, as there). On suits
    /// servers whose clients should fail fast and retry elsewhere.
    /// [`TcpListener::set_abort_on_overflow`](super::TcpListener::set_abort_on_overflow)
    /// changes it for one listener.
    pub tcp_abort_on_overflow: bool,
    /// Payload bytes each UDP socket buffers per direction.
    pub udp_buffer: usize,
    /// Datagrams each UDP socket buffers per direction.
    pub udp_packets: usize,
    /// Most sockets of all kinds at once (listener pools and closing
    /// connections included); past it, new sockets fail with
    /// `OutOfMemory`.
    pub max_sockets: usize,
    /// Closed TCP sockets kept for reuse instead of freed: a new
    /// connection takes one without allocating or zeroing its buffers.
    /// Each holds its two buffers; beyond this many they are freed.
    pub spare_sockets: usize,
    /// How long [`Stack::stop`](super::Stack::stop) lets connections close
    /// with a FIN before it resets the rest.
    pub shutdown_grace: Duration,
    /// How long a connection the application dropped may take to close
    /// (FIN-WAIT-2 with a silent peer, a send buffer that never drains)
    /// before it is reset and freed (Linux's `tcp_fin_timeout` is 60 s).
    pub orphan_timeout: Duration,
    /// DNS servers asked before those the network gives (DHCPv4 option 6,
    /// RDNSS): the resolver behind [`lookup_host`](super::lookup_host) and
    /// connecting by name. Empty by default.
    pub dns_servers: Vec<IpAddr>,
    /// The resolver's retransmission schedule (2 s, doubled each round over
    /// the servers, 2 rounds).
    pub resolver: ResolverConfig,
}

impl StackConfig {
    /// Defaults for the given MAC: no static address (so DHCPv4), 64 KiB
    /// TCP buffers, Linux-like TCP.
    pub fn new(mac: EthernetAddress) -> StackConfig {
        StackConfig {
            mac,
            mtu: None,
            ipv4: Vec::new(),
            ipv4_gateway: None,
            ipv6: Vec::new(),
            ipv6_gateway: None,
            dhcpv4: true,
            slaac: true,
            dad_transmits: 1,
            ipv4_probe: true,
            random_seed: None,
            tcp_rx_buffer: 64 * 1024,
            tcp_tx_buffer: 64 * 1024,
            tcp: TcpConfig {
                ack_each_out_of_order: false,
                ..TcpConfig::default()
            },
            syn_queue: 1024,
            tcp_abort_on_overflow: false,
            udp_buffer: 64 * 1024,
            udp_packets: 64,
            max_sockets: 4096,
            spare_sockets: 64,
            shutdown_grace: Duration::from_secs(1),
            orphan_timeout: Duration::from_secs(60),
            dns_servers: Vec::new(),
            resolver: ResolverConfig::default(),
        }
    }
}
