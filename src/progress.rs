//! A progress line on standard error for long scans: commits enumerated, blobs scanned out of
//! the total, MB/s.
//!
//! Hand-written rather than a progress-bar crate: one line redrawn a few times a second is all
//! that is needed. It is drawn only when standard error is a terminal and `--quiet` is off, only
//! once a scan has run for a moment (quick scans never flash it), and it is erased before the
//! report and summary are written. Counters are atomics, so the scanning threads never wait.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a scan runs before the line appears.
const DELAY: Duration = Duration::from_millis(400);
const REDRAW: Duration = Duration::from_millis(150);

#[derive(Debug, Default)]
struct Counters {
    commits_done: AtomicU64,
    commits_total: AtomicU64,
    blobs_done: AtomicU64,
    blobs_total: AtomicU64,
    bytes: AtomicU64,
}

/// Progress of a history scan; a no-op when not shown.
#[derive(Debug)]
pub struct Progress {
    counters: Arc<Counters>,
    drawer: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

impl Progress {
    /// Progress shown on standard error when `wanted` and standard error is a terminal.
    pub fn start(wanted: bool) -> Progress {
        let counters = Arc::new(Counters::default());
        let drawer = (wanted && std::io::stderr().is_terminal()).then(|| {
            let (stop, stopped) = mpsc::channel();
            let counters = Arc::clone(&counters);
            let handle = std::thread::spawn(move || draw_until_stopped(&counters, &stopped));
            (stop, handle)
        });
        Progress { counters, drawer }
    }

    /// A progress that is never shown (for library callers and tests).
    pub fn hidden() -> Progress {
        Progress::start(false)
    }

    pub fn set_commits_total(&self, n: usize) {
        self.counters
            .commits_total
            .store(n as u64, Ordering::Relaxed);
    }

    pub fn set_commits_done(&self, n: usize) {
        self.counters
            .commits_done
            .store(n as u64, Ordering::Relaxed);
    }

    pub fn set_blobs_total(&self, n: usize) {
        self.counters.blobs_total.store(n as u64, Ordering::Relaxed);
    }

    /// One more blob done, `bytes` long.
    pub fn blob_done(&self, bytes: u64) {
        self.counters.blobs_done.fetch_add(1, Ordering::Relaxed);
        self.counters.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Stops drawing and erases the line.
    pub fn finish(self) {}
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some((stop, handle)) = self.drawer.take() {
            drop(stop);
            let _ = handle.join();
        }
    }
}

fn draw_until_stopped(counters: &Counters, stopped: &mpsc::Receiver<()>) {
    if !matches!(stopped.recv_timeout(DELAY), Err(RecvTimeoutError::Timeout)) {
        return;
    }
    let mut err = std::io::stderr();
    // MB/s counts from when blob scanning began, not from the history walk before it.
    let mut scanning_since = None;
    loop {
        if counters.blobs_total.load(Ordering::Relaxed) > 0 {
            scanning_since.get_or_insert_with(Instant::now);
        }
        let elapsed = scanning_since.map_or(Duration::ZERO, |t| t.elapsed());
        let line = render(counters, elapsed);
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
        if !matches!(stopped.recv_timeout(REDRAW), Err(RecvTimeoutError::Timeout)) {
            break;
        }
    }
    let _ = write!(err, "\r\x1b[2K");
    let _ = err.flush();
}

fn render(c: &Counters, elapsed: Duration) -> String {
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let (commits, commits_total) = (load(&c.commits_done), load(&c.commits_total));
    let blobs_total = load(&c.blobs_total);
    if blobs_total == 0 {
        return format!("leakhound: reading history: {commits}/{commits_total} commits");
    }
    let mb = load(&c.bytes) as f64 / 1e6;
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { mb / secs } else { 0.0 };
    format!(
        "leakhound: {commits} commits, scanned {}/{blobs_total} blobs ({mb:.1} MB, {rate:.0} MB/s)",
        load(&c.blobs_done)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_each_phase() {
        let c = Counters::default();
        c.commits_total.store(300, Ordering::Relaxed);
        c.commits_done.store(120, Ordering::Relaxed);
        assert_eq!(
            render(&c, Duration::from_secs(1)),
            "leakhound: reading history: 120/300 commits"
        );
        c.commits_done.store(300, Ordering::Relaxed);
        c.blobs_total.store(10, Ordering::Relaxed);
        c.blobs_done.store(4, Ordering::Relaxed);
        c.bytes.store(50_000_000, Ordering::Relaxed);
        assert_eq!(
            render(&c, Duration::from_secs(2)),
            "leakhound: 300 commits, scanned 4/10 blobs (50.0 MB, 25 MB/s)"
        );
    }

    #[test]
    fn hidden_progress_counts_without_drawing() {
        let p = Progress::hidden();
        p.blob_done(10);
        p.blob_done(5);
        assert_eq!(p.counters.bytes.load(Ordering::Relaxed), 15);
        assert!(p.drawer.is_none());
    }
}
