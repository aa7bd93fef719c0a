//! The `mailreactor` binary: parse, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use mailreactor::{cli::Cli, cmd, exit, logging};

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.global.verbose, cli.global.quiet, cli.global.log_format);
    match cmd::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = exit::code(&e);
            if !exit::is_broken_pipe(&e) {
                eprintln!("error: {e:#}");
            }
            ExitCode::from(code)
        }
    }
}
