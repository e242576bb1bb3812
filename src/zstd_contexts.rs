//! zstd contexts kept for reuse, per thread.
//!
//! zstd 1.5.7 runs CPUID three times in every `ZSTD_createCCtx` and
//! `ZSTD_createDCtx`, to check for BMI2. On a virtual machine each CPUID
//! exits to the hypervisor, and parquet 59 creates a codec, holding one of
//! each context, for every compressed column chunk it writes or reads. An
//! import of 1,000,000 posts writes 2,324 small files, about 30,000 codecs:
//! `perf` put 19% of its CPU time on the CPUID instructions of those two
//! functions.
//!
//! The binary is linked with `--wrap` for the four functions that create
//! and free contexts (see `build.rs`), so the calls zstd-safe makes land
//! here. A freed context is reset to its defaults
//! (`ZSTD_reset_session_and_parameters`, which keeps its memory) and kept,
//! and the next create on the same thread takes it back. What is kept is
//! bounded: a few dozen contexts per thread, of at most [`KEPT_BYTES`]
//! each; the rest are freed as before, and a thread's contexts are freed
//! when it ends.
//!
//! A reset restores all that a context's owner can set in this build, which
//! has neither zstd's worker threads (zstd-sys without `zstdmt`; a test
//! checks) nor zstd-safe's `experimental` calls (several dictionaries at
//! once, raw blocks): the state those leave behind survives a reset. And
//! nothing in the tree uses static contexts (`ZSTD_initStatic*`), the one
//! kind `ZSTD_freeCCtx` refuses to free: such a context would be kept here
//! while its owner reuses its memory.

use std::cell::RefCell;
use std::ptr::NonNull;

use zstd::zstd_safe::zstd_sys::{
    ZSTD_CCtx, ZSTD_CCtx_reset, ZSTD_DCtx, ZSTD_DCtx_reset, ZSTD_ResetDirective, ZSTD_isError,
    ZSTD_sizeof_CCtx, ZSTD_sizeof_DCtx,
};

/// Contexts of each kind kept per thread: a Parquet file's writer holds one
/// codec per column at once (24 for `raw.posts`).
const KEPT_PER_THREAD: usize = 32;

/// The largest context kept. One that compressed or decompressed large
/// frames holds large buffers; those are freed rather than kept.
const KEPT_BYTES: usize = 2 << 20;

extern "C" {
    fn __real_ZSTD_createCCtx() -> *mut ZSTD_CCtx;
    fn __real_ZSTD_freeCCtx(cctx: *mut ZSTD_CCtx) -> usize;
    fn __real_ZSTD_createDCtx() -> *mut ZSTD_DCtx;
    fn __real_ZSTD_freeDCtx(dctx: *mut ZSTD_DCtx) -> usize;
}

/// One thread's kept contexts.
struct Kept {
    compress: Vec<NonNull<ZSTD_CCtx>>,
    decompress: Vec<NonNull<ZSTD_DCtx>>,
}

impl Drop for Kept {
    fn drop(&mut self) {
        COMPRESS.free_all(&mut self.compress);
        DECOMPRESS.free_all(&mut self.decompress);
    }
}

thread_local! {
    static KEPT: RefCell<Kept> = const {
        RefCell::new(Kept { compress: Vec::new(), decompress: Vec::new() })
    };
}

/// One kind of context: how zstd resets, measures, creates and frees it,
/// and where a thread keeps it.
struct Kind<T> {
    kept: fn(&mut Kept) -> &mut Vec<NonNull<T>>,
    reset: unsafe extern "C" fn(*mut T, ZSTD_ResetDirective) -> usize,
    size: unsafe extern "C" fn(*const T) -> usize,
    create: unsafe extern "C" fn() -> *mut T,
    free: unsafe extern "C" fn(*mut T) -> usize,
}

const COMPRESS: Kind<ZSTD_CCtx> = Kind {
    kept: |k| &mut k.compress,
    reset: ZSTD_CCtx_reset,
    size: ZSTD_sizeof_CCtx,
    create: __real_ZSTD_createCCtx,
    free: __real_ZSTD_freeCCtx,
};

