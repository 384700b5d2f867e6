//! A `no_main` binary still starts through the C runtime's `_start`, which calls
//! our `main`; rustc links with `-nodefaultlibs`, so ask for libc explicitly.
fn main() {
    println!("cargo:rustc-link-arg-bins=-lc");
}
