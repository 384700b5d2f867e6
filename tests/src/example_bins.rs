//! The example programs of `rstcp-examples`, built once per test process,
//! for the tests that run them as a user would (`kernel_examples.rs`,
//! `examples_help.rs`).
//!
//! Cargo gives integration tests the paths of `[[bin]]` targets
//! (`CARGO_BIN_EXE_*`) but not of examples. Guessing them from the test's
//! own path breaks with `--target`, another profile or a custom target
//! dir, so this asks cargo itself: `cargo build --release --examples
//! --message-format=json` builds them (a no-op when they are current) and
//! names every executable it produced, in whatever target dir this cargo
//! uses (`CARGO_TARGET_DIR` is inherited).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Every example of `rstcp-examples` by name, with the path of its binary.
pub fn examples() -> &'static HashMap<String, PathBuf> {
    static PATHS: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
        let out = Command::new(cargo)
            .args([
                "build",
                "--release",
                "-p",
                "rstcp-examples",
                "--examples",
                "--message-format=json-render-diagnostics",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run cargo to build the examples");
        assert!(out.status.success(), "building the examples failed");
        let mut paths = HashMap::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let is_example = msg["target"]["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "example"));
            if let (true, Some(name), Some(exe)) = (
                is_example,
                msg["target"]["name"].as_str(),
                msg["executable"].as_str(),
            ) {
                paths.insert(name.to_string(), PathBuf::from(exe));
            }
        }
        paths
    })
}

/// The binary of example `name`; panics when cargo built none by that name.
pub fn example(name: &str) -> &'static Path {
    examples()
        .get(name)
        .unwrap_or_else(|| panic!("cargo built no example named {name}"))
}
