//! The history scan cache: what an earlier `leakhound git` of the same repository already
//! learnt, so that a second run reads only what is new.
//!
//! Two facts are kept, each valid for as long as its key holds:
//!
//! - **What a commit introduces** (the blobs its tree has at paths where none of its parents has
//!   them): a pure function of the commit, since a commit id fixes its tree and its parents. Kept
//!   for every commit walked without a skip, under the repository alone.
//! - **Which blobs are clean**: scanned, nothing found, nothing skipped, with how many files and
//!   bytes they counted for (an archive blob counts each member). Kept under a key of the rule
//!   set and of every option that changes findings (decoding depth, size and archive limits), so
//!   a changed rule or option starts that part afresh and nothing else.
//! - **Which commit messages are clean**, under the same key: a known commit with a clean
//!   message is not even read (on a history of 85k commits, reading them again for their
//!   messages was half of a warm scan).
//!
//! A blob or message with findings is not kept: it is scanned again (there are few), so
//! findings are exactly those of a cold scan and the cache never holds a secret, nor where one
//! is.
//!
//! The store is a file of ours per fact: the whole cache is read once at the start and written
//! once at the end (to a temporary file, then renamed), which needs no database — a sorted table
//! of 20-byte ids loads in milliseconds for a history the size of git/git's.
//! A cache that cannot be read is reported on standard error and ignored; the scan is then cold.

use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use git2::Oid;
use sha2::{Digest, Sha256};

use crate::source::git_history::{CommitMemory, Introduced};

/// A clean blob: scanned with nothing found or skipped, and what it counted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clean {
    pub files: u32,
    pub bytes: u64,
}

/// Why a cache could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot read the scan cache {path}: {error}")]
    Read { path: PathBuf, error: String },
    #[error("cannot write the scan cache {path}: {error}")]
    Write { path: PathBuf, error: String },
}

/// The cache of one repository under one rule set.
#[derive(Debug)]
pub struct HistoryCache {
    /// Where it is kept (`None`: in memory only, for one run over many repositories).
    commits_file: Option<PathBuf>,
    blobs_file: Option<PathBuf>,
    messages_file: Option<PathBuf>,
    commits: HashMap<Oid, Introduced>,
    clean: HashMap<Oid, Clean>,
    clean_messages: HashSet<Oid>,
    new_commits: Mutex<Vec<(Oid, Introduced)>>,
    new_clean: Mutex<Vec<(Oid, Clean)>>,
    new_clean_messages: Mutex<Vec<Oid>>,
    commit_hits: AtomicUsize,
    blob_hits: AtomicUsize,
    /// Whether `absorb` took in anything that is not yet written.
    dirty: bool,
}

const COMMITS_MAGIC: &[u8; 8] = b"LHCOMMT1";
const BLOBS_MAGIC: &[u8; 8] = b"LHBLOBS1";
const MESSAGES_MAGIC: &[u8; 8] = b"LHMSGS01";

impl HistoryCache {
    /// Opens (or starts) the cache under `dir` for the repository at `git_dir` and for rule set
    /// and options summed up by `findings_key` (see [`findings_key`]). Errors say which file
    /// could not be read; the caller reports them and goes on without a cache.
    pub fn open(
        dir: &Path,
        git_dir: &Path,
        findings_key: &str,
    ) -> Result<HistoryCache, CacheError> {
        let canonical = std::fs::canonicalize(git_dir).unwrap_or_else(|_| git_dir.to_path_buf());
        let repo_key = hex(&Sha256::digest(canonical.to_string_lossy().as_bytes())[..8]);
        HistoryCache::open_in(&dir.join(repo_key), findings_key)
    }

    /// Opens the cache that many repositories share under `dir`: commit and blob ids name the
    /// same content in every repository, so forks share what they have in common.
    pub fn open_shared(dir: &Path, findings_key: &str) -> Result<HistoryCache, CacheError> {
        HistoryCache::open_in(&dir.join("shared"), findings_key)
    }

