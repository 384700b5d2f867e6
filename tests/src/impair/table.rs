//! Issue 10's table: for each link profile, rstcp and Linux sending to
//! and receiving from the kernel peer, side by side.

use std::fmt::Write as _;
use std::io::Write as _;

use super::cell::{run_cell, Cell, CellConfig, Flow};
use super::profile::Profile;
use super::rig::Side;

/// The four cells of one profile.
#[derive(Debug, Clone)]
pub struct Row {
    /// The link.
    pub profile: Profile,
    /// rstcp writes to the kernel peer.
    pub rstcp_sends: Cell,
    /// Linux writes to the kernel peer.
    pub linux_sends: Cell,
    /// The kernel peer writes to rstcp.
    pub rstcp_receives: Cell,
    /// The kernel peer writes to Linux.
    pub linux_receives: Cell,
    /// The median over runs of rstcp's goodput over Linux's in the same
    /// run, sending and receiving (see [`run_row`]); `None` when a cell
    /// of a pair did not complete.
    pub paired_ratios: [Option<f64>; 2],
}

impl Row {
    /// The four cells with what each is.
    pub fn cells(&self) -> [(&'static str, &Cell); 4] {
        [
            ("rstcp sends", &self.rstcp_sends),
            ("Linux sends", &self.linux_sends),
            ("rstcp receives", &self.rstcp_receives),
            ("Linux receives", &self.linux_receives),
        ]
    }
}

/// Runs the four cells of `profile`; `progress` hears of each as it ends.
/// With [`CellConfig::runs`] above 1, the four are run that many times in
/// turn (so a slow spell of the machine hits rstcp and Linux alike), each
/// time with the next seed, and each cell reports its median run; a failed
/// run is reported instead of the median.
pub fn run_row(profile: &Profile, cfg: &CellConfig, progress: &mut dyn FnMut(&str, &Cell)) -> Row {
    const CELLS: [(Side, Flow, &str); 4] = [
        (Side::Rstcp, Flow::Send, "rstcp sends"),
        (Side::Linux, Flow::Send, "Linux sends"),
        (Side::Rstcp, Flow::Receive, "rstcp receives"),
        (Side::Linux, Flow::Receive, "Linux receives"),
    ];
    let mut runs: [Vec<Cell>; 4] = Default::default();
    for i in 0..cfg.runs.max(1) {
        let cfg = CellConfig {
            seed: cfg.seed.wrapping_add(i as u64),
            ..cfg.clone()
        };
        for (slot, (side, flow, what)) in runs.iter_mut().zip(CELLS) {
            if cfg.only.is_some_and(|only| only != side) || cfg.flow.is_some_and(|f| f != flow) {
                slot.push(Cell::skipped());
                continue;
            }
            let c = run_cell(profile, side, flow, &cfg);
            progress(what, &c);
            slot.push(c);
        }
    }
    // Each run's rstcp cell and Linux cell ran back to back, under about
    // the same load from the rest of the machine; the medians of the two
    // columns may come from runs under different loads (a busy spell in
    // one run moved a ratio by 1.5× on a shared machine). The ratio
    // column is the median of the per-run ratios.
    let paired_ratios = [(0, 1), (2, 3)].map(|(ours, linux)| {
        let mut r: Vec<f64> = runs[ours]
            .iter()
            .zip(&runs[linux])
            .filter(|(a, b)| a.ran && b.ran && a.intact && b.intact && b.mbps() > 0.0)
            .map(|(a, b)| a.mbps() / b.mbps())
            .collect();
        if r.len() != runs[ours].len() || r.is_empty() {
            return None;
        }
        r.sort_by(f64::total_cmp);
        r.get(r.len() / 2).copied()
    });
    let [a, b, c, d] = runs.map(median);
    Row {
        profile: profile.clone(),
        rstcp_sends: a,
        linux_sends: b,
        rstcp_receives: c,
        linux_receives: d,
        paired_ratios,
    }
}

/// The failed run if any, else the run of median goodput.
fn median(mut runs: Vec<Cell>) -> Cell {
    if let Some(i) = runs.iter().position(|c| !c.intact) {
        return runs.swap_remove(i);
    }
    runs.sort_by(|x, y| x.mbps().total_cmp(&y.mbps()));
    let mid = runs.len() / 2;
    runs.swap_remove(mid)
}

/// The table's header, in the Markdown shape.
pub fn header() -> String {
    "| link | rstcp sends | Linux sends | ratio | rstcp receives | Linux receives | ratio |\n\
     |---|---|---|---|---|---|---|\n"
        .to_string()
}

/// One Markdown row: Mbit/s and the sender's retransmitted share (the
/// peer's, in the receive columns), ratios rstcp / Linux (the median of
/// the per-run ratios, see [`run_row`]).
pub fn format_row(row: &Row) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| {} | {} | {} | {} | {} | {} | {} |",
        row.profile.name,
        cell_text(&row.rstcp_sends, ""),
        cell_text(&row.linux_sends, ""),
        ratio(&row.rstcp_sends, &row.linux_sends, row.paired_ratios[0]),
        cell_text(&row.rstcp_receives, "peer "),
        cell_text(&row.linux_receives, "peer "),
        ratio(
            &row.rstcp_receives,
            &row.linux_receives,
            row.paired_ratios[1]
        ),
    );
    s
}

fn cell_text(c: &Cell, whose: &str) -> String {
    if !c.ran {
        return "-".into();
    }
    if let Some(e) = &c.error {
        return format!("FAIL ({e})");
    }
    // Drops at the hosts' TAPs are not the link's: say so beside the
    // retransmissions they caused.
    let drops = match c.tap_drops {
        Some(n) if n > 0 => format!(", {n} dropped at a TAP"),
        _ => String::new(),
    };
    match c.retransmitted {
        Some(r) => format!("{} ({whose}{:.1} %{drops})", mbps(c.mbps()), r * 100.0),
        None => mbps(c.mbps()),
    }
}

/// Three significant digits or so, like the table.
fn mbps(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The paired ratio when every run completed, else that of the cells
/// shown.
fn ratio(ours: &Cell, linux: &Cell, paired: Option<f64>) -> String {
    if !ours.ran
        || !linux.ran
        || ours.error.is_some()
        || linux.error.is_some()
        || linux.mbps() <= 0.0
    {
        return "-".into();
    }
    format!("{:.2}", paired.unwrap_or(ours.mbps() / linux.mbps()))
}

/// Runs every profile and prints the table to stdout as rows complete,
/// progress to stderr; gives the rows.
pub fn print_table(profiles: &[Profile], cfg: &CellConfig, verbose: bool) -> Vec<Row> {
    print!("{}", header());
    let _ = std::io::stdout().flush();
    let mut rows = Vec::new();
    for p in profiles {
        let row = run_row(p, cfg, &mut |what, c| {
            if verbose {
                eprintln!(
                    "  {:<24} {:<15} {:>9.1} Mbit/s {:>11} B {} TAP drops {:?} link a→b {:?} b→a {:?}",
                    p.name,
                    what,
                    c.mbps(),
                    c.received,
                    if c.intact { "intact" } else { "NOT INTACT" },
                    c.tap_drops,
                    c.link[0],
                    c.link[1],
                );
                if let Some(counters) = &c.sender {
                    eprintln!("    sender {counters}");
                }
            } else {
                eprint!(".");
            }
        });
        if !verbose {
            eprintln!();
        }
        print!("{}", format_row(&row));
        let _ = std::io::stdout().flush();
        rows.push(row);
    }
    rows
}
