//! From flags and configuration files to what a scan runs with: the rules, the triage stage,
//! the limits and the gates. A flag wins over a configuration, which wins over the default.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cli::{ArchiveArgs, ConfigArgs, ReportArgs};
use crate::config::{self, Config, Sources};
use crate::engine::DEFAULT_DECODE_DEPTH;
use crate::report::Format;
use crate::rules::{RuleSet, Severity};
use crate::source::archive::Limits;
use crate::triage::{baseline, ignore_file, Suppressed, SuppressionKind, Triage, Triaged};

/// The size limit when neither a flag nor a configuration sets one.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 50 << 20;

/// Where a scan's inputs live.
#[derive(Debug, Clone)]
pub struct Place {
    /// The directories configuration is looked for from (each scanned path, or the
    /// repository's root).
    pub dirs: Vec<PathBuf>,
    /// The absolute directory report paths are relative to (none for standard input).
    pub base: Option<PathBuf>,
    /// The project root: the git work tree holding the base, or the base itself. Fingerprints
    /// and ignore files are the project's.
    pub project_root: PathBuf,
}

impl Place {
    /// A scan of a git repository's history or staged changes: everything at its root.
    pub fn repository(root: &Path) -> Place {
        Place {
            dirs: vec![root.to_path_buf()],
            base: Some(root.to_path_buf()),
            project_root: root.to_path_buf(),
        }
    }

    /// A scan of paths whose reports are relative to `base`.
    pub fn paths(paths: &[PathBuf], base: Option<PathBuf>) -> Place {
        let anchor = base
            .clone()
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default();
        Place {
            dirs: paths.to_vec(),
            project_root: config::project_root(&anchor),
            base,
        }
    }
}

/// What a scan runs with, besides its rules.
#[derive(Debug)]
pub struct Setup {
    pub triage: Triage,
    pub max_file_size: u64,
    pub decode_depth: usize,
    pub fail_on: Severity,
    /// How archives are opened (`None`: `--no-archives`).
    pub archives: Option<Limits>,
    /// List every suppressed finding in the report (not only those allowed inline).
    pub include_suppressed: bool,
    /// The ignore files read (for `ignore check`).
    pub ignore_files: Vec<PathBuf>,
    /// The history scan cache the configuration asks for (`scan.cache`), if any.
    pub history_cache: Option<PathBuf>,
}

impl Setup {
    /// What the scan cache's findings are valid for: the rules, and everything besides them
    /// that changes what a blob yields.
    pub fn cache_key(&self, rules: &RuleSet) -> String {
        let options = format!(
            "decode_depth={} max_file_size={} archives={:?}",
            self.decode_depth, self.max_file_size, self.archives
        );
        crate::scan::cache::findings_key(rules, &options)
    }

    /// The suppressed findings a report lists: those allowed inline always (a marker in a file
    /// is a decision anyone can make, so reports say where), every one when asked.
    pub fn listed_suppressed(&self, triaged: &Triaged) -> Vec<Suppressed> {
        triaged
            .suppressed
            .iter()
            .filter(|s| self.include_suppressed || s.suppression.kind == SuppressionKind::Inline)
            .cloned()
            .collect()
    }
}

/// The configuration in force for `place`, and the rule set it makes.
pub fn load_rules(args: &ConfigArgs, place: &Place) -> Result<(RuleSet, Config)> {
    let sources = Sources::for_dirs(&place.dirs, &args.config, args.no_config);
    let config = Config::load(&sources, &place.project_root)?;
    let mut rules = RuleSet::embedded()?;
    config.apply_to(&mut rules)?;
    Ok((rules, config))
}

/// Reads the configuration, the ignore files and the baselines for a scan of `place`: the rules
/// and the rest.
pub fn prepare(args: &ReportArgs, place: &Place) -> Result<(RuleSet, Setup)> {
    let (rules, mut config) = load_rules(&args.config, place)?;
    let ignore_files = ignore_files(&config, place, args.config.no_config);
    let mut entries = Vec::new();
    for f in &ignore_files {
        entries.extend(ignore_file::read(f)?);
    }
    let mut triage = Triage::new(place.base.as_deref(), Some(&place.project_root))
        .with_markers(config.inline_markers())
        .with_ignored(entries)
        .with_min_severity(
            args.min_severity
                .or(config.min_severity())
                .unwrap_or(Severity::Low),
        );
    for path in args.baseline.iter().chain(&config.baselines()) {
        triage = triage.with_baseline(baseline::read(path)?, path);
    }
    let include_suppressed = args.include_suppressed
        || config.include_suppressed()
        || (args.format == Format::Sarif && config.sarif_include_suppressed());
    let max_file_size = args
        .max_file_size
        .or(config.max_file_size())
        .unwrap_or(DEFAULT_MAX_FILE_SIZE);
    let setup = Setup {
        archives: archive_limits(&args.archives, &config, max_file_size),
        max_file_size,
        decode_depth: args
            .decode_depth
            .or(config.decode_depth())
            .unwrap_or(DEFAULT_DECODE_DEPTH),
        fail_on: args.fail_on.or(config.fail_on()).unwrap_or(Severity::Low),
        include_suppressed,
        history_cache: config.history_cache(),
        triage: triage.with_allowlists(config.take_allowlists()),
        ignore_files,
    };
    Ok((rules, setup))
}

/// The archive limits from flags, configuration and defaults; `None` when archives are not
/// opened.
pub fn archive_limits(args: &ArchiveArgs, config: &Config, max_member_size: u64) -> Option<Limits> {
    if args.no_archives || config.archives() == Some(false) {
        return None;
    }
    let default = Limits::default();
    Some(Limits {
        max_depth: args
            .max_archive_depth
            .or(config.max_archive_depth())
            .unwrap_or(default.max_depth),
        max_bytes: args
            .max_archive_bytes
            .or(config.max_archive_bytes())
            .unwrap_or(default.max_bytes),
        max_members: args.max_archive_members.unwrap_or(default.max_members),
        max_ratio: args.max_archive_ratio.unwrap_or(default.max_ratio),
        max_member_size,
    })
}

/// The ignore files in force: those the configurations name, and (unless `no_config`)
/// `.leakhoundignore` beside each discovered configuration and at the project root.
pub fn ignore_files(config: &Config, place: &Place, no_config: bool) -> Vec<PathBuf> {
    let mut files = config.ignore_files();
    if no_config {
        return files;
    }
    let defaults = config
        .discovered_dirs()
        .into_iter()
        .chain([place.project_root.clone()])
        .map(|d| d.join(config::IGNORE_FILE_NAME));
    for f in defaults {
        if !files.contains(&f) {
            files.push(f);
        }
    }
    files
}

/// The ignore file `ignore add` writes to: the one given, or the project's.
pub fn ignore_file_for_add(file: Option<&Path>) -> Result<PathBuf> {
    if let Some(f) = file {
        return Ok(f.to_path_buf());
    }
    let cwd = std::env::current_dir().context("cannot find the current directory")?;
    Ok(config::project_root(&cwd).join(config::IGNORE_FILE_NAME))
}