const DECOMPRESS: Kind<ZSTD_DCtx> = Kind {
    kept: |k| &mut k.decompress,
    reset: ZSTD_DCtx_reset,
    size: ZSTD_sizeof_DCtx,
    create: __real_ZSTD_createDCtx,
    free: __real_ZSTD_freeDCtx,
};

/// Runs `f` on this thread's kept contexts; `None` while the thread is
/// ending (or, which never happens, while they are borrowed already).
fn with_kept<R>(f: impl FnOnce(&mut Kept) -> R) -> Option<R> {
    KEPT.try_with(|kept| kept.try_borrow_mut().ok().map(|mut k| f(&mut k)))
        .ok()
        .flatten()
}

impl<T> Kind<T> {
    /// A kept context if the thread has one, else a new one.
    fn create(&self) -> *mut T {
        match with_kept(|k| (self.kept)(k).pop()).flatten() {
            Some(context) => context.as_ptr(),
            // SAFETY: plain FFI.
            None => unsafe { (self.create)() },
        }
    }

    /// Resets and keeps `context`, or frees it when it is too large or
    /// the thread keeps enough already (or is ending).
    ///
    /// # Safety
    /// As for zstd's free: `context` is null or a context from zstd's
    /// create that the caller no longer uses.
    unsafe fn free(&self, context: *mut T) -> usize {
        let Some(kept_context) = NonNull::new(context) else {
            return 0;
        };
        let reset = (self.reset)(
            context,
            ZSTD_ResetDirective::ZSTD_reset_session_and_parameters,
        );
        let reusable = ZSTD_isError(reset) == 0 && (self.size)(context) <= KEPT_BYTES;
        let kept = reusable
            && with_kept(|k| {
                let list = (self.kept)(k);
                let room = list.len() < KEPT_PER_THREAD;
                if room {
                    list.push(kept_context);
                }
                room
            })
            .unwrap_or(false);
        if kept {
            0
        } else {
            (self.free)(context)
        }
    }

    /// Frees the contexts of `list`, a thread's kept ones.
    fn free_all(&self, list: &mut Vec<NonNull<T>>) {
        for context in list.drain(..) {
            // SAFETY: kept contexts are owned by nobody else.
            unsafe { (self.free)(context.as_ptr()) };
        }
    }
}

/// `ZSTD_createCCtx`, for zstd-safe (see the module's text).
#[no_mangle]
pub extern "C" fn __wrap_ZSTD_createCCtx() -> *mut ZSTD_CCtx {
    COMPRESS.create()
}

/// `ZSTD_freeCCtx`, for zstd-safe (see the module's text).
///
/// # Safety
/// As for `ZSTD_freeCCtx`.
#[no_mangle]
pub unsafe extern "C" fn __wrap_ZSTD_freeCCtx(cctx: *mut ZSTD_CCtx) -> usize {
    COMPRESS.free(cctx)
}

/// `ZSTD_createDCtx`, for zstd-safe (see the module's text).
#[no_mangle]
pub extern "C" fn __wrap_ZSTD_createDCtx() -> *mut ZSTD_DCtx {
    DECOMPRESS.create()
}

/// `ZSTD_freeDCtx`, for zstd-safe (see the module's text).
///
/// # Safety
/// As for `ZSTD_freeDCtx`.
#[no_mangle]
pub unsafe extern "C" fn __wrap_ZSTD_freeDCtx(dctx: *mut ZSTD_DCtx) -> usize {
    DECOMPRESS.free(dctx)
}

#[cfg(test)]
mod tests {
    use zstd::bulk::{Compressor, Decompressor};
    use zstd::zstd_safe::{CParameter, DCtx, DParameter, InBuffer, OutBuffer};

    use super::*;

    fn kept() -> (usize, usize) {
        KEPT.with(|k| {
            let k = k.borrow();
            (k.compress.len(), k.decompress.len())
        })
    }

