#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rstcp_tests::fuzz::dns(data));
