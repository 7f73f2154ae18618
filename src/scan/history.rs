//! Scanning git history: each unique blob through the engine once, in parallel, then findings
//! attributed to commits.
//!
//! A finding is one secret (rule + value) at one path: however many versions of the file carry
//! it, it is reported once, at the line where the earliest commit (see
//! [`crate::source::git::select_commits`] for the order) that introduced such a version has it,
//! with `blob_count` = the number of distinct blobs at that path that contain it. A value that a
//! file holds several times (an SNMP community on three lines) is that many findings: the n-th
//! occurrence in one version is matched with the n-th occurrence in the others. `in_head` says
//! whether HEAD's version of that same path still contains it: a secret that was removed, or that
//! only ever lived on another branch, is `in_head: false` and still has to be rotated.
//!
//! Commit and annotated-tag messages are scanned too, each once: a finding in one is located by
//! the message's pseudo-path ([`GitMessage::path`]) and attributed to its commit (a tag's: the
//! commit it tags, with the tagger as author); there `in_head` says whether HEAD has the commit.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Mutex;

use git2::{Oid, Repository};
use rayon::prelude::*;

use super::cache::{Clean, HistoryCache};
use super::shard::{self, Shard};
use super::{archive_to_open, scan_archive, scan_bytes, Stats, Tally};
use crate::engine::Engine;
use crate::finding::{fingerprint, CommitInfo, Finding, GitMessage, Secret};
use crate::progress::Progress;
use crate::source::archive::Limits;
use crate::source::decode;
use crate::source::git::{commit_meta, reachable_from_head, AnnotatedTag, CommitMeta};
use crate::source::git_history::{BlobReader, History};
use crate::source::SkipReason;

/// Secrets in commit messages, found while the history is listed: the message is at hand then,
/// and is not kept. Each selected commit is listed once, so each message is scanned once.
pub struct CommitMessages<'e> {
    engine: &'e Engine,
    /// (commit index, finding), in no particular order.
    found: Mutex<Vec<(u32, Finding)>>,
}

