//! The README's std snippet cannot rot: it must be, word for word, the
//! program `examples/examples/quickstart.rs`, which the build compiles and
//! `kernel_examples.rs` runs against the kernel.

/// The body of the first ```` ```rust ```` block after `heading`.
fn rust_block_after<'a>(text: &'a str, heading: &str) -> &'a str {
    let from = text
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?} in the README"));
    let rest = &text[from..];
    let start = rest.find("```rust\n").expect("a rust block") + "```rust\n".len();
    let len = rest[start..].find("```").expect("the block's end");
    &rest[start..start + len]
}

#[test]
fn the_readme_std_snippet_is_the_quickstart_example_that_the_tests_run() {
    let readme = include_str!("../../README.md");
    let example = include_str!("../../examples/examples/quickstart.rs");
    let snippet = rust_block_after(readme, "## Using it from a std program");
    // What a user copies: a whole program that brings the TAP up and
    // waits for its address before connecting.
    assert!(snippet.contains("fn main()"), "{snippet}");
    assert!(snippet.contains(".set_up()?"), "{snippet}");
    assert!(snippet.contains("wait_configured("), "{snippet}");
    assert!(
        example.ends_with(snippet),
        "the README's snippet differs from examples/examples/quickstart.rs:\n{snippet}"
    );
    // The host side it needs is spelled out before it.
    let section = &readme[readme.find("## Using it from a std program").unwrap()..];
    let section = &section[..section.find(snippet).unwrap()];
    for step in [
        "ip tuntap add dev tap7 mode tap",
        "ip addr add 192.168.69.100/24 dev tap7",
        "ip link set tap7 up",
    ] {
        assert!(section.contains(step), "the README does not say {step:?}");
    }
}

#[test]
fn the_readme_bare_metal_snippet_is_the_quick_start_the_no_std_build_links() {
    let readme = include_str!("../../README.md");
    let quick_start = include_str!("../../core/doc/bare_metal.rs");
    let snippet = rust_block_after(readme, "## Using it on bare metal");
    assert_eq!(
        snippet, quick_start,
        "the README's bare-metal snippet differs from core/doc/bare_metal.rs"
    );
    // No heap and no std in what a firmware copies.
    for word in ["Vec", "Box", "std::", "alloc", "String"] {
        assert!(!snippet.contains(word), "the snippet uses {word}");
    }
    // The crate docs include the same file, and the no-std binary too.
    let lib = include_str!("../../core/src/lib.rs");
    assert!(lib.contains(r#"include_str!("../doc/bare_metal.rs")"#));
    let bin = include_str!("../../core/nostd-check/src/bin/quickstart.rs");
    assert!(bin.contains(r#"include!("../../../doc/bare_metal.rs");"#));
}
