//! Devices a thread can block on: what the std runtime needs from a device.
//!
//! The core never sleeps; a std program that runs the interface on its own
//! thread does, and must wake for three reasons: a frame arrived, a deadline
//! from [`Interface::poll_delay`](crate::iface::Interface::poll_delay) passed,
//! or another thread changed a socket (wrote data, closed it) and the
//! interface must send. A [`WaitDevice`] covers all three: [`WaitDevice::wait`]
//! returns on the first of them, and the [`Waker`] it hands out is how other
//! threads cut a wait short. A TAP device implements it with `poll(2)` over
//! its fd and an eventfd; an in-memory device with a condition variable.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use super::Device;

/// Cuts a [`WaitDevice::wait`] short from another thread.
///
/// A wake that arrives while no thread waits is remembered: the next `wait`
/// returns at once, so a wake between "checked the sockets" and "went to
/// sleep" is never lost.
pub trait Wake: Send + Sync {
    /// Makes the current or next `wait` return.
    fn wake(&self);
}

/// A shareable [`Wake`] handle.
pub type Waker = Arc<dyn Wake>;

/// A [`Device`] that a thread can sleep on until it has work.
pub trait WaitDevice: Device + Send {
    /// Blocks until a frame may be ready to receive, `timeout` passed
    /// (`None`: no timeout), or the [`Waker`] fired. A spurious return is
    /// allowed; the caller polls and waits again.
    fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()>;

    /// A handle that other threads use to interrupt [`WaitDevice::wait`].
    fn waker(&self) -> Waker;
}
