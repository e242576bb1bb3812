//! The heap of a command that analyses one design and exits.
//!
//! Such a command touches about 20 MB once: the decoded image, its planes
//! and the working buffers of every stage. With glibc's defaults each
//! thread gets its own arena, large blocks are mapped and unmapped one by
//! one, and every first touch of a 4 KiB page is a page fault: `perf`
//! counted about 5,500 of them, 13% of the CPU time of a `creativeiq
//! predict` of a 1080x1080 photograph.
//!
//! Here, before any other thread starts, the heap becomes one arena that
//! keeps what is freed, grown by [`RESERVE`] at once, with that stretch
//! advised for transparent huge pages: a fault then maps 2 MiB. The same
//! predict took about 1,100 page faults instead (`perf stat -r 20`), and,
//! run in turn with the binary before 40 times each, 48.3 ms instead of
//! 54.7 (median); a 1080x1080 synthetic design 38.7 instead of 43.0.
//! Where the kernel gives no huge pages (`never` in
//! /sys/kernel/mm/transparent_hugepage/enabled) the advice does nothing,
//! and only the reuse of freed blocks is left: about a sixth fewer faults.

/// How far the heap grows at once: the largest design `predict` meets
/// (a 1080x1080 photograph) uses about 20 MB, and a larger one grows the
/// heap further in the usual way.
const RESERVE: usize = 64 << 20;

/// A transparent huge page on x86-64 and on most arm64 kernels.
const HUGE_PAGE: usize = 2 << 20;

/// What the filler block leaves below the first huge page for glibc's
/// chunk header and size rounding (16 bytes each on 64-bit), so that it
/// never reaches into that page.
const CHUNK_ROOM: usize = 64;

/// Sets glibc's allocator up for one short, allocation-heavy run. Call it
/// before the process starts a second thread: glibc fixes its number of
/// arenas when a second thread first allocates.
pub fn prepare() {
    // SAFETY: mallopt, malloc, sbrk(0), madvise and free are called with
    // valid arguments; sbrk(0) only reads the program break, and madvise
    // only advises on pages inside the heap that malloc just grew.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        // Freed blocks go back to the arena (32 MiB is mallopt's largest
        // threshold), and the arena is never shrunk: the next stage takes
        // pages the last one already faulted in.
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX);
        libc::mallopt(libc::M_TOP_PAD, RESERVE as libc::c_int);
        let probe = libc::malloc(HUGE_PAGE);
        if probe.is_null() {
            return;
        }
        let start = (probe as usize).next_multiple_of(HUGE_PAGE);
        let end = libc::sbrk(0) as usize / HUGE_PAGE * HUGE_PAGE;
        // The block came from the grown heap only if the break lies just
        // past it; otherwise malloc mapped it elsewhere, and nothing is
        // advised.
        if start >= end || end - start > 2 * RESERVE {
            libc::free(probe);
            return;
        }
        libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        // The huge page below `start` already holds small pages, which the
        // kernel keeps: a block that fills it up to `start`, never touched
        // and never freed, makes the allocations that follow begin on the
        // first huge page rather than fault 4 KiB at a time up to it.
        libc::free(probe);
        let below = start - probe as usize;
        if below > CHUNK_ROOM {
            libc::malloc(below - CHUNK_ROOM);
        }
    }
}
