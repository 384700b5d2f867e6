//! The runtime's IPv6 address configuration (issue 12): `wait_configured`
//! waits for DAD, `addresses` shows each address's state, a duplicate is
//! reported through `interface_events` and the stack goes on. Two stacks
//! on an in-memory pipe, real time (DAD takes 1 to 2 s).

use std::time::Duration;

use rstcp::iface::{AddressState, Event};
use rstcp::phy::pipe;
use rstcp::runtime::{ping, AddressSource, Stack, StackConfig};
use rstcp::wire::{EthernetAddress, IpAddr, IpCidr, Ipv6Addr, Ipv6Cidr};

const IP6_A: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1);
const IP6_B: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2);

fn config(last: u8, v6: Ipv6Addr) -> StackConfig {
    let mut c = StackConfig::new(EthernetAddress([2, 0, 0, 0, 0, last]));
    c.ipv6 = vec![Ipv6Cidr::new(v6, 64).unwrap()];
    c.dhcpv4 = false;
    c.random_seed = Some(u64::from(last) * 7919);
    c
}

fn state(s: &Stack, a: Ipv6Addr) -> Option<(AddressState, AddressSource)> {
    s.addresses()
        .iter()
        .find(|x| x.cidr == IpCidr::V6(Ipv6Cidr::new(a, 64).unwrap()))
        .map(|x| (x.state, x.source))
}

#[test]
fn wait_configured_returns_once_dad_passed_and_addresses_show_the_states() {
    let (da, db) = pipe::pair();
    let a = Stack::start(da, config(1, IP6_A)).unwrap();
    let b = Stack::start(db, config(2, IP6_B)).unwrap();
    // Right after start the static address is still tentative (RFC 4862
    // §5.4: at least the random delay and one RetransTimer).
    assert_eq!(
        state(&a, IP6_A),
        Some((AddressState::Tentative, AddressSource::Static))
    );
    a.wait_configured(Duration::from_secs(5)).unwrap();
    b.wait_configured(Duration::from_secs(5)).unwrap();
    assert_eq!(
        state(&a, IP6_A),
        Some((AddressState::Preferred, AddressSource::Static))
    );
    assert!(a.addresses().iter().all(|x| x.is_usable()));
    assert!(a
        .addresses()
        .iter()
        .any(|x| x.source == AddressSource::LinkLocal && x.is_usable()));
    let events = a.interface_events();
    assert!(
        events.contains(&Event::Ipv6AddressReady(IP6_A)),
        "{events:?}"
    );
    ping(&a, IpAddr::V6(IP6_B), 56, Duration::from_secs(5)).unwrap();
}

#[test]
fn a_duplicate_is_reported_and_the_stack_goes_on_with_its_other_addresses() {
    let (da, db) = pipe::pair();
    let b = Stack::start(db, config(2, IP6_B)).unwrap();
    b.wait_configured(Duration::from_secs(5)).unwrap();
    // A wants B's address besides its own.
    let mut ca = config(1, IP6_A);
    ca.ipv6.push(Ipv6Cidr::new(IP6_B, 64).unwrap());
    let a = Stack::start(da, ca).unwrap();
    a.wait_configured(Duration::from_secs(5)).unwrap();
    assert_eq!(state(&a, IP6_B), None, "{:?}", a.addresses());
    assert_eq!(state(&b, IP6_B).map(|s| s.0), Some(AddressState::Preferred));
    let events = a.interface_events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Ipv6DuplicateAddress { address, .. } if *address == IP6_B)),
        "{events:?}"
    );
    ping(&a, IpAddr::V6(IP6_B), 56, Duration::from_secs(5)).unwrap();
}
