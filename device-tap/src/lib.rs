//! A Linux TAP device for `rstcp`.
//!
//! This crate will open `/dev/net/tun` with `TUNSETIFF` (`IFF_TAP | IFF_NO_PI`)
//! and implement the core's device trait over it. It is empty until the device
//! trait exists in the core (see the interface issue); it is a workspace member
//! now so that the layout is fixed from the start.
#![forbid(unsafe_op_in_unsafe_fn)]
