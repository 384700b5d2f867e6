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

/// Sends whole frames from any thread, for a device whose sending needs no
/// exclusive access (a TAP's fd takes a `write(2)` from any thread).
///
/// The std runtime's application threads send through it the frames their
/// own calls made (the data a `write` queued, the FIN of a `close`), rather
/// than handing that work to the stack's thread and waking it.
pub trait Transmit: Send + Sync {
    /// Sends one frame. False when the device has no room now: the frame
    /// was not taken, and the caller tries again later. A frame taken and
    /// then lost is lost as on a wire.
    fn send(&self, frame: &[u8]) -> bool;
}

/// A shareable [`Transmit`] handle.
pub type Transmitter = Arc<dyn Transmit>;

/// A device whose frames move through buffers its caller owns, as a TAP's
/// `read(2)` and `write(2)` take any buffer.
///
/// The std runtime reads frames ahead into buffers of its own (see its
/// `batch` module) and writes the frames it queued from them; through this
/// a frame is read straight into the runtime's buffer, parsed there, and a
/// queued frame written straight from it, with no copy through the
/// device's own buffers in between. A device without it
/// ([`WaitDevice::frame_io`] `None`) is used through its tokens, which
/// costs the runtime one copy of each frame each way.
pub trait FrameIo {
    /// The room one received frame may take, any header the device puts
    /// before it included (a TAP's virtio-net header): a buffer this long
    /// holds every frame [`receive_into`](Self::receive_into) returns.
    fn rx_room(&self) -> usize;

    /// Reads the next waiting frame into the start of `buf` and returns its
    /// length, the bytes [`Device::receive`]'s token would have lent.
    /// `None` when no frame waits, or when the read failed (the device
    /// counts that, as for `receive`).
    fn receive_into(&mut self, buf: &mut [u8]) -> Option<usize>;

    /// Sends `frame`, the bytes a [`Device::transmit`] token would have
    /// been filled with. False when the device has no room now: the frame
    /// was not taken. A frame taken and then lost is lost as on a wire.
    fn transmit_from(&mut self, frame: &[u8]) -> bool;
}

/// A [`Device`] that a thread can sleep on until it has work.
pub trait WaitDevice: Device + Send {
    /// Blocks until a frame may be ready to receive, `timeout` passed
    /// (`None`: no timeout), or the [`Waker`] fired. A spurious return is
    /// allowed; the caller polls and waits again.
    fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()>;

    /// A handle that other threads use to interrupt [`WaitDevice::wait`].
    fn waker(&self) -> Waker;

    /// A handle that other threads send frames through, if the device can
    /// take frames from any thread (`None`, the default: only through
    /// [`Device::transmit`], as a device that records or alters what it
    /// sends needs).
    fn transmitter(&self) -> Option<Transmitter> {
        None
    }

    /// The device's frames through buffers of its caller's ([`FrameIo`]),
    /// if it has that path (`None`, the default: only through its tokens,
    /// as a device that records or alters its frames needs).
    fn frame_io(&mut self) -> Option<&mut dyn FrameIo> {
        None
    }
}
