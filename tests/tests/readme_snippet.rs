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
