//! The bulk copy of payload bytes: a TCP segment's payload from the send
//! ring into its frame, a received segment's payload into the receive ring.
//!
//! `copy_from_slice` is a `memcpy`, and glibc's memcpy on x86-64 moves a
//! large block (above about 2 KiB) with `rep movsb`. On AMD Zen (measured on
//! this project's EPYC machines, glibc 2.36) `rep movsb` runs 10 to 15
//! times slower, about 3 GB/s against 40, when the destination lies 1 to 63
//! bytes past the source modulo 4 KiB: the loads falsely alias the stores
//! just made (4K aliasing). glibc's own guard against short distances
//! (`AVOID_SHORT_DISTANCE_REP_MOVSB`) looks at the distance modulo 4 GiB,
//! not 4 KiB, so it does not catch this. A TSO super-segment is 64 KB copied
//! from the same ring position every round trip when the ring's size is a
//! multiple of what each round moves, so an unlucky distance is hit on every
//! copy of a transfer: the reader benchmark spent half its CPU in that one
//! memcpy (issue 13). Copied in pieces of at most [`PIECE`] bytes, each
//! piece takes glibc's vector loop instead, which has no such cliff (1.2 to
//! 2 µs for 64 KB at any distance). Any other distance keeps the one call.

use core::mem::size_of;

/// The span over which loads and stores alias: the page offset bits the
/// processor compares first.
const ALIAS_SPAN: usize = 4096;

/// The distances (destination past source, modulo [`ALIAS_SPAN`]) below
/// which `rep movsb` stalls; 0 (same offset) is fast.
const SHORT_DISTANCE: usize = 64;

/// The largest piece copied at a short distance: glibc's smallest
/// `rep movsb` threshold (2048 bytes, its default for 16-byte vectors), so
/// every piece goes through a vector loop whatever the CPU's vector width.
pub(crate) const PIECE: usize = 2048;

/// How many bytes each `memcpy` call may move when copying from `src` to
/// `dst` (addresses): everything at once, or [`PIECE`] at a short distance.
pub(crate) fn piece_len(dst: usize, src: usize) -> usize {
    let distance = dst.wrapping_sub(src) % ALIAS_SPAN;
    if distance != 0 && distance < SHORT_DISTANCE {
        PIECE
    } else {
        usize::MAX
    }
}

/// `dst.copy_from_slice(src)`, in pieces when the two lie at a distance
/// where one large `memcpy` would be slow (see the module's doc).
///
/// # Panics
/// If the lengths differ, as `copy_from_slice`.
pub(crate) fn copy_bulk<T: Copy>(dst: &mut [T], src: &[T]) {
    assert_eq!(dst.len(), src.len(), "copy_bulk: lengths differ");
    let bytes = size_of::<T>().max(1);
    // A slice spans at most isize::MAX bytes: no overflow. A copy of one
    // piece or less (every MTU-sized segment) is one call, no address
    // arithmetic.
    if dst.len() * bytes <= PIECE
        || piece_len(dst.as_ptr() as usize, src.as_ptr() as usize) == usize::MAX
    {
        dst.copy_from_slice(src);
        return;
    }
    let per_piece = (PIECE / bytes).max(1);
    for (to, from) in dst.chunks_mut(per_piece).zip(src.chunks(per_piece)) {
        to.copy_from_slice(from);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_distance_modulo_4k_is_copied_in_pieces() {
        // 1..63 bytes past, also across pages and from below zero.
        for d in 1..SHORT_DISTANCE {
            assert_eq!(piece_len(0x1000 + d, 0x1000), PIECE, "distance {d}");
            assert_eq!(piece_len(0x7000 + d, 0x2000), PIECE, "distance {d} + pages");
            assert_eq!(piece_len(d, ALIAS_SPAN), PIECE, "distance {d} below");
        }
    }

    #[test]
    fn any_other_distance_is_one_copy() {
        for d in [0, SHORT_DISTANCE, 100, 2048, ALIAS_SPAN - 1] {
            assert_eq!(piece_len(0x1000 + d, 0x1000), usize::MAX, "distance {d}");
        }
        // The source past the destination (a backward distance) never
        // stalled in the measurements.
        assert_eq!(piece_len(0x1000, 0x1010), usize::MAX);
    }

    #[test]
    fn every_byte_arrives_at_every_distance_and_length() {
        const LEN: usize = 3 * PIECE + 7;
        let src: [u8; LEN] = core::array::from_fn(|i| (i * 7 + 3) as u8);
        let mut dst = [0u8; ALIAS_SPAN + LEN];
        let base = (dst.as_ptr() as usize).wrapping_sub(src.as_ptr() as usize);
        // Each distance around the short window, placed by where the copy
        // starts in `dst`, at lengths at and around a piece (the last
        // piece shorter than the others).
        for distance in 0..SHORT_DISTANCE + 8 {
            let at = distance.wrapping_sub(base) % ALIAS_SPAN;
            let expect = if (1..SHORT_DISTANCE).contains(&distance) {
                PIECE
            } else {
                usize::MAX
            };
            let (to, from) = (dst[at..].as_ptr() as usize, src.as_ptr() as usize);
            assert_eq!(piece_len(to, from), expect, "distance {distance}");
            for len in [0, 1, PIECE - 1, PIECE, PIECE + 1, LEN] {
                dst.fill(0);
                copy_bulk(&mut dst[at..at + len], &src[..len]);
                assert_eq!(
                    dst[at..at + len],
                    src[..len],
                    "distance {distance} len {len}"
                );
                assert!(dst[..at].iter().all(|&b| b == 0));
                assert!(dst[at + len..].iter().all(|&b| b == 0));
            }
        }
    }

    #[test]
    fn elements_wider_than_a_byte_are_copied_whole() {
        const LEN: usize = 1500;
        let src: [u32; LEN] = core::array::from_fn(|i| (i as u32).wrapping_mul(2_654_435_761));
        let mut dst = [0u32; ALIAS_SPAN / 4 + LEN];
        let base = (dst.as_ptr() as usize).wrapping_sub(src.as_ptr() as usize);
        // 8 bytes past the source: in pieces of 512 elements.
        let at = 8usize.wrapping_sub(base) % ALIAS_SPAN / 4;
        let to = dst[at..].as_ptr() as usize;
        assert_eq!(piece_len(to, src.as_ptr() as usize), PIECE);
        copy_bulk(&mut dst[at..at + LEN], &src);
        assert_eq!(dst[at..at + LEN], src);
    }

    #[test]
    #[should_panic(expected = "lengths differ")]
    fn different_lengths_panic_as_copy_from_slice() {
        copy_bulk(&mut [0u8; 3], &[1u8; 4]);
    }
}
