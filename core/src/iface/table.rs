//! Fixed-size tables of the interface's caches (path MTUs, redirects):
//! what they share about making room.

/// Pushes `entry` into `list`; a full list first gives up the entry that
/// `rank` puts lowest (the oldest, for a key of last update), so the
/// newest knowledge always finds room and nothing grows.
pub(crate) fn push_evicting<T, K: Ord, const N: usize>(
    list: &mut heapless::Vec<T, N>,
    entry: T,
    rank: impl Fn(&T) -> K,
) {
    if list.is_full() {
        let lowest = list
            .iter()
            .enumerate()
            .min_by_key(|(_, e)| rank(e))
            .map(|(i, _)| i);
        if let Some(i) = lowest {
            list.swap_remove(i);
        }
    }
    // Room was made above unless N is 0, where nothing is kept.
    let _ = list.push(entry);
}
