//! Git history as a source: which blobs the selected commits introduce and where, and reading
//! those blobs.
//!
//! A commit introduces a blob at a path when its tree has that blob there and none of its parents
//! does (for a root commit, or one whose parents a shallow clone lacks: its whole tree). Trees are
//! compared entry by entry on their raw bytes, and a subtree that is identical in a parent is not
//! entered, so the work per commit is proportional to what it changed. Each blob is listed once,
//! with every path it appeared at and the first commit (in the order of
//! [`super::git::select_commits`]) that put it there: a blob is read and scanned once however
//! many commits and paths contain it.
//!
//! Objects are read through [`super::objects`], newest first: each shard of commits is walked
//! from its newest commit down, and a file's versions are read newest first, because git's
//! packs store an older version as a delta of a newer one (the newer is then in the reader's
//! cache of delta bases when the older is read). [`BlobReader`] lends each scanning thread its
//! own reader.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use git2::{ErrorCode, Odb, OdbObject, Oid, Repository};
use rayon::prelude::*;

use super::objects::{ObjectReader, ObjectStore};
use super::{SkipReason, Skipped};

/// Where a blob was first seen at one path: indexes into [`History::paths`] and
/// [`History::commits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobAppearance {
    pub path: u32,
    pub commit: u32,
}

/// A blob to scan, and everywhere it appeared.
#[derive(Debug, Clone)]
pub struct HistoryBlob {
    pub id: Oid,
    /// One per path, with the earliest commit that introduced the blob there.
    pub appearances: Vec<BlobAppearance>,
}

/// What one commit introduces: its parents, and each blob its tree has at a path where none of
/// its parents has it. A commit id fixes both, so this never changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Introduced {
    pub parents: Vec<Oid>,
    pub blobs: Vec<(Oid, String)>,
}

/// A memory of what commits introduce, kept between runs (the scan cache): a commit it knows is
/// not walked again. Only commits walked without a skip or a submodule are remembered.
///
/// It may also know which commits' messages were scanned clean (with the rules of this scan): a
/// known commit whose message is clean is not read at all.
pub trait CommitMemory: Sync {
    fn introduced(&self, commit: Oid) -> Option<&Introduced>;
    fn remember(&self, commit: Oid, introduced: Introduced);
    fn message_clean(&self, commit: Oid) -> bool;
    fn remember_clean_message(&self, commit: Oid);
}

/// What the selected commits introduced.
#[derive(Debug, Default)]
pub struct History {
    /// The selected commits, parents before children.
    pub commits: Vec<Oid>,
    /// Commits left out (by `--since` or `--range`) whose children were selected: what the
    /// repository held before the selected commits.
    pub boundary: Vec<Oid>,
    /// Every path a blob appeared at, `/`-separated, relative to the repository root.
    pub paths: Vec<String>,
    /// Unique blobs, ordered by the path they first appeared at, so that successive versions of
    /// one file are read one after another (they share delta bases in a pack), newest first.
    pub blobs: Vec<HistoryBlob>,
    /// Submodules and unreadable trees.
    pub skipped: Vec<Skipped>,
}

/// What the tree walk hands on: how many commits are done (for progress), and each commit's
/// message (which is at hand then, and is not kept) with the commit's index and id; `message`
/// says whether the message is clean (nothing found in it).
pub struct OnCommit<'a> {
    pub done: &'a (dyn Fn(usize) + Sync),
    pub message: &'a OnMessage<'a>,
}

/// Scans a commit's message (index, id, text); `true` if nothing was found.
pub type OnMessage<'a> = dyn Fn(u32, Oid, &[u8]) -> bool + Sync + 'a;

/// Lists the blobs that `commits` (parents before children) introduce, telling `on_commit`.
///
/// Each commit is compared with its own parents only, so the commits are split into contiguous
/// shards walked in parallel (each with its own object reader, newest commit first), and the
/// shards' results are merged keeping the earliest commit for each blob and path.
pub fn enumerate(
    store: &ObjectStore,
    commits: Vec<Oid>,
    on_commit: &OnCommit<'_>,
    memory: Option<&dyn CommitMemory>,
) -> History {
    let selected: HashSet<Oid> = commits.iter().copied().collect();
    let done = AtomicUsize::new(0);
    let shard_len = (commits.len() / (rayon::current_num_threads() * 8)).max(256);
    let shards: Vec<Shard> = commits
        .par_chunks(shard_len)
        .enumerate()
        .map(|(n, chunk)| {
            let first = n * shard_len;
            let mut walker = TreeWalker::new(store.reader(), &selected, memory);
            for (i, &oid) in chunk.iter().enumerate().rev() {
                walker.commit(oid, (first + i) as u32, on_commit.message);
                (on_commit.done)(done.fetch_add(1, Ordering::Relaxed) + 1);
            }
            walker.shard
        })
        .collect();
    merge(commits, shards)
}

