//! The text report, for people: findings grouped by file, then what was not scanned.

use std::io::{self, Write};

use super::{secret_text, terminal_safe as shown, ReportContext};
use crate::finding::Finding;
use crate::rules::Severity;
use crate::source::{SkipReason, SYMLINK};
use crate::triage::not_reported;

/// How many skipped files are named one by one before the rest are only counted.
const SKIPPED_LISTED: usize = 50;

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::High => "1;31",
            Severity::Medium => "33",
            Severity::Low => "36",
        };
        self.paint(code, &format!("{:<6}", s.as_str()))
    }
}

pub fn write_text(
    out: &mut dyn Write,
    ctx: &ReportContext<'_>,
    findings: &[Finding],
) -> io::Result<()> {
    let style = Style { on: ctx.color };
    let mut current: Option<&str> = None;
    for f in findings {
        if current != Some(f.path.as_str()) {
            if current.is_some() {
                writeln!(out)?;
            }
            writeln!(out, "{}", style.paint("1;35", &shown(&f.path)))?;
            current = Some(&f.path);
        }
        write!(
            out,
            "{}  {}",
            located(&style, f),
            style.paint("1", &shown(&secret_text(ctx.show_secrets, f))),
        )?;
        if let Some(encoding) = f.encoding {
            write!(out, "  ({encoding}-encoded)")?;
        }
        if let Some(origin) = f.origin {
            write!(out, "  [{origin}]")?;
        }
        writeln!(out)?;
        if let Some(c) = &f.commit {
            let short = &c.commit[..c.commit.len().min(12)];
            let state = if c.in_head {
                "still in HEAD"
            } else {
                "not in HEAD, but still in history: rotate it"
            };
            write!(
                out,
                "      introduced in {} by {} <{}> on {}; {state}",
                style.paint("33", short),
                shown(&c.author),
                shown(&c.email),
                shown(&c.date)
            )?;
            if c.blob_count > 1 {
                write!(out, "; in {} versions of the file", c.blob_count)?;
            }
            writeln!(out)?;
        }
    }
    write_suppressed(out, ctx, &style)?;
    write_skipped(out, ctx)?;
    if !findings.is_empty() {
        writeln!(out)?;
        let files = {
            let mut paths: Vec<&str> = findings.iter().map(|f| f.path.as_str()).collect();
            paths.dedup();
            paths.len()
        };
        writeln!(
            out,
            "{} finding{} in {} file{}",
            findings.len(),
            plural(findings.len()),
            files,
            plural(files)
        )?;
    }
    Ok(())
}

/// `  path:line:col  severity  Rule name [rule-id]`: a finding's line, up to its secret.
fn located(style: &Style, f: &Finding) -> String {
    let location = format!("{}:{}:{}", shown(&f.path), f.line, f.column);
    format!(
        "  {}  {}  {} [{}]",
        style.paint("32", &location),
        style.severity(f.severity),
        shown(&f.rule_name),
        shown(&f.rule_id)
    )
}

/// Lists the suppressed findings the report shows (always those allowed inline: a marker in a
/// file is a decision anyone can make, so every report says where), then counts them all.
fn write_suppressed(out: &mut dyn Write, ctx: &ReportContext<'_>, style: &Style) -> io::Result<()> {
    let Some(held_back) = not_reported(ctx.suppressed_counts, ctx.below_min_severity) else {
        return Ok(());
    };
    let total: usize = ctx.suppressed_counts.iter().map(|(_, n)| n).sum();
    if !ctx.suppressed.is_empty() {
        writeln!(out)?;
        writeln!(out, "Suppressed:")?;
        for s in ctx.suppressed {
            writeln!(
                out,
                "{}  {}",
                located(style, &s.finding),
                shown(&s.suppression.justification()),
            )?;
        }
    }
    writeln!(out)?;
    let listed = ctx.suppressed.len();
    let hint = if listed < total {
        " (--include-suppressed lists them)"
    } else {
        ""
    };
    writeln!(out, "Not reported as open: {held_back}{hint}")
}

/// Names the files that were not scanned (binary and allowlisted ones only counted: there are
/// usually many, and nobody is surprised by them).
fn write_skipped(out: &mut dyn Write, ctx: &ReportContext<'_>) -> io::Result<()> {
    let notable: Vec<_> = ctx
        .stats
        .skipped
        .iter()
        .filter(|s| !s.reason.is_expected())
        .collect();
    let binary = ctx
        .stats
        .skipped
        .iter()
        .filter(|s| s.reason == SkipReason::Binary)
        .count();
    let count = |reason: fn(&SkipReason) -> bool| {
        ctx.stats
            .skipped
            .iter()
            .filter(|s| reason(&s.reason))
            .count()
    };
    let allowlisted = count(|r| matches!(r, SkipReason::Allowlisted { .. }));
    let links = count(|r| matches!(r, SkipReason::NotRegular { kind } if kind == SYMLINK));
    let artifacts = count(|r| *r == SkipReason::Artifact);
    if notable.is_empty() && binary + allowlisted + links + artifacts == 0 {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "Not scanned:")?;
    for s in notable.iter().take(SKIPPED_LISTED) {
        let reason = s.reason.describe();
        if s.path.is_empty() {
            writeln!(out, "  {}", shown(&reason))?;
        } else {
            writeln!(out, "  {}: {}", shown(&s.path), shown(&reason))?;
        }
    }
    if notable.len() > SKIPPED_LISTED {
        writeln!(
            out,
            "  ... and {} more (see --format sarif)",
            notable.len() - SKIPPED_LISTED
        )?;
    }
    if binary > 0 {
        writeln!(out, "  {binary} binary file{}", plural(binary))?;
    }
    if allowlisted > 0 {
        writeln!(
            out,
            "  {allowlisted} allowlisted path{} (a configuration's [[allowlist]] paths)",
            plural(allowlisted)
        )?;
    }
    if links > 0 {
        writeln!(
            out,
            "  {links} symbolic link{} (not followed without --follow)",
            plural(links)
        )?;
    }
    if artifacts > 0 {
        writeln!(
            out,
            "  {artifacts} release artifact{} (scanned as artifacts, not again in the tree)",
            plural(artifacts)
        )?;
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
