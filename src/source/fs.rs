//! The working-tree source: a parallel directory walk and file reads.
//!
//! The walk uses the `ignore` crate, so `.gitignore`, `.ignore` and git's exclude files are
//! honoured unless `--no-ignore`; hidden files are walked (`.env` is where secrets live) but a
//! `.git` directory never is. Small files are read in one call; large ones are memory-mapped.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use super::mapped::GuardedMap;
use super::{Contents, SkipReason, Skipped};

/// Files at least this large are memory-mapped rather than read.
const MMAP_THRESHOLD: u64 = 4 * 1024 * 1024;

/// Asked of each path the walk meets (absolute, and whether it is a directory): why it is left
/// out, if it is (a configuration's path allowlist names it). An excluded directory is not
/// entered. Each exclusion is reported as a skip, never silent.
pub type Exclude<'a> = dyn Fn(&Path, bool) -> Option<SkipReason> + Sync + 'a;

/// How to walk.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Honour `.gitignore`, `.ignore` and git excludes.
    pub honor_ignore_files: bool,
    /// Follow symbolic links (loops are detected and reported).
    pub follow_links: bool,
    /// Walker threads (0: ignore's choice, the cores up to 12).
    pub threads: usize,
}

impl Default for WalkOptions {
    fn default() -> WalkOptions {
        WalkOptions {
            honor_ignore_files: true,
            follow_links: false,
            threads: 0,
        }
    }
}

/// A file to scan.
#[derive(Debug, Clone)]
pub struct FileEntry {
    /// Where to open it.
    pub fs_path: PathBuf,
    /// How reports name it: relative to the scan root, `/`-separated.
    pub path: String,
}

/// The directory that reported paths are relative to: the one directory scanned; otherwise the
/// current directory when every root is inside it; otherwise the roots' deepest common ancestor.
/// `None` only when no absolute path can be had for a root.
pub fn report_base(roots: &[PathBuf]) -> Option<PathBuf> {
    let absolute: Vec<PathBuf> = roots
        .iter()
        .map(std::fs::canonicalize)
        .collect::<Result<_, _>>()
        .ok()?;
    if let [one] = absolute.as_slice() {
        if one.is_dir() {
            return Some(one.clone());
        }
    }
    let cwd = std::env::current_dir()
        .ok()
        .and_then(|d| std::fs::canonicalize(d).ok());
    if let Some(cwd) = cwd.filter(|c| absolute.iter().all(|a| a.starts_with(c))) {
        return Some(cwd);
    }
    let mut base = absolute.first()?.clone();
    if !base.is_dir() {
        base.pop();
    }
    for a in &absolute[1..] {
        while !a.starts_with(&base) {
            if !base.pop() {
                return None;
            }
        }
    }
    Some(base)
}

/// Lists every file under `roots` (a root may also be a single file), named relative to
/// [`report_base`]. The entries come back sorted by path, so that everything after the walk is
/// deterministic.
pub fn walk(roots: &[PathBuf], options: &WalkOptions) -> (Vec<FileEntry>, Vec<Skipped>) {
    let entries = Mutex::new(Vec::new());
    let skipped = walk_each(roots, options, |entry| lock(&entries).push(entry));
    let mut entries = entries.into_inner().unwrap_or_else(|e| e.into_inner());
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    (entries, skipped)
}

/// Walks `roots` like [`walk`], handing each file to `on_entry` (from the walker's threads) as
/// soon as it is found, so that scanning can start before the walk ends; returns what could
/// not be walked, sorted by path.
pub fn walk_each(
    roots: &[PathBuf],
    options: &WalkOptions,
    on_entry: impl Fn(FileEntry) + Sync,
) -> Vec<Skipped> {
    walk_each_excluding(roots, options, None, on_entry)
}

