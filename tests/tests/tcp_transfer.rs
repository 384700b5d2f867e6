//! TCP bulk transfers through a faulty link: every byte arrives intact and
//! both sides close, whatever the loss, reordering, duplication or
//! corruption.

use rstcp::time::Duration;
use rstcp_tests::transfer::*;

#[test]
fn clean_link_one_megabyte() {
    let o = transfer(
        1 << 20,
        64 * 1024,
        faults(0, 0, 0, 0),
        1,
        Duration::from_secs(60),
    );
    assert!(o.intact && o.finished, "{o:?}");
    assert_eq!(o.retransmits, 0, "{o:?}");
}

#[test]
fn lossy_links_deliver_everything() {
    let profiles = [
        (1, 0, 0, 0),
        (5, 0, 0, 0),
        (10, 0, 0, 0),
        (30, 0, 0, 0),
        (0, 10, 0, 0),
        (0, 0, 10, 0),
        (0, 0, 0, 5),
        (5, 5, 5, 1),
    ];
    for buffer in [16 * 1024, 64 * 1024] {
        for (loss, reorder, dup, corrupt) in profiles {
            for seed in [7, 8] {
                let o = transfer(
                    256 * 1024,
                    buffer,
                    faults(loss, reorder, dup, corrupt),
                    seed,
                    Duration::from_secs(3600),
                );
                assert!(
                    o.intact && o.finished,
                    "buffer {buffer} loss {loss} reorder {reorder} dup {dup} corrupt {corrupt} seed {seed}: {o:?}"
                );
            }
        }
    }
}
