//! The crash tests' station: `paused-station STEP ARGS..` runs the `station` program on
//! ARGS and parks it right after it commits STEP (`authenticated`, `started`, `signed`,
//! `written`, `locked`, `verified`, `issued`), saying `station: paused at STEP`, so a test
//! can SIGKILL it exactly there. Test tooling: the production station has no such hook.

use std::process::ExitCode;

use clap::Parser;
use station::cli::{station, StationArgs};
use station::Checkpoint;
use stay_std::cli::{exit, finish};

fn main() -> ExitCode {
    let mut args = std::env::args_os();
    let program = args.next().unwrap_or_default();
    let step = args.next().and_then(|s| s.into_string().ok());
    let Some(at) = step.as_deref().and_then(Checkpoint::from_name) else {
        eprintln!(
            "usage: paused-station STEP STATION-ARGS.. (STEP: authenticated, started, signed, \
             written, locked, verified or issued)"
        );
        return ExitCode::from(exit::USAGE);
    };
    let parsed = match StationArgs::try_parse_from(std::iter::once(program).chain(args)) {
        Ok(parsed) => parsed,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(exit::USAGE);
        }
    };
    let pause = move |reached: Checkpoint| {
        if reached == at {
            eprintln!("station: paused at {}", at.name());
            loop {
                std::thread::park();
            }
        }
    };
    let m = parsed.messages();
    finish("station", m, station(parsed, &pause))
}
