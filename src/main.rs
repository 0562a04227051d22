fn main() {
    std::process::exit(eventscope::cli::main_with_args(std::env::args_os()));
}
