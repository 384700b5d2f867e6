//! `rstcp-dump [--json] FILE`: print one line per frame of a pcap/pcapng
//! capture, tcpdump-style (like `tcpdump -n`) or as JSON objects.
//!
//! Exit status: 0 on success, 1 on bad usage, 2 when the file cannot be read
//! or its link type is not supported (with a message on stderr).

use clap::Parser;
use rstcp_dump::{dump, DumpError, Format};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Prints one line per frame of a pcap/pcapng capture, as `tcpdump -n`
/// does, or one JSON object per frame.
#[derive(Parser)]
#[command(name = "rstcp-dump", version)]
struct Args {
    /// One JSON object per frame instead of text.
    #[arg(long)]
    json: bool,
    /// The capture to read (classic pcap or pcapng).
    #[arg(value_name = "FILE")]
    path: PathBuf,
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        // --help and --version print to stdout and succeed; bad usage
        // exits 1, as documented above (clap's own default is 2, which
        // here means an unreadable file).
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    let format = if args.json {
        Format::Json
    } else {
        Format::Text
    };
    let path = args.path;
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("rstcp-dump: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = dump(file, format, &mut out);
    let flushed = out.flush();
    match result {
        Ok(_) if flushed.is_ok() => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is the reader's choice, not our failure.
        Err(DumpError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rstcp-dump: {}: {e}", path.display());
            ExitCode::from(2)
        }
    }
}
