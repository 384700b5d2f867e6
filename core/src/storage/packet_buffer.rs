//! (placeholder: being written on a wip branch)

/// placeholder
pub struct PacketBuffer;
/// placeholder
pub struct PacketMetadata;
