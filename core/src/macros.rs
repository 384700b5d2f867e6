//! The crate's one set of logging macros.
//!
//! Every diagnostic goes through `net_trace!`/`net_debug!`/`net_warn!` so that
//! the choice of back-end (`log`, `defmt` or none) is made in exactly one place.
//! With neither feature on, the arguments are still type-checked but compile to
//! nothing, so logging never costs code size on a build that does not want it.

#[cfg(feature = "log")]
#[allow(unused_macros)]
macro_rules! net_log {
    (trace, $($arg:expr),*) => { log::trace!($($arg),*) };
    (debug, $($arg:expr),*) => { log::debug!($($arg),*) };
    (warn, $($arg:expr),*) => { log::warn!($($arg),*) };
}

#[cfg(all(feature = "defmt", not(feature = "log")))]
#[allow(unused_macros)]
macro_rules! net_log {
    (trace, $($arg:expr),*) => { defmt::trace!($($arg),*) };
    (debug, $($arg:expr),*) => { defmt::debug!($($arg),*) };
    (warn, $($arg:expr),*) => { defmt::warn!($($arg),*) };
}

#[cfg(not(any(feature = "log", feature = "defmt")))]
#[allow(unused_macros)]
macro_rules! net_log {
    ($level:ident, $($arg:expr),*) => {{
        // Type-check the arguments without evaluating or formatting them.
        if false {
            let _ = ($($arg),*);
        }
    }};
}

#[allow(unused_macros)]
macro_rules! net_trace {
    ($($arg:expr),* $(,)?) => { net_log!(trace, $($arg),*) };
}

#[allow(unused_macros)]
macro_rules! net_debug {
    ($($arg:expr),* $(,)?) => { net_log!(debug, $($arg),*) };
}

#[allow(unused_macros)]
macro_rules! net_warn {
    ($($arg:expr),* $(,)?) => { net_log!(warn, $($arg),*) };
}
