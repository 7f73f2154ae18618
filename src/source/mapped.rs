//! Memory maps that survive the file being cut short under them.
//!
//! Reading a page of a map past the end of its file raises `SIGBUS`, and the default action
//! kills the process: a file truncated by another process while it is scanned (a build writing
//! its output, a log being rotated) would end the whole scan, which for a release gate is a
//! secret that ships. Every map made here is registered; a `SIGBUS` inside a registered map
//! puts a page of zeros where the file's page was and marks the map, so the scan reads zeros
//! and goes on, and [`GuardedMap::was_cut`] tells the caller to say the file changed while it
//! was read. A `SIGBUS` anywhere else keeps its default action.
//!
//! Where the guard cannot be installed (not Linux, or every slot taken), [`GuardedMap::map`]
//! returns `None` and the caller reads the file instead.

use std::fs::File;
use std::ops::Deref;

/// A read-only map of a whole file, guarded while it lives.
#[derive(Debug)]
pub struct GuardedMap {
    map: memmap2::Mmap,
    #[cfg(target_os = "linux")]
    slot: usize,
}

impl GuardedMap {
    /// Maps `file` (of `len` bytes, just taken from its metadata), or `None` if a guarded map
    /// cannot be had: the caller then reads the file. An empty file is never mapped.
    pub fn map(file: &File, len: u64) -> std::io::Result<Option<GuardedMap>> {
        #[cfg(target_os = "linux")]
        {
            if len == 0 || !guard::install() {
                return Ok(None);
            }
            // SAFETY: the map is read-only; what another process does to the file while it is
            // mapped is what the guard is for (pages past a new end read as zeros).
            let map = unsafe { memmap2::MmapOptions::new().len(len as usize).map(file)? };
            let range = map.as_ptr() as usize..map.as_ptr() as usize + map.len();
            match guard::register(range) {
                Some(slot) => Ok(Some(GuardedMap { map, slot })),
                None => Ok(None),
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (file, len);
            Ok(None)
        }
    }

    /// Whether part of the file was gone when it was read (those bytes read as zeros).
    pub fn was_cut(&self) -> bool {
        #[cfg(target_os = "linux")]
        {
            guard::was_cut(self.slot)
        }
        #[cfg(not(target_os = "linux"))]
        {
            false
        }
    }
}

/// Gives back the memory of the pages wholly inside `bytes` if they belong to a guarded map
/// (they are read again from the file if touched again); does nothing to any other memory.
pub fn release(bytes: &[u8]) {
    #[cfg(target_os = "linux")]
    guard::release_pages(bytes.as_ptr() as usize..bytes.as_ptr() as usize + bytes.len());
    #[cfg(not(target_os = "linux"))]
    let _ = bytes;
}

impl Deref for GuardedMap {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.map
    }
}

impl Drop for GuardedMap {
    fn drop(&mut self) {
        // The slot is freed before the map is unmapped (the field drops after this): a fault
        // can only come from reading the map, and nothing reads it any more.
        #[cfg(target_os = "linux")]
        guard::release(self.slot);
    }
}

#[cfg(target_os = "linux")]
mod guard {
    //! The registry of guarded maps and the `SIGBUS` handler. The handler reads the registry
    //! with atomic loads and makes one `mmap` call, both safe in a signal handler.

    use std::ops::Range;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::OnceLock;

    /// At most this many maps are guarded at once (one per scanning thread is the need).
    const SLOTS: usize = 256;

