//! Every command and flag, defined once (clap derive), with the help text users see.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;
use crate::rules::Severity;

/// leakhound finds secrets (API keys, tokens, private keys, passwords, SNMP communities) in
/// working trees and git history before they ship.
///
/// Exit codes: 0 no findings, 1 findings, 2 error.
#[derive(Debug, Parser)]
#[command(name = "leakhound", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories (default: the current directory), or the staged changes.
    Scan(ScanArgs),
    /// Scan the history of a git repository: every commit of every ref, or a range of them.
    Git(GitArgs),
    /// Scan what a release ships, in one report with one verdict: the working tree, the
    /// history since the previous release tag, and the built artifacts.
    Release(ReleaseArgs),
    /// Install or remove the git pre-commit (or pre-push) hook.
    #[command(subcommand)]
    Hook(HookCommand),
    /// List or check the rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Accept findings: add fingerprints to `.leakhoundignore`, or list its stale entries.
    #[command(subcommand)]
    Ignore(IgnoreCommand),
    /// Write a starter `.leakhound.toml`.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Combine the reports of the shards of one scan (`git --shard K/N`, json-report or SARIF)
    /// into the report one process would have written.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' reports: all json-report, or all SARIF.
    #[arg(value_name = "REPORT", required = true)]
    pub reports: Vec<PathBuf>,

    /// Write the merged report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum IgnoreCommand {
    /// Append fingerprints (from a report's `fingerprint` field) to the ignore file.
    Add(IgnoreAddArgs),
    /// Scan, and list the ignore file's entries that no longer match any finding (exit 1 if
    /// there are any).
    Check(IgnoreCheckArgs),
}

#[derive(Debug, Args)]
pub struct IgnoreAddArgs {
    /// Fingerprints of the findings to accept.
    #[arg(value_name = "FINGERPRINT", required = true)]
    pub fingerprints: Vec<String>,

    /// Why they are accepted (written after `#` on each line).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,

    /// The ignore file (default: `.leakhoundignore` at the root of the project holding the
    /// current directory).
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct IgnoreCheckArgs {
    /// A directory of the project whose ignore file is checked (the whole project is scanned).
    #[arg(value_name = "PATH", default_value = ".")]
    pub path: PathBuf,

    /// Also scan the git history (an entry may accept a secret that lives only there).
    #[arg(long)]
    pub git: bool,

    /// Remove the stale entries from the ignore file (other lines are kept as they are); in a
    /// git repository the history is scanned too, so that no entry it still needs goes.
    #[arg(long)]
    pub prune: bool,

    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write a commented starter `.leakhound.toml` into DIR (default: the current directory).
    Init(ConfigInitArgs),
}

#[derive(Debug, Args)]
pub struct ConfigInitArgs {
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// Replace an existing `.leakhound.toml`.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Print every rule: id, severity, name.
    List(RulesListArgs),
    /// Run every rule's examples and negative examples; exit 1 on any miss.
    Check(RulesCheckArgs),
}

/// When to colour text output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    Always,
    Never,
}

/// Output format for `rules list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

/// Which configuration files are read.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// A configuration file (the `.leakhound.toml` format; a rule file is one) read after the
    /// discovered ones and LEAKHOUND_CONFIG, overriding them (repeatable).
    #[arg(short, long = "config", value_name = "FILE")]
    pub config: Vec<PathBuf>,

    /// Read no `.leakhound.toml` beside what is scanned, no `.leakhoundignore` at the project
    /// root, and ignore LEAKHOUND_CONFIG (files given with --config are still read).
    #[arg(long)]
    pub no_config: bool,
}

/// What every scanning command shares: the report, the rules, limits and threads.
#[derive(Debug, Default, Args)]
pub struct ReportArgs {
    /// Report format.
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Show secrets in full in the report (they are redacted by default).
    #[arg(long)]
    pub show_secrets: bool,

    /// Skip (and report) files or blobs larger than this; accepts K, M, G suffixes (powers of
    /// 1024) [default: 50M, or the configuration's]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,

    #[command(flatten)]
    pub config: ConfigArgs,

    /// Layers of base64 / percent encoding to look through for secrets (0 turns decoding off)
    /// [default: 2, or the configuration's]
    #[arg(long, value_name = "N")]
    pub decode_depth: Option<usize>,

    /// Findings of this severity or worse make the exit code 1 (all are still reported)
    /// [default: low, or the configuration's]
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,

    /// Leave findings below this severity out of the report [default: low, or the
    /// configuration's]
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub min_severity: Option<Severity>,

    /// Report only findings that are not in this report of ours (JSON, JSON Lines, SARIF, or a
    /// file from --write-baseline); repeatable.
    #[arg(long, value_name = "FILE")]
    pub baseline: Vec<PathBuf>,

    /// Write the findings to FILE as a baseline (fingerprints and locations, no secrets); the
    /// exit code is then 0 unless there is an error.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// List suppressed findings (ignore file, baseline, allowlists) in the report, marked; those
    /// allowed inline are always listed.
    #[arg(long)]
    pub include_suppressed: bool,

    #[command(flatten)]
    pub archives: ArchiveArgs,

    /// Print no summary or progress on standard error.
    #[arg(short, long)]
    pub quiet: bool,

    /// Colour the text report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
}