/// How a path is named inside the walker: its index in the path table.
type PathId = u32;

/// What one shard of commits introduced, with its own path table.
#[derive(Debug, Default)]
struct Shard {
    path_ids: HashMap<Vec<u8>, PathId>,
    paths: Vec<Vec<u8>>,
    /// (blob, path) → the first commit that put the blob at the path.
    first_seen: HashMap<(Oid, PathId), u32>,
    boundary: Vec<Oid>,
    submodules: HashSet<PathId>,
    skipped: Vec<Skipped>,
}

impl Shard {
    /// Records that commit `commit` has `blob` at `path`: shards are walked newest commit first,
    /// and the earliest is kept.
    fn saw(&mut self, blob: Oid, path: PathId, commit: u32) {
        self.first_seen
            .entry((blob, path))
            .and_modify(|c| *c = (*c).min(commit))
            .or_insert(commit);
    }

    fn path_id(&mut self, path: &[u8]) -> PathId {
        if let Some(&id) = self.path_ids.get(path) {
            return id;
        }
        let id = self.paths.len() as PathId;
        self.paths.push(path.to_vec());
        self.path_ids.insert(path.to_vec(), id);
        id
    }
}

/// One history from the shards: one path table, the earliest commit per blob and path, blobs
/// ordered for reading.
fn merge(commits: Vec<Oid>, shards: Vec<Shard>) -> History {
    let mut paths: Vec<String> = Vec::new();
    let mut path_ids: HashMap<Vec<u8>, PathId> = HashMap::new();
    let mut first_seen: HashMap<(Oid, PathId), u32> = HashMap::new();
    let mut boundary: Vec<Oid> = Vec::new();
    let mut submodule_paths: HashSet<String> = HashSet::new();
    let mut skipped = Vec::new();
    for shard in shards {
        let global: Vec<PathId> = shard
            .paths
            .into_iter()
            .map(|p| {
                let next = path_ids.len() as PathId;
                *path_ids.entry(p).or_insert_with_key(|p| {
                    paths.push(String::from_utf8_lossy(p).into_owned());
                    next
                })
            })
            .collect();
        for ((blob, path), commit) in shard.first_seen {
            let seen = first_seen
                .entry((blob, global[path as usize]))
                .or_insert(commit);
            *seen = (*seen).min(commit);
        }
        for b in shard.boundary {
            if !boundary.contains(&b) {
                boundary.push(b);
            }
        }
        for s in shard.skipped {
            // A submodule is named once, however many shards saw it.
            let repeated = matches!(s.reason, SkipReason::Submodule { .. })
                && !submodule_paths.insert(s.path.clone());
            if !repeated {
                skipped.push(s);
            }
        }
    }
    let mut by_blob: HashMap<Oid, Vec<BlobAppearance>> = HashMap::new();
    for ((blob, path), commit) in first_seen {
        by_blob
            .entry(blob)
            .or_default()
            .push(BlobAppearance { path, commit });
    }
    let mut blobs: Vec<HistoryBlob> = by_blob
        .into_iter()
        .map(|(id, mut appearances)| {
            appearances.sort_by_key(|a| (a.commit, a.path));
            HistoryBlob { id, appearances }
        })
        .collect();
    // Versions of one file together, newest first (ties broken by id, for determinism).
    blobs.sort_by(|a, b| {
        let key = |blob: &HistoryBlob| {
            let first = blob.appearances[0];
            (&paths[first.path as usize], std::cmp::Reverse(first.commit))
        };
        key(a).cmp(&key(b)).then(a.id.cmp(&b.id))
    });
    History {
        commits,
        boundary,
        paths,
        blobs,
        skipped,
    }
}