/// [`walk_each`], leaving out what `exclude` names (and saying so among the skips).
pub fn walk_each_excluding(
    roots: &[PathBuf],
    options: &WalkOptions,
    exclude: Option<&Exclude<'_>>,
    on_entry: impl Fn(FileEntry) + Sync,
) -> Vec<Skipped> {
    let Some((first, rest)) = roots.split_first() else {
        return Vec::new();
    };
    let base = report_base(roots);
    let namer = PathNamer::new(roots, base.as_deref());
    let mut builder = WalkBuilder::new(first);
    for root in rest {
        builder.add(root);
    }
    builder
        .hidden(false)
        .parents(options.honor_ignore_files)
        .ignore(options.honor_ignore_files)
        .git_ignore(options.honor_ignore_files)
        .git_global(options.honor_ignore_files)
        .git_exclude(options.honor_ignore_files)
        .require_git(false)
        .follow_links(options.follow_links)
        .threads(options.threads)
        .filter_entry(|e| !(e.file_name() == ".git" && e.file_type().is_some_and(|t| t.is_dir())));

    let skipped = Mutex::new(Vec::new());
    builder.build_parallel().run(|| {
        let on_entry = &on_entry;
        let skipped = &skipped;
        let namer = &namer;
        Box::new(move |result| {
            match result {
                Ok(entry) => {
                    let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                    // A root itself is never excluded: it was asked for by name.
                    if let Some(reason) = exclude
                        .filter(|_| entry.depth() > 0)
                        .and_then(|ex| namer.absolute(entry.path()).and_then(|a| ex(&a, is_dir)))
                    {
                        lock(skipped).push(Skipped {
                            path: namer.name(entry.path()),
                            reason,
                        });
                        return WalkState::Skip;
                    }
                    match entry.file_type() {
                        Some(t) if t.is_file() => {}
                        Some(t) if t.is_dir() => return WalkState::Continue,
                        other => {
                            lock(skipped).push(Skipped {
                                path: namer.name(entry.path()),
                                reason: SkipReason::NotRegular {
                                    kind: kind_of(other).to_string(),
                                },
                            });
                            return WalkState::Continue;
                        }
                    }
                    // No `stat` here: the reader asks the open file for its size, which spares
                    // the kernel a second walk down the path.
                    let path = namer.name(entry.path());
                    on_entry(FileEntry {
                        fs_path: entry.into_path(),
                        path,
                    });
                }
                Err(err) => lock(skipped).push(walk_error(&err, namer)),
            }
            WalkState::Continue
        })
    });
    let mut skipped = skipped.into_inner().unwrap_or_else(|e| e.into_inner());
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    skipped
}

