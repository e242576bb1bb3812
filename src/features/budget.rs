//! A budget of decoded-pixel memory shared by the batch job's worker
//! threads: an image reserves what its header says decoding will hold
//! before its pixel buffer exists, and waits while the others' images
//! leave too little. Bounded by bytes, not by count, so a machine with many
//! cores does not decode many huge images at once, and small images still
//! run one per core.

use std::sync::{Condvar, Mutex, PoisonError};

/// The shared budget; see the module docs.
#[derive(Debug)]
pub(super) struct Budget {
    limit: u64,
    state: Mutex<State>,
    freed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Bytes reserved now.
    used: u64,
    /// Images holding a reservation now.
    images: usize,
    /// Most images that held a reservation at the same time.
    max_images: usize,
    /// Most bytes reserved at the same time.
    max_used: u64,
}

/// A reservation; released when dropped.
#[derive(Debug)]
pub(super) struct Reservation<'a> {
    budget: &'a Budget,
    bytes: u64,
}

impl Budget {
    /// A budget of `limit` bytes.
    pub(super) fn new(limit: u64) -> Self {
        Self {
            limit: limit.max(1),
            state: Mutex::new(State::default()),
            freed: Condvar::new(),
        }
    }

    /// Waits until `bytes` fit beside the other reservations. An image
    /// larger than the whole budget waits until it is alone, then runs,
    /// so the job never stalls on one (its size is capped by the decode
    /// limits instead).
    ///
    /// Never called while the thread holds another reservation, and a
    /// holder never waits for anything but its own work, so every wait ends.
    pub(super) fn reserve(&self, bytes: u64) -> Reservation<'_> {
        let bytes = bytes.min(self.limit);
        let mut state = self
            .freed
            .wait_while(self.lock(), |s| s.used + bytes > self.limit && s.images > 0)
            .unwrap_or_else(PoisonError::into_inner);
        state.used += bytes;
        state.images += 1;
        state.max_images = state.max_images.max(state.images);
        state.max_used = state.max_used.max(state.used);
        Reservation {
            budget: self,
            bytes,
        }
    }

    /// Most images that held decoded pixels at the same time.
    pub(super) fn max_images(&self) -> usize {
        self.lock().max_images
    }

    /// Most bytes reserved at the same time.
    pub(super) fn max_used(&self) -> u64 {
        self.lock().max_used
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is plain counters, consistent after any panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut state = self.budget.lock();
        state.used -= self.bytes;
        state.images -= 1;
        drop(state);
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn reservations_never_exceed_the_limit() {
        let budget = Budget::new(100);
        let running = AtomicUsize::new(0);
        let max_running = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..50 {
                        let _r = budget.reserve(40);
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        max_running.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        running.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        // 40 + 40 fit in 100, a third does not.
        assert_eq!(max_running.load(Ordering::SeqCst), 2);
        assert_eq!(budget.max_images(), 2);
        assert_eq!(budget.max_used(), 80);
    }

    #[test]
    fn an_oversized_image_runs_alone() {
        let budget = Budget::new(10);
        let big = budget.reserve(1_000);
        assert_eq!(budget.max_used(), 10);
        drop(big);
        let _a = budget.reserve(5);
        let _b = budget.reserve(5);
        assert_eq!(budget.max_images(), 2);
    }
}