/// Walks the trees of one shard's commits.
struct TreeWalker<'r> {
    objects: ObjectReader,
    selected: &'r HashSet<Oid>,
    /// Tree id of each commit seen so far (parents are usually among them).
    commit_trees: HashMap<Oid, Oid>,
    /// Raw trees read for this commit and for the one before: in a mostly linear history the
    /// parent's trees are the ones just read.
    trees_now: HashMap<Oid, Rc<Vec<u8>>>,
    trees_before: HashMap<Oid, Rc<Vec<u8>>>,
    shard: Shard,
    memory: Option<&'r dyn CommitMemory>,
    /// The (blob, path) pairs the commit being walked introduces, for `memory`, and whether it
    /// may be remembered (no submodule in it).
    introduced: Vec<(Oid, PathId)>,
    rememberable: bool,
}

impl<'r> TreeWalker<'r> {
    fn new(
        objects: ObjectReader,
        selected: &'r HashSet<Oid>,
        memory: Option<&'r dyn CommitMemory>,
    ) -> TreeWalker<'r> {
        TreeWalker {
            objects,
            selected,
            commit_trees: HashMap::new(),
            trees_now: HashMap::new(),
            trees_before: HashMap::new(),
            shard: Shard::default(),
            memory,
            introduced: Vec::new(),
            rememberable: true,
        }
    }

    fn commit(&mut self, oid: Oid, index: u32, on_message: &OnMessage<'_>) {
        let Some(memory) = self.memory else {
            self.walk_commit(oid, index, on_message);
            return;
        };
        if let Some(known) = memory.introduced(oid) {
            // A message found clean with these rules is not read again; another is read and
            // scanned as in a cold scan.
            if !memory.message_clean(oid) {
                match self.objects.commit(oid) {
                    Ok(c) => {
                        if on_message(index, oid, &c.message) {
                            memory.remember_clean_message(oid);
                        }
                    }
                    Err(e) => {
                        let skip = object_skip(String::new(), &oid.to_string(), &e);
                        return self.shard.skipped.push(skip);
                    }
                }
            }
            return self.replay(known, index);
        }
        let skips = self.shard.skipped.len();
        self.introduced.clear();
        self.rememberable = true;
        let Some(parents) = self.walk_commit(oid, index, on_message) else {
            return;
        };
        if !self.rememberable || self.shard.skipped.len() != skips {
            return;
        }
        // Paths that are not UTF-8 are named lossily in reports; a commit with one is walked
        // again rather than remembered under another name.
        let mut blobs = Vec::with_capacity(self.introduced.len());
        for &(blob, path) in &self.introduced {
            match std::str::from_utf8(&self.shard.paths[path as usize]) {
                Ok(path) => blobs.push((blob, path.to_string())),
                Err(_) => return,
            }
        }
        memory.remember(oid, Introduced { parents, blobs });
    }

    /// Records what a remembered commit introduces, as walking it would.
    fn replay(&mut self, known: &Introduced, index: u32) {
        for &p in &known.parents {
            if !self.selected.contains(&p) && !self.shard.boundary.contains(&p) {
                self.shard.boundary.push(p);
            }
        }
        for (blob, path) in &known.blobs {
            let path = self.shard.path_id(path.as_bytes());
            self.shard.saw(*blob, path, index);
        }
    }

    /// Walks one commit's tree against its parents'; its parents, `None` if it cannot be read.
    fn walk_commit(
        &mut self,
        oid: Oid,
        index: u32,
        on_message: &OnMessage<'_>,
    ) -> Option<Vec<Oid>> {
        let commit = match self.objects.commit(oid) {
            Ok(c) => c,
            Err(e) => {
                self.shard
                    .skipped
                    .push(object_skip(String::new(), &oid.to_string(), &e));
                return None;
            }
        };
        if on_message(index, oid, &commit.message) {
            if let Some(memory) = self.memory {
                memory.remember_clean_message(oid);
            }
        }
        self.commit_trees.insert(oid, commit.tree);
        for &p in &commit.parents {
            if !self.selected.contains(&p) && !self.shard.boundary.contains(&p) {
                self.shard.boundary.push(p);
            }
        }
        let parent_trees: Vec<Oid> = commit
            .parents
            .iter()
            .filter_map(|&p| self.tree_of_commit(p))
            .collect();
        self.trees_before = std::mem::take(&mut self.trees_now);
        let mut prefix = Vec::new();
        self.diff(commit.tree, &parent_trees, &mut prefix, index);
        Some(commit.parents)
    }

    /// The tree of a commit that may not be among the selected ones (a `--since` boundary).
    /// `None` when it cannot be read: the child is then compared with nothing, which scans more,
    /// never less.
    fn tree_of_commit(&mut self, oid: Oid) -> Option<Oid> {
        if let Some(&tree) = self.commit_trees.get(&oid) {
            return Some(tree);
        }
        match self.objects.commit(oid) {
            Ok(c) => {
                self.commit_trees.insert(oid, c.tree);
                Some(c.tree)
            }
            Err(e) => {
                self.shard
                    .skipped
                    .push(object_skip(String::new(), &oid.to_string(), &e));
                None
            }
        }
    }

    /// A raw tree, from this commit's or the previous commit's reads, or from the store.
    fn tree(&mut self, oid: Oid, path: &[u8]) -> Option<Rc<Vec<u8>>> {
        if let Some(t) = self.trees_now.get(&oid) {
            return Some(Rc::clone(t));
        }
        let found = match self.trees_before.get(&oid) {
            Some(t) => Rc::clone(t),
            None => match self.objects.read_owned(oid) {
                Ok(t) => Rc::new(t),
                Err(e) => {
                    let path = String::from_utf8_lossy(path).into_owned();
                    self.shard
                        .skipped
                        .push(object_skip(path, &oid.to_string(), &e));
                    return None;
                }
            },
        };
        self.trees_now.insert(oid, Rc::clone(&found));
        Some(found)
    }

    fn corrupt_tree(&mut self, prefix: &[u8], tree: Oid, error: String) {
        self.shard.skipped.push(Skipped {
            path: String::from_utf8_lossy(prefix).into_owned(),
            reason: SkipReason::CorruptObject {
                object: tree.to_string(),
                error,
            },
        });
    }

    /// Records what `tree` (at `prefix`) has that none of `parents` has at the same place.
    fn diff(&mut self, tree: Oid, parents: &[Oid], prefix: &mut Vec<u8>, commit: u32) {
        if parents.contains(&tree) {
            return;
        }
        let Some(raw) = self.tree(tree, prefix) else {
            return;
        };
        let parent_raws: Vec<Rc<Vec<u8>>> = parents
            .iter()
            .filter_map(|&p| self.tree(p, prefix))
            .collect();
        let (entries, first_parent_entries) =
            match entries_to_compare(&raw, parent_raws.first().map(|p| p.as_slice())) {
                Ok(parsed) => parsed,
                Err(error) => return self.corrupt_tree(prefix, tree, error),
            };
        // A damaged parent tree counts as empty: more is scanned, nothing is missed.
        let parent_entries: Vec<Vec<Entry<'_>>> = first_parent_entries
            .into_iter()
            .chain(
                parent_raws
                    .iter()
                    .skip(1)
                    .map(|p| parse_tree(p).unwrap_or_default()),
            )
            .collect();
        let mut cursors = vec![0usize; parent_entries.len()];
        for entry in &entries {
            let mut same_in_a_parent = false;
            let mut parent_subtrees = Vec::new();
            for (p, cursor) in parent_entries.iter().zip(cursors.iter_mut()) {
                while *cursor < p.len() && p[*cursor].cmp_key(entry).is_lt() {
                    *cursor += 1;
                }
                if let Some(pe) = p.get(*cursor).filter(|pe| pe.cmp_key(entry).is_eq()) {
                    if pe.id == entry.id {
                        same_in_a_parent = true;
                    } else if pe.kind == Kind::Tree {
                        parent_subtrees.push(pe.id);
                    }
                }
            }
            if same_in_a_parent {
                continue;
            }
            let len = prefix.len();
            prefix.extend_from_slice(entry.name);
            match entry.kind {
                Kind::Tree => {
                    prefix.push(b'/');
                    self.diff(entry.id, &parent_subtrees, prefix, commit);
                }
                Kind::Blob => {
                    let path = self.shard.path_id(prefix);
                    self.shard.saw(entry.id, path, commit);
                    if self.memory.is_some() {
                        self.introduced.push((entry.id, path));
                    }
                }
                Kind::Submodule => {
                    // A commit with a submodule is not remembered: its skip must be said again.
                    self.rememberable = false;
                    let path = self.shard.path_id(prefix);
                    if self.shard.submodules.insert(path) {
                        self.shard.skipped.push(Skipped {
                            path: String::from_utf8_lossy(prefix).into_owned(),
                            reason: SkipReason::Submodule {
                                commit: entry.id.to_string(),
                            },
                        });
                    }
                }
            }
            prefix.truncate(len);
        }
    }
}

