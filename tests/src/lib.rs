//! Helpers shared by the integration tests in `tests/tests/`.

pub mod bulk;
pub mod compare;
pub mod example_bins;
pub mod expert;
pub mod fuzz;
pub mod impair;
pub mod netns;
pub mod tap_stack;
/// Two interfaces in simulated time (from `rstcp-testkit`, shared with the examples).
pub use rstcp_testkit::sim;
/// TCP bulk transfers through a faulty link (from `rstcp-testkit`).
pub use rstcp_testkit::transfer;
pub mod relay;
pub mod tshark;
