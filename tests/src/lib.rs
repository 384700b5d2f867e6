//! Helpers shared by the integration tests in `tests/tests/`.

pub mod compare;
pub mod fuzz;
pub mod sim;
pub mod tshark;
