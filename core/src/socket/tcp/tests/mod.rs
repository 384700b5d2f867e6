//! State-machine tests of issue 10, apart from socket.rs: a pair of sockets
//! joined back to back ([`pair`]) and the rules each defect broke.

mod close;
mod handshake;
mod pair;
mod receive;
mod timestamps;
mod window;
mod wrap;
