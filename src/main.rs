// mimalloc: decoder threads allocate the strings the analysis thread frees; glibc's allocator
// spends a large share of `check` on those cross-thread frees.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (see mimalloc.h).
const MI_OPTION_PURGE_DELAY: i32 = 15;

fn main() {
    // Batches are freed and reallocated all the time: returning their pages to the OS 10 ms later
    // (the default) makes the kernel zero them again on the next batch. Wait a second instead.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1000) };
    std::process::exit(eventscope::cli::main_with_args(std::env::args_os()));
}
