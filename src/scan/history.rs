//! Scanning git history: each unique blob through the engine once, in parallel, then findings
//! attributed to commits.
//!
//! A finding is one secret (rule + value) at one path: however many versions of the file carry
//! it, it is reported once, at the line where the earliest commit (see
//! [`crate::source::git::select_commits`] for the order) that introduced such a version has it,
//! with `blob_count` = the number of distinct blobs at that path that contain it. `in_head` says
//! whether HEAD's version of that same path still contains it: a secret that was removed, or that
//! only ever lived on another branch, is `in_head: false` and still has to be rotated.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use git2::{Oid, Repository};
use rayon::prelude::*;

use super::{scan_bytes, Stats};
use crate::engine::Engine;
use crate::finding::{fingerprint, CommitInfo, Finding, Secret};
use crate::progress::Progress;
use crate::source::decode;
use crate::source::git::commit_meta;
use crate::source::git_history::{BlobReader, History};
use crate::source::{SkipReason, Skipped};

/// Scans every blob of `history`; `reader` reads from the same repository as `repo`.
pub fn scan_history(
    engine: &Engine,
    repo: &Repository,
    history: &History,
    reader: &BlobReader,
    progress: &Progress,
) -> (Vec<Finding>, Stats) {
    let started = Instant::now();
    progress.set_blobs_total(history.blobs.len());
    let blobs_scanned = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let skipped = Mutex::new(history.skipped.clone());

    // Each blob scanned once, named by the first path it appeared at; findings for its other
    // paths are copies with their own path and fingerprint.
    let found: Vec<(usize, Vec<Finding>)> = history
        .blobs
        .par_iter()
        .enumerate()
        .filter_map(|(index, blob)| {
            let path = &history.paths[blob.appearances[0].path as usize];
            let outcome = reader.with_blob(blob.id, |data| {
                progress.blob_done(data.len() as u64);
                let text = decode::text_of(data).ok_or(SkipReason::Binary)?;
                bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
                Ok(scan_bytes(engine, path, &text))
            });
            match outcome.and_then(|r| r) {
                Ok(findings) => {
                    blobs_scanned.fetch_add(1, Ordering::Relaxed);
                    (!findings.is_empty()).then_some((index, findings))
                }
                Err(reason) => {
                    if matches!(reason, SkipReason::TooLarge { .. }) {
                        progress.blob_done(0);
                    }
                    lock(&skipped).push(Skipped {
                        path: path.clone(),
                        reason,
                    });
                    None
                }
            }
        })
        .collect();

    let mut head = HeadLookup::new(engine, repo, history, reader);
    let mut groups: HashMap<GroupKey, Group> = HashMap::new();
    for (index, findings) in &found {
        let blob = &history.blobs[*index];
        for appearance in &blob.appearances {
            let path = &history.paths[appearance.path as usize];
            let in_head_blob = head.blob_at(path) == Some(blob.id);
            // A secret repeated within one blob counts once for that blob.
            let mut seen: HashSet<(&str, &Secret)> = HashSet::new();
            for f in findings {
                if !seen.insert((&f.rule_id, &f.secret)) {
                    continue;
                }
                let key = GroupKey {
                    rule_id: f.rule_id.clone(),
                    path: appearance.path,
                    secret: f.secret.clone(),
                };
                let group = groups.entry(key).or_insert_with(|| Group {
                    finding: renamed(f, path),
                    commit: appearance.commit,
                    blobs: 0,
                    in_head: false,
                });
                group.blobs += 1;
                group.in_head |= in_head_blob;
                if appearance.commit < group.commit {
                    group.finding = renamed(f, path);
                    group.commit = appearance.commit;
                }
            }
        }
    }

    let mut metas = HashMap::new();
    let mut findings: Vec<Finding> = groups
        .into_values()
        .map(|group| {
            let mut f = group.finding;
            let in_head = group.in_head || head.still_has(&f);
            let oid = history.commits[group.commit as usize];
            let meta = metas
                .entry(oid)
                .or_insert_with(|| commit_meta(repo, oid).ok());
            f.commit = Some(CommitInfo {
                commit: oid.to_string(),
                author: meta.as_ref().map(|m| m.author.clone()).unwrap_or_default(),
                email: meta.as_ref().map(|m| m.email.clone()).unwrap_or_default(),
                date: meta.as_ref().map(|m| m.date.clone()).unwrap_or_default(),
                in_head,
                blob_count: group.blobs,
            });
            f
        })
        .collect();
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));

    let mut skipped = skipped.into_inner().unwrap_or_else(|e| e.into_inner());
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    let stats = Stats {
        files_scanned: blobs_scanned.into_inner(),
        bytes_scanned: bytes.into_inner(),
        skipped,
        elapsed: started.elapsed(),
        commits: Some(history.commits.len() as u64),
    };
    (findings, stats)
}