impl<'e> CommitMessages<'e> {
    pub fn new(engine: &'e Engine) -> CommitMessages<'e> {
        CommitMessages {
            engine,
            found: Mutex::new(Vec::new()),
        }
    }

    /// Scans the message of the commit `id`, the `index`-th of the history; `true` if nothing
    /// was found in it.
    pub fn scan(&self, index: u32, id: Oid, message: &[u8]) -> bool {
        let found = scan_message(
            self.engine,
            GitMessage::Commit { id: id.to_string() },
            message,
        );
        if found.is_empty() {
            return true;
        }
        let mut all = self.found.lock().unwrap_or_else(|e| e.into_inner());
        all.extend(found.into_iter().map(|f| (index, f)));
        false
    }

    /// What was found: (commit index, finding).
    pub fn into_findings(self) -> Vec<(u32, Finding)> {
        self.found.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

/// The findings in a message, known by the message's pseudo-path.
fn scan_message(engine: &Engine, message: GitMessage, text: &[u8]) -> Vec<Finding> {
    let mut found = scan_bytes(engine, &message.path(), text);
    for f in &mut found {
        f.git_message = Some(message.clone());
    }
    found
}

/// The messages' findings, with their commits (or their tags' commits) attributed: author (or
/// tagger) and date, and whether HEAD has the commit.
fn message_findings(
    repo: &Repository,
    history: &History,
    engine: &Engine,
    commit_messages: Vec<(u32, Finding)>,
    tags: &[AnnotatedTag],
) -> Vec<Finding> {
    let tag_findings: Vec<(&AnnotatedTag, Finding)> = tags
        .iter()
        .flat_map(|tag| {
            let message = GitMessage::Tag {
                name: tag.name.clone(),
                id: tag.id.to_string(),
            };
            scan_message(engine, message, &tag.message)
                .into_iter()
                .map(move |f| (tag, f))
        })
        .collect();
    if commit_messages.is_empty() && tag_findings.is_empty() {
        return Vec::new();
    }
    let in_head = reachable_from_head(repo, &history.boundary);
    let mut findings = Vec::with_capacity(commit_messages.len() + tag_findings.len());
    let mut metas = HashMap::new();
    for (index, mut f) in commit_messages {
        let oid = history.commits[index as usize];
        f.commit = Some(commit_info(
            repo,
            &mut metas,
            oid,
            in_head.contains(&oid),
            1,
        ));
        findings.push(f);
    }
    for (tag, mut f) in tag_findings {
        f.commit = tag.commit.map(|c| CommitInfo {
            commit: c.to_string(),
            author: tag.tagger.clone(),
            email: tag.email.clone(),
            date: tag.date.clone(),
            in_head: in_head.contains(&c),
            blob_count: 1,
        });
        findings.push(f);
    }
    findings
}

/// The commit a finding is attributed to: its author and date (read once per commit, kept in
/// `metas`), whether HEAD has it, and how many blobs carry the finding.
fn commit_info(
    repo: &Repository,
    metas: &mut HashMap<Oid, Option<CommitMeta>>,
    oid: Oid,
    in_head: bool,
    blob_count: usize,
) -> CommitInfo {
    let meta = metas
        .entry(oid)
        .or_insert_with(|| commit_meta(repo, oid).ok());
    CommitInfo {
        commit: oid.to_string(),
        author: meta.as_ref().map(|m| m.author.clone()).unwrap_or_default(),
        email: meta.as_ref().map(|m| m.email.clone()).unwrap_or_default(),
        date: meta.as_ref().map(|m| m.date.clone()).unwrap_or_default(),
        in_head,
        blob_count,
    }
}

/// What a history scan reads besides blobs: the findings in commit messages (made while the
/// history was listed, see [`CommitMessages`]) and the annotated tags whose messages to scan.
#[derive(Debug, Default)]
pub struct Messages {
    pub commits: Vec<(u32, Finding)>,
    pub tags: Vec<AnnotatedTag>,
}

/// How a history's blobs are read: the reader, the archive limits (`None`: archives are not
/// opened), the scan cache, if any, that knows which are clean, and the shard, if any, whose
/// paths to scan (see [`super::shard`]).
#[derive(Clone, Copy)]
pub struct Blobs<'a> {
    pub reader: &'a BlobReader,
    pub archives: Option<&'a Limits>,
    pub cache: Option<&'a HistoryCache>,
    pub shard: Option<Shard>,
}

/// Scans every blob of `history` (the members of archives, with `archives`) and the tag
/// messages of `messages`, and attributes what its commit messages held; `reader` reads from
/// the same repository as `repo`.
pub fn scan_history(
    engine: &Engine,
    repo: &Repository,
    history: &History,
    messages: Messages,
    blobs: Blobs<'_>,
    progress: &Progress,
) -> (Vec<Finding>, Stats) {
    let Blobs {
        reader,
        archives,
        cache,
        shard,
    } = blobs;
    // Which paths are this shard's: each path hashed once, not at every appearance.
    let owned_paths: Vec<bool> = match shard {
        Some(s) => history.paths.iter().map(|p| s.owns(p)).collect(),
        None => Vec::new(),
    };
    let owns_path = |path: u32| shard.is_none() || owned_paths[path as usize];
    let listing_skips = history
        .skipped
        .iter()
        .filter(|s| shard::owns(shard, &s.path));
    let tally = Tally::new(listing_skips.cloned().collect());
    progress.set_blobs_total(history.blobs.len());
    // The blobs this shard reads: those at one of its paths.
    let ours: HashSet<Oid> = history
        .blobs
        .iter()
        .filter(|b| b.appearances.iter().any(|a| owns_path(a.path)))
        .map(|b| b.id)
        .collect();

    // Each blob scanned once, named by the first path it appeared at; findings for its other
    // paths are copies with their own path and fingerprint.
    let found: HashMap<Oid, Vec<Finding>> = history
        .blobs
        .par_iter()
        .filter_map(|blob| {
            if !ours.contains(&blob.id) {
                progress.blob_done(0);
                return None;
            }
            // A blob counts (and its skip is said) in the shard of the path it is known by; a
            // copy at a path of this shard is read all the same.
            let counted_here = owns_path(blob.appearances[0].path);
            let elsewhere;
            let tally = if counted_here {
                &tally
            } else {
                elsewhere = Tally::default();
                &elsewhere
            };
            if let Some(clean) = cache.and_then(|c| c.clean(blob.id)) {
                // Scanned clean by an earlier run with the same rules and options.
                progress.blob_done(clean.bytes);
                tally.scanned_many(u64::from(clean.files), clean.bytes);
                return None;
            }
            let path = &history.paths[blob.appearances[0].path as usize];
            let outcome = reader.with_blob(blob.id, |data| {
                let len = data.len() as u64;
                if let Some(limits) = archive_to_open(archives, data) {
                    // Each member counts as scanned on its own: counted apart, so that a clean
                    // archive can be remembered with what it counted for.
                    let own = Tally::new(Vec::new());
                    let findings = scan_archive(engine, path, data, limits, &own);
                    let (files, bytes, skipped) = own.into_parts();
                    tally.scanned_many(files, bytes);
                    let clean = skipped.is_empty();
                    for s in skipped {
                        tally.skip(s.path, s.reason);
                    }
                    let counted = (files, bytes, clean);
                    return Ok((findings, len, counted));
                }
                let text = decode::text_of(data).ok_or(SkipReason::Binary)?;
                tally.scanned(len);
                Ok((scan_bytes(engine, path, &text), len, (1, len, true)))
            });
            match outcome.and_then(|r| r) {
                Ok((findings, len, (files, bytes, clean))) => {
                    progress.blob_done(len);
                    if findings.is_empty() && clean {
                        if let Some(cache) = cache {
                            let files = u32::try_from(files).unwrap_or(u32::MAX);
                            cache.remember_clean(blob.id, Clean { files, bytes });
                        }
                    }
                    (!findings.is_empty()).then_some((blob.id, findings))
                }
                Err(reason) => {
                    progress.blob_done(0);
                    tally.skip(path.clone(), reason);
                    None
                }
            }
        })
        .collect();

    let groups = group_by_secret(history, &found, &owns_path);

    let mut contents = Contents {
        engine,
        reader,
        archives,
        scanned: &ours,
        found: &found,
        extra: HashMap::new(),
    };
    let tree_of = |commit: Oid| repo.find_commit(commit).and_then(|c| c.tree()).ok();
    let mut head = Snapshot::new(
        repo.head()
            .and_then(|h| h.peel_to_tree())
            .ok()
            .into_iter()
            .collect(),
    );
    // Trees from before a `--since`/`--range`: a secret they already had is not new.
    let mut before = Snapshot::new(
        history
            .boundary
            .iter()
            .filter_map(|&c| tree_of(c))
            .collect(),
    );

    let mut metas = HashMap::new();
    let mut findings: Vec<Finding> = Vec::with_capacity(groups.len());
    for (key, group) in groups {
        let path = &history.paths[key.path as usize];
        if before.has(&mut contents, &key, path) {
            continue;
        }
        let in_head = head.has(&mut contents, &key, path);
        let mut f = group.finding;
        let oid = history.commits[group.commit as usize];
        f.commit = Some(commit_info(repo, &mut metas, oid, in_head, group.blobs));
        findings.push(f);
    }
    // Each commit, its message and each tag counts in one shard.
    let owns_commit =
        |index: u32| shard.is_none_or(|s| s.owns(&history.commits[index as usize].to_string()));
    let commit_messages = messages
        .commits
        .into_iter()
        .filter(|(index, _)| owns_commit(*index))
        .collect();
    let tags: Vec<AnnotatedTag> = messages
        .tags
        .into_iter()
        .filter(|t| shard::owns(shard, &t.name))
        .collect();
    findings.extend(message_findings(
        repo,
        history,
        engine,
        commit_messages,
        &tags,
    ));
    let commits = match shard {
        Some(_) => (0..history.commits.len() as u32)
            .filter(|&i| owns_commit(i))
            .count(),
        None => history.commits.len(),
    };
    tally.finish(&mut findings, Some(commits as u64))
}

/// Findings of every blob at every path it appeared at (that `owns_path`), grouped by secret
/// and path, each group keeping its earliest finding.
fn group_by_secret(
    history: &History,
    found: &HashMap<Oid, Vec<Finding>>,
    owns_path: &dyn Fn(u32) -> bool,
) -> HashMap<GroupKey, Group> {
    let mut groups: HashMap<GroupKey, Group> = HashMap::new();
    for blob in &history.blobs {
        let Some(findings) = found.get(&blob.id) else {
            continue;
        };
        for appearance in blob.appearances.iter().filter(|a| owns_path(a.path)) {
            let path = &history.paths[appearance.path as usize];
            // The n-th time a blob has the same secret is matched with the n-th time other
            // versions of the file have it.
            let mut seen: HashMap<(&str, &Secret), u32> = HashMap::new();
            for f in findings {
                let nth = seen.entry((&f.rule_id, &f.secret)).or_insert(0);
                let key = GroupKey {
                    rule_id: f.rule_id.clone(),
                    path: appearance.path,
                    secret: f.secret.clone(),
                    nth: *nth,
                };
                *nth += 1;
                let group = groups.entry(key).or_insert_with(|| Group {
                    finding: renamed(f, path),
                    commit: appearance.commit,
                    blobs: 0,
                });
                group.blobs += 1;
                if appearance.commit < group.commit {
                    group.finding = renamed(f, path);
                    group.commit = appearance.commit;
                }
            }
        }
    }
    groups
}

/// One secret at one path (its first, second... occurrence in the file).
#[derive(Debug, PartialEq, Eq, Hash)]
struct GroupKey {
    rule_id: String,
    path: u32,
    secret: Secret,
    nth: u32,
}

/// Its earliest finding and how many blobs carry it.
#[derive(Debug)]
struct Group {
    finding: Finding,
    commit: u32,
    blobs: usize,
}

/// A copy of `f` known by `path` (an archive member's by `path!member`).
fn renamed(f: &Finding, path: &str) -> Finding {
    let mut f = f.clone();
    let path = match &f.member {
        Some(member) => format!("{path}!{member}"),
        None => path.to_string(),
    };
    if f.path != path {
        f.fingerprint = fingerprint(&f.rule_id, &path, &f.secret);
        f.path = path;
    }
    f
}

/// What blobs contain: from the history scan, or scanned on demand for blobs outside it (HEAD's
/// or the boundary's versions in a `--since` or `--range` scan).
struct Contents<'a> {
    engine: &'a Engine,
    reader: &'a BlobReader,
    archives: Option<&'a Limits>,
    scanned: &'a HashSet<Oid>,
    found: &'a HashMap<Oid, Vec<Finding>>,
    /// Rule and secret of each finding in blobs scanned on demand.
    extra: HashMap<Oid, Vec<(String, Secret)>>,
}

impl Contents<'_> {
    /// How many times `blob` has the key's secret.
    fn count(&mut self, blob: Oid, key: &GroupKey) -> u32 {
        let same = |rule: &str, secret: &Secret| rule == key.rule_id && *secret == key.secret;
        if self.scanned.contains(&blob) {
            let found = self.found.get(&blob).map(Vec::as_slice).unwrap_or_default();
            return found.iter().filter(|f| same(&f.rule_id, &f.secret)).count() as u32;
        }
        let (engine, reader, archives) = (self.engine, self.reader, self.archives);
        let secrets = self.extra.entry(blob).or_insert_with(|| {
            reader
                .with_blob(blob, |data| {
                    let found = match archive_to_open(archives, data) {
                        Some(limits) => scan_archive(engine, "", data, limits, &Tally::default()),
                        None => decode::text_of(data)
                            .map(|text| scan_bytes(engine, "", &text))
                            .unwrap_or_default(),
                    };
                    found.into_iter().map(|f| (f.rule_id, f.secret)).collect()
                })
                .unwrap_or_default()
        });
        secrets.iter().filter(|(r, s)| same(r, s)).count() as u32
    }
}

/// Some trees (HEAD's, or the boundary's) and the blob each has at each path.
struct Snapshot<'r> {
    trees: Vec<git2::Tree<'r>>,
    blobs_at: HashMap<u32, Vec<Oid>>,
}

impl<'r> Snapshot<'r> {
    fn new(trees: Vec<git2::Tree<'r>>) -> Snapshot<'r> {
        Snapshot {
            trees,
            blobs_at: HashMap::new(),
        }
    }

    /// Does one of the trees have the key's secret at the key's path (at least `nth + 1` times)?
    fn has(&mut self, contents: &mut Contents<'_>, key: &GroupKey, path: &str) -> bool {
        if self.trees.is_empty() {
            return false;
        }
        let trees = &self.trees;
        let blobs = self.blobs_at.entry(key.path).or_insert_with(|| {
            trees
                .iter()
                .filter_map(|t| {
                    let entry = t.get_path(Path::new(path)).ok()?;
                    (entry.kind() == Some(git2::ObjectType::Blob)).then(|| entry.id())
                })
                .collect()
        });
        blobs.iter().any(|&b| contents.count(b, key) > key.nth)
    }
}
