//! `leakhound release`: what a release ships, in one process and one report: the working tree,
//! the history since the previous release tag, and the built artifacts (archives opened), each
//! finding tagged with its origin; one summary line per origin, and one verdict as the exit code.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::setup::{self, Place};
use super::{
    head_revision, keep_until_exit, open_output, pipeline, set_threads, Finished, Outcome,
};
use crate::cli::ReleaseArgs;
use crate::finding::{fingerprint, Finding};
use crate::progress::Progress;
use crate::scan::Stats;
use crate::source::fs::{self as fs_source, WalkOptions};
use crate::source::git::{self as git_source, CommitSelection};

pub fn release(args: &ReleaseArgs) -> Result<Outcome> {
    let report_args = &args.report;
    set_threads(report_args.threads)?;
    let repo = git_source::open(&args.repo)?;
    let root = git_source::root_dir(&repo);
    for a in &args.artifacts {
        std::fs::metadata(a)
            .with_context(|| format!("cannot scan the artifact {}", a.display()))?;
    }
    let (rules, setup) = setup::prepare(report_args, &Place::repository(&root))?;
    let started = std::time::Instant::now();
    let has_head = repo.head().and_then(|h| h.peel_to_commit()).is_ok();
    let (since, scope) = previous_release(&repo, &args.since, has_head)?;

    let progress = Progress::start(!report_args.quiet);
    let selection = CommitSelection {
        refs: vec!["HEAD".to_string()],
        since: since.clone(),
        range: None,
    };
    let (engine, history, history_stats) = if has_head {
        let (engine, listed, _) =
            pipeline::engine_and_history(&repo, rules, &setup, &selection, &progress, || None)?;
        let (found, stats) =
            pipeline::scan_history(&engine, &repo, listed, &setup, &progress, None, None);
        (engine, found, stats)
    } else {
        let engine = crate::engine::Engine::new(rules)?;
        let stats = Stats {
            commits: Some(0),
            ..Stats::default()
        };
        (engine, Vec::new(), stats)
    };
    progress.finish();

    let walk = WalkOptions {
        threads: report_args
            .threads
            .unwrap_or_else(rayon::current_num_threads),
        ..WalkOptions::default()
    };
    // Artifacts inside the work tree are scanned as artifacts, not again as part of the tree.
    let artifact_dirs: Vec<PathBuf> = args
        .artifacts
        .iter()
        .filter_map(|a| std::fs::canonicalize(a).ok())
        .collect();
    let (tree, tree_stats) = pipeline::scan_tree(
        &engine,
        &setup,
        std::slice::from_ref(&root),
        &artifact_dirs,
        &walk,
        &|_| {},
    );
    let (artifacts, artifact_stats) = if args.artifacts.is_empty() {
        (Vec::new(), Stats::default())
    } else {
        // Build output is usually ignored by git: an artifact given by name is scanned whole.
        let everything = WalkOptions {
            honor_ignore_files: false,
            ..walk.clone()
        };
        let (found, mut stats) =
            pipeline::scan_tree(&engine, &setup, &args.artifacts, &[], &everything, &|_| {});
        let base = fs_source::report_base(&args.artifacts);
        let found = found
            .into_iter()
            .map(|f| from_root(f, base.as_deref(), &root))
            .collect();
        for s in &mut stats.skipped {
            s.path = relative_to_root(&s.path, base.as_deref(), &root);
        }
        (found, stats)
    };

    let findings = merge(tree, history, artifacts);
    let mut all = Stats {
        files_scanned: tree_stats.files_scanned
            + history_stats.files_scanned
            + artifact_stats.files_scanned,
        bytes_scanned: tree_stats.bytes_scanned
            + history_stats.bytes_scanned
            + artifact_stats.bytes_scanned,
        commits: history_stats.commits,
        ..Stats::default()
    };
    for stats in [&tree_stats, &history_stats, &artifact_stats] {
        all.skipped.extend(stats.skipped.iter().cloned());
    }
    all.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    all.elapsed = started.elapsed();

    let mut origins = vec![("tree", tree_stats), ("history", history_stats)];
    if !args.artifacts.is_empty() {
        origins.push(("artifact", artifact_stats));
    }
    let out = open_output(report_args.output.as_deref())?;
    let finished = Finished {
        engine: &engine,
        stats: &all,
        triaged: setup.triage.apply(findings),
        root: Some(root),
        revision: head_revision(&repo),
        streamed: false,
        release: Some((scope, origins)),
    };
    let outcome = super::finish(report_args, &setup, out, &finished);
    keep_until_exit(engine);
    outcome
}

/// The revision history is scanned since (none: all of it) and a sentence saying so.
fn previous_release(
    repo: &git2::Repository,
    since: &str,
    has_head: bool,
) -> Result<(Option<String>, String)> {
    if !has_head {
        return Ok((None, "no commit yet: the working tree only".to_string()));
    }
    if since != "auto" {
        if repo.revparse_single(since).is_err() {
            bail!("--since {since}: no such tag or revision in this repository");
        }
        return Ok((Some(since.to_string()), format!("history since {since}")));
    }
    Ok(match git_source::previous_release_tag(repo)? {
        Some(tag) => (
            Some(tag.clone()),
            format!("history since {tag} (auto: the latest tag before HEAD)"),
        ),
        None => (
            None,
            "the whole history (auto: no release tag before HEAD)".to_string(),
        ),
    })
}

/// One finding per secret and place: a history finding still in HEAD is the tree's finding,
/// which gains the commit that introduced it. (An artifact inside the work tree is not in the
/// tree's findings: the tree's walk leaves it out.)
fn merge(tree: Vec<Finding>, history: Vec<Finding>, artifacts: Vec<Finding>) -> Vec<Finding> {
    let mut introduced: HashMap<String, crate::finding::CommitInfo> = HashMap::new();
    let mut only_history = Vec::new();
    let tree_prints: std::collections::HashSet<&str> =
        tree.iter().map(|f| f.fingerprint.as_str()).collect();
    for f in history {
        match f.commit {
            Some(c) if c.in_head && tree_prints.contains(f.fingerprint.as_str()) => {
                introduced.entry(f.fingerprint.clone()).or_insert(c);
            }
            commit => only_history.push(Finding {
                origin: Some("history"),
                commit,
                ..f
            }),
        }
    }
    let mut all: Vec<Finding> = tree
        .into_iter()
        .map(|mut f| {
            f.commit = introduced.get(&f.fingerprint).cloned();
            f.origin = Some("tree");
            f
        })
        .collect();
    all.extend(only_history);
    all.extend(artifacts.into_iter().map(|mut f| {
        f.origin = Some("artifact");
        f
    }));
    all.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    all
}

/// An artifact finding named from the repository root (it was named from `base`), its
/// fingerprint with it.
fn from_root(mut f: Finding, base: Option<&Path>, root: &Path) -> Finding {
    let path = relative_to_root(&f.path, base, root);
    if path != f.path {
        f.fingerprint = fingerprint(&f.rule_id, &path, &f.secret);
        f.path = path;
    }
    f
}

/// `path` (relative to `base`) relative to `root` when it is inside it, else absolute.
fn relative_to_root(path: &str, base: Option<&Path>, root: &Path) -> String {
    let Some(base) = base else {
        return path.to_string();
    };
    let absolute: PathBuf = base.join(path);
    match absolute.strip_prefix(root) {
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => absolute.to_string_lossy().replace('\\', "/"),
    }
}
