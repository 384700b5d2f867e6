//! A capture of the stack talking to the Linux kernel, recorded by wrapping
//! its TAP in a `PcapRecorder`, is clean in Wireshark's eyes: tshark's
//! expert analysis finds nothing of warning or error severity (malformed
//! packets, bad checksums, TCP sequence anomalies) in ARP/NDP, pings both
//! ways on both families, and TCP transfers both ways on both families.
//!
//! The recorder sees every frame the stack receives and sends, so a
//! "previous segment not captured" or "ACKed unseen segment" would be a
//! real loss or a real bug, not a capture gap; they count as failures.
//! The only warnings allowed are TCP flow control doing its job (a full or
//! zero window, see `is_allowed`).
//!
//! Needs root, /dev/net/tun, `ip`, `ping` and `tshark`; without them the
//! test says why and passes, except under CI=true.

use std::fs::File;
use std::io::BufWriter;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use rstcp_pcap::device::PcapRecorder;
use rstcp_tests::bulk::Pattern;
use rstcp_tests::expert::{expert_infos, matching_frames, ExpertInfo, Severity};
use rstcp_tests::netns::{require_program, require_root};
use rstcp_tests::tap_stack::{echo_service, KernelRig};
use rstcp_tests::tshark;

const ECHO: u16 = 7;

/// A file in the temp directory, removed on drop unless the test failed
/// (then it is kept, and named, for a look in Wireshark).
struct Capture(PathBuf);

impl Drop for Capture {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("capture kept: {}", self.0.display());
        } else {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// A kernel client sends `len` bytes through the stack's echo at `server`
/// and checks what comes back.
fn echo_through_stack(rig: &KernelRig, server: SocketAddr, len: usize) {
    let seen = rig.kernel_exchange(server, len, 0xcab, StdDuration::from_secs(20));
    assert_eq!(seen.received.len(), len);
    assert_eq!(seen.received.finish(), Pattern::hash(0xcab, len));
}

/// Records the stack's side of pings and TCP echo in `path`.
fn record(path: &Path) {
    let file = BufWriter::new(File::create(path).expect("create the capture"));
    let rig = KernelRig::wrapped(
        "rstcp-kc-",
        KernelRig::host(),
        |h| echo_service(h, ECHO, 2, 256 * 1024),
        |tap| PcapRecorder::new(tap, file).expect("pcap header"),
    );
    rig.kernel_ping("192.168.69.1", 56);
    rig.kernel_ping("fd00::1", 56);
    // Fragmented both ways.
    rig.kernel_ping("192.168.69.1", 4000);
    echo_through_stack(&rig, SocketAddr::from(([192, 168, 69, 1], ECHO)), 2 << 20);
    echo_through_stack(&rig, "[fd00::1]:7".parse().unwrap(), 1 << 20);
    // Dropping the rig stops the stack and drops the recorder, which
    // flushes the file.
}

#[test]
fn capture_of_ping_and_tcp_with_the_kernel_has_no_tshark_warnings() {
    if !require_root() || !require_program("ping", "iputils-ping") {
        return;
    }
    let Some(_) = tshark::required("the kernel capture check") else {
        return;
    };
    let capture =
        Capture(std::env::temp_dir().join(format!("rstcp-kernel-{}.pcap", std::process::id())));
    record(&capture.0);
    let infos = expert_infos(&capture.0).expect("tshark reads the capture");
    let frames = infos.frames;
    // ARP, NDP, 3 + 3 + 9 ping pairs and ~3000 frames of TCP: if far fewer
    // were read, the file was cut short.
    assert!(frames > 2000, "only {frames} frames in the capture");
    let (allowed, bad): (Vec<&ExpertInfo>, Vec<&ExpertInfo>) = infos
        .items
        .iter()
        .filter(|i| i.severity >= Severity::Warning)
        .partition(|i| i.severity == Severity::Warning && is_allowed(i));
    assert!(
        bad.is_empty(),
        "tshark found problems in {frames} frames ({}):\n{}",
        capture.0.display(),
        bad.iter()
            .map(|i| format!("{i}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // TCP sizes its segments to the MTU, options included: IP never
    // fragments one (it would drop it over IPv6). Wireshark has no warning
    // for that, so look for such fragments directly.
    let fragmented = matching_frames(
        &capture.0,
        "ip.proto == 6 && (ip.flags.mf == 1 || ip.frag_offset > 0)",
    )
    .expect("tshark filters the capture");
    assert!(
        fragmented.is_empty(),
        "fragmented TCP segments in frames {fragmented:?} of {}",
        capture.0.display()
    );
    let notes = infos.items.len() - allowed.len();
    println!(
        "{frames} frames; {notes} expert notes/chats, {} allowed warnings \
         (see is_allowed), no others and no errors",
        allowed.len()
    );
}

/// Warnings that are no fault of the stack's: TCP flow control at work. The echo
/// reads only as fast as it can send back, so the kernel, writing as fast
/// as it can, fills the stack's receive window ("window full" on its
/// segment), and the stack's segments then carry window 0 ("zero window")
/// until the echo catches up (RFC 9293 §3.8.6). Everything else tshark
/// warns about (lost or unseen segments, out-of-order, resets) is a fault
/// here.
///
/// A D-SACK from the stack is also right: it answers a segment the kernel
/// sent twice (a tail loss probe) and tells it so (RFC 2883 §4), so the
/// kernel can undo its loss reaction; Wireshark marks every D-SACK.
///
/// One more is the kernel's, not ours: Linux sometimes sends a TCP
/// checksum of 0xffff where a from-scratch computation gives 0x0000 (it
/// updates checksums incrementally, RFC 1624 §3). Both are zero in one's
/// complement and verify alike, so the stack accepts it; the warning is
/// only allowed on frames the kernel sent.
fn is_allowed(item: &ExpertInfo) -> bool {
    let flow_control = [
        "TCP window specified by the receiver is now completely full",
        "TCP Zero Window segment",
    ];
    let dsack = item.eth_src == STACK_MAC && item.message == "D-SACK Sequence";
    let kernels = item.eth_src != STACK_MAC
        && item.message == "TCP Checksum 0xffff instead of 0x0000 (see RFC 1624)";
    flow_control.contains(&item.message.as_str()) || dsack || kernels
}

/// The stack's MAC ([`MAC_A`](rstcp_tests::sim::MAC_A)) as tshark prints it.
const STACK_MAC: &str = "02:00:00:00:00:0a";

/// The check above can fail: the same analysis of a capture with two
/// segments whose checksums are wrong (offloaded when it was recorded)
/// reports them as errors.
#[test]
fn expert_analysis_reports_bad_checksums_as_errors() {
    let Some(_) = tshark::required("the expert analysis check") else {
        return;
    };
    let capture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/captures/http-session.pcap");
    let infos = expert_infos(&capture).expect("tshark reads the capture");
    let errors: Vec<u64> = infos
        .items
        .iter()
        .filter(|i| i.severity == Severity::Error && i.message.starts_with("Bad checksum"))
        .map(|i| i.frame)
        .collect();
    assert_eq!(errors, [4, 6], "{:#?}", infos.items);
}
