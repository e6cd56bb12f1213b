//! `station`: the issuing office's personalization station (docs/station.md).

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = match station::cli::StationArgs::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let code = if e.use_stderr() {
                stay_std::cli::exit::USAGE
            } else {
                0
            };
            let _ = e.print();
            return std::process::ExitCode::from(code);
        }
    };
    let m = args.messages();
    stay_std::cli::finish("station", m, station::cli::station(args, &|_| {}))
}
