//! `leakhound git --repos-from FILE` and `leakhound git DIR --discover`: the histories of many
//! repositories in one process and one report, optionally one shard of them.
//!
//! One rule set serves every repository (the configuration found where the scan starts, with
//! `LEAKHOUND_CONFIG` and `--config`), so one engine does. A repository's own triage applies to
//! it as in a scan of it alone: a `.leakhound.toml` or `.leakhoundignore` at its root brings its
//! allowlists, ignore entries, baselines and severity floor, matched against its paths and its
//! own fingerprints (so what its team accepted with `leakhound git .` stays accepted here);
//! what remains is triaged by the configuration where the scan starts. Rules and limits a
//! repository's file sets are not applied, and a warning says so (`--config` sets them for
//! all); `--no-config` reads no repository's file. Commits and blobs are named by their ids in
//! every repository, so the scan cache (on disk with `--cache`, else in memory for the run)
//! lets forks share what they have in
//! common: a commit walked in one is not walked in the next, a blob scanned clean is not read
//! again. Each finding's path starts with its repository's name, which its `repository` field
//! also carries; fingerprints include it, so forks are triaged apart. A repository that cannot
//! be opened is a skip with its reason, and the others are scanned.
//!
//! `--shard K/N` keeps the repositories whose name hashes to K modulo N: N workers of a
//! scheduler that each run one shard cover the set exactly once, whatever order they run in,
//! and a repository keeps its shard when others are added.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::setup::{self, Place, Setup};
use super::{finish, open_output, pipeline, Finished, Outcome};
use crate::cli::{GitArgs, ReportArgs};
use crate::config;
use crate::engine::{Engine, EngineOptions};
use crate::finding::fingerprint;
use crate::progress::Progress;
use crate::scan::cache::HistoryCache;
use crate::scan::shard::Shard;
use crate::scan::Stats;
use crate::source::git::{self as git_source, CommitSelection};
use crate::source::{SkipReason, Skipped};
use crate::triage::Suppressed;

/// A repository to scan: the name reports give it, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    pub path: PathBuf,
}

pub fn scan_many(args: &GitArgs) -> Result<Outcome> {
    let report_args = &args.report;
    super::set_threads(report_args.threads)?;
    let base = std::fs::canonicalize(&args.repo)
        .with_context(|| format!("cannot open {}", args.repo.display()))?;
    let mut repos = match &args.repos_from {
        Some(file) => read_list(file, &base)?,
        None => discover(&base)?,
    };
    if let Some((k, n)) = args.shard {
        let shard = Shard { index: k, count: n };
        repos.retain(|r| shard.owns(&r.name));
    }
    let (rules, setup) = setup::prepare(
        report_args,
        &Place::paths(std::slice::from_ref(&base), Some(base.clone())),
    )?;
    let started = std::time::Instant::now();
    let dir = if args.no_cache {
        None
    } else {
        args.cache.clone().or_else(|| setup.history_cache.clone())
    };
    let rules_key = setup.cache_key(&rules);
    let mut cache = match dir {
        Some(dir) => HistoryCache::open_shared(dir.as_path(), &rules_key).unwrap_or_else(|e| {
            eprintln!("leakhound: warning: {e}; scanning without it");
            HistoryCache::in_memory()
        }),
        None => HistoryCache::in_memory(),
    };
    let engine = Engine::with_options(
        rules,
        EngineOptions {
            input_bytes: u64::MAX,
            decode_depth: setup.decode_depth,
        },
    )?;
    let selection = CommitSelection {
        refs: args.refs.clone(),
        since: args.since.clone(),
        range: args.range.clone(),
    };
    let progress = Progress::start(false);
    let mut all = Vec::new();
    let mut stats = Stats::default();
    let mut commits = 0u64;
    let mut suppressed_here: Vec<Suppressed> = Vec::new();
    let mut below_min_severity = 0;
    for (i, listed) in repos.iter().enumerate() {
        let repo = git_source::open(&listed.path);
        // A configuration that cannot be read is an error, as in a scan of the repository
        // alone: the scan stops (`--no-config` goes on without any).
        let own = match &repo {
            Ok(repo) => own_setup(report_args, &git_source::root_dir(repo), &listed.name)?,
            Err(_) => None,
        };
        let scanned = repo.and_then(|repo| {
            let history =
                pipeline::list_history(&repo, &engine, &selection, &progress, Some(&cache))?;
            let count = history.commit_count() as u64;
            let (found, stats) = pipeline::scan_history(
                &engine,
                &repo,
                history,
                &setup,
                &progress,
                Some(&cache),
                None,
            );
            Ok((found, stats, count))
        });
        cache.absorb();
        let (mut found, repo_stats, count) = match scanned {
            Ok(done) => done,
            Err(e) => {
                stats.skipped.push(Skipped {
                    path: listed.name.clone(),
                    reason: SkipReason::Unreadable {
                        error: format!("{e:#}"),
                    },
                });
                continue;
            }
        };
        if !report_args.quiet {
            eprintln!(
                "leakhound: [{}/{}] {}: {count} commits, {} findings",
                i + 1,
                repos.len(),
                listed.name,
                found.len()
            );
        }
        if let Some(own) = &own {
            let triaged = own.triage.apply(std::mem::take(&mut found));
            found = triaged.reported;
            below_min_severity += triaged.below_min_severity;
            for mut s in triaged.suppressed {
                in_repository(&mut s.finding, &listed.name);
                suppressed_here.push(s);
            }
        }
        for f in &mut found {
            in_repository(f, &listed.name);
        }
        all.extend(found);
        commits += count;
        stats.files_scanned += repo_stats.files_scanned;
        stats.bytes_scanned += repo_stats.bytes_scanned;
        stats
            .skipped
            .extend(repo_stats.skipped.into_iter().map(|mut s| {
                s.path = format!("{}/{}", listed.name, s.path);
                s
            }));
    }
    if let Err(e) = cache.save() {
        eprintln!("leakhound: warning: {e}");
    }
    stats.commits = Some(commits);
    stats.elapsed = started.elapsed();
    stats.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    all.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut triaged = setup.triage.apply(all);
    triaged.suppressed.extend(suppressed_here);
    triaged
        .suppressed
        .sort_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()));
    triaged.below_min_severity += below_min_severity;
    let out = open_output(report_args.output.as_deref())?;
    let finished = Finished {
        engine: &engine,
        stats: &stats,
        triaged,
        root: Some(base),
        revision: None,
        streamed: false,
        release: None,
    };
    let outcome = finish(report_args, &setup, out, &finished);
    std::mem::forget(engine);
    outcome
}