/// The entries of raw `tree` to compare with its parents', and those of its first parent
/// (empty if that is damaged: more is scanned, nothing is missed).
///
/// Entries wholly inside the bytes that the tree begins or ends with as its first parent does
/// are that parent's, and are not parsed: most commits change a few entries of large trees.
/// The bytes both end with count only from where an entry begins in each; where they do not,
/// both are parsed to their ends.
fn entries_to_compare<'t>(
    tree: &'t [u8],
    first_parent: Option<&'t [u8]>,
) -> Result<(Vec<Entry<'t>>, Option<Vec<Entry<'t>>>), String> {
    let Some(parent) = first_parent else {
        return Ok((parse_tree(tree)?, None));
    };
    let shared = shared_entries_end(tree, parent);
    let tail = common_suffix_len(&tree[shared..], &parent[shared..]);
    let (mut entries, end) = parse_tree_until(tree, shared, tail)?;
    let rest = tree.len() - end;
    let parent_entries = match parse_tree_until(parent, shared, rest) {
        Ok((e, at)) if at == parent.len() - rest => e,
        _ => {
            entries.extend(parse_tree(&tree[end..])?);
            parse_tree(&parent[shared..]).unwrap_or_default()
        }
    };
    Ok((entries, Some(parent_entries)))
}

