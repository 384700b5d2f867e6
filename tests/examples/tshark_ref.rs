//! Prints tshark's reference frames for captures, one JSON line per frame,
//! in the schema of `rstcp-dump --json` (see `rstcp_tests::tshark`).
//!
//! `cargo run -p rstcp-tests --example tshark_ref -- FILE...`
fn main() {
    let mut failed = false;
    for arg in std::env::args_os().skip(1) {
        let path = std::path::PathBuf::from(arg);
        match rstcp_tests::tshark::reference(&path) {
            Ok(frames) => {
                for f in frames {
                    println!("{f}");
                }
            }
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                failed = true;
            }
        }
    }
    std::process::exit(i32::from(failed));
}
