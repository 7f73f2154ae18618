//! Reading a repository's objects for a history scan: fast through gitoxide's object store,
//! with libgit2 as the authority on any object that cannot be read.
//!
//! A cold history scan reads every tree and blob the history has: on the git/git-sized history
//! of `benches/big_history.py`, 477,000 trees (3.1 GB once their deltas are applied) and 206,000 blobs. libgit2 takes a
//! mutex of the pack on every read, which two reading threads spend a quarter of their time
//! waiting on; gitoxide's store (`gix-odb`) gives each thread a handle of its own, with a small
//! cache of delta bases. Read newest first (the order in which git's packs store a file's
//! versions as deltas of the next newer one, see [`super::git_history`]), the same trees and
//! blobs take 1.3 s where libgit2 takes 7 s.
//!
//! Whatever gitoxide cannot find or read is read again through libgit2, and libgit2's answer
//! stands: its error (missing, damaged, and the checks of [`super::loose`] on loose objects)
//! is the one the scan reports, and an object it can read is scanned. So a damaged or unusual
//! repository is reported exactly as before, and nothing gitoxide misses is skipped. Packed
//! objects are checked as gitoxide inflates them (every zlib stream to its end and checksum);
//! a loose object it reads is checked against its id, because gitoxide reads a loose object
//! only as far as its header says (a damaged one would be scanned as it came out).

use std::path::Path;
use std::sync::Arc;

use git2::{Oid, Repository};
use gix_odb::Header as _;

/// Delta bases each reading thread keeps: one per delta chain it is walking, with room to
/// spare (more than 64 was measured to be no faster).
const DELTA_BASES: usize = 64;

/// The largest buffer a reader keeps between reads.
const KEPT_BUFFER: usize = 16 << 20;

/// A repository's object store, shared by the threads that read it.
#[derive(Clone)]
pub struct ObjectStore {
    /// gitoxide's store, `None` where it could not be opened: every read then goes to libgit2.
    fast: Option<Arc<gix_odb::Store>>,
    git_dir: Arc<Path>,
}

impl ObjectStore {
    /// The store of `repo` (its common directory's objects, so a linked worktree's too).
    ///
    /// A repository without a pack is read through libgit2 alone: gitoxide maps each loose
    /// object it reads, and with several threads unmapping them the kernel's TLB shootdowns
    /// made a scan of 200 small unpacked repositories 25% slower than libgit2's reads. A
    /// repository with packs has few loose objects (git packs them past 6,700).
    pub fn open(repo: &Repository) -> ObjectStore {
        let objects = repo.commondir().join("objects");
        let fast = has_pack(&objects)
            .then(|| {
                gix_odb::Store::at_opts(
                    objects,
                    gix_hash::Kind::Sha1,
                    &mut std::iter::empty(),
                    gix_odb::store::init::Options::default(),
                )
                .ok()
            })
            .flatten()
            .map(Arc::new);
        ObjectStore {
            fast,
            git_dir: Arc::from(repo.path()),
        }
    }

    /// The store of `repo` read through libgit2 alone, for a scan that reads a few objects
    /// (the staged files): nothing is opened until an object is read.
    pub fn libgit2_only(repo: &Repository) -> ObjectStore {
        ObjectStore {
            fast: None,
            git_dir: Arc::from(repo.path()),
        }
    }

    /// The repository's git directory.
    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    /// A reader for one thread.
    pub fn reader(&self) -> ObjectReader {
        let fast = self.fast.as_ref().map(|store| {
            let mut handle = store.to_cache_arc();
            handle.set_pack_cache(|| {
                Box::new(gix_pack::cache::lru::StaticLinkedList::<DELTA_BASES>::default())
            });
            handle
        });
        ObjectReader {
            git_dir: Arc::clone(&self.git_dir),
            fast,
            slow: None,
            buf: Vec::new(),
        }
    }
}

/// Reads objects for one thread at a time (it is `Send`, not `Sync`).
pub struct ObjectReader {
    git_dir: Arc<Path>,
    fast: Option<gix_odb::HandleArc>,
    /// libgit2's handle, opened the first time gitoxide fails.
    slow: Option<Repository>,
    /// The last object read.
    buf: Vec<u8>,
}

/// What the tree walk needs of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitFacts {
    pub tree: Oid,
    pub parents: Vec<Oid>,
    /// The raw message: everything after the headers' blank line.
    pub message: Vec<u8>,
}

