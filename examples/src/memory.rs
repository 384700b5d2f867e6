//! Memory a long-running server gives back: glibc's malloc settings for a
//! stack whose sockets own large buffers.
//!
//! Each TCP connection of the runtime owns two rings (64 KiB each by
//! default), allocated zeroed when the socket is made and freed when it is
//! done. Under glibc's defaults those come from its heaps: `calloc` zeroes
//! a recycled chunk by writing every page of it, and pages freed in the
//! middle of a heap stay with the process. After 5 000 connections the
//! process kept about 80 MiB it no longer used. Mapping each ring on its
//! own instead costs only the pages data was written to, and unmapping it
//! returns them. (The runtime keeps a few closed sockets for reuse, so a
//! steady stream of short connections maps nothing.)

/// Makes glibc map every allocation of `size` bytes or more on its own
/// (`M_MMAP_THRESHOLD`; setting it also turns off glibc's habit of raising
/// the threshold as such blocks are freed). Call it with the socket buffer
/// size before starting the stack. Does nothing on other C libraries,
/// whose allocators return memory by themselves or not at all.
pub fn map_large_buffers(size: usize) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let size = libc::c_int::try_from(size).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only changes a malloc parameter; glibc takes its
        // own lock for it, so it is sound at any time from any thread.
        #[allow(unsafe_code)]
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, size);
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = size;
}
