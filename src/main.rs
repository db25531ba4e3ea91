//! assessment-relay: see the README. `main` only parses the command line and runs it.

use clap::Parser;
use std::process::ExitCode;

/// Every request allocates (body, headers, JSON values, the stored job); with glibc's
/// allocator `malloc`/`free` were ~10% of the request and delivery threads' time under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = assessment_relay::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(assessment_relay::cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
