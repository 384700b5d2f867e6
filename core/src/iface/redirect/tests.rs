//! Unit tests of the redirect cache (`redirect.rs`).

use super::*;

fn a(last: u16) -> Ipv6Addr {
    Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last)
}

fn ll(last: u16) -> Ipv6Addr {
    Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, last)
}

#[test]
fn a_redirect_is_per_destination_replaced_and_aged_out() {
    let mut c: RedirectCache<4> = RedirectCache::new();
    let t = Instant::from_secs(10);
    c.redirect(a(1), ll(2), ll(1), t);
    assert_eq!(c.next_hop(&a(1), t), Some(ll(2)));
    assert_eq!(c.next_hop(&a(2), t), None);
    c.redirect(a(1), a(1), ll(1), t);
    assert_eq!(c.next_hop(&a(1), t), Some(a(1)), "replaced: on-link now");
    assert_eq!(c.entries(t).count(), 1);
    assert_eq!(c.next_hop(&a(1), t + REDIRECT_AGE), None);
}

#[test]
fn a_router_leaving_takes_its_redirects_and_a_full_cache_drops_the_oldest() {
    let mut c: RedirectCache<2> = RedirectCache::new();
    c.redirect(a(1), ll(2), ll(1), Instant::from_secs(1));
    c.redirect(a(2), ll(3), ll(9), Instant::from_secs(2));
    c.redirect(a(3), ll(4), ll(9), Instant::from_secs(3));
    let t = Instant::from_secs(3);
    assert_eq!(c.next_hop(&a(1), t), None, "oldest gave way");
    c.forget_router(&ll(9));
    assert_eq!(c.entries(t).count(), 0);
}
