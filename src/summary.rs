//! The summary line(s) on standard error: what was scanned, what was not, what was found.
//! Damage to a git repository (missing or unreadable objects, history cut by a shallow clone) is
//! named line by line, since it means part of the history was not scanned.

use std::io::{self, Write};

use crate::rules::Severity;
use crate::scan::{count_by_severity, Stats};
use crate::triage::{not_reported, SuppressionKind, Triaged};

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
    let secs = stats.elapsed.as_secs_f64();
    let mb = stats.bytes_scanned as f64 / 1e6;
    let rate = if secs > 0.0 { mb / secs } else { 0.0 };
    writeln!(
        out,
        "leakhound: scanned {} in {secs:.3} s ({rate:.0} MB/s); {}",
        scanned(stats),
        not_scanned(stats)
    )?;
    write_damage(out, stats)?;
    write_triage(out, triaged)?;
    write_findings(out, triaged, fail_on)
}

/// The summary of `leakhound release`: a line per origin (tree, history, artifacts), then
/// what triage kept back, the findings and the verdict.
pub fn write_release_summary(
    out: &mut dyn Write,
    scope: &str,
    origins: &[(&str, &Stats)],
    all: &Stats,
    triaged: &Triaged,
    fail_on: Severity,
) -> io::Result<()> {
    writeln!(out, "leakhound: release scan: {scope}")?;
    for (origin, stats) in origins {
        let open = triaged
            .reported
            .iter()
            .filter(|f| f.origin == Some(*origin))
            .count();
        writeln!(
            out,
            "leakhound:   {origin:<9} {}; {}; {open} open finding{}",
            scanned(stats),
            not_scanned(stats),
            plural(open)
        )?;
    }
    write_damage(out, all)?;
    write_triage(out, triaged)?;
    write_findings(out, triaged, fail_on)?;
    let failing = triaged
        .reported
        .iter()
        .filter(|f| f.severity >= fail_on)
        .count();
    let verdict = if failing > 0 {
        format!(
            "NOT READY: {failing} open finding{} at or above --fail-on {fail_on}",
            plural(failing)
        )
    } else {
        format!("ready: no open finding at or above --fail-on {fail_on}")
    };
    writeln!(
        out,
        "leakhound: release verdict: {verdict} ({:.3} s)",
        all.elapsed.as_secs_f64()
    )
}

/// `58 files (0.6 MB)`, `40 blobs (1.2 MB) from 3 commits`.
fn scanned(stats: &Stats) -> String {
    let unit = if stats.commits.is_some() {
        "blob"
    } else {
        "file"
    };
    let mut s = format!(
        "{} {unit}{} ({:.1} MB)",
        stats.files_scanned,
        plural(stats.files_scanned as usize),
        stats.bytes_scanned as f64 / 1e6
    );
    if let Some(commits) = stats.commits {
        s.push_str(&format!(
            " from {commits} commit{}",
            plural(commits as usize)
        ));
    }
    s
}

/// `nothing skipped`, `not scanned: 3 (binary 2, too-large 1)`.
fn not_scanned(stats: &Stats) -> String {
    let skipped = stats.skipped_by_reason();
    if skipped.is_empty() {
        return "nothing skipped".to_string();
    }
    let parts: Vec<String> = skipped.iter().map(|(r, n)| format!("{r} {n}")).collect();
    format!(
        "not scanned: {} ({})",
        stats.skipped.len(),
        parts.join(", ")
    )
}

/// Names each damaged git object, up to a limit.
fn write_damage(out: &mut dyn Write, stats: &Stats) -> io::Result<()> {
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
    Ok(())
}

/// The open findings by severity, and whether any is at `fail_on` or above.
fn write_findings(out: &mut dyn Write, triaged: &Triaged, fail_on: Severity) -> io::Result<()> {
    let findings = &triaged.reported;
    if findings.is_empty() {
        return writeln!(out, "leakhound: no findings");
    }
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

/// What triage kept from the report: counts by kind, and where findings were allowed inline.
fn write_triage(out: &mut dyn Write, triaged: &Triaged) -> io::Result<()> {
    let Some(held_back) = not_reported(&triaged.counts(), triaged.below_min_severity) else {
        return Ok(());
    };
    writeln!(out, "leakhound: not reported as open: {held_back}")?;
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