/// One secret at one path.
#[derive(Debug, PartialEq, Eq, Hash)]
struct GroupKey {
    rule_id: String,
    path: u32,
    secret: Secret,
}

/// Its earliest finding and how many blobs carry it.
#[derive(Debug)]
struct Group {
    finding: Finding,
    commit: u32,
    blobs: usize,
    /// Seen in HEAD's blob at this path.
    in_head: bool,
}

/// A copy of `f` known by `path`.
fn renamed(f: &Finding, path: &str) -> Finding {
    let mut f = f.clone();
    if f.path != path {
        f.fingerprint = fingerprint(&f.rule_id, path, &f.secret);
        f.path = path.to_string();
    }
    f
}

/// HEAD's version of each path, and what HEAD's blobs that were not part of the scanned history
/// (in a `--since` or `--range` scan) contain.
struct HeadLookup<'a> {
    tree: Option<git2::Tree<'a>>,
    blob_at: HashMap<String, Option<Oid>>,
    scanned: HashSet<Oid>,
    /// Rule and secret of each finding in HEAD blobs scanned only to answer `in_head`.
    extra: HashMap<Oid, Vec<(String, Secret)>>,
    engine: &'a Engine,
    reader: &'a BlobReader,
}

impl<'a> HeadLookup<'a> {
    fn new(
        engine: &'a Engine,
        repo: &'a Repository,
        history: &History,
        reader: &'a BlobReader,
    ) -> HeadLookup<'a> {
        HeadLookup {
            tree: repo.head().and_then(|h| h.peel_to_tree()).ok(),
            blob_at: HashMap::new(),
            scanned: history.blobs.iter().map(|b| b.id).collect(),
            extra: HashMap::new(),
            engine,
            reader,
        }
    }

    fn blob_at(&mut self, path: &str) -> Option<Oid> {
        if let Some(&found) = self.blob_at.get(path) {
            return found;
        }
        let found = self.tree.as_ref().and_then(|t| {
            let entry = t.get_path(Path::new(path)).ok()?;
            (entry.kind() == Some(git2::ObjectType::Blob)).then(|| entry.id())
        });
        self.blob_at.insert(path.to_string(), found);
        found
    }

    /// Does HEAD's blob at the finding's path contain the same secret, when that blob was not
    /// among the scanned ones? (Scanned blobs were checked while grouping.)
    fn still_has(&mut self, f: &Finding) -> bool {
        let Some(blob) = self.blob_at(&f.path) else {
            return false;
        };
        if self.scanned.contains(&blob) {
            return false;
        }
        let (engine, reader) = (self.engine, self.reader);
        let secrets = self.extra.entry(blob).or_insert_with(|| {
            reader
                .with_blob(blob, |data| {
                    decode::text_of(data)
                        .map(|text| {
                            scan_bytes(engine, &f.path, &text)
                                .into_iter()
                                .map(|h| (h.rule_id, h.secret))
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .unwrap_or_default()
        });
        secrets
            .iter()
            .any(|(rule, secret)| *rule == f.rule_id && *secret == f.secret)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
