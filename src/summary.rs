//! The summary line(s) on standard error: what was scanned, what was not, what was found.
//! Damage to a git repository (missing or unreadable objects, history cut by a shallow clone) is
//! named line by line, since it means part of the history was not scanned.

use std::io::{self, Write};

use crate::rules::Severity;
use crate::scan::{count_by_severity, Stats};
use crate::triage::{SuppressionKind, Triaged};

/// How many damaged objects are named before the rest are only counted.
const DAMAGE_LISTED: usize = 10;
/// How many findings allowed inline are named before the rest are only counted.
const INLINE_LISTED: usize = 10;

pub fn write_summary(
    out: &mut dyn Write,
    stats: &Stats,
    triaged: &Triaged,
    fail_on: Severity,
) -> io::Result<()> {
    let findings = &triaged.reported;
    let secs = stats.elapsed.as_secs_f64();
    let mb = stats.bytes_scanned as f64 / 1e6;
    let rate = if secs > 0.0 { mb / secs } else { 0.0 };
    let unit = if stats.commits.is_some() {
        "blob"
    } else {
        "file"
    };
    write!(
        out,
        "leakhound: scanned {} {unit}{} ({:.1} MB)",
        stats.files_scanned,
        plural(stats.files_scanned as usize),
        mb,
    )?;
    if let Some(commits) = stats.commits {
        write!(out, " from {commits} commit{}", plural(commits as usize))?;
    }
    write!(out, " in {secs:.3} s ({rate:.0} MB/s)")?;
    let skipped = stats.skipped_by_reason();
    if skipped.is_empty() {
        writeln!(out, "; nothing skipped")?;
    } else {
        let parts: Vec<String> = skipped.iter().map(|(r, n)| format!("{r} {n}")).collect();
        writeln!(
            out,
            "; not scanned: {} ({})",
            stats.skipped.len(),
            parts.join(", ")
        )?;
    }
    let damage: Vec<_> = stats
        .skipped
        .iter()
        .filter(|s| s.reason.is_git_damage())
        .collect();
    for s in damage.iter().take(DAMAGE_LISTED) {
        if s.path.is_empty() {
            writeln!(out, "leakhound: {}", s.reason.describe())?;
        } else {
            writeln!(out, "leakhound: {}: {}", s.path, s.reason.describe())?;
        }
    }
    if damage.len() > DAMAGE_LISTED {
        writeln!(
            out,
            "leakhound: ... and {} more unreadable objects (see --format sarif)",
            damage.len() - DAMAGE_LISTED
        )?;
    }
    write_triage(out, triaged)?;
    if findings.is_empty() {
        writeln!(out, "leakhound: no findings")
    } else {
        let parts: Vec<String> = count_by_severity(findings)
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        let gate = if triaged.fails(fail_on) {
            String::new()
        } else {
            format!("; none at --fail-on {fail_on} or above")
        };
        writeln!(
            out,
            "leakhound: {} finding{} ({}){gate}",
            findings.len(),
            plural(findings.len()),
            parts.join(", ")
        )
    }
}

/// What triage kept from the report: counts by kind, and where findings were allowed inline.
fn write_triage(out: &mut dyn Write, triaged: &Triaged) -> io::Result<()> {
    let mut parts: Vec<String> = triaged
        .counts()
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{n} {}", k.describe()))
        .collect();
    if triaged.below_min_severity > 0 {
        parts.push(format!(
            "{} below --min-severity",
            triaged.below_min_severity
        ));
    }
    if parts.is_empty() {
        return Ok(());
    }
    writeln!(out, "leakhound: not reported as open: {}", parts.join(", "))?;
    let inline: Vec<_> = triaged
        .suppressed
        .iter()
        .filter(|s| s.suppression.kind == SuppressionKind::Inline)
        .collect();
    for s in inline.iter().take(INLINE_LISTED) {
        let f = &s.finding;
        writeln!(
            out,
            "leakhound: allowed inline: {}:{} ({})",
            f.path, f.line, f.rule_id
        )?;
    }
    if inline.len() > INLINE_LISTED {
        writeln!(
            out,
            "leakhound: ... and {} more allowed inline (see the report)",
            inline.len() - INLINE_LISTED
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