/// What a tree entry points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tree,
    /// A file or a symbolic link (whose blob is the link target).
    Blob,
    /// A gitlink: a commit of another repository.
    Submodule,
}

/// One entry of a raw tree.
#[derive(Debug, Clone, Copy)]
struct Entry<'a> {
    kind: Kind,
    name: &'a [u8],
    id: Oid,
}

impl Entry<'_> {
    /// Git's tree order: names compared as bytes, a tree's name as if it ended in `/`.
    fn cmp_key(&self, other: &Entry<'_>) -> std::cmp::Ordering {
        let end = |e: &Entry<'_>| if e.kind == Kind::Tree { b'/' } else { 0 };
        let common = self.name.len().min(other.name.len());
        self.name[..common]
            .cmp(&other.name[..common])
            .then_with(|| {
                let a = self.name.get(common).copied().unwrap_or_else(|| end(self));
                let b = other
                    .name
                    .get(common)
                    .copied()
                    .unwrap_or_else(|| end(other));
                a.cmp(&b)
            })
            .then_with(|| self.name.len().cmp(&other.name.len()))
    }
}

/// Where the first entry of raw tree `a` ends that is not wholly inside the bytes `a` and `b`
/// begin with (0 if none is). Both trees have their entries at the same offsets up to there:
/// the same bytes parse the same way. Damage inside the shared bytes is the parent's too, and
/// is reported where the parent's tree is walked; damage past them stops the count, and
/// [`parse_tree`] reports it here.
fn shared_entries_end(a: &[u8], b: &[u8]) -> usize {
    const ID_LEN: usize = 20;
    let common = common_prefix_len(a, b);
    let mut at = 0;
    while at < common {
        let Some(nul) = memchr::memchr(0, &a[at..common]) else {
            break;
        };
        let end = at + nul + 1 + ID_LEN;
        if end > common {
            break;
        }
        at = end;
    }
    at
}

/// How many bytes `a` and `b` begin with in common: 32 bytes at a time (a slice comparison is
/// one `memcmp`), then byte by byte.
fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    const CHUNK: usize = 32;
    let whole = a
        .chunks_exact(CHUNK)
        .zip(b.chunks_exact(CHUNK))
        .take_while(|(x, y)| x == y)
        .count()
        * CHUNK;
    whole
        + a[whole..]
            .iter()
            .zip(&b[whole..])
            .take_while(|(x, y)| x == y)
            .count()
}

/// How many bytes `a` and `b` end with in common, as [`common_prefix_len`] counts them from
/// the start.
fn common_suffix_len(a: &[u8], b: &[u8]) -> usize {
    const CHUNK: usize = 32;
    let whole = a
        .rchunks_exact(CHUNK)
        .zip(b.rchunks_exact(CHUNK))
        .take_while(|(x, y)| x == y)
        .count()
        * CHUNK;
    whole
        + a[..a.len() - whole]
            .iter()
            .rev()
            .zip(b[..b.len() - whole].iter().rev())
            .take_while(|(x, y)| x == y)
            .count()
}

