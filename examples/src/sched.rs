//! A scheduling hint for an event loop: a short time slice (Linux's
//! EEVDF scheduler, 6.12 and later).
//!
//! One thread of `services` serves every connection of a service, and its
//! writes to the TAP run the peer's receive path, which wakes the kernel's
//! client threads. Woken, such a thread (which slept, so the scheduler owes
//! it time) preempts the event loop on its CPU, and every connection waits
//! while it runs: in the connection-rate run of `stress.sh` the loop was
//! preempted about once per connection (issue 10, the connection rate).
//! The kernel's own echo server does not meet this: its threads block after
//! each write, and its protocol work runs in softirq context.
//!
//! `sched_setattr(2)` with `sched_runtime` set asks for a shorter slice for
//! a normal (`SCHED_OTHER`) thread: its deadlines come sooner, so a woken
//! thread with the default slice waits for the loop's slice to end rather
//! than cutting into it. The thread's share of the CPU (its weight, its
//! nice value) is unchanged; only when it runs within that share moves.
//! The kernel takes 100 µs to 100 ms and clamps other values; older kernels
//! refuse the attribute or ignore it for normal threads.

use std::io;
use std::time::Duration;

/// The slice `services` asks for its event loops: the shortest the kernel
/// takes.
pub const EVENT_LOOP_SLICE: Duration = Duration::from_micros(100);

/// `struct sched_attr` of `sched_setattr(2)`, in its first published size
/// (48 bytes, `SCHED_ATTR_SIZE_VER0`); the kernel reads the fields it
/// knows of.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[repr(C)]
#[derive(Default)]
struct SchedAttr {
    size: u32,
    policy: u32,
    flags: u64,
    nice: i32,
    priority: u32,
    runtime: u64,
    deadline: u64,
    period: u64,
}

/// Asks the scheduler for a time slice of `slice` for the calling thread,
/// which stays a normal thread at nice 0. Fails where the kernel refuses it
/// (an older kernel, a seccomp filter); the thread then runs as before.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn request_slice(slice: Duration) -> io::Result<()> {
    let attr = SchedAttr {
        size: std::mem::size_of::<SchedAttr>() as u32,
        policy: libc::SCHED_OTHER as u32,
        runtime: u64::try_from(slice.as_nanos()).unwrap_or(u64::MAX),
        ..SchedAttr::default()
    };
    // SAFETY: sched_setattr reads `size` bytes from a valid, initialized
    // `struct sched_attr` that outlives the call; pid 0 is the calling
    // thread; flags 0. It changes only this thread's scheduling.
    #[allow(unsafe_code)]
    let rc = unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &attr as *const SchedAttr, 0u32) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Not on this system: the thread runs as before.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn request_slice(_slice: Duration) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// The calling thread's slice as the scheduler reports it (`None`: a
/// kernel that does not say).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn current_slice() -> io::Result<Option<Duration>> {
    let mut attr = SchedAttr::default();
    // SAFETY: sched_getattr writes at most `size` (the length passed)
    // bytes into `attr`, a valid `struct sched_attr` owned here; pid 0 is
    // the calling thread.
    #[allow(unsafe_code)]
    let rc = unsafe {
        libc::syscall(
            libc::SYS_sched_getattr,
            0,
            &mut attr as *mut SchedAttr,
            std::mem::size_of::<SchedAttr>() as u32,
            0u32,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((attr.runtime != 0).then(|| Duration::from_nanos(attr.runtime)))
}

/// Not on this system.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn current_slice() -> io::Result<Option<Duration>> {
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    #[test]
    fn a_thread_that_asks_for_a_short_slice_runs_with_it() {
        std::thread::spawn(|| {
            let before = current_slice().unwrap();
            match request_slice(EVENT_LOOP_SLICE) {
                Ok(()) => {}
                // Kernels before 6.12 take no slice for a normal thread.
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                    eprintln!("skipped: this kernel takes no custom slice ({e})");
                    return;
                }
                Err(e) => panic!("sched_setattr: {e}"),
            }
            assert_ne!(before, Some(EVENT_LOOP_SLICE));
            assert_eq!(current_slice().unwrap(), Some(EVENT_LOOP_SLICE));
            // Still a normal thread: no real-time policy, no privilege.
            // SAFETY: sched_getscheduler only reads the thread's policy.
            #[allow(unsafe_code)]
            let policy = unsafe { libc::sched_getscheduler(0) };
            assert_eq!(policy, libc::SCHED_OTHER);
        })
        .join()
        .unwrap();
    }
}
