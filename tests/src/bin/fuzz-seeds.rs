//! Writes the cargo-fuzz seed corpora: `fuzz-seeds DIR [CORPUS]` cuts seeds
//! out of the shared captures (see `rstcp_tests::fuzz::seeds::collect`) and
//! writes each as `DIR/<target>/<content hash>`, so that re-running adds
//! nothing twice and leaves inputs the fuzzer found alone.

use std::path::PathBuf;
use std::process::ExitCode;

use rstcp_tests::fuzz::seeds::{collect, content_hash, CORPUS_DIR};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!("usage: fuzz-seeds DIR [CORPUS_DIR]");
        return ExitCode::from(2);
    };
    let corpus = args
        .next()
        .map_or_else(|| PathBuf::from(CORPUS_DIR), PathBuf::from);
    let seeds = match collect(&corpus) {
        Ok(seeds) => seeds,
        Err(e) => {
            eprintln!("fuzz-seeds: cannot read {}: {e}", corpus.display());
            return ExitCode::FAILURE;
        }
    };
    for (target, inputs) in &seeds {
        let dir = out.join(target);
        let written = std::fs::create_dir_all(&dir).and_then(|()| {
            inputs.iter().try_for_each(|input| {
                std::fs::write(dir.join(format!("{:016x}", content_hash(input))), input)
            })
        });
        if let Err(e) = written {
            eprintln!("fuzz-seeds: cannot write {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
        println!("{target:<10} {:>5} seeds", inputs.len());
    }
    ExitCode::SUCCESS
}
