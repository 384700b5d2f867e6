//! A multi-queue TAP (`IFF_MULTI_QUEUE`): one interface, several fds, each
//! a [`TapDevice`] of its own, so that several stacks (each on its own
//! thread) share one interface and the kernel's traffic to it.
//!
//! The kernel chooses the queue a frame it sends goes to per flow: it
//! remembers, by the flow's hash, the queue that last wrote a frame of
//! that flow (`tun_automq_select_queue`), and a flow it has not seen yet
//! (a client's SYN) goes to a queue picked by the hash. A connection then
//! stays with the stack that answered its first frame, which is what lets
//! each stack keep its own connections: the stacks share nothing. Each
//! stack answers ARP and neighbor solicitations for the addresses it has,
//! and learns the neighbors whose frames reach it.

use std::io;

use rstcp::phy::Medium;

use crate::TapDevice;

impl TapDevice {
    /// Opens `queues` queues (at least one) of the multi-queue TAP `name`,
    /// creating it if it does not exist (as [`open_with_offload`]
    /// does; an empty name or one with `%d` lets the kernel pick, and
    /// every queue after the first then joins the interface it picked).
    /// Each queue is a device of its own, for a stack of its own; give
    /// them all the same addresses and MAC, and the kernel's flows spread
    /// over them.
    ///
    /// An interface created beforehand must be multi-queue (`ip tuntap
    /// add NAME mode tap multi_queue`): attaching a queue to one that is
    /// not fails with `InvalidInput`, saying so. The offloads (probed per
    /// queue, as by [`open_with_offload`]) are the interface's: a queue
    /// closed while the others run turns the kernel's off for all of
    /// them (the others then receive plain frames, which they read as
    /// well).
    ///
    /// [`open_with_offload`]: TapDevice::open_with_offload
    pub fn open_queues(name: &str, queues: usize, offload: bool) -> io::Result<Vec<TapDevice>> {
        let mut devices: Vec<TapDevice> = Vec::with_capacity(queues.max(1));
        for _ in 0..queues.max(1) {
            // The first queue may have let the kernel name the interface.
            let name = devices.first().map_or(name, |d| d.name());
            let device = TapDevice::attach(name, offload, Medium::Ethernet, true)?;
            devices.push(device);
        }
        Ok(devices)
    }
}
