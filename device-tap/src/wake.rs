//! Sleeping on the TAP fd, and waking the sleeper from another thread.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use rstcp::phy::wait::Wake;

/// Wakes a [`TapDevice::wait`](crate::TapDevice) from any thread by writing
/// to an eventfd that the wait polls.
///
/// The eventfd's counter keeps a wake until the next wait reads it, so a
/// wake that lands between "looked at the sockets" and "went to sleep" makes
/// that sleep return at once instead of being lost.
#[derive(Debug)]
pub struct EventWaker {
    fd: File,
}

impl EventWaker {
    pub(crate) fn new() -> io::Result<EventWaker> {
        // SAFETY: plain eventfd(2) call with constant arguments.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            let err = io::Error::last_os_error();
            return Err(io::Error::new(
                err.kind(),
                format!("cannot create the wake eventfd: {err}"),
            ));
        }
        // SAFETY: fd was just returned by eventfd(2) and has no other owner.
        let fd = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        Ok(EventWaker { fd })
    }

    /// Forgets pending wakes; true if there was one.
    pub(crate) fn drain(&self) -> bool {
        let mut count = [0u8; 8];
        // Non-blocking: WouldBlock means no wake was pending.
        matches!((&self.fd).read(&mut count), Ok(8))
    }

    pub(crate) fn raw_fd(&self) -> i32 {
        self.fd.as_raw_fd()
    }
}

impl Wake for EventWaker {
    fn wake(&self) {
        // The only failure of a non-blocking eventfd write is a counter at
        // its maximum (EAGAIN), which already means "a wake is pending".
        let _ = (&self.fd).write(&1u64.to_ne_bytes());
    }
}

/// Blocks until `fd` is readable, `waker` fired, or `timeout` passed.
/// Returns with pending wakes drained.
pub(crate) fn wait(fd: i32, waker: &EventWaker, timeout: Option<Duration>) -> io::Result<()> {
    if timeout == Some(Duration::ZERO) {
        // A zero timeout has passed already: the caller has work now (a
        // bulk transfer's loop asks after nearly every poll, issue 13), so
        // no ppoll(2) for it. A wake stays pending for the next wait, which
        // then returns at once: none is lost.
        return Ok(());
    }
    let mut fds = [
        libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: waker.raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    // ppoll takes a timespec: deadlines in microseconds are kept instead of
    // being rounded to poll(2)'s milliseconds (an early return makes the
    // caller spin until the deadline; a late one delays a retransmit).
    let ts = timeout.map(|t| libc::timespec {
        tv_sec: t.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
        tv_nsec: t.subsec_nanos() as libc::c_long,
    });
    let ts_ptr = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: `fds` is a valid array of two pollfds for the duration of the
    // call, its length is passed with it, `ts_ptr` is null or points to a
    // timespec that outlives the call, and a null sigmask leaves the mask.
    let rc = unsafe { libc::ppoll(fds.as_mut_ptr(), fds.len() as _, ts_ptr, std::ptr::null()) };
    if rc < 0 {
        let err = io::Error::last_os_error();
        // A signal cut the sleep short: a spurious return, which the
        // contract allows.
        if err.kind() == io::ErrorKind::Interrupted {
            return Ok(());
        }
        return Err(io::Error::new(
            err.kind(),
            format!("ppoll on the TAP failed: {err}"),
        ));
    }
    if fds[1].revents != 0 {
        waker.drain();
    }
    if fds[0].revents & (libc::POLLERR | libc::POLLNVAL) != 0 {
        return Err(io::Error::other(format!(
            "the TAP fd reported an error (revents {:#x})",
            fds[0].revents
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixDatagram;
    use std::sync::Arc;
    use std::time::Instant;

    // A socket pair stands in for the TAP fd: readable when the peer sends.
    #[test]
    fn a_wait_without_events_lasts_its_timeout() {
        let (a, _b) = UnixDatagram::pair().unwrap();
        let waker = EventWaker::new().unwrap();
        let start = Instant::now();
        wait(a.as_raw_fd(), &waker, Some(Duration::from_millis(50))).unwrap();
        assert!(start.elapsed() >= Duration::from_millis(50));
    }

    #[test]
    fn a_wake_before_the_wait_is_remembered_once() {
        let (a, _b) = UnixDatagram::pair().unwrap();
        let waker = EventWaker::new().unwrap();
        waker.wake();
        waker.wake();
        let start = Instant::now();
        wait(a.as_raw_fd(), &waker, Some(Duration::from_secs(10))).unwrap();
        assert!(start.elapsed() < Duration::from_secs(5));
        // Both wakes were drained by that wait: the next one sleeps.
        let start = Instant::now();
        wait(a.as_raw_fd(), &waker, Some(Duration::from_millis(50))).unwrap();
        assert!(start.elapsed() >= Duration::from_millis(50));
    }

    #[test]
    fn a_zero_timeout_returns_at_once_and_leaves_a_wake_for_the_next_wait() {
        let (a, _b) = UnixDatagram::pair().unwrap();
        let waker = EventWaker::new().unwrap();
        waker.wake();
        wait(a.as_raw_fd(), &waker, Some(Duration::ZERO)).unwrap();
        // The wake is still there: the next wait does not sleep.
        let start = Instant::now();
        wait(a.as_raw_fd(), &waker, Some(Duration::from_secs(10))).unwrap();
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_wake_from_another_thread_cuts_a_wait_short() {
        let (a, _b) = UnixDatagram::pair().unwrap();
        let waker = Arc::new(EventWaker::new().unwrap());
        let remote = waker.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            remote.wake();
        });
        let start = Instant::now();
        wait(a.as_raw_fd(), &waker, None).unwrap();
        assert!(start.elapsed() < Duration::from_secs(5));
        t.join().unwrap();
    }

    #[test]
    fn a_readable_fd_ends_the_wait() {
        let (a, b) = UnixDatagram::pair().unwrap();
        let waker = EventWaker::new().unwrap();
        b.send(b"frame").unwrap();
        let start = Instant::now();
        wait(a.as_raw_fd(), &waker, Some(Duration::from_secs(10))).unwrap();
        assert!(start.elapsed() < Duration::from_secs(5));
    }
}
