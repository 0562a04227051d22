//! What the test binaries that run the analysis in-process share (each includes this file:
//! `#[path = "support/check.rs"] mod check_support;`): `check`'s arguments parsed as its command
//! line is, and trace files loaded into a finished engine as `check` loads them.
#![allow(dead_code)] // each binary uses some of these

use clap::Parser;
use eventscope::analysis::Engine;
use eventscope::cli::check::{CheckArgs, analyse};
use std::ffi::OsString;
use std::path::Path;

#[derive(Parser)]
struct Wrapper {
    #[command(flatten)]
    args: CheckArgs,
}

/// `eventscope check FILES... EXTRA...`'s arguments.
pub fn check_args(files: &[&Path], extra: &[&str]) -> CheckArgs {
    let mut argv: Vec<OsString> = vec!["check".into()];
    argv.extend(files.iter().map(|f| f.as_os_str().to_owned()));
    argv.extend(extra.iter().map(OsString::from));
    Wrapper::try_parse_from(argv)
        .expect("valid check arguments")
        .args
}

/// The engine `check FILES... EXTRA...` ends with; fails the test on any I/O error.
pub fn load(files: &[&Path], extra: &[&str]) -> Engine {
    let (engine, io_errors) = analyse(&check_args(files, extra)).expect("analyse");
    assert!(io_errors.is_empty(), "I/O errors: {io_errors:?}");
    engine
}
