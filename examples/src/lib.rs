//! Shared code for the `rstcp` examples (the examples themselves live in `examples/`).
