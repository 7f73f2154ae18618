//! `.leakhoundignore`: accepted findings, one fingerprint per line with an optional `# reason`.
//!
//! The fingerprint is the finding's own (rule id, path and a hash of the secret; no line), so an
//! entry survives edits elsewhere in the file, squashes and rebases, and never hides a different
//! secret or the same secret in another file. Lines are never echoed in errors: a line that is
//! not a fingerprint might be a secret pasted by mistake.

use std::io::Write;
use std::path::{Path, PathBuf};

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub fingerprint: String,
    pub reason: Option<String>,
    /// The ignore file and the line the entry is on (for `ignore check`).
    pub file: PathBuf,
    pub line: usize,
}

/// Why an ignore file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum IgnoreFileError {
    #[error("cannot read the ignore file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the ignore file {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: not a fingerprint (32 hexadecimal digits, then an optional # reason)")]
    Malformed { path: String, line: usize },
}

/// Whether `s` has the shape of a leakhound fingerprint.
pub fn is_fingerprint(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The entries of the ignore file at `path`; a file that does not exist has none.
pub fn read(path: &Path) -> Result<Vec<Entry>, IgnoreFileError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(IgnoreFileError::Read {
                path: path.display().to_string(),
                source,
            })
        }
    };
    parse(path, &text)
}

/// The entries of an ignore file's text.
pub fn parse(path: &Path, text: &str) -> Result<Vec<Entry>, IgnoreFileError> {
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let (body, reason) = match line.split_once('#') {
            Some((body, reason)) => (body.trim(), Some(reason.trim())),
            None => (line.trim(), None),
        };
        if body.is_empty() {
            continue;
        }
        if !is_fingerprint(body) {
            return Err(IgnoreFileError::Malformed {
                path: path.display().to_string(),
                line: i + 1,
            });
        }
        entries.push(Entry {
            fingerprint: body.to_ascii_lowercase(),
            reason: reason.filter(|r| !r.is_empty()).map(str::to_string),
            file: path.to_path_buf(),
            line: i + 1,
        });
    }
    Ok(entries)
}

/// Appends fingerprints to the ignore file at `path` (creating it), each with `reason`; returns
/// those it added, leaving out any the file already has.
pub fn append(
    path: &Path,
    fingerprints: &[String],
    reason: Option<&str>,
) -> Result<Vec<String>, IgnoreFileError> {
    let existing = read(path)?;
    let mut added: Vec<String> = Vec::new();
    for fp in fingerprints {
        let fp = fp.to_ascii_lowercase();
        if !existing.iter().any(|e| e.fingerprint == fp) && !added.contains(&fp) {
            added.push(fp);
        }
    }
    if added.is_empty() {
        return Ok(added);
    }
    let write_error = |source| IgnoreFileError::Write {
        path: path.display().to_string(),
        source,
    };
    let old = match std::fs::read(path) {
        Ok(old) => old,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(source) => return Err(write_error(source)),
    };
    let mut text = String::new();
    if old.is_empty() {
        text.push_str(
            "# Findings accepted by the team: one fingerprint per line, then # and why.\n\
             # `leakhound ignore add` appends here; `leakhound ignore check` lists stale entries.\n",
        );
    } else if !old.ends_with(b"\n") {
        text.push('\n');
    }
    // A reason is one line: a line break in it would start an entry of its own.
    let reason = reason.map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "));
    for fp in &added {
        match reason.as_deref().filter(|r| !r.is_empty()) {
            Some(r) => text.push_str(&format!("{fp}  # {r}\n")),
            None => text.push_str(&format!("{fp}\n")),
        }
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(write_error)?;
    Ok(added)
}

/// Removes the entries on these lines (1-based) from the ignore file at `path`, keeping every
/// other line as it is; returns how many it removed.
pub fn remove_lines(path: &Path, lines: &[usize]) -> Result<usize, IgnoreFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| IgnoreFileError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let mut kept = String::with_capacity(text.len());
    let mut removed = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if lines.contains(&(i + 1)) {
            removed += 1;
        } else {
            kept.push_str(line);
        }
    }
    std::fs::write(path, kept).map_err(|source| IgnoreFileError::Write {
        path: path.display().to_string(),
        source,
    })?;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn entries_with_and_without_reasons() {
        let text = format!("# header\n\n{FP}  # test fixture\n{}\n", FP.to_uppercase());
        let entries = parse(Path::new("i"), &text).expect("valid");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].reason.as_deref(), Some("test fixture"));
        assert_eq!(entries[0].line, 3);
        assert_eq!(entries[1].fingerprint, FP);
        assert_eq!(entries[1].reason, None);
    }

    #[test]
    fn a_line_that_is_not_a_fingerprint_is_named_but_not_shown() {
        let text = "ghp_notAFingerprintButASecret # oops\n";
        let e = parse(Path::new(".leakhoundignore"), text).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with(".leakhoundignore:1:"), "{msg}");
        assert!(!msg.contains("ghp_"), "{msg}");
    }

    #[test]
    fn append_creates_adds_and_skips_repeats() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".leakhoundignore");
        let other = "fedcba9876543210fedcba9876543210".to_string();
        let added = append(&path, &[FP.to_string()], Some("a\nb")).expect("appends");
        assert_eq!(added, vec![FP.to_string()]);
        let added = append(&path, &[FP.to_string(), other.clone()], None).expect("appends");
        assert_eq!(added, vec![other]);
        let entries = read(&path).expect("reads");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].reason.as_deref(), Some("a b"));
        assert!(read(&dir.path().join("none")).expect("absent").is_empty());
    }
}
