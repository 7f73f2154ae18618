//! Baselines: the findings a team already knows of, so that only new ones are reported.
//!
//! A baseline is read from any report of ours that carries fingerprints: a baseline file
//! (`--write-baseline`), a JSON or JSON Lines report, or a SARIF report (its
//! `leakhoundFingerprint/v1` partial fingerprints). A baseline file holds fingerprints and
//! locations, never secrets, not even redacted ones.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::ignore_file::is_fingerprint;
use crate::finding::Finding;

/// The version of the baseline file format.
const FORMAT: u32 = 1;

/// Why a baseline could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read the baseline {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the baseline {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a leakhound baseline or report: {why}")]
    NotOurs { path: String, why: String },
}

/// The fingerprints of a baseline.
pub fn read(path: &Path) -> Result<HashSet<String>, BaselineError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
        path: shown.clone(),
        source,
    })?;
    fingerprints(&text).map_err(|why| BaselineError::NotOurs { path: shown, why })
}

/// The fingerprints in a baseline's or report's text.
fn fingerprints(text: &str) -> Result<HashSet<String>, String> {
    let mut found = HashSet::new();
    if text.trim().is_empty() {
        // A JSON Lines report of a clean scan: no known findings.
        return Ok(found);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(log)) if log.contains_key("runs") => {
            for run in log["runs"].as_array().into_iter().flatten() {
                for result in run["results"].as_array().into_iter().flatten() {
                    let fp = &result["partialFingerprints"]["leakhoundFingerprint/v1"];
                    found.insert(fingerprint_of(fp, "a SARIF result")?);
                }
            }
        }
        Ok(Value::Object(report)) if report.contains_key("skipped") => {
            // A `json-report`: its findings are the records of a `json` report.
            for f in report["findings"].as_array().into_iter().flatten() {
                found.insert(fingerprint_of(&f["fingerprint"], "a finding")?);
            }
        }
        Ok(Value::Object(base)) if base.contains_key("leakhound_baseline") => {
            for f in base["findings"].as_array().into_iter().flatten() {
                found.insert(fingerprint_of(&f["fingerprint"], "a baseline entry")?);
            }
        }
        Ok(Value::Array(records)) => {
            for f in &records {
                found.insert(fingerprint_of(&f["fingerprint"], "a finding")?);
            }
        }
        Ok(Value::Object(record)) => {
            found.insert(fingerprint_of(&record["fingerprint"], "a finding")?);
        }
        Ok(_) => return Err("expected a JSON array, object or SARIF log".to_string()),
        Err(_) => {
            // JSON Lines: one finding per line.
            for (i, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let record: Value = serde_json::from_str(line)
                    .map_err(|_| format!("line {} is not JSON", i + 1))?;
                found.insert(fingerprint_of(&record["fingerprint"], "a finding")?);
            }
        }
    }
    Ok(found)
}

fn fingerprint_of(value: &Value, what: &str) -> Result<String, String> {
    match value.as_str() {
        Some(fp) if is_fingerprint(fp) => Ok(fp.to_ascii_lowercase()),
        _ => Err(format!("{what} has no leakhound fingerprint")),
    }
}

/// One known finding, as a baseline keeps it.
#[derive(Debug, Serialize)]
struct Known<'a> {
    fingerprint: &'a str,
    rule_id: &'a str,
    path: &'a str,
    line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
}

/// Writes a baseline of `findings` to `path`.
pub fn write<'a>(
    path: &Path,
    findings: impl IntoIterator<Item = &'a Finding>,
) -> Result<usize, BaselineError> {
    let mut known: Vec<Known<'_>> = findings
        .into_iter()
        .map(|f| Known {
            fingerprint: &f.fingerprint,
            rule_id: &f.rule_id,
            path: &f.path,
            line: f.line,
            commit: f.commit.as_ref().map(|c| c.commit.as_str()),
        })
        .collect();
    known.sort_by(|a, b| (a.path, a.line, a.rule_id).cmp(&(b.path, b.line, b.rule_id)));
    let count = known.len();
    let document = serde_json::json!({
        "leakhound_baseline": FORMAT,
        "tool_version": env!("CARGO_PKG_VERSION"),
        "findings": known,
    });
    let write_error = |source| BaselineError::Write {
        path: path.display().to_string(),
        source,
    };
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(write_error)?);
    serde_json::to_writer_pretty(&mut out, &document)
        .map_err(std::io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(write_error)?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0123456789abcdef0123456789abcdef";
    const B: &str = "fedcba9876543210fedcba9876543210";

    #[test]
    fn every_report_format_of_ours_is_a_baseline() {
        let json = format!(r#"[{{"fingerprint":"{A}"}},{{"fingerprint":"{B}"}}]"#);
        assert_eq!(fingerprints(&json).map(|s| s.len()), Ok(2));
        let jsonl = format!("{{\"fingerprint\":\"{A}\"}}\n{{\"fingerprint\":\"{B}\"}}\n");
        assert_eq!(fingerprints(&jsonl).map(|s| s.len()), Ok(2));
        let sarif = format!(
            r#"{{"runs":[{{"results":[{{"partialFingerprints":{{"leakhoundFingerprint/v1":"{A}"}}}}]}}]}}"#
        );
        assert_eq!(fingerprints(&sarif), Ok(HashSet::from([A.to_string()])));
        let base = format!(r#"{{"leakhound_baseline":1,"findings":[{{"fingerprint":"{B}"}}]}}"#);
        assert_eq!(fingerprints(&base), Ok(HashSet::from([B.to_string()])));
        assert_eq!(fingerprints("[]").map(|s| s.len()), Ok(0));
    }

    #[test]
    fn other_files_are_refused() {
        assert_eq!(
            fingerprints("").map(|s| s.len()),
            Ok(0),
            "a clean JSON Lines report"
        );
        assert!(fingerprints("not json at all").is_err());
        assert!(fingerprints(r#"[{"rule_id":"x"}]"#).is_err());
        assert!(fingerprints("42").is_err());
    }
}
