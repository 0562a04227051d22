//! The window's fixed memory: Mesa's software GL renderer compiles the window's shaders with
//! LLVM at the first frames, which leaves ~50 MB of LLVM's code resident for the rest of the
//! session (more than the window's own views of a million events). Once the first frames are
//! painted, that code is dropped from this process (`MADV_DONTNEED` on its executable mapping,
//! which is never written: the pages stay in the page cache and fault back in from the
//! library's file if LLVM runs again). Nothing changes for a GPU driver that maps no LLVM.
//! Hand-written: no crate does this for a mapped library.

/// Pages out the code of the LLVM library the GL driver loaded, if any.
pub fn page_out_shader_compiler() {
    #[cfg(target_os = "linux")]
    {
        let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
            return;
        };
        for (start, end) in llvm_code(&maps) {
            // SAFETY: a range this process maps (read from its own maps) as a private,
            // read-only, executable mapping of a library file: never written, so dropping its
            // pages loses nothing (they are read again from the file when next run). On error
            // nothing happens.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
            }
        }
    }
}

/// The address ranges of LLVM's executable, read-only mappings in a `/proc/self/maps` text.
fn llvm_code(maps: &str) -> Vec<(usize, usize)> {
    maps.lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            let (range, perms) = (f.next()?, f.next()?);
            let path = f.nth(3)?;
            let name = path.rsplit('/').next()?;
            if !name.starts_with("libLLVM") || perms != "r-xp" {
                return None;
            }
            let (a, b) = range.split_once('-')?;
            Some((
                usize::from_str_radix(a, 16).ok()?,
                usize::from_str_radix(b, 16).ok()?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_llvms_code_is_paged_out() {
        let maps = "\
7f85f9e00000-7f860057c000 r-xp 00a00000 fe:01 1234 /usr/lib/x86_64-linux-gnu/libLLVM-15.so.1
7f860057d000-7f8600d9b000 r--p 0117c000 fe:01 1234 /usr/lib/x86_64-linux-gnu/libLLVM-15.so.1
7f8600d9b000-7f8600d9c000 rw-p 0199a000 fe:01 1234 /usr/lib/x86_64-linux-gnu/libLLVM-15.so.1
7f8601090000-7f86020d9000 r-xp 00100000 fe:01 99 /usr/lib/x86_64-linux-gnu/dri/swrast_dri.so
5567a0293000-5567a1312000 rw-p 00000000 00:00 0 [heap]
7f85e4ce8000-7f85e5800000 rw-p 00000000 00:00 0
";
        assert_eq!(super::llvm_code(maps), [(0x7f85f9e00000, 0x7f860057c000)]);
    }
}
