//! The commands that manage accepted findings: `ignore add`, `ignore check` and `config init`.

use std::collections::HashSet;
use std::io::Write;

use anyhow::{bail, Context, Result};

use super::setup::{self, Place, Setup};
use super::{pipeline, Outcome};
use crate::cli::{ConfigInitArgs, IgnoreAddArgs, IgnoreCheckArgs, ReportArgs};
use crate::config;
use crate::engine::Engine;
use crate::progress::Progress;
use crate::source::fs::{self as fs_source, WalkOptions};
use crate::source::git::{self as git_source, CommitSelection};
use crate::triage::ignore_file::{self, is_fingerprint};

/// `ignore add FINGERPRINT... [--reason R]`: appends to the ignore file.
pub fn ignore_add(args: &IgnoreAddArgs) -> Result<Outcome> {
    // The argument is not echoed: a secret pasted in place of a fingerprint would be printed.
    if let Some(i) = args.fingerprints.iter().position(|f| !is_fingerprint(f)) {
        bail!(
            "argument {} is not a fingerprint (32 hexadecimal digits: a report's `fingerprint` field)",
            i + 1
        );
    }
    let file = setup::ignore_file_for_add(args.file.as_deref())?;
    let added = ignore_file::append(&file, &args.fingerprints, args.reason.as_deref())?;
    let already = args.fingerprints.len() - added.len();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "leakhound: added {} fingerprint{} to {}{}",
        added.len(),
        if added.len() == 1 { "" } else { "s" },
        file.display(),
        if already > 0 {
            format!(" ({already} already there)")
        } else {
            String::new()
        }
    )
    .ok();
    Ok(Outcome::Clean)
}

/// `ignore check [PATH] [--git]`: scans, and lists the ignore file's entries that match no
/// finding any more (exit 1 if there are any), so that the file does not rot.
pub fn ignore_check(args: &IgnoreCheckArgs) -> Result<Outcome> {
    std::fs::metadata(&args.path)
        .with_context(|| format!("cannot scan {}", args.path.display()))?;
    // Entries are the project's, whichever directory of it PATH is: the whole project is
    // scanned, or an entry for a file elsewhere in it would look stale.
    let given = [args.path.clone()];
    let project = config::project_root(&fs_source::report_base(&given).unwrap_or_default());
    let paths = [project.clone()];
    let place = Place::paths(&paths, Some(project.clone()));
    // Pruning must not drop an entry for a secret that lives only in history.
    let with_history = args.git || (args.prune && config::git_root(&project).is_some());
    // A scan as `scan PATH` would run it, with the configuration's defaults.
    let report_args = ReportArgs {
        config: args.config.clone(),
        ..ReportArgs::default()
    };
    let (rules, setup) = setup::prepare(&report_args, &place)?;
    let ignore_files = setup.ignore_files.clone();
    let mut entries = Vec::new();
    for f in &ignore_files {
        entries.extend(ignore_file::read(f)?);
    }
    let engine = Engine::new(rules)?;
    let (mut findings, _) = pipeline::scan_tree(
        &engine,
        &setup,
        &paths,
        &[],
        &WalkOptions::default(),
        &|_| {},
    );
    setup.triage.identify(&mut findings);
    let mut seen: HashSet<String> = findings.into_iter().map(|f| f.fingerprint).collect();
    if with_history {
        seen.extend(history_fingerprints(&project, &engine, &setup)?);
    }
    let stale: Vec<_> = entries
        .iter()
        .filter(|e| !seen.contains(&e.fingerprint))
        .collect();
    let mut out = std::io::stdout().lock();
    if args.prune && !stale.is_empty() {
        let mut removed = 0;
        for file in &ignore_files {
            let lines: Vec<usize> = stale
                .iter()
                .filter(|e| e.file == *file)
                .map(|e| e.line)
                .collect();
            if !lines.is_empty() {
                removed += ignore_file::remove_lines(file, &lines)?;
            }
        }
        writeln!(
            out,
            "leakhound: removed {removed} stale entr{} from the ignore file",
            if removed == 1 { "y" } else { "ies" }
        )
        .ok();
        return Ok(Outcome::Clean);
    }
    for e in &stale {
        let reason = e
            .reason
            .as_deref()
            .map(|r| format!("  # {r}"))
            .unwrap_or_default();
        writeln!(
            out,
            "stale: {}:{}: {}{reason}",
            e.file.display(),
            e.line,
            e.fingerprint
        )
        .ok();
    }
    let scope = if with_history {
        "the working tree or the history"
    } else {
        "the working tree (--git: the history too)"
    };
    writeln!(
        out,
        "leakhound: {} ignore entr{}, {} stale (matching nothing in {scope})",
        entries.len(),
        if entries.len() == 1 { "y" } else { "ies" },
        stale.len()
    )
    .ok();
    Ok(if stale.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Found
    })
}

/// The fingerprints of every finding in the history of the repository holding `path`.
fn history_fingerprints(
    path: &std::path::Path,
    engine: &Engine,
    setup: &Setup,
) -> Result<Vec<String>> {
    let repo = git_source::open(path)?;
    let progress = Progress::start(false);
    let listed =
        pipeline::list_history(&repo, engine, &CommitSelection::default(), &progress, None)?;
    let (findings, _) = pipeline::scan_history(engine, &repo, listed, setup, &progress, None, None);
    Ok(findings.into_iter().map(|f| f.fingerprint).collect())
}

/// `config init [DIR]`: writes the commented starter configuration.
pub fn config_init(args: &ConfigInitArgs) -> Result<Outcome> {
    let path = args.dir.join(config::FILE_NAME);
    if path.exists() && !args.force {
        bail!("{} exists already (--force replaces it)", path.display());
    }
    std::fs::write(&path, config::STARTER)
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!("leakhound: wrote {}", path.display());
    Ok(Outcome::Clean)
}
