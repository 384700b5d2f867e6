//! Helpers shared by the integration tests in `tests/tests/`.

pub mod alloc_count;
pub mod bulk;
pub mod compare;
pub mod dnsmasq;
pub mod example_bins;
pub mod expert;
pub mod fuzz;
pub mod impair;
pub mod ndsim;
pub mod netns;
pub mod tap_stack;
/// Two interfaces in simulated time (from `rstcp-testkit`, shared with the examples).
pub use rstcp_testkit::sim;
/// TCP bulk transfers through a faulty link (from `rstcp-testkit`).
pub use rstcp_testkit::transfer;
pub mod relay;
pub mod tshark;

/// Waits until `f` holds, checking every 10 ms for at most `limit` (a
/// runtime's threads work asynchronously); whether it held.
pub fn eventually(limit: std::time::Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    f()
}