/// Reads an open file of known size into `buffer`, returning how many bytes it holds:
/// `File::read_to_end` would ask the file system again and seek, which was a third of the
/// system calls of a scan of many small files. The buffer is kept from file to file and only
/// ever grows, so reading allocates and zeroes nothing once it is large enough, and there is
/// always room for more than `size`: a read that brings exactly `size` bytes without filling
/// the room has met the end (a regular file's read comes back short only there), so most files
/// take one `read`; a file that grew since its size was taken is still read to its end.
///
/// Reading stops a byte past `limit`: a file that grows without end (a log being written, a
/// file that lies about its size) is then too large, not a read that never ends.
fn read_known_size(
    mut file: std::fs::File,
    size: u64,
    limit: u64,
    buffer: &mut Vec<u8>,
) -> std::io::Result<usize> {
    let most = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    let expected = usize::try_from(size)
        .unwrap_or(usize::MAX)
        .saturating_add(1)
        .min(most);
    if buffer.len() < expected {
        buffer.resize(expected, 0);
    }
    let mut filled = 0;
    loop {
        let room = buffer.len().min(most);
        match file.read(&mut buffer[filled..room]) {
            Ok(0) => return Ok(filled),
            Ok(n) => {
                filled += n;
                if filled as u64 == size && filled < room {
                    return Ok(filled);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        if filled == most {
            return Ok(filled);
        }
        if filled == room {
            buffer.resize((buffer.len() * 2).min(most), 0);
        }
    }
}

/// The most a reused read buffer keeps between files; a larger file's memory is given back.
/// Every file that is read rather than mapped fits: a fresh buffer for each file of a few
/// megabytes cost page faults and zeroing on top of the copy (a tenth of a cargo registry's
/// bytes are in files of 1 to 4 MiB).
const KEPT_BUFFER: usize = MMAP_THRESHOLD as usize + 1;

/// Reads a file: one `read` into `buffer` when small, a memory map when large, a skip when
/// over `limit`.
pub fn read<'b>(
    path: &Path,
    limit: u64,
    buffer: &'b mut Vec<u8>,
) -> Result<Contents<'b>, SkipReason> {
    let unreadable = |e: std::io::Error| SkipReason::Unreadable {
        error: io_message(&e),
    };
    let file = open_regular(path)?;
    let size = file.metadata().map_err(unreadable)?.len();
    if size > limit {
        return Err(SkipReason::TooLarge { size, limit });
    }
    if size >= MMAP_THRESHOLD {
        // A file cut short while mapped reads as zeros past its new end, and says so.
        if let Some(map) = GuardedMap::map(&file, size).map_err(unreadable)? {
            return Ok(Contents::Mapped(map));
        }
    }
    if buffer.len() > KEPT_BUFFER {
        *buffer = Vec::new();
    }
    let len = read_known_size(file, size, limit, buffer).map_err(unreadable)?;
    if len as u64 > limit {
        return Err(SkipReason::TooLarge {
            size: len as u64,
            limit,
        });
    }
    Ok(Contents::Read {
        bytes: &buffer[..len],
        cut: (len as u64) < size,
    })
}

/// A file over the size limit, memory-mapped if it is an archive (which has limits of its own);
/// `None` if it is not one.
pub fn map_archive(path: &Path) -> Result<Option<GuardedMap>, SkipReason> {
    let unreadable = |e: std::io::Error| SkipReason::Unreadable {
        error: io_message(&e),
    };
    let mut file = open_regular(path)?;
    let mut head = Vec::with_capacity(512);
    (&mut file)
        .take(512)
        .read_to_end(&mut head)
        .map_err(unreadable)?;
    if super::archive::Format::sniff(&head).is_none() {
        return Ok(None);
    }
    let size = file.metadata().map_err(unreadable)?.len();
    match GuardedMap::map(&file, size).map_err(unreadable)? {
        Some(map) => Ok(Some(map)),
        None => Err(SkipReason::Unreadable {
            error: "too large to read, and it cannot be mapped here".to_string(),
        }),
    }
}

/// Opens `path` for reading if it is a regular file. The open does not block (a FIFO put in
/// place of a file after the walk would otherwise wait for a writer forever), and what is not
/// a regular file is refused before any read.
fn open_regular(path: &Path) -> Result<std::fs::File, SkipReason> {
    let unreadable = |e: std::io::Error| SkipReason::Unreadable {
        error: io_message(&e),
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(unreadable)?;
    let file_type = file.metadata().map_err(unreadable)?.file_type();
    if !file_type.is_file() {
        return Err(SkipReason::NotRegular {
            kind: kind_of(Some(file_type)).to_string(),
        });
    }
    Ok(file)
}

/// What a file that is not a regular one is, in words.
fn kind_of(file_type: Option<std::fs::FileType>) -> &'static str {
    let Some(t) = file_type else {
        return "unknown file type";
    };
    if t.is_symlink() {
        return super::SYMLINK;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "FIFO (named pipe)";
        }
        if t.is_socket() {
            return "socket";
        }
        if t.is_block_device() {
            return "block device";
        }
        if t.is_char_device() {
            return "character device";
        }
    }
    "special file"
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// How the paths under each root are named: the root as the walker joins it, what it is
/// called relative to the report base, and its absolute path.
struct PathNamer {
    roots: Vec<(PathBuf, PathBuf, Option<PathBuf>)>,
}

impl PathNamer {
    fn new(roots: &[PathBuf], base: Option<&Path>) -> PathNamer {
        let roots = roots
            .iter()
            .map(|root| {
                let absolute = std::fs::canonicalize(root).ok();
                let shown = base
                    .zip(absolute.as_ref())
                    .and_then(|(b, c)| c.strip_prefix(b).ok().map(Path::to_path_buf))
                    .unwrap_or_else(|| root.clone());
                (root.clone(), shown, absolute)
            })
            .collect();
        PathNamer { roots }
    }

    /// The absolute path of a walked path (its root's canonical path joined with the rest).
    fn absolute(&self, path: &Path) -> Option<PathBuf> {
        self.roots.iter().find_map(|(root, _, absolute)| {
            let rest = path.strip_prefix(root).ok()?;
            absolute.as_ref().map(|a| a.join(rest))
        })
    }

    /// `/`-separated, relative to the base where possible, never starting with `./`.
    fn name(&self, path: &Path) -> String {
        let named = self
            .roots
            .iter()
            .find_map(|(root, shown, _)| {
                let rest = path.strip_prefix(root).ok()?;
                Some(if rest.as_os_str().is_empty() {
                    shown.clone()
                } else {
                    shown.join(rest)
                })
            })
            .unwrap_or_else(|| path.to_path_buf());
        let s = named.to_string_lossy().replace('\\', "/");
        s.strip_prefix("./").map(str::to_string).unwrap_or(s)
    }
}

/// The OS's words for an I/O error, without the path (the caller names the path).
fn io_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn walk_error(err: &ignore::Error, namer: &PathNamer) -> Skipped {
    let path = error_path(err).map(|p| namer.name(p)).unwrap_or_default();
    let error = match err.io_error() {
        Some(io) => io_message(io),
        None => innermost(err),
    };
    let reason = if matches!(
        err.io_error().map(std::io::Error::kind),
        Some(std::io::ErrorKind::PermissionDenied)
    ) {
        SkipReason::Unreadable { error }
    } else {
        SkipReason::WalkError { error }
    };
    Skipped { path, reason }
}

fn error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        ignore::Error::Partial(errs) => errs.first().and_then(error_path),
        _ => None,
    }
}

