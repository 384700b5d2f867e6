//! TCP with TSO (issue 13): the sender hands its device super-segments of
//! up to 64 KB, which a software segmenter (`rstcp_testkit::offload`, what
//! the kernel does behind a TAP) cuts into MSS-sized segments before the
//! faulty link. The receiver sees ordinary segments, so a loss inside a
//! super-segment is one segment's: the sender's SACK scoreboard, RACK and
//! the retransmission timer repair it as for any segment, and every byte
//! arrives intact.

use rstcp::time::Duration;
use rstcp_tests::transfer::*;

fn tso(
    bytes: usize,
    buffer: usize,
    fault: rstcp_testkit::fault::FaultConfig,
    seed: u64,
) -> Outcome {
    transfer_with(&Transfer {
        tso: true,
        limit: Duration::from_secs(3600),
        ..Transfer::new(bytes, buffer, fault, seed)
    })
}

#[test]
fn a_clean_link_carries_super_segments_cut_by_the_device() {
    let bytes = 4 << 20;
    let o = tso(bytes, 256 * 1024, faults(0, 0, 0, 0), 1);
    assert!(o.intact && o.finished, "{o:?}");
    assert_eq!(o.retransmits, 0, "{o:?}");
    assert_eq!(o.offload.bad_headers, 0, "{o:?}");
    // The stack's writes were super-segments: far fewer than the segments
    // on the wire, each cut into several.
    assert!(o.offload.super_segments > 0, "{o:?}");
    let on_wire = (bytes / o.mss) as u64;
    assert!(o.offload.segments >= on_wire, "{o:?}");
    assert!(
        o.offload.super_segments * 4 < on_wire,
        "{} super-segments for {on_wire} segments",
        o.offload.super_segments
    );
    // The socket counts what the wire carries, as Linux's tcpi_segs_out.
    assert!(o.segments >= on_wire, "{o:?}");
}

#[test]
fn losses_inside_super_segments_are_repaired() {
    let profiles = [
        (1, 0, 0, 0),
        (5, 0, 0, 0),
        (10, 0, 0, 0),
        (0, 10, 0, 0),
        (0, 0, 10, 0),
        (0, 0, 0, 5),
        (5, 5, 5, 1),
    ];
    for buffer in [64 * 1024, 1 << 20] {
        for (loss, reorder, dup, corrupt) in profiles {
            for seed in [7, 8] {
                let o = tso(1 << 20, buffer, faults(loss, reorder, dup, corrupt), seed);
                let what = format!(
                    "buffer {buffer} loss {loss} reorder {reorder} dup {dup} corrupt {corrupt} \
                     seed {seed}: {o:?}"
                );
                assert!(o.intact && o.finished, "{what}");
                assert_eq!(o.offload.bad_headers, 0, "{what}");
                assert!(o.offload.super_segments > 0, "{what}");
                if loss > 0 {
                    assert!(o.retransmits > 0, "{what}");
                }
            }
        }
    }
}

#[test]
fn recovery_resends_what_the_link_lost_as_without_tso() {
    // SACK marks the one lost segment of a super-segment: the resends stay
    // near what the link lost, as they do with one segment per write.
    for seed in [3, 4, 5] {
        let fault = faults(2, 0, 0, 0);
        let with = tso(4 << 20, 1 << 20, fault, seed);
        let without = transfer(4 << 20, 1 << 20, fault, seed, Duration::from_secs(3600));
        assert!(with.intact && with.finished, "{with:?}");
        assert!(with.offload.super_segments > 0, "{with:?}");
        assert!(without.intact && without.finished, "{without:?}");
        println!(
            "seed {seed}: with TSO {} resends for {} lost, {} timeouts, {:?}; without {} for {} lost, {} timeouts, {:?}",
            with.retransmits, with.link_lost, with.timeouts, with.elapsed,
            without.retransmits, without.link_lost, without.timeouts, without.elapsed
        );
        // TSO changes what the stack writes, not what the link carries:
        // recovery resends no more, and times out no more often, than the
        // same transfer one segment per write.
        assert!(
            with.retransmits <= without.retransmits + 2,
            "seed {seed}: {} resends with TSO, {} without: {with:?}",
            with.retransmits,
            without.retransmits
        );
        assert!(with.timeouts <= without.timeouts, "seed {seed}: {with:?}");
        assert!(
            with.retransmits <= 2 * with.link_lost + 10,
            "seed {seed}: {} resends for {} segments lost: {with:?}",
            with.retransmits,
            with.link_lost
        );
    }
}
