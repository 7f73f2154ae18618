//! Staged changes as a source: what `git commit` is about to record, and which of its lines are
//! new.
//!
//! The staged files are the difference between HEAD's tree (the empty tree before the first
//! commit) and the index, with renames detected so that a file that was only moved brings no
//! "new" lines. The index is the one `git commit` uses: `GIT_INDEX_FILE` when git sets it (as it
//! does for the hook of `git commit -a` or `git commit <paths>`), else the repository's.
//! Which lines are new comes from a zero-context diff of the old and new text, so only lines
//! that the change adds or modifies count.

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use git2::{Delta, DiffFindOptions, DiffOptions, FileMode, Index, Oid, Patch, Repository};

use super::{SkipReason, Skipped};

/// A file as it is staged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedFile {
    /// `/`-separated, relative to the repository root.
    pub path: String,
    /// The staged content.
    pub blob: Oid,
    /// What it replaces (at its old path, for a rename); `None` for a new file.
    pub old_blob: Option<Oid>,
}

/// The staged changes: files to scan, and submodule changes that are not scanned.
#[derive(Debug, Default)]
pub struct StagedChanges {
    pub files: Vec<StagedFile>,
    pub skipped: Vec<Skipped>,
}

/// Lists what the index changes relative to HEAD (or to nothing, before the first commit).
pub fn staged_changes(repo: &Repository) -> Result<StagedChanges> {
    let head_tree = match repo.head() {
        Ok(head) => Some(head.peel_to_tree().context("cannot read HEAD's tree")?),
        Err(e)
            if e.code() == git2::ErrorCode::UnbornBranch
                || e.code() == git2::ErrorCode::NotFound =>
        {
            None
        }
        Err(e) => return Err(e).context("cannot read HEAD"),
    };
    let index = commit_index(repo)?;
    let mut options = DiffOptions::new();
    options.include_typechange(true);
    let mut diff = repo
        .diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut options))
        .context("cannot compare the index with HEAD")?;
    diff.find_similar(Some(DiffFindOptions::new().renames(true)))
        .context("cannot detect renamed files")?;
    let mut changes = StagedChanges::default();
    for delta in diff.deltas() {
        if matches!(delta.status(), Delta::Deleted | Delta::Unmodified) {
            continue;
        }
        let new = delta.new_file();
        let path = new
            .path_bytes()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_default();
        if new.mode() == FileMode::Commit {
            changes.skipped.push(Skipped {
                path,
                reason: SkipReason::Submodule {
                    commit: new.id().to_string(),
                },
            });
            continue;
        }
        let old = delta.old_file();
        let old_blob = (!old.id().is_zero() && old.mode() != FileMode::Commit).then(|| old.id());
        changes.files.push(StagedFile {
            path,
            blob: new.id(),
            old_blob,
        });
    }
    changes.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(changes)
}

/// The index `git commit` is about to record.
fn commit_index(repo: &Repository) -> Result<Index> {
    match std::env::var_os("GIT_INDEX_FILE") {
        Some(file) if !file.is_empty() => {
            let path = absolute(Path::new(&file));
            Index::open(&path).with_context(|| format!("cannot read the index {}", path.display()))
        }
        _ if repo.is_bare() => bail!(
            "{} is a bare repository: it has no index, so nothing is staged (`leakhound git` \
             scans its history)",
            repo.path().display()
        ),
        _ => repo.index().context("cannot read the index"),
    }
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    std::env::current_dir()
        .map(|d| d.join(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// The lines of `new` (1-based, inclusive ranges) that are added or modified relative to `old`.
pub fn added_lines(old: &[u8], new: &[u8]) -> Result<Vec<RangeInclusive<usize>>, git2::Error> {
    let mut options = DiffOptions::new();
    options.context_lines(0).force_text(true);
    let patch = Patch::from_buffers(old, None, new, None, Some(&mut options))?;
    let mut ranges = Vec::with_capacity(patch.num_hunks());
    for i in 0..patch.num_hunks() {
        let (hunk, _) = patch.hunk(i)?;
        if hunk.new_lines() > 0 {
            let start = hunk.new_start() as usize;
            ranges.push(start..=start + hunk.new_lines() as usize - 1);
        }
    }
    Ok(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_and_modified_lines_only() {
        let old = b"a\nb\nc\nd\n";
        let new = b"a\nB\nc\nd\ne\nf\n";
        assert_eq!(added_lines(old, new).unwrap(), vec![2..=2, 5..=6]);
        assert_eq!(added_lines(b"", b"x\ny\n").unwrap(), vec![1..=2]);
        assert!(added_lines(b"x\ny\n", b"y\n").unwrap().is_empty());
        assert!(added_lines(b"same\n", b"same\n").unwrap().is_empty());
    }

    #[test]
    fn nul_bytes_late_in_text_still_diff_as_text() {
        let mut new = b"a\n".to_vec();
        new.extend(std::iter::repeat_n(b'x', 9000));
        new.extend(b"\n\0tail\n");
        assert_eq!(added_lines(b"a\n", &new).unwrap(), vec![2..=3]);
    }
}
