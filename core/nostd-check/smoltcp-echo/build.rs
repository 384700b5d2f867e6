//! As for rstcp-nostd-check: `main` is called by the C runtime's start code.
fn main() {
    println!("cargo:rustc-link-arg-bins=-lc");
}