    #[test]
    fn freed_contexts_are_reset_kept_and_handed_out_again() {
        // The test binary is linked like the program: zstd-safe's calls go
        // through the wrappers above.
        let text: Vec<u8> = (0..3_000u32)
            .flat_map(|i| format!("post_{},{}\n", i, i % 977).into_bytes())
            .collect();
        let before = kept();
        // A first owner sets what the next one does not: level 19, a
        // checksum, no content size.
        let compressed_first = {
            let mut compressor = Compressor::new(19).unwrap();
            compressor
                .set_parameter(CParameter::ChecksumFlag(true))
                .unwrap();
            compressor
                .set_parameter(CParameter::ContentSizeFlag(false))
                .unwrap();
            compressor.compress(&text).unwrap()
        };
        let (compress, decompress) = kept();
        assert_eq!(compress, before.0 + 1, "a freed compressor is kept");
        let mut compressor = Compressor::new(1).unwrap();
        assert_eq!(kept().0, before.0, "the next compressor takes it back");
        let reused = compressor.compress(&text).unwrap();
        // The kept context comes back with zstd's defaults: the same bytes
        // come out as from a context never used.
        let fresh = {
            // SAFETY: plain FFI; the context is freed below.
            let cctx = unsafe { __real_ZSTD_createCCtx() };
            let mut out = vec![0u8; zstd::zstd_safe::compress_bound(text.len())];
            let written = unsafe {
                zstd::zstd_safe::zstd_sys::ZSTD_compressCCtx(
                    cctx,
                    out.as_mut_ptr().cast(),
                    out.len(),
                    text.as_ptr().cast(),
                    text.len(),
                    1,
                )
            };
            unsafe { __real_ZSTD_freeCCtx(cctx) };
            out.truncate(written);
            out
        };
        assert_eq!(reused, fresh);
        assert_ne!(
            compressed_first, reused,
            "the first owner's settings applied"
        );
        // A stream decoder that allowed only 1 KiB windows is kept; the
        // next one takes zstd's limit back and reads a larger window.
        let stream = |window_log_max: Option<u32>| -> Result<Vec<u8>, usize> {
            let mut dctx = DCtx::create();
            if let Some(log) = window_log_max {
                dctx.set_parameter(DParameter::WindowLogMax(log)).unwrap();
            }
            // Output a little at a time, so that zstd cannot decode the
            // frame in one go (which needs no window, and skips the limit).
            let mut input = InBuffer::around(&reused);
            let mut out = Vec::new();
            loop {
                let mut step: Vec<u8> = Vec::with_capacity(4096);
                let mut output = OutBuffer::around(&mut step);
                let left = dctx.decompress_stream(&mut output, &mut input);
                out.extend_from_slice(&step);
                if left? == 0 {
                    return Ok(out);
                }
            }
        };
        assert!(stream(Some(10)).is_err(), "the limit applied");
        assert_eq!(kept().1, decompress + 1, "a freed decompressor is kept");
        assert_eq!(stream(None).unwrap(), text);
        assert_eq!(kept().1, decompress + 1, "and handed out again");
        for frame in [&compressed_first, &reused] {
            let mut decompressor = Decompressor::new().unwrap();
            assert_eq!(
                decompressor.decompress(frame, text.len()).unwrap(),
                text,
                "round trip"
            );
        }
    }

    #[test]
    fn zstd_runs_no_worker_threads() {
        // A context that ran worker threads keeps a pool that a reset does
        // not free: keeping contexts is sound only while zstd is built
        // without them (zstd-sys without `zstdmt`).
        let mut compressor = Compressor::new(1).unwrap();
        assert!(compressor.set_parameter(CParameter::NbWorkers(1)).is_err());
    }

    #[test]
    fn a_thread_keeps_a_bounded_number() {
        std::thread::spawn(|| {
            let many: Vec<_> = (0..KEPT_PER_THREAD + 8)
                .map(|_| Compressor::new(1).unwrap())
                .collect();
            drop(many);
            assert_eq!(kept().0, KEPT_PER_THREAD);
        })
        .join()
        .unwrap();
    }
}
