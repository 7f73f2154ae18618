//! The `.leakhound.toml` format, exactly as written, and its errors: every key known
//! (`deny_unknown_fields`), every value typed, and each error naming the file, the key and the
//! line (from toml's spans).

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::rules::{RuleSpec, Severity};

/// One configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Rules added to the built-in ones (the rule file format of `patterns/*.toml`).
    #[serde(default)]
    pub rules: Vec<Spanned<RuleSpec>>,
    /// Named services added to the built-in table (the format of `patterns/services/*.toml`):
    /// each becomes a rule `<id>-<secret>`.
    #[serde(default)]
    pub services: Vec<Spanned<toml::Value>>,
    /// Rule ids that are not run.
    #[serde(default)]
    pub disabled_rules: Vec<Spanned<String>>,
    /// A rule id's severity, changed: `generic-password = "low"`.
    #[serde(default)]
    pub severity: BTreeMap<Spanned<String>, Severity>,
    #[serde(default)]
    pub scan: ScanDefaults,
    #[serde(default)]
    pub triage: TriageSettings,
    #[serde(default)]
    pub report: ReportSettings,
    /// What is not a secret, or not to be reported: `[[allowlist]]` tables.
    #[serde(default)]
    pub allowlist: Vec<AllowlistSpec>,
}

/// Defaults for flags; a flag given on the command line wins.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanDefaults {
    /// `--max-file-size`: bytes, or a size such as `"10M"`.
    pub max_file_size: Option<Spanned<Size>>,
    /// `--decode-depth`.
    pub decode_depth: Option<usize>,
    /// `--fail-on`.
    pub fail_on: Option<Severity>,
    /// `--min-severity`.
    pub min_severity: Option<Severity>,
    /// `false`: `--no-archives`.
    pub archives: Option<bool>,
    /// `--max-archive-depth`.
    pub max_archive_depth: Option<usize>,
    /// `--max-archive-bytes`: bytes, or a size such as `"2G"`.
    pub max_archive_bytes: Option<Spanned<Size>>,
    /// The history scan cache of `leakhound git`: `true` for the platform's cache directory,
    /// or a directory (relative to the configuration's); `false` or absent for none.
    pub cache: Option<CacheSetting>,
}

/// `scan.cache` as written.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum CacheSetting {
    Enabled(bool),
    Dir(String),
}

/// A size as written: a number of bytes or text with a unit.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Size {
    Bytes(u64),
    Text(String),
}

/// Where accepted findings are recorded.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriageSettings {
    /// Markers honoured besides `leakhound:allow` (`gitleaks:allow`, for teams migrating).
    #[serde(default)]
    pub inline_markers: Vec<Spanned<String>>,
    /// The ignore file, relative to the configuration's directory (default `.leakhoundignore`).
    pub ignore_file: Option<String>,
    /// A baseline report, relative to the configuration's directory (like `--baseline`).
    pub baseline: Option<String>,
}

/// What the reports include.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    /// Every format lists suppressed findings, marked (like `--include-suppressed`).
    #[serde(default)]
    pub include_suppressed: bool,
    /// SARIF lists suppressed findings, as results with `suppressions` (code scanning shows them
    /// as dismissed).
    #[serde(default)]
    pub sarif_include_suppressed: bool,
}

/// One `[[allowlist]]` table: a finding is allowlisted when one of its entries matches (and,
/// with `rules`, only findings of those rules).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSpec {
    /// Why: shown as the justification of what it suppresses.
    pub description: Option<String>,
    /// Only findings of these rule ids (default: every rule).
    #[serde(default)]
    pub rules: Vec<Spanned<String>>,
    /// Gitignore-style globs, relative to the configuration's directory.
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    /// Regexes tested against the secret.
    #[serde(default)]
    pub regexes: Vec<Spanned<String>>,
    /// Regexes tested against the whole line the secret stands on.
    #[serde(default)]
    pub lines: Vec<Spanned<String>>,
    /// Case-insensitive substrings of the secret.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Commit ids (or unique prefixes of at least 7 hex digits): history findings introduced
    /// by these commits.
    #[serde(default)]
    pub commits: Vec<Spanned<String>>,
}

/// Why a configuration file could not be used: one line naming the file, the line and the key.
#[derive(Debug)]
pub struct ConfigError {
    pub path: String,
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// An error at `span` of `text` (the configuration's source).
    pub fn at(path: &str, text: &str, span: Option<Range<usize>>, message: String) -> ConfigError {
        let (line, key) = match span {
            Some(span) => (Some(line_of(text, span.start)), key_at(text, span.start)),
            None => (None, None),
        };
        ConfigError {
            path: path.to_string(),
            line,
            key,
            message: one_line(&message),
        }
    }
}

/// Parses a configuration file's text.
pub fn parse(path: &str, text: &str) -> Result<ConfigFile, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::at(path, text, e.span(), e.message().to_string()))
}

