//! `rstcp-dump [--json] FILE`: print one line per frame of a pcap/pcapng
//! capture, tcpdump-style (like `tcpdump -n`) or as JSON objects.
//!
//! Exit status: 0 on success, 1 on bad usage, 2 when the file cannot be read
//! or its link type is not supported (with a message on stderr).

use rstcp_dump::{dump, DumpError, Format};
use std::io::{BufWriter, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut format = Format::Text;
    let mut path = None;
    for arg in std::env::args_os().skip(1) {
        match arg.to_str() {
            Some("--json") => format = Format::Json,
            Some("-h") | Some("--help") => {
                println!("usage: rstcp-dump [--json] FILE");
                return ExitCode::SUCCESS;
            }
            _ if path.is_none() => path = Some(arg),
            _ => {
                eprintln!("usage: rstcp-dump [--json] FILE");
                return ExitCode::from(1);
            }
        }
    }
    let Some(path) = path else {
        eprintln!("usage: rstcp-dump [--json] FILE");
        return ExitCode::from(1);
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("rstcp-dump: {}: {e}", path.to_string_lossy());
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
            eprintln!("rstcp-dump: {}: {e}", path.to_string_lossy());
            ExitCode::from(2)
        }
    }
}
