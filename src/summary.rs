//! The summary line(s) on standard error: what was scanned, what was not, what was found.

use std::io::{self, Write};

use crate::finding::Finding;
use crate::scan::{count_by_severity, Stats};

pub fn write_summary(out: &mut dyn Write, stats: &Stats, findings: &[Finding]) -> io::Result<()> {
    let secs = stats.elapsed.as_secs_f64();
    let mb = stats.bytes_scanned as f64 / 1e6;
    let rate = if secs > 0.0 { mb / secs } else { 0.0 };
    write!(
        out,
        "leakhound: scanned {} file{} ({:.1} MB) in {:.3} s ({:.0} MB/s)",
        stats.files_scanned,
        if stats.files_scanned == 1 { "" } else { "s" },
        mb,
        secs,
        rate
    )?;
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
    if findings.is_empty() {
        writeln!(out, "leakhound: no findings")
    } else {
        let parts: Vec<String> = count_by_severity(findings)
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        writeln!(
            out,
            "leakhound: {} finding{} ({})",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" },
            parts.join(", ")
        )
    }
}