/// The setup a scan of the repository at `root` alone would run with, when it has a
/// configuration or an ignore file of its own there (and `--no-config` is not given). Its rules
/// and limits are not used: a warning names a file of its own that sets them.
fn own_setup(args: &ReportArgs, root: &Path, name: &str) -> Result<Option<Setup>> {
    let has_own = [config::FILE_NAME, config::IGNORE_FILE_NAME]
        .iter()
        .any(|f| root.join(f).is_file());
    if args.config.no_config || !has_own {
        return Ok(None);
    }
    let place = Place::repository(root);
    let (_, own) = setup::prepare(args, &place).with_context(|| format!("in repository {name}"))?;
    let own_file = config::Sources {
        discovered: config::discover(&place.dirs),
        ..config::Sources::default()
    };
    let sets_rules = config::Config::load(&own_file, root)
        .with_context(|| format!("in repository {name}"))?
        .discovered_changes_findings();
    if sets_rules {
        eprintln!(
            "leakhound: warning: {name}/{}: its rules and limits are not applied in a scan of \
             many repositories (only its triage is); give them with --config",
            config::FILE_NAME
        );
    }
    Ok(Some(own))
}

/// Names a finding of repository `name` as the report of many repositories does: its path
/// starts with the repository's name, and so its fingerprint is its own.
fn in_repository(f: &mut crate::finding::Finding, name: &str) {
    f.path = format!("{name}/{}", f.path);
    f.fingerprint = fingerprint(&f.rule_id, &f.path, &f.secret);
    f.repository = Some(name.to_string());
}

/// The repositories `file` lists, one per line (blank lines and `#` comments left out), named as
/// written; relative paths are relative to the current directory.
fn read_list(file: &Path, base: &Path) -> Result<Vec<Listed>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the repository list {}", file.display()))?;
    let mut repos: Vec<Listed> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let path = PathBuf::from(line);
            let name = std::fs::canonicalize(&path)
                .ok()
                .and_then(|p| p.strip_prefix(base).ok().map(Path::to_path_buf))
                .filter(|p| !p.as_os_str().is_empty())
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_else(|| line.trim_end_matches('/').to_string());
            Listed { name, path }
        })
        .collect();
    repos.sort_by(|a, b| a.name.cmp(&b.name));
    repos.dedup_by(|a, b| a.name == b.name);
    if repos.is_empty() {
        bail!("{} lists no repository", file.display());
    }
    Ok(repos)
}

/// Every repository under `base`: a directory with a `.git` (a working tree, or a linked
/// worktree's `.git` file) or one that is itself a bare repository. A repository's own
/// directories are not searched further; symbolic links are not followed.
pub fn discover(base: &Path) -> Result<Vec<Listed>> {
    let mut found = Vec::new();
    let mut pending = vec![base.to_path_buf()];
    while let Some(dir) = pending.pop() {
        if is_repository(&dir) {
            let name = dir
                .strip_prefix(base)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            let name = if name.is_empty() {
                ".".to_string()
            } else {
                name
            };
            found.push(Listed { name, path: dir });
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                pending.push(entry.path());
            }
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    if found.is_empty() {
        bail!("no git repository under {}", base.display());
    }
    Ok(found)
}

fn is_repository(dir: &Path) -> bool {
    dir.join(".git").exists()
        || (dir.join("HEAD").is_file() && dir.join("objects").is_dir() && dir.join("refs").is_dir())
}
