//! Reports: findings and what was not scanned, written as text, JSON, JSON Lines or SARIF.
//!
//! A reporter gets finished findings and the scan's stats; it knows nothing of how they were
//! found. Every format redacts secrets unless the user asked for `--show-secrets`.

mod json;
mod sarif;
mod text;

use std::borrow::Cow;
use std::io::{self, Write};
use std::path::PathBuf;

use crate::finding::Finding;
use crate::rules::RuleSet;
use crate::scan::Stats;
use crate::triage::{Suppressed, Suppression, SuppressionKind};

pub use json::{write_json, write_json_report, write_jsonl_line};
pub use sarif::write_sarif;
pub use text::write_text;

#[cfg(test)]
mod tests {
    use super::terminal_safe;

    #[test]
    fn control_characters_and_overrides_are_escaped_for_terminals() {
        assert_eq!(terminal_safe("src/a b.rs"), "src/a b.rs");
        assert_eq!(
            terminal_safe("a\\b"),
            "a\\b",
            "nothing escaped, nothing doubled"
        );
        assert_eq!(
            terminal_safe("x\n\x1b[2J\x1b]0;pwned\x07\u{9b}y\\z"),
            "x\\n\\u{1b}[2J\\u{1b}]0;pwned\\u{7}\\u{9b}y\\\\z"
        );
        assert_eq!(terminal_safe("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(terminal_safe("tab\there\r"), "tab\\there\\r");
    }
}

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
    /// One JSON object: the findings of `json`, what was not scanned and why, and the summary.
    JsonReport,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF consumers.
    Sarif,
}

/// `text` as a terminal may be shown it: control characters (C0, DEL, C1: the escape sequences
/// that move the cursor, recolour, retitle the window or rewrite the clipboard) and the
/// bidirectional overrides that reorder what is read are written as escapes (`\n`, `\t`,
/// `\u{1b}`), and a backslash as `\\` where anything was escaped, so no file name, author or
/// secret can drive the terminal or pass for another.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    let unsafe_char =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => shown.push_str("\\n"),
            '\r' => shown.push_str("\\r"),
            '\t' => shown.push_str("\\t"),
            '\\' => shown.push_str("\\\\"),
            c if unsafe_char(c) => shown.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => shown.push(c),
        }
    }
    Cow::Owned(shown)
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
        Format::JsonReport => write_json_report(out, ctx, findings),
        Format::Jsonl => Ok(()),
        Format::Sarif => write_sarif(out, ctx, findings),
    }
}
