//! TCP (RFC 9293): the connection state machine and its parts.
//!
//! The parts are sans-IO and independent of the socket, so each is tested on
//! its own against its RFC:
//!
//! - [`rtt`]: RTT estimation and the retransmission timer (RFC 6298, 7323).
//! - [`congestion`]: congestion control behind a trait — NewReno (RFC 5681,
//!   6582) and CUBIC (RFC 9438).
//! - [`sack`]: the sender's SACK scoreboard (RFC 2018, 6675).
//! - [`rack`]: RACK time-based loss detection (RFC 8985).
//! - [`assembler`]: the receiver's out-of-order map and the SACK blocks it
//!   reports (RFC 2018 §4).
//! - [`isn`]: initial sequence numbers (RFC 6528) and SYN cookies.
//!
//! [`TcpSocket`] is one connection (the `conn` folder: state and API,
//! receive, send, timers); [`TcpListener`] takes connections on a port into
//! sockets the application lends it.

pub mod assembler;
pub mod congestion;
mod conn;
pub mod isn;
mod listener;
pub mod rack;
mod recovery;
pub mod rtt;
pub mod sack;

pub(crate) use self::conn::TcpContext;
pub use self::conn::{Socket, State, TcpApiError, TcpConfig, TcpError, TcpSocket, TcpStats};
pub(crate) use self::listener::{ip_tcp_headers, ListenContext, ListenDrop, SynAckOffer};
pub use self::listener::{
    HalfOpen, ListenError, Listener, ListenerStats, TcpListener, INVALID_ACK_INTERVAL,
    SYNACK_RETRIES, SYNACK_TIMEOUT, SYN_COOKIE_WINDOW,
};
