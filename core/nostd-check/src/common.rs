//! What the two echo binaries share (included by path, so neither links
//! the other's stack): the frame I/O over stdin/stdout through libc, and
//! the self-test frames.
//!
//! Frames on stdin and stdout are each preceded by their length (2 bytes,
//! big-endian), so a driver script can feed and read them through pipes.

/// Our MAC and IPv4 address, and the port the echo server listens on (RFC 862).
pub const OUR_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
pub const OUR_IP: [u8; 4] = [192, 168, 69, 1];
pub const PEER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];
pub const PEER_IP: [u8; 4] = [192, 168, 69, 2];
pub const ECHO_PORT: u16 = 7;
/// Socket buffers, each way.
pub const BUFFER: usize = 1024;
pub const FRAME: usize = 1514;

extern "C" {
    fn read(fd: i32, buf: *mut u8, n: usize) -> isize;
    fn write(fd: i32, buf: *const u8, n: usize) -> isize;
}

fn read_exact(buf: &mut [u8]) -> bool {
    let mut at = 0;
    while at < buf.len() {
        // SAFETY: the pointer and length describe the writable rest of `buf`.
        let n = unsafe { read(0, buf[at..].as_mut_ptr(), buf.len() - at) };
        if n <= 0 {
            return false;
        }
        at += n as usize;
    }
    true
}

/// The next length-prefixed frame from stdin into `buf`: its length, or
/// `None` at the end of the input (or a frame too long).
pub fn read_frame(buf: &mut [u8; FRAME]) -> Option<usize> {
    let mut len = [0u8; 2];
    if !read_exact(&mut len) {
        return None;
    }
    let len = usize::from(u16::from_be_bytes(len));
    (len <= FRAME && read_exact(&mut buf[..len])).then_some(len)
}

/// Writes a length-prefixed frame to stdout.
pub fn write_frame(frame: &[u8]) {
    let len = (frame.len() as u16).to_be_bytes();
    // SAFETY: both pointers and lengths describe live slices.
    unsafe {
        write(1, len.as_ptr(), 2);
        write(1, frame.as_ptr(), frame.len());
    }
}

fn csum(parts: &[&[u8]]) -> u16 {
    let mut acc: u32 = 0;
    for p in parts {
        for w in p.chunks(2) {
            acc += u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]));
        }
    }
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// An ARP request from the peer for our address (so no ARP is needed to
/// answer it).
pub fn arp_request(f: &mut [u8; FRAME]) -> usize {
    f[0..6].copy_from_slice(&[0xff; 6]);
    f[6..12].copy_from_slice(&PEER_MAC);
    f[12..14].copy_from_slice(&[0x08, 0x06]);
    f[14..22].copy_from_slice(&[0, 1, 0x08, 0, 6, 4, 0, 1]);
    f[22..28].copy_from_slice(&PEER_MAC);
    f[28..32].copy_from_slice(&PEER_IP);
    f[32..38].copy_from_slice(&[0; 6]);
    f[38..42].copy_from_slice(&OUR_IP);
    42
}

/// A SYN from the peer to the echo port (no options).
pub fn syn(f: &mut [u8; FRAME]) -> usize {
    f[0..6].copy_from_slice(&OUR_MAC);
    f[6..12].copy_from_slice(&PEER_MAC);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    let ip = &mut f[14..34];
    ip.copy_from_slice(&[
        0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    ip[12..16].copy_from_slice(&PEER_IP);
    ip[16..20].copy_from_slice(&OUR_IP);
    let c = csum(&[ip]);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    let tcp = &mut f[34..54];
    tcp.copy_from_slice(&[
        0xc0, 0x00, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0x50, 0x02, 0x10, 0, 0, 0, 0, 0,
    ]);
    tcp[2..4].copy_from_slice(&ECHO_PORT.to_be_bytes());
    let mut pseudo = [0u8; 12];
    pseudo[0..4].copy_from_slice(&PEER_IP);
    pseudo[4..8].copy_from_slice(&OUR_IP);
    pseudo[9] = 6;
    pseudo[11] = 20;
    let c = csum(&[&pseudo, tcp]);
    tcp[16..18].copy_from_slice(&c.to_be_bytes());
    54
}

/// Whether `f` is our SYN-ACK to the peer's SYN.
pub fn is_syn_ack(f: &[u8]) -> bool {
    f.len() >= 54
        && f[0..6] == PEER_MAC
        && f[12..14] == [0x08, 0x00]
        && f[23] == 6
        && f[34..36] == ECHO_PORT.to_be_bytes()
        && f[47] & 0x12 == 0x12
}

/// The device both binaries drive: with `stdin`, frames from stdin and to
/// stdout; without, the self-test's ARP request then SYN in, and the
/// frames out only remembered (the last one, and whether a SYN-ACK left).
pub struct Io {
    pub stdin: bool,
    pub rx: [u8; FRAME],
    pub tx: [u8; FRAME],
    pub script: u8,
    pub syn_acked: bool,
    /// Stdin ended.
    pub eof: bool,
}

impl Io {
    pub const fn new(stdin: bool) -> Io {
        Io {
            stdin,
            rx: [0; FRAME],
            tx: [0; FRAME],
            script: 0,
            syn_acked: false,
            eof: false,
        }
    }

    /// The next frame received, into `rx`: its length.
    pub fn next(&mut self) -> Option<usize> {
        if self.stdin {
            let len = read_frame(&mut self.rx);
            self.eof |= len.is_none();
            return len;
        }
        self.script += 1;
        match self.script {
            1 => Some(arp_request(&mut self.rx)),
            2 => Some(syn(&mut self.rx)),
            _ => None,
        }
    }

    /// Splits into the receive buffer and the transmit side.
    pub fn split(&mut self, rx_len: usize) -> (&mut [u8], Tx<'_>) {
        let Io {
            stdin,
            rx,
            tx,
            syn_acked,
            ..
        } = self;
        (
            &mut rx[..rx_len],
            Tx {
                buf: tx,
                stdin: *stdin,
                syn_acked,
            },
        )
    }

    /// The transmit side alone.
    pub fn tx(&mut self) -> Tx<'_> {
        Tx {
            buf: &mut self.tx,
            stdin: self.stdin,
            syn_acked: &mut self.syn_acked,
        }
    }
}

/// Where a frame is written, and what happens to it.
pub struct Tx<'a> {
    buf: &'a mut [u8; FRAME],
    stdin: bool,
    syn_acked: &'a mut bool,
}

impl Tx<'_> {
    /// Lends `len` bytes to `f`, then sends them.
    pub fn send<R>(self, len: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
        let len = len.min(FRAME);
        let r = f(&mut self.buf[..len]);
        if self.stdin {
            write_frame(&self.buf[..len]);
        }
        *self.syn_acked |= is_syn_ack(&self.buf[..len]);
        r
    }
}
