//! A global allocator that counts one thread's allocations while a check
//! runs: the proof that a path the docs call heap-free stays so. A test
//! binary installs it with
//! `#[global_allocator] static A: CountingAlloc = CountingAlloc;`
//! and wraps the code under test in [`allocations`].

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU8, Ordering};

thread_local! {
    // Per thread: the test harness runs other tests on other threads.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

/// Forwards every call to the system allocator, counting the calling
/// thread's allocations while [`allocations`] runs.
pub struct CountingAlloc;

// SAFETY: every call is forwarded unchanged to the system allocator; the
// wrapper only touches const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn count() {
    // `try_with`: the thread may be tearing down its locals.
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let _ = ALLOCS.try_with(|a| a.set(a.get() + 1));
    }
}

/// Runs `f` and returns its result and how many allocations it made on
/// this thread (always 0 unless [`CountingAlloc`] is the global allocator).
pub fn allocations<R>(f: impl FnOnce() -> R) -> (R, u64) {
    ALLOCS.with(|a| a.set(0));
    COUNTING.with(|c| c.set(true));
    let r = f();
    COUNTING.with(|c| c.set(false));
    (r, ALLOCS.with(Cell::get))
}

/// True when [`CountingAlloc`] is the global allocator (probed once), so
/// a check that relies on it can tell "no allocation" from "not counted".
pub fn counting_installed() -> bool {
    static STATE: AtomicU8 = AtomicU8::new(0);
    match STATE.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => {
            let ((), n) = allocations(|| drop(black_box(Box::new(0u64))));
            STATE.store(if n > 0 { 1 } else { 2 }, Ordering::Relaxed);
            n > 0
        }
    }
}