    /// A cache that lives for this run only (one scan of many repositories).
    pub fn in_memory() -> HistoryCache {
        HistoryCache::with(None, None, HashMap::new(), HashMap::new())
    }

    fn open_in(dir: &Path, findings_key: &str) -> Result<HistoryCache, CacheError> {
        let commits_file = dir.join("commits.bin");
        let blobs_file = dir.join(format!("clean-{findings_key}.bin"));
        let messages_file = dir.join(format!("messages-{findings_key}.bin"));
        let commits = read_file(&commits_file, read_commits)?.unwrap_or_default();
        let clean = read_file(&blobs_file, read_blobs)?.unwrap_or_default();
        let clean_messages = read_file(&messages_file, read_messages)?.unwrap_or_default();
        let mut cache = HistoryCache::with(Some(commits_file), Some(blobs_file), commits, clean);
        cache.messages_file = Some(messages_file);
        cache.clean_messages = clean_messages;
        Ok(cache)
    }

    fn with(
        commits_file: Option<PathBuf>,
        blobs_file: Option<PathBuf>,
        commits: HashMap<Oid, Introduced>,
        clean: HashMap<Oid, Clean>,
    ) -> HistoryCache {
        HistoryCache {
            commits_file,
            blobs_file,
            messages_file: None,
            commits,
            clean,
            clean_messages: HashSet::new(),
            new_commits: Mutex::new(Vec::new()),
            new_clean: Mutex::new(Vec::new()),
            new_clean_messages: Mutex::new(Vec::new()),
            commit_hits: AtomicUsize::new(0),
            blob_hits: AtomicUsize::new(0),
            dirty: false,
        }
    }

    /// Makes what was remembered so far known to the lookups (between two repositories of one
    /// run), and starts the reuse counts again.
    pub fn absorb(&mut self) {
        let new_commits = std::mem::take(&mut *lock(&self.new_commits));
        let new_clean = std::mem::take(&mut *lock(&self.new_clean));
        let new_messages = std::mem::take(&mut *lock(&self.new_clean_messages));
        self.dirty |= !new_commits.is_empty() || !new_clean.is_empty() || !new_messages.is_empty();
        self.commits.extend(new_commits);
        self.clean.extend(new_clean);
        self.clean_messages.extend(new_messages);
        self.commit_hits.store(0, Ordering::Relaxed);
        self.blob_hits.store(0, Ordering::Relaxed);
    }

    /// What `commit` introduces, if an earlier scan walked it.
    pub fn introduced(&self, commit: Oid) -> Option<&Introduced> {
        let known = self.commits.get(&commit);
        if known.is_some() {
            self.commit_hits.fetch_add(1, Ordering::Relaxed);
        }
        known
    }

    /// Whether `blob` was scanned clean, and what it counted for.
    pub fn clean(&self, blob: Oid) -> Option<Clean> {
        let known = self.clean.get(&blob).copied();
        if known.is_some() {
            self.blob_hits.fetch_add(1, Ordering::Relaxed);
        }
        known
    }

    /// How many commits were not walked and how many blobs not read, thanks to the cache.
    pub fn reused(&self) -> (usize, usize) {
        (
            self.commit_hits.load(Ordering::Relaxed),
            self.blob_hits.load(Ordering::Relaxed),
        )
    }

    /// Remembers what a commit walked without a skip introduces.
    pub fn remember_commit(&self, commit: Oid, introduced: Introduced) {
        if !self.commits.contains_key(&commit) {
            lock(&self.new_commits).push((commit, introduced));
        }
    }

    /// Remembers a blob scanned clean.
    pub fn remember_clean(&self, blob: Oid, clean: Clean) {
        if !self.clean.contains_key(&blob) {
            lock(&self.new_clean).push((blob, clean));
        }
    }

    /// Remembers a commit whose message was scanned clean.
    pub fn remember_clean_message(&self, commit: Oid) {
        if !self.clean_messages.contains(&commit) {
            lock(&self.new_clean_messages).push(commit);
        }
    }

    /// How many commits and clean blobs were known when the cache was opened.
    pub fn known(&self) -> (usize, usize) {
        (self.commits.len(), self.clean.len())
    }

