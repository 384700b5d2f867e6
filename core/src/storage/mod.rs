//! Bounded buffers over caller-provided storage (`managed`): a borrowed slice
//! on bare metal, a `Vec` with the `alloc` feature. Nothing here grows.

pub mod packet_buffer;
pub mod ring_buffer;

pub use self::packet_buffer::{PacketBuffer, PacketMetadata};
pub use self::ring_buffer::{Empty, Full, RingBuffer};
