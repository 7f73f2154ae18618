//! The scans that several commands run: a walk of paths, and a git history, each from a setup
//! to findings and stats (not yet triaged, not reported).

use std::path::{Path, PathBuf};

use anyhow::Result;
use git2::Repository;

use super::setup::Setup;
use crate::engine::{Engine, EngineOptions};
use crate::finding::Finding;
use crate::progress::Progress;
use crate::rules::RuleSet;
use crate::scan::cache::HistoryCache;
use crate::scan::history::{CommitMessages, Messages};
use crate::scan::shard::Shard;
use crate::scan::{self, FileOptions, OnFile, Stats};
use crate::source::fs::{self as fs_source, WalkOptions};
use crate::source::git::{self as git_source, CommitSelection, SelectedCommits};
use crate::source::git_history::{self, BlobReader, History, OnCommit};
use crate::source::objects::ObjectStore;
use crate::source::{SkipReason, Skipped};

/// Walks `paths` and scans each file as the walk finds it (`on_file` sees each file's
/// findings at once); paths an allowlist names, and the `artifacts` (absolute) that a release
/// scans on their own, are left out and counted.
pub fn scan_tree(
    engine: &Engine,
    setup: &Setup,
    paths: &[PathBuf],
    artifacts: &[PathBuf],
    walk_options: &WalkOptions,
    on_file: &OnFile<'_>,
) -> (Vec<Finding>, Stats) {
    let file_options = FileOptions {
        max_file_size: setup.max_file_size,
        archives: setup.archives.clone(),
    };
    let triage = &setup.triage;
    let exclude = |path: &Path, is_dir: bool| {
        if artifacts.iter().any(|a| path.starts_with(a)) {
            return Some(SkipReason::Artifact);
        }
        triage
            .excludes_path(path, is_dir)
            .map(|by| SkipReason::Allowlisted { by: by.to_string() })
    };
    let exclude: Option<&fs_source::Exclude<'_>> =
        (triage.has_path_allowlists() || !artifacts.is_empty()).then_some(&exclude);
    // Files are scanned as the walk finds them (the walk takes a sixth of a scan of many small
    // files); findings and skips are sorted at the end, so the output does not depend on it.
    let (walk_skips, findings, mut stats) =
        scan::scan_walked(engine, &file_options, on_file, |scan_file| {
            fs_source::walk_each_excluding(paths, walk_options, exclude, scan_file)
        });
    stats.skipped.extend(walk_skips);
    stats.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    (findings, stats)
}

/// The commits of `selection` and the blobs they introduce, what their messages and their tags'
/// messages hold, and what could not be listed.
pub struct Listed {
    /// The store the history was read from, and its blobs are.
    objects: ObjectStore,
    skipped: Vec<Skipped>,
    history: History,
    messages: Messages,
}

impl Listed {
    /// How many commits were selected.
    pub fn commit_count(&self) -> usize {
        self.history.commits.len()
    }
}

/// Builds the engine for a history scan and opens its scan cache (with `open_cache`) while the
/// commits are selected (none of the three needs the others), then lists the history,
/// scanning commit messages on the way. Returns the cache with the rest.
pub fn engine_and_history(
    repo: &Repository,
    rules: RuleSet,
    setup: &Setup,
    selection: &CommitSelection,
    progress: &Progress,
    open_cache: impl FnOnce() -> Option<HistoryCache> + Send,
) -> Result<(Engine, Listed, Option<HistoryCache>)> {
    let (engine, selected, cache) = std::thread::scope(|s| {
        let engine = s.spawn(|| {
            let options = EngineOptions {
                input_bytes: u64::MAX,
                decode_depth: setup.decode_depth,
            };
            Engine::with_options(rules, options)
        });
        let cache = s.spawn(open_cache);
        let selected = git_source::select_commits(repo, selection);
        let engine = engine
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let cache = cache
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (engine, selected, cache)
    });
    let engine = engine?;
    let listed = list_selected(repo, &engine, selected?, progress, cache.as_ref());
    Ok((engine, listed, cache))
}

/// Lists the commits of `selection` and the blobs they introduce, scanning commit messages with
/// `engine`.
pub fn list_history(
    repo: &Repository,
    engine: &Engine,
    selection: &CommitSelection,
    progress: &Progress,
    cache: Option<&HistoryCache>,
) -> Result<Listed> {
    let selected = git_source::select_commits(repo, selection)?;
    Ok(list_selected(repo, engine, selected, progress, cache))
}

fn list_selected(
    repo: &Repository,
    engine: &Engine,
    selected: SelectedCommits,
    progress: &Progress,
    cache: Option<&HistoryCache>,
) -> Listed {
    progress.set_commits_total(selected.commits.len());
    let commit_messages = CommitMessages::new(engine);
    let on_commit = OnCommit {
        done: &|n| progress.set_commits_done(n),
        message: &|index, id, message| commit_messages.scan(index, id, message),
    };
    let memory = cache.map(|c| c as &dyn git_history::CommitMemory);
    let objects = ObjectStore::open(repo);
    let history = git_history::enumerate(&objects, selected.commits, &on_commit, memory);
    Listed {
        objects,
        skipped: selected.skipped,
        history,
        messages: Messages {
            commits: commit_messages.into_findings(),
            tags: selected.tags,
        },
    }
}

/// Scans a listed history: each blob once, findings attributed to commits; only the paths,
/// commits and tags of `shard`, if given.
pub fn scan_history(
    engine: &Engine,
    repo: &Repository,
    listed: Listed,
    setup: &Setup,
    progress: &Progress,
    cache: Option<&HistoryCache>,
    shard: Option<Shard>,
) -> (Vec<Finding>, Stats) {
    let reader = BlobReader::new(listed.objects, setup.max_file_size);
    let (findings, mut stats) = scan::history::scan_history(
        engine,
        repo,
        &listed.history,
        listed.messages,
        scan::history::Blobs {
            reader: &reader,
            archives: setup.archives.as_ref(),
            cache,
            shard,
        },
        progress,
    );
    let listing_skips = listed.skipped.into_iter();
    stats
        .skipped
        .extend(listing_skips.filter(|s| crate::scan::shard::owns(shard, &s.path)));
    stats.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    (findings, stats)
}