/// The 1-based line of byte `at`.
pub fn line_of(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    1 + text.as_bytes()[..at]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// The dotted key whose value stands at byte `at`: the table header above it and the key on
/// its line (`scan.decode_depth`), for errors that toml words without one.
fn key_at(text: &str, at: usize) -> Option<String> {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or_default();
    let header = text[..line_start].lines().rev().find_map(|l| {
        let l = l.trim();
        let inner = l.strip_prefix("[[").and_then(|l| l.strip_suffix("]]"));
        let inner = inner.or_else(|| l.strip_prefix('[').and_then(|l| l.strip_suffix(']')));
        inner.map(|h| h.trim().to_string())
    });
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_string())
        .filter(|k| !k.is_empty() && !k.starts_with('['));
    match (header, key) {
        (Some(h), Some(k)) => Some(format!("{h}.{k}")),
        (None, Some(k)) => Some(k),
        (Some(h), None) => Some(h),
        (None, None) => None,
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_file_parses() {
        let text = r#"
disabled_rules = ["generic-secret"]

[severity]
generic-password = "low"

[scan]
max_file_size = "10M"
decode_depth = 1
fail_on = "medium"
min_severity = "low"

[triage]
inline_markers = ["gitleaks:allow"]
ignore_file = ".leakhoundignore"
baseline = "baseline.json"

[report]
sarif_include_suppressed = true

[[allowlist]]
description = "fixtures"
paths = ["testdata/**"]
regexes = ["^EXAMPLE"]
lines = ["fake"]
stopwords = ["dummy"]
commits = ["0123456789abcdef"]
"#;
        let file = parse("c.toml", text).expect("valid");
        assert_eq!(file.disabled_rules[0].get_ref(), "generic-secret");
        assert_eq!(file.scan.decode_depth, Some(1));
        assert_eq!(file.scan.fail_on, Some(Severity::Medium));
        assert_eq!(file.allowlist.len(), 1);
        assert!(file.report.sarif_include_suppressed);
    }

    #[test]
    fn errors_name_the_file_the_line_and_the_key() {
        let e = parse("c.toml", "[scan]\n\ndecode_depth = \"two\"\n").unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("c.toml:3: scan.decode_depth: "), "{msg}");
        assert!(!msg.contains('\n'));

        let e = parse("c.toml", "[scan]\nmax_size = 3\n").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("c.toml:2") && msg.contains("max_size"),
            "{msg}"
        );

        let e = parse("c.toml", "[[allowlist]]\npaths = [\"a\"]\npath = []\n").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("c.toml:3") && msg.contains("`path`"), "{msg}");

        let e = parse("c.toml", "[report]\ninclude_suppressed = 1\n").unwrap_err();
        assert!(e.to_string().contains("report.include_suppressed"), "{e}");
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// Lines of a valid configuration, each of which may stand on its own in any order
        /// (each table header with its keys).
        const VALID: [&str; 6] = [
            "disabled_rules = [\"generic-secret\"]",
            "[severity]\ngeneric-password = \"low\"",
            "[scan]\nmax_file_size = \"10M\"\ndecode_depth = 1",
            "[triage]\ninline_markers = [\"gitleaks:allow\"]",
            "[report]\ninclude_suppressed = true",
            "[[allowlist]]\npaths = [\"testdata/**\"]\nstopwords = [\"dummy\"]",
        ];

        /// Lines that make any configuration malformed where they stand (not an unclosed array:
        /// it may go on over the next lines, and the error is where it cannot).
        const MALFORMED: [&str; 6] = [
            "key =",
            "[unclosed",
            "= 1",
            "\"open = 1",
            "not a key value",
            "a = 1 2",
        ];

        fn valid() -> impl Strategy<Value = Vec<&'static str>> {
            prop::sample::subsequence(&VALID[..], 0..=VALID.len()).prop_shuffle()
        }

        proptest! {
            /// A fuzz harness: any text, and valid files with bytes changed, parse or fail
            /// with a one-line error that names the file.
            #[test]
            fn any_text_parses_or_fails_naming_the_file(
                text in prop_oneof![
                    ".{0,200}",
                    (valid(), prop::collection::vec((any::<prop::sample::Index>(), any::<char>()), 1..4))
                        .prop_map(|(lines, edits)| {
                            let mut text: Vec<char> = lines.join("\n").chars().collect();
                            for (at, c) in edits {
                                let at = at.index(text.len() + 1);
                                text.insert(at, c);
                            }
                            text.into_iter().collect()
                        }),
                ],
            ) {
                let parsed = parse("dir/c.toml", &text).map(drop);
                // Allowlists are built too: globs and regexes of any shape.
                let checked = crate::config::Config::from_text(
                    "dir/c.toml",
                    &text,
                    std::path::Path::new("/"),
                )
                .map(drop);
                for e in [parsed.err(), checked.err()].into_iter().flatten() {
                    let message = e.to_string();
                    prop_assert!(message.starts_with("dir/c.toml"), "{}", message);
                    prop_assert!(!message.contains('\n'), "{}", message);
                    if let Some(line) = e.line {
                        prop_assert!(line >= 1 && line <= 1 + text.matches('\n').count());
                    }
                }
            }

            #[test]
            fn a_malformed_line_is_named_by_its_number(
                lines in valid(),
                at in any::<prop::sample::Index>(),
                bad in prop::sample::select(&MALFORMED[..]),
            ) {
                let mut lines: Vec<&str> = lines;
                let at = at.index(lines.len() + 1);
                lines.insert(at, bad);
                let text = lines.join("\n") + "\n";
                let line = 1 + lines[..at].join("\n").matches('\n').count() + usize::from(at > 0);
                let e = parse("c.toml", &text).expect_err("malformed");
                let message = e.to_string();
                prop_assert!(message.starts_with(&format!("c.toml:{line}: ")), "{} for {:?}", message, text);
            }
        }
    }
}
