//! The interface: link and network layers, driven by `poll(now)`.

pub mod acd;
pub mod fragment;
pub mod neighbor;
pub mod ratelimit;
