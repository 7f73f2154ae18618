//! Running each command: turns parsed flags into a scan (or a rules listing) and its outcome.
//! [`setup`] turns flags and configuration into rules and a triage stage; [`triage`] holds the
//! commands that manage accepted findings (`ignore`, `config init`).
//!
//! Errors here are `anyhow` errors with context; `main` prints them as one line, exit code 2.

mod many;
mod merge;
mod pipeline;
mod release;
mod rules;
mod setup;
mod triage;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};

use crate::cli::{
    Cli, ColorChoice, Command, ConfigCommand, GitArgs, HookCommand, IgnoreCommand, ReportArgs,
    RulesCommand, ScanArgs,
};
use crate::engine::{Engine, EngineOptions};
use crate::finding::Finding;
use crate::hook::{self, HookKind, Installed, Uninstalled};
use crate::progress::Progress;
use crate::report::{self, Format, ReportContext, Revision};
use crate::scan::cache::HistoryCache;
use crate::scan::shard::Shard;
use crate::scan::{self, Stats};
use crate::source::fs::{self as fs_source, WalkOptions};
use crate::source::git::{self as git_source, CommitSelection};
use crate::source::git_history::BlobReader;
use crate::source::objects::ObjectStore;
use crate::source::staged;
use crate::source::SkipReason;
use crate::summary;
use crate::triage::{baseline, Triaged};
use setup::{Place, Setup};

/// How a command ended (errors are the `Err` side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing found, all checks passed.
    Clean,
    /// Secrets found, or rule examples failed.
    Found,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Found => 1,
        }
    }
}

pub fn run(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Scan(args) if args.staged => {
            let repo = match args.paths.as_slice() {
                [one] => one.clone(),
                _ => bail!("--staged scans one repository; give at most one PATH"),
            };
            scan_staged(&repo, &args.report)
        }
        Command::Scan(args) => scan(&args),
        Command::Git(args) if args.staged => scan_staged(&args.repo, &args.report),
        Command::Git(args) if args.repos_from.is_some() || args.discover => many::scan_many(&args),
        Command::Git(args) => scan_history(&args),
        Command::Merge(args) => merge::merge(&args.reports, args.output.as_deref()),
        Command::Release(args) => release::release(&args),
        Command::Hook(HookCommand::Install(args)) => {
            hook_install(&args.hook.repo, hook_kind(args.hook.pre_push), args.force)
        }
        Command::Hook(HookCommand::Uninstall(args)) => {
            hook_uninstall(&args.repo, hook_kind(args.pre_push))
        }
        Command::Rules(RulesCommand::List(args)) => rules::list(&args.config, args.format),
        Command::Rules(RulesCommand::Check(args)) => rules::check(&args.config),
        Command::Ignore(IgnoreCommand::Add(args)) => triage::ignore_add(&args),
        Command::Ignore(IgnoreCommand::Check(args)) => triage::ignore_check(&args),
        Command::Config(ConfigCommand::Init(args)) => triage::config_init(&args),
    }
}

