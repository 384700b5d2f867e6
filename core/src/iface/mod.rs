//! The interface: link and network layers, driven by `poll(now)`.

pub mod fragment;
pub mod neighbor;
pub mod pending;
