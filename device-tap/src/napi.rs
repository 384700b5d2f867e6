//! Tun's NAPI mode (`IFF_NAPI`) with the NAPI instance threaded: a frame we
//! write is queued, and the kernel's receive of it runs in a kernel thread
//! beside ours instead of inside our `write(2)`.
//!
//! Without it, `write(2)` on a TAP runs the whole receive path of the
//! kernel's side in our system call (`tun_get_user` -> `tun_rx_batched` ->
//! `netif_receive_skb`: IP, TCP, waking the reader), one frame per call:
//! a `write(2)` from user space never says "more follows" (only vhost's
//! `sendmsg` passes `MSG_MORE`), so tun's `rx_batched` never batches
//! there, and `writev(2)` is one frame however many pieces it has. With
//! `IFF_NAPI` the frame goes onto the queue's list and `napi_schedule`
//! runs; in the default (softirq) mode that poll still runs on our CPU,
//! when `tun_get_user` re-enables bottom halves, so the mode alone moves
//! nothing off our thread. With the device's NAPI threaded
//! (`/sys/class/net/NAME/threaded`, Linux 5.12) the schedule wakes the
//! `napi/NAME-ID` kernel thread instead, which takes every frame queued
//! since it last ran, through GRO, in one poll.
//!
//! Both steps are probed: a kernel or a namespace that refuses either gets
//! a plain TAP (the caller reopens it, see `TapDevice::attach`), since NAPI
//! without the thread only adds a queue to the same work.

use std::fs;
use std::os::fd::BorrowedFd;

/// Whether this `/dev/net/tun` offers `IFF_NAPI` (`TUNGETFEATURES`, Linux
/// 4.15).
pub(crate) fn supported(fd: BorrowedFd<'_>) -> bool {
    crate::offload::features(fd) & libc::IFF_NAPI as libc::c_uint != 0
}

/// Switches the NAPI instances of the interface `name` (ifindex `index` in
/// our network namespace) to threaded mode; true when the kernel says they
/// are. Goes through sysfs, which shows the namespace it was mounted in:
/// the ifindex check keeps us off an interface of the same name in another
/// one (a thread that entered a namespace with setns(2) but kept the old
/// /sys), and then the answer is no.
pub(crate) fn set_threaded(name: &str, index: u32) -> bool {
    let dir = format!("/sys/class/net/{name}");
    let same = fs::read_to_string(format!("{dir}/ifindex"))
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        == Some(index);
    if !same {
        return false;
    }
    let knob = format!("{dir}/threaded");
    // "1": a kernel thread per NAPI instance, sleeping until scheduled (not
    // 2, Linux 6.17's busy-polling thread, which spins a CPU).
    fs::write(&knob, "1").is_ok() && fs::read_to_string(&knob).is_ok_and(|s| s.trim() == "1")
}