    /// Start and end address of each slot's map; a start of 0 is a free slot.
    static STARTS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
    static ENDS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
    static CUT: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];
    static PAGE: AtomicUsize = AtomicUsize::new(4096);

    /// Installs the handler once; whether it is in place.
    pub fn install() -> bool {
        static INSTALLED: OnceLock<bool> = OnceLock::new();
        *INSTALLED.get_or_init(|| {
            // SAFETY: sysconf has no preconditions.
            let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            if page > 0 {
                PAGE.store(page as usize, Ordering::Relaxed);
            }
            // SAFETY: a zeroed sigaction is valid; the handler has the SA_SIGINFO signature.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    on_sigbus;
                action.sa_sigaction = handler as libc::sighandler_t;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut()) == 0
            }
        })
    }

    /// A slot being filled in: its range is empty, so the handler passes it by.
    const RESERVED: usize = usize::MAX;

    /// Takes a free slot for the map at `range`, or `None` if every slot is taken.
    pub fn register(range: Range<usize>) -> Option<usize> {
        for slot in 0..SLOTS {
            if STARTS[slot]
                .compare_exchange(0, RESERVED, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                CUT[slot].store(false, Ordering::SeqCst);
                ENDS[slot].store(range.end, Ordering::SeqCst);
                STARTS[slot].store(range.start, Ordering::SeqCst);
                return Some(slot);
            }
        }
        None
    }

    pub fn was_cut(slot: usize) -> bool {
        CUT[slot].load(Ordering::SeqCst)
    }

    pub fn release(slot: usize) {
        STARTS[slot].store(0, Ordering::SeqCst);
    }

    /// `madvise(MADV_DONTNEED)` over the whole pages of `range`, if a guarded map holds it.
    pub fn release_pages(range: Range<usize>) {
        let held = (0..SLOTS).any(|slot| {
            let start = STARTS[slot].load(Ordering::SeqCst);
            start != 0
                && start != RESERVED
                && start <= range.start
                && range.end <= ENDS[slot].load(Ordering::SeqCst)
        });
        if !held {
            return;
        }
        let page = PAGE.load(Ordering::Relaxed);
        let from = range.start.div_ceil(page) * page;
        let to = range.end / page * page;
        if from < to {
            // SAFETY: whole pages of a read-only file map this process holds: dropping them
            // only means the next read faults them in from the file again.
            unsafe {
                libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_DONTNEED);
            }
        }
    }

    extern "C" fn on_sigbus(signal: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
        // SAFETY: the kernel hands a valid siginfo to an SA_SIGINFO handler.
        let address = unsafe { (*info).si_addr() } as usize;
        for slot in 0..SLOTS {
            let start = STARTS[slot].load(Ordering::SeqCst);
            if start != 0 && (start..ENDS[slot].load(Ordering::SeqCst)).contains(&address) {
                let page = PAGE.load(Ordering::Relaxed);
                let at = address & !(page - 1);
                // SAFETY: the page lies inside a read-only map this process made and still
                // holds; a fixed anonymous map replaces just that page, with zeros.
                let zeros = unsafe {
                    libc::mmap(
                        at as *mut libc::c_void,
                        page,
                        libc::PROT_READ,
                        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                        -1,
                        0,
                    )
                };
                if zeros != libc::MAP_FAILED {
                    CUT[slot].store(true, Ordering::SeqCst);
                    return;
                }
            }
        }
        // Not ours: the default action, as if no handler had been installed.
        // SAFETY: signal and raise are async-signal-safe.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_cut_short_while_mapped_reads_as_zeros_and_says_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("shrinks.txt");
        let mut file = File::create(&path).expect("create");
        let page = 4096 * 4;
        file.write_all(&vec![b'a'; page * 4]).expect("write");
        drop(file);
        let file = File::open(&path).expect("open");
        let map = GuardedMap::map(&file, (page * 4) as u64)
            .expect("maps")
            .expect("guarded");
        assert_eq!(map[0], b'a');
        assert!(!map.was_cut());
        // Another process cuts the file to one page.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open for writing")
            .set_len(page as u64)
            .expect("truncate");
        let sum: u64 = map.iter().map(|&b| b as u64).sum();
        assert_eq!(
            sum,
            b'a' as u64 * page as u64,
            "past the end reads as zeros"
        );
        assert!(map.was_cut());
    }

    #[test]
    fn slots_are_freed_and_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"content").expect("write");
        for _ in 0..1000 {
            let file = File::open(&path).expect("open");
            let map = GuardedMap::map(&file, 7).expect("maps").expect("guarded");
            assert_eq!(&map[..], b"content");
        }
    }
}
