//! The claim on writing frames, shared by the threads that poll (see
//! `send.rs` for how it is used).

use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Mutex;

use super::batch::Queue;

/// The claim on writing, and the frames taken out to write.
#[derive(Default)]
pub(crate) struct Outbox {
    /// A thread is writing frames: the others leave theirs queued for it.
    pub(super) writing: AtomicBool,
    /// Frames waiting in `Core::tx`, for the writer to see without the lock
    /// whether more came while it wrote.
    pub(super) queued: AtomicUsize,
    /// The frames being written, out of the lock (only the writer uses it).
    pub(super) frames: Mutex<Queue>,
}
