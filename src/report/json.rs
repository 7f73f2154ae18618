//! JSON and JSON Lines: the findings as records for scripts (field names are an interface), and
//! the JSON report: the same records with what was not scanned and the summary, in one object.

use std::io::{self, Write};

use serde::Serialize;

use std::collections::BTreeMap;

use super::ReportContext;
use crate::finding::{Finding, GitMessage};
use crate::source::Skipped;
use crate::triage::Suppression;

/// One finding as scripts see it.
#[derive(Debug, Serialize)]
struct Record<'a> {
    rule_id: &'a str,
    rule_name: &'a str,
    severity: &'a str,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    secret: String,
    fingerprint: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<&'a str>,
    /// `tree`, `history` or `artifact`, in a release scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    origin: Option<&'a str>,
    /// In a scan of many repositories: the repository (`path` starts with it).
    #[serde(skip_serializing_if = "Option::is_none")]
    repository: Option<&'a str>,
    /// For a secret inside an archive: the member within the file (`path` is `file!member`).
    #[serde(skip_serializing_if = "Option::is_none")]
    archive_member: Option<&'a str>,
    /// `commit` or `tag` for a secret in a git message (`path` is the message's pseudo-path).
    #[serde(skip_serializing_if = "Option::is_none")]
    git_message: Option<&'static str>,
    /// The tag's name, for a secret in an annotated tag's message.
    #[serde(skip_serializing_if = "Option::is_none")]
    tag: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_head: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    blob_count: Option<usize>,
    /// Why the finding is not open: `{kind, reason, source}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<&'a Suppression>,
}

fn record<'a>(
    show_secrets: bool,
    f: &'a Finding,
    suppressed: Option<&'a Suppression>,
) -> Record<'a> {
    let c = f.commit.as_ref();
    Record {
        rule_id: &f.rule_id,
        rule_name: &f.rule_name,
        severity: f.severity.as_str(),
        path: &f.path,
        line: f.line,
        column: f.column,
        end_line: f.end_line,
        end_column: f.end_column,
        secret: super::secret_text(show_secrets, f),
        fingerprint: &f.fingerprint,
        encoding: f.encoding,
        origin: f.origin,
        repository: f.repository.as_deref(),
        archive_member: f.member.as_deref(),
        git_message: f.git_message.as_ref().map(GitMessage::kind),
        tag: match &f.git_message {
            Some(GitMessage::Tag { name, .. }) => Some(name),
            _ => None,
        },
        commit: c.map(|c| c.commit.as_str()),
        author: c.map(|c| c.author.as_str()),
        email: c.map(|c| c.email.as_str()),
        date: c.map(|c| c.date.as_str()),
        in_head: c.map(|c| c.in_head),
        blob_count: c.map(|c| c.blob_count),
        suppressed,
    }
}

/// The records of the open findings and the listed suppressed ones, in report order.
fn records<'a>(ctx: &'a ReportContext<'_>, findings: &'a [Finding]) -> Vec<Record<'a>> {
    super::entries(findings, ctx.suppressed)
        .into_iter()
        .map(|(f, s)| record(ctx.show_secrets, f, s))
        .collect()
}

/// A pretty-printed JSON array of findings (the listed suppressed ones among them, marked).
pub fn write_json(
    out: &mut dyn Write,
    ctx: &ReportContext<'_>,
    findings: &[Finding],
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &records(ctx, findings))?;
    out.write_all(b"\n")
}

/// The `json-report` format: one object holding the findings (the records of `json`, in the same
/// order), every skip with its reason, and the summary's counts. Scripts that must know what was
/// *not* scanned read this; the `json` array stays as it was.
pub fn write_json_report(
    out: &mut dyn Write,
    ctx: &ReportContext<'_>,
    findings: &[Finding],
) -> io::Result<()> {
    let skipped: Vec<SkipRecord<'_>> = ctx
        .stats
        .skipped
        .iter()
        .map(|s| SkipRecord {
            skipped: s,
            description: s.reason.describe(),
        })
        .collect();
    let stats = ctx.stats;
    let report = Report {
        tool: Tool {
            name: "leakhound",
            version: env!("CARGO_PKG_VERSION"),
        },
        summary: Summary {
            files_scanned: stats.files_scanned,
            bytes_scanned: stats.bytes_scanned,
            commits: stats.commits,
            elapsed_ms: stats.elapsed.as_millis() as u64,
            findings: findings.len(),
            by_severity: crate::scan::count_by_severity(findings)
                .into_iter()
                .map(|(severity, n)| (severity.as_str(), n))
                .collect(),
            suppressed: ctx
                .suppressed_counts
                .iter()
                .map(|&(kind, n)| (kind.as_str(), n))
                .collect(),
            below_min_severity: ctx.below_min_severity,
            skipped: stats.skipped_by_reason().into_iter().collect(),
        },
        findings: records(ctx, findings),
        skipped,
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    out.write_all(b"\n")
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    tool: Tool,
    summary: Summary,
    findings: Vec<Record<'a>>,
    skipped: Vec<SkipRecord<'a>>,
}

#[derive(Debug, Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

/// The counts the text summary gives, by stable labels.
#[derive(Debug, Serialize)]
struct Summary {
    files_scanned: u64,
    bytes_scanned: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    commits: Option<u64>,
    elapsed_ms: u64,
    /// Open findings (the suppressed ones listed beside them are not counted).
    findings: usize,
    by_severity: BTreeMap<&'static str, usize>,
    suppressed: BTreeMap<&'static str, usize>,
    below_min_severity: usize,
    /// Skips by reason label (`too-large`, `not-regular`, `corrupt-object`...).
    skipped: BTreeMap<&'static str, usize>,
}

/// A skip: `path`, `reason` (the label) and the reason's own fields, and a sentence.
#[derive(Debug, Serialize)]
struct SkipRecord<'a> {
    #[serde(flatten)]
    skipped: &'a Skipped,
    description: String,
}

/// One finding as one line of JSON (`suppressed` says why, for a suppressed one).
pub fn write_jsonl_line(
    out: &mut dyn Write,
    show_secrets: bool,
    finding: &Finding,
    suppressed: Option<&Suppression>,
) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &record(show_secrets, finding, suppressed))?;
    out.write_all(b"\n")
}