    /// Writes what this run learnt (nothing if it learnt nothing, or if it lives in memory).
    pub fn save(mut self) -> Result<(), CacheError> {
        self.absorb();
        let (Some(commits_file), Some(blobs_file)) = (&self.commits_file, &self.blobs_file) else {
            return Ok(());
        };
        if self.dirty {
            write_file(commits_file, |out| write_commits(out, &self.commits))?;
            write_file(blobs_file, |out| write_blobs(out, &self.clean))?;
            if let Some(messages_file) = &self.messages_file {
                write_file(messages_file, |out| {
                    write_messages(out, &self.clean_messages)
                })?;
            }
        }
        Ok(())
    }
}

impl CommitMemory for HistoryCache {
    fn introduced(&self, commit: Oid) -> Option<&Introduced> {
        HistoryCache::introduced(self, commit)
    }

    fn remember(&self, commit: Oid, introduced: Introduced) {
        self.remember_commit(commit, introduced)
    }

    fn message_clean(&self, commit: Oid) -> bool {
        self.clean_messages.contains(&commit)
    }

    fn remember_clean_message(&self, commit: Oid) {
        HistoryCache::remember_clean_message(self, commit)
    }
}

/// A key for everything that decides what a scan finds: the leakhound version, every rule (as
/// its specification serialises) and the options given as `options` (decoding depth, limits).
pub fn findings_key(rules: &crate::rules::RuleSet, options: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(env!("CARGO_PKG_VERSION").as_bytes());
    hash.update(options.as_bytes());
    for rule in rules.rules() {
        // Serialising a spec cannot fail (plain data); an empty string would still change the
        // key only where the spec does.
        hash.update(serde_json::to_vec(&rule.spec).unwrap_or_default());
        hash.update(b"\n");
    }
    hex(&hash.finalize()[..16])
}

/// The default cache directory: `$XDG_CACHE_HOME/leakhound`, else `~/.cache/leakhound`.
pub fn default_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("leakhound"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads `path` with `parse`; `None` if there is no such file yet.
fn read_file<T>(
    path: &Path,
    parse: impl FnOnce(&mut &[u8]) -> io::Result<T>,
) -> Result<Option<T>, CacheError> {
    let failed = |error: String| CacheError::Read {
        path: path.to_path_buf(),
        error,
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(failed(e.to_string())),
    };
    let mut input = bytes.as_slice();
    let parsed = parse(&mut input).map_err(|e| failed(e.to_string()))?;
    if !input.is_empty() {
        return Err(failed("trailing bytes: the file is damaged".to_string()));
    }
    Ok(Some(parsed))
}

/// Writes `path` whole or not at all: into a temporary file beside it, then renamed.
fn write_file(
    path: &Path,
    write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>,
) -> Result<(), CacheError> {
    let failed = |error: io::Error| CacheError::Write {
        path: path.to_path_buf(),
        error: error.to_string(),
    };
    let mut bytes = Vec::new();
    write(&mut bytes).map_err(failed)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(failed)?;
    // One temporary name per process: two scans of one repository at once each write whole
    // files, and the last rename wins.
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::write(&temp, &bytes).and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(failed(e));
    }
    Ok(())
}

fn damaged(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("damaged: {what}"))
}

