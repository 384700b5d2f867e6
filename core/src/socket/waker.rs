//! Wakers for sockets driven by an async executor (feature `async`).
//!
//! A future that finds its socket not ready (nothing to read, no room to
//! write, still connecting) registers its task's [`Waker`] in the socket's
//! slot and returns `Pending`; the socket wakes the task where its state
//! changes (data or a FIN arrived, an ACK freed room, the connection was
//! established, reset or timed out), so an executor drives rstcp without
//! polling sockets in a loop. This is smoltcp's `register_recv_waker` /
//! `register_send_waker`.
//!
//! A slot holds one waker, in place: no heap. A wake takes the waker out,
//! so a slot wakes once per registration (the future registers again if it
//! still has to wait); registering a different waker wakes the one it
//! replaces, so two tasks waiting on one socket both come back and neither
//! is forgotten. Wakes may be spurious: a future checks its socket again.
//!
//! The wakes run inside `Interface::poll` (and the socket calls that change
//! readiness), so a waker should only schedule its task, as executors'
//! wakers do. Without the `async` feature [`SocketWakers`] is empty and
//! every wake compiles to nothing.

#[cfg(feature = "async")]
use core::task::Waker;

/// One task's waker, or none.
#[cfg(feature = "async")]
#[derive(Debug, Default)]
pub(crate) struct WakerSlot {
    waker: Option<Waker>,
}

#[cfg(feature = "async")]
impl WakerSlot {
    /// An empty slot.
    pub(crate) const fn new() -> Self {
        WakerSlot { waker: None }
    }

    /// Remembers `waker`, to be woken once. A different waker already here
    /// is woken first, so its task looks again and registers anew.
    pub(crate) fn register(&mut self, waker: &Waker) {
        match &mut self.waker {
            Some(old) if old.will_wake(waker) => {}
            slot => {
                if let Some(old) = slot.replace(waker.clone()) {
                    old.wake();
                }
            }
        }
    }

    /// Wakes the registered task, if any, and empties the slot.
    pub(crate) fn wake(&mut self) {
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }
}

/// A socket's two slots: the task waiting to receive (or for the peer to
/// close), and the task waiting to send (or to connect).
#[derive(Debug, Default)]
pub(crate) struct SocketWakers {
    #[cfg(feature = "async")]
    recv: WakerSlot,
    #[cfg(feature = "async")]
    send: WakerSlot,
}

impl SocketWakers {
    /// Both slots empty.
    pub(crate) const fn new() -> Self {
        SocketWakers {
            #[cfg(feature = "async")]
            recv: WakerSlot::new(),
            #[cfg(feature = "async")]
            send: WakerSlot::new(),
        }
    }

    /// Registers the task waiting to receive.
    #[cfg(feature = "async")]
    pub(crate) fn register_recv(&mut self, waker: &Waker) {
        self.recv.register(waker);
    }

    /// Registers the task waiting to send.
    #[cfg(feature = "async")]
    pub(crate) fn register_send(&mut self, waker: &Waker) {
        self.send.register(waker);
    }

    /// Wakes the receiving task when `ready` (something to read, or
    /// nothing more will come). A slot with no task costs one branch.
    #[inline]
    pub(crate) fn wake_recv_if(&mut self, ready: bool) {
        #[cfg(feature = "async")]
        if ready {
            self.recv.wake();
        }
        #[cfg(not(feature = "async"))]
        let _ = ready;
    }

    /// Wakes the sending task when `ready` (room to send, connected, or
    /// it never will be).
    #[inline]
    pub(crate) fn wake_send_if(&mut self, ready: bool) {
        #[cfg(feature = "async")]
        if ready {
            self.send.wake();
        }
        #[cfg(not(feature = "async"))]
        let _ = ready;
    }

    /// Wakes both tasks: the socket closed, failed or was reset.
    #[inline]
    pub(crate) fn wake_all(&mut self) {
        #[cfg(feature = "async")]
        {
            self.recv.wake();
            self.send.wake();
        }
    }
}

/// A waker that counts its wakes, for the sockets' tests.
#[cfg(all(test, feature = "async"))]
pub(crate) mod counting {
    extern crate std;
    use core::sync::atomic::{AtomicUsize, Ordering};
    use core::task::Waker;
    use std::sync::Arc;
    use std::task::Wake;

    /// Counts wakes.
    #[derive(Default)]
    pub(crate) struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A waker and the count of its wakes.
    pub(crate) fn waker() -> (Waker, Arc<Count>) {
        let count = Arc::new(Count::default());
        (Waker::from(count.clone()), count)
    }

    impl Count {
        /// Wakes so far.
        pub(crate) fn get(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }
    }

    #[test]
    fn a_slot_wakes_once_per_registration_and_a_new_task_wakes_the_old() {
        let (a, wa) = waker();
        let (b, wb) = waker();
        let mut slot = super::WakerSlot::new();
        slot.register(&a);
        slot.register(&a);
        assert_eq!(wa.get(), 0, "the same task again: no wake");
        slot.register(&b);
        assert_eq!(wa.get(), 1, "replaced: the old task looks again");
        slot.wake();
        slot.wake();
        assert_eq!((wa.get(), wb.get()), (1, 1), "once per registration");
    }
}