/// Parses a raw tree: `<octal mode> <name>\0<20-byte id>`, repeated.
fn parse_tree(data: &[u8]) -> Result<Vec<Entry<'_>>, String> {
    parse_tree_until(data, 0, 0).map(|(entries, _)| entries)
}

/// Parses the entries of a raw tree from offset `from` on, stopping before an entry once no
/// more than `keep` bytes are left: the entries, and the offset where parsing stopped.
fn parse_tree_until(
    data: &[u8],
    from: usize,
    keep: usize,
) -> Result<(Vec<Entry<'_>>, usize), String> {
    const ID_LEN: usize = 20;
    let mut entries = Vec::new();
    let whole = data;
    let mut data = &data[from..];
    while data.len() > keep {
        let bad = || "malformed tree entry".to_string();
        let space = memchr::memchr(b' ', data).ok_or_else(bad)?;
        let mode = &data[..space];
        let rest = &data[space + 1..];
        let nul = memchr::memchr(0, rest).ok_or_else(bad)?;
        let name = &rest[..nul];
        let id_bytes = rest.get(nul + 1..nul + 1 + ID_LEN).ok_or_else(bad)?;
        let id = Oid::from_bytes(id_bytes).map_err(|_| bad())?;
        let kind = match mode {
            b"40000" | b"040000" => Kind::Tree,
            b"160000" => Kind::Submodule,
            _ => Kind::Blob,
        };
        entries.push(Entry { kind, name, id });
        data = &rest[nul + 1 + ID_LEN..];
    }
    Ok((entries, whole.len() - data.len()))
}

/// Reads a blob unless it is larger than `max_size` (its size is read first, from the header).
pub fn read_blob<'o>(
    odb: &'o Odb<'_>,
    id: Oid,
    max_size: u64,
) -> Result<OdbObject<'o>, SkipReason> {
    let fail = |e: git2::Error| object_skip(String::new(), &id.to_string(), &e).reason;
    let (size, _) = odb.read_header(id).map_err(fail)?;
    within_limit(size as u64, max_size)?;
    odb.read(id).map_err(fail)
}

/// A blob of `size` bytes is read only up to `max_size`.
fn within_limit(size: u64, max_size: u64) -> Result<(), SkipReason> {
    if size > max_size {
        return Err(SkipReason::TooLarge {
            size,
            limit: max_size,
        });
    }
    Ok(())
}

/// A skip for an object that could not be read: missing, or damaged.
pub fn object_skip(path: String, object: &str, e: &git2::Error) -> Skipped {
    let reason = if e.code() == ErrorCode::NotFound {
        SkipReason::MissingObject {
            object: object.to_string(),
        }
    } else {
        // The loose-object reader names the object for libgit2's callers; here it is named
        // already.
        let named = format!("loose object {object} is damaged: ");
        let error = match e.message().strip_prefix(&named) {
            Some(why) => format!("damaged loose object: {why}"),
            None => e.message().to_string(),
        };
        SkipReason::CorruptObject {
            object: object.to_string(),
            error,
        }
    };
    Skipped { path, reason }
}

/// Reads blobs from many threads: a pool of object readers, one lent to each reader at a time.
pub struct BlobReader {
    store: ObjectStore,
    readers: Mutex<Vec<ObjectReader>>,
    /// libgit2's handles, for [`BlobReader::with_odb`].
    pool: Mutex<Vec<Repository>>,
    max_size: u64,
}

impl BlobReader {
    /// A reader for the objects of `store`, skipping blobs larger than `max_size` bytes.
    pub fn new(store: ObjectStore, max_size: u64) -> BlobReader {
        BlobReader {
            store,
            readers: Mutex::new(Vec::new()),
            pool: Mutex::new(Vec::new()),
            max_size,
        }
    }

    /// The largest blob that is read; larger ones are skipped as too large.
    pub fn max_size(&self) -> u64 {
        self.max_size
    }

    /// Calls `f` with the blob's bytes, or says why it cannot (its size is read first, from its
    /// header).
    pub fn with_blob<R>(&self, id: Oid, f: impl FnOnce(&[u8]) -> R) -> Result<R, SkipReason> {
        let taken = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut reader = taken.unwrap_or_else(|| self.store.reader());
        let fail = |e: git2::Error| object_skip(String::new(), &id.to_string(), &e).reason;
        let result = reader
            .size(id)
            .map_err(fail)
            .and_then(|size| within_limit(size, self.max_size))
            .and_then(|()| reader.read(id).map(f).map_err(fail));
        reader.release_large_buffer();
        self.readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(reader);
        result
    }

