//! The TCP echo (RFC 862) step of the kernel tests' stack thread
//! (`tests/src/tap_stack.rs`). (The `tap_echo_server` example writes its
//! own, so that the loop it shows needs nothing beyond the core.)

use rstcp::socket::tcp::TcpSocket;

/// One step of a TCP echo (RFC 862): moves what the send ring has room for
/// from the receive ring to it, through `scratch`, and closes once the peer
/// finished and everything was echoed. Moving only what fits leaves the
/// rest in the receive ring, whose closing window slows the peer.
pub fn echo_tcp(socket: &mut TcpSocket<'_>, scratch: &mut [u8]) {
    while socket.can_recv() {
        let room = socket.send(|free| (0, free.len())).unwrap_or(0);
        let room = room.min(scratch.len());
        let n = socket.recv_slice(&mut scratch[..room]).unwrap_or(0);
        if n == 0 {
            break;
        }
        let sent = socket.send_slice(&scratch[..n]).unwrap_or(0);
        assert_eq!(sent, n, "the send ring had room for the echo");
    }
    if socket.recv_finished() {
        // After what is queued, like shutdown(SHUT_WR).
        socket.close();
    }
}