fn set_threads(threads: Option<usize>) -> Result<()> {
    if let Some(n) = threads {
        if n == 0 {
            bail!("--threads must be at least 1");
        }
        // Only fails when the global pool already exists, which cannot happen this early.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
    Ok(())
}

fn scan(args: &ScanArgs) -> Result<Outcome> {
    let report_args = &args.report;
    let stdin = Path::new("-");
    if args.paths.iter().any(|p| p == stdin) {
        if args.paths.len() > 1 {
            bail!("- (standard input) cannot be scanned together with other paths");
        }
        return scan_stdin(report_args);
    }
    let mut file_sizes = Some(0u64);
    for path in &args.paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() => file_sizes = file_sizes.map(|sum| sum + meta.len()),
            Ok(_) => file_sizes = None,
            Err(e) => bail!("cannot scan {}: {}", path.display(), e),
        }
    }
    set_threads(report_args.threads)?;
    let base = fs_source::report_base(&args.paths);
    let (rules, setup) = setup::prepare(report_args, &Place::paths(&args.paths, base.clone()))?;
    let walk_options = WalkOptions {
        honor_ignore_files: !args.no_ignore,
        follow_links: args.follow,
        // The walker's threads are the scanning threads: as many as rayon's (every core unless
        // `-j` says otherwise), not ignore's own default, which stops at 12.
        threads: report_args
            .threads
            .unwrap_or_else(rayon::current_num_threads),
    };
    let started = std::time::Instant::now();
    // The walk and the scan overlap, so the input's size is known up front only when every
    // path is a file (a hook scanning a few files).
    let input_bytes = file_sizes.unwrap_or(u64::MAX);
    let triage = &setup.triage;
    let engine = Engine::with_options(
        rules,
        EngineOptions {
            input_bytes,
            decode_depth: setup.decode_depth,
        },
    )?;

    let mut out = open_output(report_args.output.as_deref())?;
    // JSON Lines streams findings as they are made, triaged file by file; the other formats
    // are written at the end.
    let stream = Mutex::new((&mut out, None::<io::Error>));
    let on_file = |found: &[Finding]| {
        if report_args.format == Format::Jsonl {
            let triaged = triage.apply(found.to_vec());
            let mut guard = stream.lock().unwrap_or_else(|e| e.into_inner());
            let (w, err) = &mut *guard;
            if err.is_none() {
                let listed = setup.listed_suppressed(&triaged);
                let written = report::write_jsonl(
                    &mut **w,
                    report_args.show_secrets,
                    &triaged.reported,
                    &listed,
                );
                if let Err(e) = written {
                    *err = Some(e);
                }
            }
        }
    };
    let (findings, mut stats) =
        pipeline::scan_tree(&engine, &setup, &args.paths, &[], &walk_options, &on_file);
    let stream_error = stream.into_inner().unwrap_or_else(|e| e.into_inner()).1;
    stats.elapsed = started.elapsed();
    if let Some(e) = stream_error {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return Err(e).context("cannot write the report");
        }
    }
    let finished = Finished {
        engine: &engine,
        stats: &stats,
        triaged: setup.triage.apply(findings),
        root: base,
        revision: None,
        streamed: true,
        release: None,
    };
    let outcome = finish(report_args, &setup, out, &finished);
    keep_until_exit(engine);
    outcome
}

/// `scan -`: what is piped in (a diff, a CI log, an artifact listing), reported as `stdin`.
fn scan_stdin(report_args: &ReportArgs) -> Result<Outcome> {
    use std::io::Read;

    const NAME: &str = "stdin";
    let started = std::time::Instant::now();
    let cwd = std::env::current_dir().context("cannot find the current directory")?;
    // Configuration from the current directory; what is piped in stands at the project root,
    // so that the root configuration's allowlists apply to it.
    let root = crate::config::project_root(&cwd);
    let place = Place::paths(std::slice::from_ref(&cwd), Some(root));
    let (rules, setup) = setup::prepare(report_args, &place)?;
    let limit = setup.max_file_size;
    let mut data = Vec::new();
    io::stdin()
        .lock()
        .take(limit.saturating_add(1))
        .read_to_end(&mut data)
        .context("cannot read standard input")?;
    let engine = Engine::with_options(
        rules,
        EngineOptions {
            input_bytes: data.len() as u64,
            decode_depth: setup.decode_depth,
        },
    )?;
    // What is piped in is one file, or the members of an archive (named `stdin!member`).
    let tally = scan::Tally::default();
    let mut findings = if data.len() as u64 > limit {
        // Only the first `limit + 1` bytes were read: the input is at least that large.
        let size = data.len() as u64;
        tally.skip(NAME.to_string(), SkipReason::TooLarge { size, limit });
        Vec::new()
    } else {
        scan::scan_data(&engine, NAME, &data, setup.archives.as_ref(), &tally)
    };
    let (findings, mut stats) = tally.finish(&mut findings, None);
    stats.elapsed = started.elapsed();
    let out = open_output(report_args.output.as_deref())?;
    let finished = Finished {
        engine: &engine,
        stats: &stats,
        triaged: setup.triage.apply(findings),
        root: None,
        revision: None,
        streamed: false,
        release: None,
    };
    finish(report_args, &setup, out, &finished)
}

