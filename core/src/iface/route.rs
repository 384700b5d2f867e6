//! The route table: longest-prefix match over CIDR routes, v4 and v6.

use crate::time::Instant;
use crate::wire::{IpAddr, IpCidr, Ipv4Cidr, Ipv6Cidr};

/// How many routes a table holds.
pub const MAX_ROUTES: usize = 16;

/// One route: packets for `cidr` go to `via` (a gateway), or straight to the
/// destination when `via` is `None` (an on-link network).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Route {
    /// The destination network.
    pub cidr: IpCidr,
    /// The next hop, or `None` for on-link.
    pub via: Option<IpAddr>,
    /// When the route stops applying (a DHCP lease, a router lifetime).
    pub expires_at: Option<Instant>,
}

impl Route {
    /// A default route (`0.0.0.0/0` or `::/0`) via `gateway`.
    pub fn default_via(gateway: IpAddr) -> Route {
        let cidr = match gateway {
            IpAddr::V4(_) => IpCidr::V4(Ipv4Cidr::ANY),
            IpAddr::V6(_) => IpCidr::V6(Ipv6Cidr::ANY),
        };
        Route {
            cidr,
            via: Some(gateway),
            expires_at: None,
        }
    }
}

/// The table is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RouteTableFull;

impl core::fmt::Display for RouteTableFull {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "the route table is full ({MAX_ROUTES} routes)")
    }
}

impl core::error::Error for RouteTableFull {}

/// A bounded route table. Lookup is a linear longest-prefix scan: with at
/// most [`MAX_ROUTES`] entries that beats any tree on a cache line budget.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    routes: heapless::Vec<Route, MAX_ROUTES>,
}

impl Routes {
    /// An empty table.
    pub const fn new() -> Routes {
        Routes {
            routes: heapless::Vec::new(),
        }
    }

    /// Adds a route, replacing one for the same network.
    pub fn add(&mut self, route: Route) -> Result<(), RouteTableFull> {
        if let Some(r) = self.routes.iter_mut().find(|r| r.cidr == route.cidr) {
            *r = route;
            return Ok(());
        }
        self.routes.push(route).map_err(|_| RouteTableFull)
    }

    /// Adds a default gateway (`0.0.0.0/0` or `::/0`).
    pub fn add_default_gateway(&mut self, gateway: IpAddr) -> Result<(), RouteTableFull> {
        self.add(Route::default_via(gateway))
    }

    /// Removes the route for exactly this network; true if there was one.
    pub fn remove(&mut self, cidr: &IpCidr) -> bool {
        let before = self.routes.len();
        self.routes.retain(|r| r.cidr != *cidr);
        before != self.routes.len()
    }

    /// Removes every route.
    pub fn clear(&mut self) {
        self.routes.clear();
    }

    /// The routes, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &Route> {
        self.routes.iter()
    }

    /// The gateway for `dst` by longest prefix (`Some(None)`: on-link by a
    /// route without gateway), skipping routes expired at `now`.
    pub fn lookup(&self, dst: &IpAddr, now: Instant) -> Option<Option<IpAddr>> {
        self.routes
            .iter()
            .filter(|r| r.cidr.contains_addr(dst))
            .filter(|r| r.expires_at.is_none_or(|t| now < t))
            .max_by_key(|r| r.cidr.prefix_len())
            .map(|r| r.via)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Ipv4Addr, Ipv6Addr};

    fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }

    #[test]
    fn longest_prefix_wins_and_expiry_applies() {
        let mut t = Routes::new();
        t.add_default_gateway(v4(10, 0, 0, 1)).unwrap();
        t.add(Route {
            cidr: IpCidr::new(v4(172, 16, 0, 0), 12).unwrap(),
            via: Some(v4(10, 0, 0, 2)),
            expires_at: Some(Instant::from_secs(10)),
        })
        .unwrap();
        let now = Instant::from_secs(1);
        assert_eq!(t.lookup(&v4(8, 8, 8, 8), now), Some(Some(v4(10, 0, 0, 1))));
        assert_eq!(
            t.lookup(&v4(172, 17, 1, 1), now),
            Some(Some(v4(10, 0, 0, 2)))
        );
        // At the expiry instant the route no longer applies.
        assert_eq!(
            t.lookup(&v4(172, 17, 1, 1), Instant::from_secs(10)),
            Some(Some(v4(10, 0, 0, 1)))
        );
        let v6: IpAddr = IpAddr::V6("2001:db8::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(t.lookup(&v6, now), None);
        t.add_default_gateway(IpAddr::V6("fe80::1".parse::<Ipv6Addr>().unwrap()))
            .unwrap();
        assert!(t.lookup(&v6, now).is_some());
        assert!(t.remove(&Route::default_via(v4(0, 0, 0, 0)).cidr));
        assert_eq!(t.lookup(&v4(8, 8, 8, 8), now), None);
    }

    #[test]
    fn full_table_says_so() {
        let mut t = Routes::new();
        for i in 0..MAX_ROUTES {
            t.add(Route {
                cidr: IpCidr::new(v4(10, i as u8, 0, 0), 16).unwrap(),
                via: None,
                expires_at: None,
            })
            .unwrap();
        }
        let extra = Route {
            cidr: IpCidr::new(v4(11, 0, 0, 0), 8).unwrap(),
            via: None,
            expires_at: None,
        };
        assert_eq!(t.add(extra), Err(RouteTableFull));
    }
}
