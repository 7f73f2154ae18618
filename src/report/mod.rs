//! Reports: findings and what was not scanned, written as text, JSON, JSON Lines or SARIF.
//!
//! A reporter gets finished findings and the scan's stats; it knows nothing of how they were
//! found. Every format redacts secrets unless the user asked for `--show-secrets`.

mod json;
mod sarif;
mod text;

use std::io::{self, Write};
use std::path::PathBuf;

use crate::finding::Finding;
use crate::rules::RuleSet;
use crate::scan::Stats;
use crate::triage::{Suppressed, Suppression, SuppressionKind};

pub use json::{write_json, write_jsonl_line};
pub use sarif::write_sarif;
pub use text::write_text;

/// The output formats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: grouped by file, coloured on a terminal.
    #[default]
    Text,
    /// One JSON array of findings.
    Json,
    /// One JSON object per line, written as findings are made.
    Jsonl,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF consumers.
    Sarif,
}

/// Everything a reporter needs besides the findings.
#[derive(Debug)]
pub struct ReportContext<'a> {
    pub rules: &'a RuleSet,
    pub stats: &'a Stats,
    pub show_secrets: bool,
    pub color: bool,
    /// The absolute scan root, when paths are relative to one (SARIF's `originalUriBaseIds`).
    pub root: Option<PathBuf>,
    /// The revision scanned, when the input was a git repository (whose root is `root`).
    pub revision: Option<Revision>,
    /// Suppressed findings to list beside the open ones (those allowed inline always; every
    /// one with `--include-suppressed`).
    pub suppressed: &'a [Suppressed],
    /// How many findings were suppressed, by kind, whether listed or not.
    pub suppressed_counts: &'a [(SuppressionKind, usize)],
    /// How many findings `--min-severity` left out.
    pub below_min_severity: usize,
}

/// Open findings and the listed suppressed ones, merged in report order.
pub fn entries<'a>(
    findings: &'a [Finding],
    suppressed: &'a [Suppressed],
) -> Vec<(&'a Finding, Option<&'a Suppression>)> {
    let mut all: Vec<(&Finding, Option<&Suppression>)> = findings
        .iter()
        .map(|f| (f, None))
        .chain(
            suppressed
                .iter()
                .map(|s| (&s.finding, Some(&s.suppression))),
        )
        .collect();
    all.sort_by(|a, b| a.0.sort_key().cmp(&b.0.sort_key()));
    all
}

/// What a git scan was scanned up to (SARIF's `versionControlProvenance`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// HEAD's commit id.
    pub commit: String,
    /// HEAD's branch, `refs/heads/...`, unless HEAD is detached.
    pub branch: Option<String>,
}

/// The secret as a report may show it: redacted unless `show_secrets`.
pub fn secret_text(show_secrets: bool, finding: &Finding) -> String {
    if show_secrets {
        finding.secret.expose().to_string()
    } else {
        finding.secret.redacted()
    }
}

/// Writes findings as JSON Lines: the open ones and the listed suppressed ones, in report order.
pub fn write_jsonl(
    out: &mut dyn Write,
    show_secrets: bool,
    findings: &[Finding],
    suppressed: &[Suppressed],
) -> io::Result<()> {
    for (f, s) in entries(findings, suppressed) {
        write_jsonl_line(out, show_secrets, f, s)?;
    }
    Ok(())
}

/// Writes a whole report (for `jsonl`, findings were already streamed; nothing is left to write).
pub fn write_report(
    format: Format,
    out: &mut dyn Write,
    ctx: &ReportContext<'_>,
    findings: &[Finding],
) -> io::Result<()> {
    match format {
        Format::Text => write_text(out, ctx, findings),
        Format::Json => write_json(out, ctx, findings),
        Format::Jsonl => Ok(()),
        Format::Sarif => write_sarif(out, ctx, findings),
    }
}