/// `git [REPO]`: the history of every ref, or of the selected commits.
fn scan_history(args: &GitArgs) -> Result<Outcome> {
    let report_args = &args.report;
    set_threads(report_args.threads)?;
    let repo = git_source::open(&args.repo)?;
    let (rules, setup) = setup::prepare(
        report_args,
        &Place::repository(&git_source::root_dir(&repo)),
    )?;
    let started = std::time::Instant::now();
    let selection = CommitSelection {
        refs: args.refs.clone(),
        since: args.since.clone(),
        range: args.range.clone(),
    };
    let cache_key = setup.cache_key(&rules);
    let git_dir = repo.path().to_path_buf();
    let open_cache = || open_cache(args, &setup, &git_dir, &cache_key);
    let progress = Progress::start(!report_args.quiet);
    let (engine, listed, cache) =
        pipeline::engine_and_history(&repo, rules, &setup, &selection, &progress, open_cache)?;
    let listed_commits = listed.commit_count();
    let shard = args.shard.map(|(index, count)| Shard { index, count });
    let (findings, mut stats) = pipeline::scan_history(
        &engine,
        &repo,
        listed,
        &setup,
        &progress,
        cache.as_ref(),
        shard,
    );
    progress.finish();
    if let Some(cache) = cache {
        if !report_args.quiet {
            let (commits, blobs) = cache.reused();
            eprintln!(
                "leakhound: cache: {commits} of {} commits and {blobs} blobs known from earlier scans",
                listed_commits
            );
        }
        if let Err(e) = cache.save() {
            eprintln!("leakhound: warning: {e}");
        }
    }
    stats.elapsed = started.elapsed();
    if !report_args.quiet && stats.commits == Some(0) {
        if let Some(branch) = git_source::unborn_branch(&repo) {
            eprintln!("leakhound: {branch} has no commits yet: there is no history to scan");
        }
    }
    let outcome = finish_repository_scan(report_args, &setup, &repo, &engine, &stats, findings);
    keep_until_exit(engine);
    outcome
}

/// The scan cache a history scan uses: `--cache DIR`, else the configuration's, unless
/// `--no-cache`. One that cannot be read is said on standard error, and the scan is cold.
fn open_cache(
    args: &GitArgs,
    setup: &setup::Setup,
    git_dir: &Path,
    key: &str,
) -> Option<HistoryCache> {
    if args.no_cache {
        return None;
    }
    let dir = args.cache.clone().or_else(|| setup.history_cache.clone())?;
    match HistoryCache::open(&dir, git_dir, key) {
        Ok(cache) => Some(cache),
        Err(e) => {
            eprintln!("leakhound: warning: {e}; scanning without it");
            None
        }
    }
}

/// Leaves the engine to the end of the process instead of freeing it: freeing every compiled
/// regex with its lazy-DFA cache took 4 ms after a scan of the 100 MB corpus, a serial tail
/// that nobody waits for, since the process exits next.
fn keep_until_exit(engine: Engine) {
    std::mem::forget(engine);
}

/// `scan --staged` / `git --staged`: the lines the staged changes add.
fn scan_staged(path: &Path, report_args: &ReportArgs) -> Result<Outcome> {
    set_threads(report_args.threads)?;
    let repo = git_source::open(path)?;
    let started = std::time::Instant::now();
    let (rules, setup) = setup::prepare(
        report_args,
        &Place::repository(&git_source::root_dir(&repo)),
    )?;
    let changes = staged::staged_changes(&repo)?;
    // The hook reads a few blobs: libgit2 alone, with nothing more to open.
    let reader = BlobReader::new(ObjectStore::libgit2_only(&repo), setup.max_file_size);
    // The hook's input is usually a few kilobytes: pick the engine that is quickest to build.
    let staged_bytes: u64 = reader
        .with_odb(|odb| {
            changes
                .files
                .iter()
                .filter_map(|f| odb.read_header(f.blob).ok())
                .map(|(size, _)| size as u64)
                .sum()
        })
        .unwrap_or(u64::MAX);
    let options = EngineOptions {
        input_bytes: staged_bytes,
        decode_depth: setup.decode_depth,
    };
    let engine = Engine::with_options(rules, options)?;
    let (findings, mut stats) =
        scan::staged::scan_staged(&engine, &changes, &reader, setup.archives.as_ref());
    stats.elapsed = started.elapsed();
    finish_repository_scan(report_args, &setup, &repo, &engine, &stats, findings)
}

/// Reports a scan of a repository (history or staged): paths relative to its work tree, with
/// its HEAD as the SARIF revision.
fn finish_repository_scan(
    report_args: &ReportArgs,
    setup: &Setup,
    repo: &git2::Repository,
    engine: &Engine,
    stats: &Stats,
    findings: Vec<Finding>,
) -> Result<Outcome> {
    let out = open_output(report_args.output.as_deref())?;
    let finished = Finished {
        engine,
        stats,
        triaged: setup.triage.apply(findings),
        root: Some(git_source::root_dir(repo)),
        revision: head_revision(repo),
        streamed: false,
        release: None,
    };
    finish(report_args, setup, out, &finished)
}