impl ObjectReader {
    /// The content of object `id` (no header), or libgit2's error for it.
    pub fn read(&mut self, id: Oid) -> Result<&[u8], git2::Error> {
        if self.read_fast(id).is_some() {
            return Ok(&self.buf);
        }
        let odb = slow(&mut self.slow, &self.git_dir)?.odb()?;
        let object = odb.read(id)?;
        self.buf.clear();
        self.buf.extend_from_slice(object.data());
        Ok(&self.buf)
    }

    /// Like [`ObjectReader::read`], but the content is the caller's (no copy is made).
    pub fn read_owned(&mut self, id: Oid) -> Result<Vec<u8>, git2::Error> {
        self.read(id)?;
        Ok(std::mem::take(&mut self.buf))
    }

    /// The tree, parents and message of commit `id`, or libgit2's error for it (an object that
    /// is not a commit, or that gitoxide cannot parse, is libgit2's to judge).
    pub fn commit(&mut self, id: Oid) -> Result<CommitFacts, git2::Error> {
        if self.read_fast(id) == Some(gix_object::Kind::Commit) {
            if let Ok(commit) = gix_object::CommitRef::from_bytes(&self.buf, gix_hash::Kind::Sha1) {
                let parents = commit
                    .parents()
                    .filter_map(|p| Oid::from_bytes(p.as_bytes()).ok());
                if let Ok(tree) = Oid::from_bytes(commit.tree().as_bytes()) {
                    return Ok(CommitFacts {
                        tree,
                        parents: parents.collect(),
                        message: commit.message.to_vec(),
                    });
                }
            }
        }
        let commit = slow(&mut self.slow, &self.git_dir)?.find_commit(id)?;
        Ok(CommitFacts {
            tree: commit.tree_id(),
            parents: commit.parent_ids().collect(),
            message: commit.message_raw_bytes().to_vec(),
        })
    }

    /// The size of object `id` in bytes, read from its header (a packed delta's from the
    /// deltas' headers), or libgit2's error for it.
    pub fn size(&mut self, id: Oid) -> Result<u64, git2::Error> {
        if let Some(fast) = &self.fast {
            if let Ok(Some(header)) = fast.try_header(gix_id(&id)) {
                return Ok(header.size());
            }
        }
        let (size, _) = slow(&mut self.slow, &self.git_dir)?
            .odb()?
            .read_header(id)?;
        Ok(size as u64)
    }

    /// Gives back the memory of a large object read last: a reader kept in a pool holds no
    /// more than [`KEPT_BUFFER`] bytes.
    pub fn release_large_buffer(&mut self) {
        if self.buf.capacity() > KEPT_BUFFER {
            self.buf = Vec::new();
        }
    }

    /// Reads `id` into `buf` through gitoxide: its kind, `None` if it could not.
    fn read_fast(&mut self, id: Oid) -> Option<gix_object::Kind> {
        let fast = self.fast.as_ref()?;
        let (kind, start, len, packed) =
            match gix_pack::Find::try_find(fast, gix_id(&id), &mut self.buf) {
                Ok(Some((data, at))) => {
                    (data.kind, data.data.as_ptr(), data.data.len(), at.is_some())
                }
                _ => return None,
            };
        // The content is the whole buffer. Should a backend leave it in a part of the buffer,
        // it is moved to the front; anywhere else, libgit2 reads the object.
        if start != self.buf.as_ptr() || len != self.buf.len() {
            let from = (start as usize).checked_sub(self.buf.as_ptr() as usize)?;
            if from.checked_add(len)? > self.buf.len() {
                return None;
            }
            self.buf.copy_within(from..from + len, 0);
            self.buf.truncate(len);
        }
        // A pack's entries are checked as they are inflated (each zlib stream to its end and
        // checksum); a loose object gitoxide reads as far as its header says, so its content is
        // checked against its id, and one that fails is libgit2's (and `loose`'s) to report.
        if !packed {
            let hash = gix_object::compute_hash(gix_hash::Kind::Sha1, kind, &self.buf);
            if !hash.is_ok_and(|hash| hash.as_bytes() == id.as_bytes()) {
                return None;
            }
        }
        Some(kind)
    }
}

/// libgit2's handle in `slot`, opened on first use.
fn slow<'s>(
    slot: &'s mut Option<Repository>,
    git_dir: &Path,
) -> Result<&'s Repository, git2::Error> {
    let repo = match slot.take() {
        Some(repo) => repo,
        None => super::git::open_git_dir(git_dir)?,
    };
    Ok(slot.insert(repo))
}

