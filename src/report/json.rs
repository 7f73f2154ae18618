//! JSON and JSON Lines: the findings as records for scripts (field names are an interface).

use std::io::{self, Write};

use serde::Serialize;

use super::ReportContext;
use crate::finding::Finding;
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
    /// For a secret inside an archive: the member within the file (`path` is `file!member`).
    #[serde(skip_serializing_if = "Option::is_none")]
    archive_member: Option<&'a str>,
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
        archive_member: f.member.as_deref(),
        commit: c.map(|c| c.commit.as_str()),
        author: c.map(|c| c.author.as_str()),
        email: c.map(|c| c.email.as_str()),
        date: c.map(|c| c.date.as_str()),
        in_head: c.map(|c| c.in_head),
        blob_count: c.map(|c| c.blob_count),
        suppressed,
    }
}

/// A pretty-printed JSON array of findings (the listed suppressed ones among them, marked).
pub fn write_json(
    out: &mut dyn Write,
    ctx: &ReportContext<'_>,
    findings: &[Finding],
) -> io::Result<()> {
    let records: Vec<Record<'_>> = super::entries(findings, ctx.suppressed)
        .into_iter()
        .map(|(f, s)| record(ctx.show_secrets, f, s))
        .collect();
    serde_json::to_writer_pretty(&mut *out, &records)?;
    out.write_all(b"\n")
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
