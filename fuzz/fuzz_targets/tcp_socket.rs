#![no_main]
// Counting allocator: the body then checks that `Interface::poll` never
// allocates while it carries the connection's segments.
#[global_allocator]
static ALLOC: rstcp_tests::fuzz::iface::CountingAlloc = rstcp_tests::fuzz::iface::CountingAlloc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| rstcp_tests::fuzz::tcp_socket(data));