    /// Calls `f` with an object database handle that no other thread is using.
    pub fn with_odb<R>(&self, f: impl FnOnce(&Odb<'_>) -> R) -> Result<R, SkipReason> {
        let repo = self.take()?;
        let result = repo
            .odb()
            .map(|odb| f(&odb))
            .map_err(|e| object_skip(String::new(), "object database", &e).reason);
        self.pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(repo);
        result
    }

    fn take(&self) -> Result<Repository, SkipReason> {
        if let Some(repo) = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Ok(repo);
        }
        super::git::open_git_dir(self.store.git_dir()).map_err(|e| SkipReason::Unreadable {
            error: format!("cannot open the repository: {}", e.message()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_share_the_entries_of_their_common_bytes() {
        // Ids full of zero bytes, and names that share a prefix.
        let a: Vec<u8> = [
            raw_entry("100644", "a.txt", 0),
            raw_entry("40000", "lib", 7),
            raw_entry("100644", "lib.rs", 0),
            raw_entry("100644", "z", 3),
        ]
        .concat();
        let mut b = a.clone();
        // Change the third entry's id: the first two are shared.
        let third = raw_entry("100644", "a.txt", 0).len() + raw_entry("40000", "lib", 7).len();
        b[third + "100644 lib.rs\0".len() + 5] = 9;
        assert_eq!(shared_entries_end(&a, &b), third);
        assert_eq!(parse_tree(&a[third..]).expect("parses")[0].name, b"lib.rs");
        // Identical trees share everything; a changed first byte shares nothing.
        assert_eq!(shared_entries_end(&a, &a), a.len());
        let mut c = a.clone();
        c[0] = b'4';
        assert_eq!(shared_entries_end(&a, &c), 0);
        // A change inside a name cuts before that entry.
        let mut d = a.clone();
        d[third + 8] = b'X';
        assert_eq!(shared_entries_end(&a, &d), third);
        for len in 0..a.len() {
            let p = common_prefix_len(&a[..len], &a);
            assert_eq!(p, len);
        }
        assert_eq!(common_prefix_len(&a, &d), third + 8);
    }

    #[test]
    fn only_the_entries_between_the_shared_ends_are_compared() {
        let names = |entries: &[Entry<'_>]| -> Vec<String> {
            entries
                .iter()
                .map(|e| String::from_utf8_lossy(e.name).into_owned())
                .collect()
        };
        let tree = |entries: &[(&str, u8)]| -> Rc<Vec<u8>> {
            Rc::new(
                entries
                    .iter()
                    .flat_map(|&(n, id)| raw_entry("100644", n, id))
                    .collect(),
            )
        };
        let parent = tree(&[("a", 1), ("b", 2), ("c", 3), ("d", 4)]);
        let changed = tree(&[("a", 1), ("b", 9), ("c", 3), ("d", 4)]);
        let (entries, theirs) = entries_to_compare(&changed, Some(&parent)).unwrap();
        assert_eq!(
            (names(&entries), names(&theirs.unwrap())),
            (vec!["b".into()], vec!["b".into()])
        );
        let added = tree(&[("a", 1), ("b", 2), ("bb", 5), ("c", 3), ("d", 4)]);
        let (entries, theirs) = entries_to_compare(&added, Some(&parent)).unwrap();
        assert_eq!(names(&entries), vec!["bb"]);
        assert!(theirs.unwrap().is_empty());
        let appended = tree(&[("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 6)]);
        let (entries, _) = entries_to_compare(&appended, Some(&parent)).unwrap();
        assert_eq!(names(&entries), vec!["e"]);
        let (entries, theirs) = entries_to_compare(&parent, None).unwrap();
        assert_eq!((entries.len(), theirs.is_none()), (4, true));

        // The parent's last entry is named "x100644 foo", so the tree's last entry "foo" ends
        // as the parent's does without beginning where an entry of the parent begins: "foo"
        // must not pass for the parent's.
        let parent = tree(&[("a", 1), ("x100644 foo", 7)]);
        let child = tree(&[("a", 1), ("b", 2), ("foo", 7)]);
        let (entries, theirs) = entries_to_compare(&child, Some(&parent)).unwrap();
        assert_eq!(names(&entries), vec!["b", "foo"]);
        assert_eq!(names(&theirs.unwrap()), vec!["x100644 foo"]);
        // Damage past the shared bytes is the tree's to report.
        let mut damaged = (*child).clone();
        damaged.truncate(damaged.len() - 3);
        assert!(entries_to_compare(&damaged, Some(&parent)).is_err());
        for (a, b) in [
            (&b"abcdef"[..], &b"xxcdef"[..]),
            (b"", b"ab"),
            (&[7u8; 70][..], &[7u8; 90][..]),
        ] {
            let want = a
                .iter()
                .rev()
                .zip(b.iter().rev())
                .take_while(|(x, y)| x == y)
                .count();
            assert_eq!(common_suffix_len(a, b), want);
        }
    }

    fn raw_entry(mode: &str, name: &str, id: u8) -> Vec<u8> {
        let mut v = format!("{mode} {name}\0").into_bytes();
        v.extend([id; 20]);
        v
    }

    #[test]
    fn raw_trees_parse() {
        let mut raw = raw_entry("100644", "a.txt", 1);
        raw.extend(raw_entry("40000", "dir", 2));
        raw.extend(raw_entry("160000", "sub", 3));
        raw.extend(raw_entry("120000", "link", 4));
        let entries = parse_tree(&raw).unwrap();
        let kinds: Vec<_> = entries.iter().map(|e| (e.name, e.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                (&b"a.txt"[..], Kind::Blob),
                (&b"dir"[..], Kind::Tree),
                (&b"sub"[..], Kind::Submodule),
                (&b"link"[..], Kind::Blob)
            ]
        );
        assert_eq!(entries[1].id, Oid::from_bytes(&[2; 20]).unwrap());
        assert!(parse_tree(&raw[..raw.len() - 3]).is_err());
        assert!(parse_tree(b"100644 no-nul").is_err());
    }

    #[test]
    fn shards_merge_to_the_earliest_commit_per_blob_and_path() {
        let (x, y) = (
            Oid::from_bytes(&[1; 20]).unwrap(),
            Oid::from_bytes(&[2; 20]).unwrap(),
        );
        let mut later = Shard::default();
        let a = later.path_id(b"a.txt");
        let b = later.path_id(b"b.txt");
        later.first_seen.insert((x, a), 7);
        later.first_seen.insert((y, b), 8);
        later.skipped.push(Skipped {
            path: "vendor".into(),
            reason: SkipReason::Submodule { commit: "c".into() },
        });
        let mut earlier = Shard::default();
        let b2 = earlier.path_id(b"b.txt");
        let a2 = earlier.path_id(b"a.txt");
        earlier.first_seen.insert((x, a2), 3);
        earlier.first_seen.insert((x, b2), 4);
        earlier.skipped = later.skipped.clone();
        let history = merge(vec![Oid::zero(); 9], vec![later, earlier]);

        assert_eq!(history.paths, vec!["a.txt", "b.txt"]);
        let x_blob = history.blobs.iter().find(|bl| bl.id == x).unwrap();
        assert_eq!(
            x_blob.appearances,
            vec![
                BlobAppearance { path: 0, commit: 3 },
                BlobAppearance { path: 1, commit: 4 }
            ]
        );
        assert_eq!(history.blobs.len(), 2);
        assert_eq!(history.blobs[0].id, x, "ordered by first path");
        assert_eq!(history.skipped.len(), 1, "a submodule is named once");
    }

    #[test]
    fn tree_order_is_gits() {
        let e = |name: &'static str, kind| Entry {
            kind,
            name: name.as_bytes(),
            id: Oid::zero(),
        };
        // "a.b" < "a/" < "a0": a directory sorts as if its name ended in '/'.
        assert!(e("a.b", Kind::Blob).cmp_key(&e("a", Kind::Tree)).is_lt());
        assert!(e("a", Kind::Tree).cmp_key(&e("a0", Kind::Blob)).is_lt());
        assert!(e("a", Kind::Blob).cmp_key(&e("a.b", Kind::Blob)).is_lt());
        assert!(e("a", Kind::Tree).cmp_key(&e("a", Kind::Tree)).is_eq());
        assert!(!e("a", Kind::Tree).cmp_key(&e("a", Kind::Blob)).is_eq());
    }
}
