//! The `leakhound` binary: parse the command line, run it, turn the outcome into an exit code
//! (0 no findings, 1 findings, 2 error) and print errors as one line.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = leakhound::cli::Cli::parse();
    match leakhound::commands::run(cli) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(err) => {
            eprintln!("leakhound: error: {}", one_line(&format!("{err:#}")));
            ExitCode::from(2)
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
