//! Transfers whose sequence numbers wrap: the ISN placed just below 2³²
//! (through the RFC 6528 clock, `transfer::start_for_isn`), so the stream
//! crosses the wrap early, through loss and reordering; every byte must
//! arrive. (`tcp_table`'s wrap run crosses it with 2 × 2³² bytes.)

use rstcp_testkit::fault::{Chance, FaultConfig};
use rstcp_tests::transfer::{start_for_isn, transfer_with, Transfer};

#[test]
fn a_transfer_across_the_sequence_wrap_arrives_intact() {
    let lossy = FaultConfig {
        drop_pct: Chance::percent(1),
        reorder_pct: Chance::percent(2),
        reorder_gap: 3,
        ..FaultConfig::none()
    };
    for target in [u32::MAX - 1000, u32::MAX, 0] {
        let start = start_for_isn(target).expect("place the ISN");
        let o = transfer_with(&Transfer {
            start,
            ..Transfer::new(4 << 20, 256 * 1024, lossy, 3)
        });
        assert_eq!(o.isn, Some(target), "{o:?}");
        assert!(o.intact && o.finished, "ISN {target:#x}: {o:?}");
    }
}
