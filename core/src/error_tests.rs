//! Every public error type is a `core::error::Error` with a message, with or
//! without `std`: a bare-metal user can box it, `?` it into their own error
//! or print it, exactly as a std user does (issue 14).

use core::error::Error;
use core::fmt::Write;

/// Renders `error` through `Display` into a fixed buffer (no heap).
fn message<E: Error>(error: E) -> heapless::String<128> {
    let mut text = heapless::String::new();
    write!(text, "{error}").unwrap();
    text
}

#[test]
fn every_error_type_is_an_error_without_std() {
    let messages = [
        message(crate::socket::tcp::ListenError::PoolFull),
        message(crate::socket::IndexFull),
        message(crate::iface::RouteTableFull),
        message(crate::socket::tcp::TcpError::TimedOut),
        message(crate::storage::Full),
        message(crate::storage::Empty),
        message(crate::wire::Error::Truncated),
    ];
    for text in &messages {
        assert!(!text.is_empty());
    }
    assert!(messages[0].contains("full"), "{}", messages[0]);
    assert!(messages[2].contains("16"), "{}", messages[2]);
}