fn read_u32(input: &mut &[u8]) -> io::Result<u32> {
    let mut b = [0u8; 4];
    input.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn read_u64(input: &mut &[u8]) -> io::Result<u64> {
    let mut b = [0u8; 8];
    input.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn read_oid(input: &mut &[u8]) -> io::Result<Oid> {
    let mut b = [0u8; 20];
    input.read_exact(&mut b)?;
    Oid::from_bytes(&b).map_err(|_| damaged("object id"))
}

fn read_magic(input: &mut &[u8], magic: &[u8; 8]) -> io::Result<()> {
    let mut b = [0u8; 8];
    input.read_exact(&mut b)?;
    if &b != magic {
        return Err(damaged("not a leakhound cache file of this version"));
    }
    Ok(())
}

/// `LHCOMMT1`, the path table (count, then length-prefixed paths), then each commit: id, parent
/// count and ids, blob count and (id, path index) pairs.
fn write_commits(out: &mut Vec<u8>, commits: &HashMap<Oid, Introduced>) -> io::Result<()> {
    let mut path_index: HashMap<&str, u32> = HashMap::new();
    let mut paths: Vec<&str> = Vec::new();
    for introduced in commits.values() {
        for (_, path) in &introduced.blobs {
            path_index.entry(path).or_insert_with(|| {
                paths.push(path);
                (paths.len() - 1) as u32
            });
        }
    }
    out.write_all(COMMITS_MAGIC)?;
    out.write_all(&(paths.len() as u32).to_le_bytes())?;
    for path in &paths {
        out.write_all(&(path.len() as u32).to_le_bytes())?;
        out.write_all(path.as_bytes())?;
    }
    // Sorted, so that the same cache is the same file.
    let mut ids: Vec<&Oid> = commits.keys().collect();
    ids.sort();
    out.write_all(&(ids.len() as u32).to_le_bytes())?;
    for id in ids {
        let introduced = &commits[id];
        out.write_all(id.as_bytes())?;
        out.write_all(&(introduced.parents.len() as u32).to_le_bytes())?;
        for p in &introduced.parents {
            out.write_all(p.as_bytes())?;
        }
        out.write_all(&(introduced.blobs.len() as u32).to_le_bytes())?;
        for (blob, path) in &introduced.blobs {
            out.write_all(blob.as_bytes())?;
            out.write_all(&path_index[path.as_str()].to_le_bytes())?;
        }
    }
    Ok(())
}

fn read_commits(input: &mut &[u8]) -> io::Result<HashMap<Oid, Introduced>> {
    read_magic(input, COMMITS_MAGIC)?;
    let path_count = read_u32(input)? as usize;
    let mut paths = Vec::with_capacity(path_count.min(1 << 20));
    for _ in 0..path_count {
        let len = read_u32(input)? as usize;
        if len > input.len() {
            return Err(damaged("path length"));
        }
        let (path, rest) = input.split_at(len);
        paths.push(String::from_utf8(path.to_vec()).map_err(|_| damaged("path"))?);
        *input = rest;
    }
    let count = read_u32(input)? as usize;
    let mut commits = HashMap::with_capacity(count.min(1 << 20));
    for _ in 0..count {
        let id = read_oid(input)?;
        let parent_count = read_u32(input)? as usize;
        let parents = (0..parent_count)
            .map(|_| read_oid(input))
            .collect::<io::Result<Vec<_>>>()?;
        let blob_count = read_u32(input)? as usize;
        let mut blobs = Vec::with_capacity(blob_count.min(1 << 16));
        for _ in 0..blob_count {
            let blob = read_oid(input)?;
            let path = paths
                .get(read_u32(input)? as usize)
                .ok_or_else(|| damaged("path index"))?;
            blobs.push((blob, path.clone()));
        }
        commits.insert(id, Introduced { parents, blobs });
    }
    Ok(commits)
}

/// `LHBLOBS1`, the count, then each clean blob sorted by id: id, files, bytes.
fn write_blobs(out: &mut Vec<u8>, clean: &HashMap<Oid, Clean>) -> io::Result<()> {
    out.write_all(BLOBS_MAGIC)?;
    let mut ids: Vec<&Oid> = clean.keys().collect();
    ids.sort();
    out.write_all(&(ids.len() as u32).to_le_bytes())?;
    for id in ids {
        out.write_all(id.as_bytes())?;
        out.write_all(&clean[id].files.to_le_bytes())?;
        out.write_all(&clean[id].bytes.to_le_bytes())?;
    }
    Ok(())
}

fn read_blobs(input: &mut &[u8]) -> io::Result<HashMap<Oid, Clean>> {
    read_magic(input, BLOBS_MAGIC)?;
    let count = read_u32(input)? as usize;
    let mut clean = HashMap::with_capacity(count.min(1 << 22));
    for _ in 0..count {
        let id = read_oid(input)?;
        let files = read_u32(input)?;
        let bytes = read_u64(input)?;
        clean.insert(id, Clean { files, bytes });
    }
    Ok(clean)
}

/// `LHMSGS01`, the count, then the ids of the commits with clean messages, sorted.
fn write_messages(out: &mut Vec<u8>, clean: &HashSet<Oid>) -> io::Result<()> {
    out.write_all(MESSAGES_MAGIC)?;
    let mut ids: Vec<&Oid> = clean.iter().collect();
    ids.sort();
    out.write_all(&(ids.len() as u32).to_le_bytes())?;
    for id in ids {
        out.write_all(id.as_bytes())?;
    }
    Ok(())
}

fn read_messages(input: &mut &[u8]) -> io::Result<HashSet<Oid>> {
    read_magic(input, MESSAGES_MAGIC)?;
    let count = read_u32(input)? as usize;
    let mut clean = HashSet::with_capacity(count.min(1 << 22));
    for _ in 0..count {
        clean.insert(read_oid(input)?);
    }
    Ok(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(n: u8) -> Oid {
        Oid::from_bytes(&[n; 20]).expect("oid")
    }

    #[test]
    fn what_is_remembered_is_read_back_and_keys_keep_apart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let git_dir = dir.path().join("repo.git");
        std::fs::create_dir(&git_dir).expect("mkdir");
        let cache = HistoryCache::open(dir.path(), &git_dir, "rules-a").expect("opens");
        assert_eq!(cache.known(), (0, 0));
        let introduced = Introduced {
            parents: vec![oid(1)],
            blobs: vec![(oid(2), "src/a.rs".into()), (oid(3), "b/é.txt".into())],
        };
        cache.remember_commit(oid(9), introduced.clone());
        cache.remember_clean_message(oid(9));
        cache.remember_clean(
            oid(2),
            Clean {
                files: 1,
                bytes: 42,
            },
        );
        cache.save().expect("saves");

        let again = HistoryCache::open(dir.path(), &git_dir, "rules-a").expect("opens");
        assert_eq!(again.known(), (1, 1));
        assert_eq!(again.introduced(oid(9)), Some(&introduced));
        assert_eq!(
            again.clean(oid(2)),
            Some(Clean {
                files: 1,
                bytes: 42
            })
        );
        assert_eq!(again.clean(oid(3)), None);
        assert!(again.message_clean(oid(9)) && !again.message_clean(oid(8)));
        // Other rules: commits still known, clean blobs and messages not.
        let other = HistoryCache::open(dir.path(), &git_dir, "rules-b").expect("opens");
        assert_eq!(other.known(), (1, 0));
        assert!(!other.message_clean(oid(9)));
    }

    #[test]
    fn a_damaged_cache_is_an_error_not_a_wrong_answer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let git_dir = dir.path().join("repo.git");
        std::fs::create_dir(&git_dir).expect("mkdir");
        let cache = HistoryCache::open(dir.path(), &git_dir, "k").expect("opens");
        cache.remember_clean(
            oid(2),
            Clean {
                files: 1,
                bytes: 42,
            },
        );
        cache.remember_commit(
            oid(9),
            Introduced {
                parents: vec![],
                blobs: vec![(oid(2), "a".into())],
            },
        );
        let blobs_file = cache.blobs_file.clone().expect("on disk");
        let commits_file = cache.commits_file.clone().expect("on disk");
        cache.save().expect("saves");
        for file in [&blobs_file, &commits_file] {
            let good = std::fs::read(file).expect("read");
            for cut in [3, good.len() - 1] {
                std::fs::write(file, &good[..cut]).expect("write");
                let err = HistoryCache::open(dir.path(), &git_dir, "k").expect_err("damaged");
                assert!(err.to_string().contains("scan cache"), "{err}");
            }
            let mut longer = good.clone();
            longer.push(0);
            std::fs::write(file, &longer).expect("write");
            assert!(HistoryCache::open(dir.path(), &git_dir, "k").is_err());
            std::fs::write(file, &good).expect("write");
        }
    }
}