fn head_revision(repo: &git2::Repository) -> Option<Revision> {
    let head = repo.head().ok()?;
    let commit = head.peel_to_commit().ok()?;
    Some(Revision {
        commit: commit.id().to_string(),
        branch: head
            .is_branch()
            .then(|| String::from_utf8_lossy(head.name_bytes()).into_owned()),
    })
}

/// A finished scan, triaged, ready to report.
struct Finished<'a> {
    engine: &'a Engine,
    stats: &'a Stats,
    triaged: Triaged,
    root: Option<PathBuf>,
    revision: Option<Revision>,
    /// JSON Lines findings were already written as they came.
    streamed: bool,
    /// For `release`: what was scanned, and the stats of each origin, for its summary.
    release: Option<(String, Vec<(&'static str, Stats)>)>,
}

/// Writes the report, the baseline if asked, and the summary; the outcome follows from the
/// open findings and `--fail-on`.
fn finish(
    args: &ReportArgs,
    setup: &Setup,
    mut out: Box<dyn Write + Send>,
    scan: &Finished<'_>,
) -> Result<Outcome> {
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let triaged = &scan.triaged;
    let listed = setup.listed_suppressed(triaged);
    let counts = triaged.counts();
    let ctx = ReportContext {
        rules: scan.engine.rules(),
        stats: scan.stats,
        show_secrets: args.show_secrets,
        color,
        root: scan.root.clone(),
        revision: scan.revision.clone(),
        suppressed: &listed,
        suppressed_counts: &counts,
        below_min_severity: triaged.below_min_severity,
    };
    let written = if args.format == Format::Jsonl && !scan.streamed {
        report::write_jsonl(&mut out, args.show_secrets, &triaged.reported, &listed)
    } else {
        report::write_report(args.format, &mut out, &ctx, &triaged.reported)
    };
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other.context("cannot write the report")?,
    }
    let baseline_written = match &args.write_baseline {
        Some(path) => Some((path, baseline::write(path, triaged.known())?)),
        None => None,
    };
    if !args.quiet {
        let mut err = io::stderr().lock();
        match &scan.release {
            Some((scope, origins)) => {
                let origins: Vec<(&str, &Stats)> = origins.iter().map(|(o, s)| (*o, s)).collect();
                summary::write_release_summary(
                    &mut err,
                    scope,
                    &origins,
                    scan.stats,
                    triaged,
                    setup.fail_on,
                )
            }
            None => summary::write_summary(&mut err, scan.stats, triaged, setup.fail_on),
        }
        .ok();
        if let Some((path, n)) = baseline_written {
            writeln!(
                err,
                "leakhound: wrote the baseline {} ({n} finding{})",
                path.display(),
                if n == 1 { "" } else { "s" }
            )
            .ok();
        }
    }
    Ok(
        if baseline_written.is_none() && triaged.fails(setup.fail_on) {
            Outcome::Found
        } else {
            Outcome::Clean
        },
    )
}

fn hook_kind(pre_push: bool) -> HookKind {
    if pre_push {
        HookKind::PrePush
    } else {
        HookKind::PreCommit
    }
}

fn hook_install(path: &Path, kind: HookKind, force: bool) -> Result<Outcome> {
    let repo = git_source::open(path)?;
    let binary = std::env::current_exe()
        .ok()
        .and_then(|p| std::fs::canonicalize(p).ok());
    let name = kind.file_name();
    let message = match hook::install(&repo, kind, binary.as_deref(), force)? {
        Installed::New(p) => format!("installed the {name} hook {}", p.display()),
        Installed::Updated(p) => format!("updated the {name} hook {}", p.display()),
        Installed::Replaced(p, backup) => format!(
            "installed the {name} hook {} (the previous one is now {})",
            p.display(),
            backup.display()
        ),
    };
    println!("leakhound: {message}");
    Ok(Outcome::Clean)
}

fn hook_uninstall(path: &Path, kind: HookKind) -> Result<Outcome> {
    let repo = git_source::open(path)?;
    let name = kind.file_name();
    let message = match hook::uninstall(&repo, kind)? {
        Uninstalled::Removed(p) => format!("removed the {name} hook {}", p.display()),
        Uninstalled::Restored(p) => format!(
            "removed leakhound's {name} hook and put back the previous one at {}",
            p.display()
        ),
        Uninstalled::NotInstalled(p) => format!("no {name} hook at {}", p.display()),
    };
    println!("leakhound: {message}");
    Ok(Outcome::Clean)
}

fn open_output(path: Option<&Path>) -> Result<Box<dyn Write + Send>> {
    Ok(match path {
        Some(p) => Box::new(io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(io::BufWriter::new(io::stdout())),
    })
}