/// How archives (zip, jar, whl, tar, tar.gz, deb, docker save...) are opened.
#[derive(Debug, Default, Args)]
pub struct ArchiveArgs {
    /// Do not open archives (they are then scanned, or skipped as binary, like other files).
    #[arg(long)]
    pub no_archives: bool,

    /// Archives inside archives to open, compression streams included (`a.tar.gz!b.zip` is 3)
    /// [default: 4]
    #[arg(long, value_name = "N")]
    pub max_archive_depth: Option<usize>,

    /// Bytes decompressed per archive, all members together; K, M, G suffixes [default: 1G]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_archive_bytes: Option<u64>,

    /// Members per archive [default: 100000]
    #[arg(long, value_name = "N")]
    pub max_archive_members: Option<u64>,

    /// How many times a compressed stream or member may expand (against compression bombs)
    /// [default: 1000]
    #[arg(long, value_name = "N")]
    pub max_archive_ratio: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan, or - for standard input (with --staged: the repository,
    /// default the current one).
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Scan what `git commit` would record: the staged changes, reporting only secrets on lines
    /// they add or modify (what the pre-commit hook runs).
    #[arg(long, conflicts_with_all = ["no_ignore", "follow"])]
    pub staged: bool,

    /// Scan files that .gitignore, .ignore and git excludes would skip.
    #[arg(long)]
    pub no_ignore: bool,

    /// Follow symbolic links.
    #[arg(long)]
    pub follow: bool,

    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Args)]
pub struct GitArgs {
    /// The repository (or a directory inside it).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,

    /// Scan only commits reachable from B but not from A (either side defaults to HEAD).
    #[arg(long, value_name = "A..B", conflicts_with_all = ["since", "refs"])]
    pub range: Option<String>,

    /// Scan only commits that are not reachable from REV, e.g. the last release tag.
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,

    /// Scan the history of this ref or revision instead of every ref (repeatable).
    #[arg(long = "ref", value_name = "REF")]
    pub refs: Vec<String>,

    /// Scan the staged changes instead of the history (the same as `scan --staged`).
    #[arg(long, conflicts_with_all = ["range", "since", "refs"])]
    pub staged: bool,

    /// Keep what this scan learns in DIR and reuse what earlier scans of the repository kept
    /// there: a scan after a few new commits reads only their blobs. Holds ids and counts, never
    /// secrets [default: none, or the configuration's `scan.cache`]
    #[arg(long, value_name = "DIR", conflicts_with = "staged")]
    pub cache: Option<PathBuf>,

    /// Use no scan cache, even if the configuration sets one.
    #[arg(long, conflicts_with = "cache")]
    pub no_cache: bool,

    /// Scan the repositories listed in FILE (one path, or bare repository, per line; `#`
    /// comments) in one process and one report; REPO is then where report paths start.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["staged", "discover"])]
    pub repos_from: Option<PathBuf>,

    /// Scan every repository under REPO (working trees and bare ones) in one process and one
    /// report.
    #[arg(long, conflicts_with = "staged")]
    pub discover: bool,

    /// Scan only shard K of N (K from 0): N independent workers cover the scan exactly once,
    /// and `leakhound merge` makes one report of theirs. With --repos-from or --discover, a
    /// partition by repository name; of one repository, by path (each path's history whole).
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(u64, u64)>,

    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// The repository (or a directory inside it).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,

    /// The previous release: a tag or revision whose history is not scanned again, or `auto`
    /// (the latest tag before HEAD; the whole history if there is none).
    #[arg(long, value_name = "TAG|auto", default_value = "auto")]
    pub since: String,

    /// Built artifacts to scan: files or directories (wheels, tarballs, jars, images saved with
    /// `docker save`...; archives are opened).
    #[arg(long = "artifacts", value_name = "PATH", num_args = 1..)]
    pub artifacts: Vec<PathBuf>,

    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Install a git pre-commit hook that runs `leakhound scan --staged` (with --pre-push: a
    /// pre-push hook that runs `leakhound release` for a pushed tag and `leakhound git` over
    /// the pushed commits otherwise).
    Install(HookInstallArgs),
    /// Remove the hook that `hook install` wrote (and no other).
    Uninstall(HookArgs),
}

#[derive(Debug, Args)]
pub struct HookArgs {
    /// The repository (or a directory inside it).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,

    /// The pre-push hook instead of the pre-commit hook.
    #[arg(long)]
    pub pre_push: bool,
}

#[derive(Debug, Args)]
pub struct HookInstallArgs {
    /// Replace an existing pre-commit hook that leakhound did not write (it is kept beside it as
    /// `pre-commit.before-leakhound`).
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub hook: HookArgs,
}

#[derive(Debug, Args)]
pub struct RulesListArgs {
    #[arg(short, long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct RulesCheckArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// `K/N` with `N >= 1` and `K < N`.
fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let bad = || format!("'{text}' is not a shard K/N (K from 0 to N-1)");
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let (k, n): (u64, u64) = (k.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
    if n == 0 || k >= n {
        return Err(bad());
    }
    Ok((k, n))
}

/// `50M`, `512K`, `1G`, `1MiB`, `1000` → bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let digits_end = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (num, unit) = lower.split_at(digits_end);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{t}' is not a size (examples: 1048576, 512K, 50M, 1G)"))?;
    let mult: u64 = match unit.trim() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("'{t}' has an unknown unit (use K, M or G)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("'{t}' is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("50M"), Ok(50 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5T").is_err());
    }
}