fn innermost(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => innermost(err),
        ignore::Error::Loop { .. } => "symbolic link loop".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_whole_files_whatever_size_was_seen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let content: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        // Exact, stale and too small (the file grew), too large (it shrank), empty; into a
        // fresh buffer and into one that held a longer file.
        let mut long = vec![7u8; 200_000];
        for claimed in [100_000u64, 0, 10, 99_999, 100_001, 1 << 20] {
            for buffer in [&mut Vec::new(), &mut long] {
                let file = std::fs::File::open(&path).unwrap();
                let len = read_known_size(file, claimed, u64::MAX, buffer).unwrap();
                assert_eq!(buffer[..len], content, "{claimed}");
            }
        }
        // A file longer than the limit (one that grows without end, say) is read a byte past
        // the limit and no further.
        for claimed in [0u64, 10, 100_000] {
            let file = std::fs::File::open(&path).unwrap();
            let len = read_known_size(file, claimed, 4096, &mut Vec::new()).unwrap();
            assert_eq!(len, 4097, "{claimed}");
        }
        std::fs::write(&path, b"").unwrap();
        let file = std::fs::File::open(&path).unwrap();
        assert_eq!(read_known_size(file, 0, u64::MAX, &mut long).unwrap(), 0);
    }

    #[test]
    fn fifos_sockets_and_devices_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("mkfifo not available: FIFO case skipped");
        } else {
            // No writer: a blocking open would wait forever.
            let mut buffer = Vec::new();
            let refused = read(&fifo, u64::MAX, &mut buffer);
            assert!(
                matches!(&refused, Err(SkipReason::NotRegular { kind }) if kind.contains("FIFO")),
                "{refused:?}"
            );
        }
        let mut buffer = Vec::new();
        let device = read(Path::new("/dev/zero"), u64::MAX, &mut buffer);
        assert!(
            matches!(&device, Err(SkipReason::NotRegular { kind }) if kind.contains("device")),
            "{device:?}"
        );
    }

    #[test]
    fn walks_hidden_files_but_not_dot_git() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join(".git/objects")).unwrap();
        std::fs::write(root.join(".git/config"), "x").unwrap();
        std::fs::write(root.join(".env"), "A=1").unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/main.rs"), "fn main() {}").unwrap();
        let (entries, skipped) = walk(&[root.to_path_buf()], &WalkOptions::default());
        let paths: Vec<_> = entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, vec![".env", "src/main.rs"]);
        assert!(skipped.is_empty());
    }

    #[test]
    fn honours_gitignore_unless_told_not_to() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join(".gitignore"), "build/\n").unwrap();
        std::fs::create_dir_all(root.join("build")).unwrap();
        std::fs::write(root.join("build/out.txt"), "x").unwrap();
        let (entries, _) = walk(&[root.to_path_buf()], &WalkOptions::default());
        assert!(entries.iter().all(|e| !e.path.starts_with("build/")));
        let all = WalkOptions {
            honor_ignore_files: false,
            ..WalkOptions::default()
        };
        let (entries, _) = walk(&[root.to_path_buf()], &all);
        assert!(entries.iter().any(|e| e.path == "build/out.txt"));
    }

    #[test]
    fn size_limit_skips() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("big");
        std::fs::write(&f, vec![b'a'; 100]).unwrap();
        let mut buffer = Vec::new();
        assert_eq!(
            read(&f, 10, &mut buffer).unwrap_err(),
            SkipReason::TooLarge {
                size: 100,
                limit: 10
            }
        );
        assert_eq!(read(&f, 1000, &mut buffer).unwrap().len(), 100);
        assert_eq!(read(&f, 100, &mut buffer).unwrap().len(), 100);
    }

    #[test]
    fn paths_are_relative_to_the_common_base() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        for d in ["a/x", "b"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::write(root.join("a/x/1.txt"), "1").unwrap();
        std::fs::write(root.join("b/2.txt"), "2").unwrap();
        let roots = [root.join("a"), root.join("b/2.txt")];
        assert_eq!(report_base(&roots), Some(root.clone()));
        let (entries, _) = walk(&roots, &WalkOptions::default());
        let paths: Vec<_> = entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, vec!["a/x/1.txt", "b/2.txt"]);
        let (single, _) = walk(&[root.join("a")], &WalkOptions::default());
        assert_eq!(single[0].path, "x/1.txt");
    }
}
