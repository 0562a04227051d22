// mimalloc: decoder threads allocate the strings the analysis thread frees; glibc's allocator
// spends a large share of `check` on those cross-thread frees.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    eventscope::setup_process_memory();
    std::process::exit(eventscope::cli::main_with_args(std::env::args_os()));
}