/// Whether the object directory `objects`, or one it borrows from (`info/alternates`, one
/// level), holds a pack.
fn has_pack(objects: &Path) -> bool {
    let holds_pack = |dir: &Path| {
        std::fs::read_dir(dir.join("pack")).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "idx"))
        })
    };
    let alternates = std::fs::read_to_string(objects.join("info/alternates")).unwrap_or_default();
    holds_pack(objects)
        || alternates
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .any(|l| holds_pack(&objects.join(l)))
}

fn gix_id(id: &Oid) -> &gix_hash::oid {
    gix_hash::oid::from_bytes_unchecked(id.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_readers_agree_on_every_object() {
        let dir = tempfile::tempdir().unwrap();
        let git = Repository::init(dir.path()).unwrap();
        let sig = git2::Signature::now("t", "t@example.invalid").unwrap();
        let mut parent = None;
        let mut commits = Vec::new();
        for (n, text) in ["one\n", "two\n"].iter().enumerate() {
            let blob = git.blob(text.as_bytes()).unwrap();
            let mut sub = git.treebuilder(None).unwrap();
            sub.insert("b.txt", blob, 0o100644).unwrap();
            let sub = sub.write().unwrap();
            let mut root = git.treebuilder(None).unwrap();
            root.insert("a.txt", blob, 0o100644).unwrap();
            root.insert("dir", sub, 0o040000).unwrap();
            let tree = git.find_tree(root.write().unwrap()).unwrap();
            let parents: Vec<git2::Commit<'_>> = parent
                .iter()
                .map(|&p| git.find_commit(p).unwrap())
                .collect();
            let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
            let message = format!("commit {n}\n\nbody\n");
            let id = git
                .commit(None, &sig, &sig, &message, &tree, &parents)
                .unwrap();
            commits.push((id, tree.id(), parent, message));
            parent = Some(id);
        }
        assert!(
            ObjectStore::open(&git).fast.is_none(),
            "no pack: libgit2 reads"
        );
        // Packed, as a clone's objects are; then one loose object more.
        let mut pack = git.packbuilder().unwrap();
        for (id, ..) in &commits {
            pack.insert_commit(*id).unwrap();
        }
        pack.write(&dir.path().join(".git/objects/pack"), 0o644)
            .unwrap();
        let loose = git.blob(b"loose\n").unwrap();
        let store = ObjectStore::open(&git);
        for (id, tree, parent, message) in commits {
            let facts = store.reader().commit(id).unwrap();
            assert_eq!(facts.tree, tree);
            assert_eq!(facts.parents, parent.into_iter().collect::<Vec<_>>());
            assert_eq!(facts.message, message.as_bytes());
        }
        let mut reader = store.reader();
        let odb = git.odb().unwrap();
        let mut ids = Vec::new();
        odb.foreach(|id| {
            ids.push(*id);
            true
        })
        .unwrap();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 9, "two commits, four trees, three blobs");
        assert!(ids.contains(&loose));
        for id in ids {
            let want = odb.read(id).unwrap();
            assert_eq!(reader.read(id).unwrap(), want.data(), "{id}");
            assert_eq!(reader.size(id).unwrap(), want.len() as u64);
        }
        assert!(reader.slow.is_none(), "gitoxide read them all");
        let missing = Oid::from_bytes(&[7; 20]).unwrap();
        let error = reader.read(missing).unwrap_err();
        assert_eq!(error.code(), git2::ErrorCode::NotFound);
        assert!(
            reader.read(parent.unwrap()).is_ok(),
            "a reader goes on after a miss"
        );
        // Objects of another repository that this one names as an alternate are gitoxide's
        // to read too.
        let other = tempfile::tempdir().unwrap();
        let borrower = Repository::init(other.path()).unwrap();
        let alternates = other.path().join(".git/objects/info/alternates");
        let objects = dir.path().join(".git/objects");
        std::fs::write(&alternates, format!("{}\n", objects.display())).unwrap();
        let mut borrowed = ObjectStore::open(&borrower).reader();
        assert_eq!(
            borrowed.commit(parent.unwrap()).unwrap().message,
            b"commit 1\n\nbody\n"
        );
        assert!(borrowed.slow.is_none(), "read through the alternate");
        // A tree is not a commit: libgit2 says so.
        let tree = git.find_commit(parent.unwrap()).unwrap().tree_id();
        assert!(reader.commit(tree).is_err());
    }
}
