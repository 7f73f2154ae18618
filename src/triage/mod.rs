//! Triage: what happens to findings between the engine and the report.
//!
//! A finding is reported, suppressed (with a kind and a reason, so that reports can still show
//! it: SARIF as a dismissed result, JSON with `suppressed`), or left out for being below
//! `--min-severity`. In order: an allowlist of the configuration ("not a secret"), an inline
//! marker on the finding's line (`leakhound:allow`), an entry of the ignore file, a baseline.
//! Every decision is per finding and per file, so triage runs on a file's findings as soon as
//! they are made (for JSON Lines) and on all of them at the end alike.
//!
//! This module knows nothing of how findings were made or how they are written.

pub mod allowlist;
pub mod baseline;
pub mod ignore_file;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::finding::{fingerprint, Finding};
use crate::rules::Severity;
use allowlist::Allowlist;
use ignore_file::Entry;

/// The marker that always allows a finding on its line.
pub const MARKER: &str = "leakhound:allow";

/// Why a finding is not reported as open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SuppressionKind {
    /// A configuration's allowlist says it is not a secret, or not to be reported.
    Allowlist,
    /// An inline marker on its line.
    Inline,
    /// An entry of the ignore file.
    IgnoreFile,
    /// A baseline lists it.
    Baseline,
}

impl SuppressionKind {
    /// Every kind, in the order summaries list them.
    pub const ALL: [SuppressionKind; 4] = [
        SuppressionKind::Inline,
        SuppressionKind::IgnoreFile,
        SuppressionKind::Baseline,
        SuppressionKind::Allowlist,
    ];

    /// `inline`, `ignore-file`, `baseline`, `allowlist`: stable, in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::Allowlist => "allowlist",
            SuppressionKind::Inline => "inline",
            SuppressionKind::IgnoreFile => "ignore-file",
            SuppressionKind::Baseline => "baseline",
        }
    }

    /// Words for people: "allowed inline", "in the ignore file"...
    pub fn describe(self) -> &'static str {
        match self {
            SuppressionKind::Allowlist => "allowlisted",
            SuppressionKind::Inline => "allowed inline",
            SuppressionKind::IgnoreFile => "ignored",
            SuppressionKind::Baseline => "in the baseline",
        }
    }
}

/// What was not reported as open, in words: `2 allowed inline, 5 ignored, 1 below
/// --min-severity`; `None` when nothing was held back.
pub fn not_reported(
    counts: &[(SuppressionKind, usize)],
    below_min_severity: usize,
) -> Option<String> {
    let mut parts: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{n} {}", k.describe()))
        .collect();
    if below_min_severity > 0 {
        parts.push(format!("{below_min_severity} below --min-severity"));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Why a finding is suppressed, and where that was decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub kind: SuppressionKind,
    /// The team's words: an ignore entry's `# reason`, an allowlist's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Where it was decided: `src/app.py:12` (the marker), `.leakhoundignore:3`, a baseline's
    /// path, `.leakhound.toml [[allowlist]] #1 (path)`.
    pub source: String,
}

impl Suppression {
    /// One sentence for SARIF's justification.
    pub fn justification(&self) -> String {
        match &self.reason {
            Some(reason) => format!("{} ({}: {})", reason, self.kind.describe(), self.source),
            None => format!("{} by {}", self.kind.describe(), self.source),
        }
    }
}

/// A finding that is not reported as open.
#[derive(Debug, Clone)]
pub struct Suppressed {
    pub finding: Finding,
    pub suppression: Suppression,
}

/// Findings after triage.
#[derive(Debug, Default)]
pub struct Triaged {
    /// Open findings, in report order.
    pub reported: Vec<Finding>,
    /// Suppressed findings, in report order.
    pub suppressed: Vec<Suppressed>,
    /// Findings left out for being below `--min-severity`.
    pub below_min_severity: usize,
}

impl Triaged {
    /// Suppressed findings counted by kind, every kind listed.
    pub fn counts(&self) -> Vec<(SuppressionKind, usize)> {
        SuppressionKind::ALL
            .iter()
            .map(|&k| {
                let n = self
                    .suppressed
                    .iter()
                    .filter(|s| s.suppression.kind == k)
                    .count();
                (k, n)
            })
            .collect()
    }

    /// Whether an open finding is at `fail_on` or worse: the scan's exit code is then 1.
    pub fn fails(&self, fail_on: Severity) -> bool {
        self.reported.iter().any(|f| f.severity >= fail_on)
    }

    /// The findings that are secrets, for a baseline: the open ones and those accepted
    /// (allowlisted values are not secrets, and stay out).
    pub fn known(&self) -> impl Iterator<Item = &Finding> {
        let accepted = self
            .suppressed
            .iter()
            .filter(|s| s.suppression.kind != SuppressionKind::Allowlist)
            .map(|s| &s.finding);
        self.reported.iter().chain(accepted)
    }
}

/// The triage stage, configured.
#[derive(Debug)]
pub struct Triage {
    /// The absolute directory that finding paths are relative to (none for standard input).
    base: Option<PathBuf>,
    /// What goes before a finding's path in its fingerprint: the base's place under the
    /// project root (`src/` for `scan src`), so that fingerprints, ignore entries and
    /// baselines are the same whichever directory of the project is scanned.
    fingerprint_prefix: String,
    allowlists: Vec<Allowlist>,
    markers: Vec<String>,
    ignored: HashMap<String, Entry>,
    baseline: HashSet<String>,
    /// The baselines' paths, for the reason shown.
    baseline_names: String,
    min_severity: Severity,
}

impl Triage {
    /// A triage that suppresses nothing but inline `leakhound:allow`, for findings whose paths
    /// are relative to `base`, itself `project_root` or inside it.
    pub fn new(base: Option<&Path>, project_root: Option<&Path>) -> Triage {
        let prefix = base
            .zip(project_root)
            .and_then(|(b, r)| b.strip_prefix(r).ok())
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .filter(|p| !p.is_empty())
            .map(|p| format!("{p}/"))
            .unwrap_or_default();
        Triage {
            base: base.map(Path::to_path_buf),
            fingerprint_prefix: prefix,
            allowlists: Vec::new(),
            markers: vec![MARKER.to_string()],
            ignored: HashMap::new(),
            baseline: HashSet::new(),
            baseline_names: String::new(),
            min_severity: Severity::Low,
        }
    }

    pub fn with_allowlists(mut self, allowlists: Vec<Allowlist>) -> Triage {
        self.allowlists = allowlists;
        self
    }

    /// Honours these markers too (a configuration opts in to `gitleaks:allow` and the like).
    pub fn with_markers(mut self, markers: Vec<String>) -> Triage {
        for m in markers {
            if !self.markers.contains(&m) {
                self.markers.push(m);
            }
        }
        self
    }

    pub fn with_ignored(mut self, entries: Vec<Entry>) -> Triage {
        for e in entries {
            self.ignored.entry(e.fingerprint.clone()).or_insert(e);
        }
        self
    }

    /// Suppresses the fingerprints of a baseline at `path`.
    pub fn with_baseline(mut self, fingerprints: HashSet<String>, path: &Path) -> Triage {
        self.baseline.extend(fingerprints);
        if !self.baseline_names.is_empty() {
            self.baseline_names.push_str(", ");
        }
        self.baseline_names.push_str(&path.display().to_string());
        self
    }

    pub fn with_min_severity(mut self, min: Severity) -> Triage {
        self.min_severity = min;
        self
    }

    /// Whether a walk may leave out `absolute` (a configuration allowlists the path).
    pub fn excludes_path(&self, absolute: &Path, is_dir: bool) -> Option<&str> {
        self.allowlists
            .iter()
            .find(|a| a.excludes(absolute, is_dir))
            .map(|a| a.name.as_str())
    }

    /// Whether a configuration allowlists some paths (so the walk should ask).
    pub fn has_path_allowlists(&self) -> bool {
        !self.allowlists.is_empty()
    }

    /// Gives findings their project-wide fingerprints (see `fingerprint_prefix`).
    pub fn identify(&self, findings: &mut [Finding]) {
        if self.fingerprint_prefix.is_empty() {
            return;
        }
        for f in findings {
            let path = format!("{}{}", self.fingerprint_prefix, f.path);
            f.fingerprint = fingerprint(&f.rule_id, &path, &f.secret);
        }
    }

    /// Triages a batch of findings (decisions are per finding: batches may be of any size).
    pub fn apply(&self, mut findings: Vec<Finding>) -> Triaged {
        self.identify(&mut findings);
        let mut triaged = Triaged::default();
        for f in findings {
            if f.severity < self.min_severity {
                triaged.below_min_severity += 1;
                continue;
            }
            match self.suppression(&f) {
                Some(suppression) => triaged.suppressed.push(Suppressed {
                    finding: f,
                    suppression,
                }),
                None => triaged.reported.push(f),
            }
        }
        triaged
    }

    fn suppression(&self, f: &Finding) -> Option<Suppression> {
        // The file on disk: an archive member is where its archive is.
        let absolute = self.base.as_ref().map(|b| b.join(f.outer_path()));
        for a in &self.allowlists {
            if let Some(by) = a.allows(f, absolute.as_deref()) {
                return Some(Suppression {
                    kind: SuppressionKind::Allowlist,
                    reason: a.description.clone(),
                    source: format!("{} ({})", a.name, by.as_str()),
                });
            }
        }
        if let Some(marker) = self.marker_on(f) {
            // A marker covers a line while all its findings share one secret: a second secret
            // put on an allowed line is reported, and so is the first.
            if !f.shares_line {
                return Some(Suppression {
                    kind: SuppressionKind::Inline,
                    reason: None,
                    source: format!("`{marker}` at {}:{}", f.path, f.line),
                });
            }
        }
        if let Some(e) = self.ignored.get(&f.fingerprint) {
            return Some(Suppression {
                kind: SuppressionKind::IgnoreFile,
                reason: e.reason.clone(),
                source: format!("{}:{}", e.file.display(), e.line),
            });
        }
        if self.baseline.contains(&f.fingerprint) {
            return Some(Suppression {
                kind: SuppressionKind::Baseline,
                reason: None,
                source: self.baseline_names.clone(),
            });
        }
        None
    }

    fn marker_on(&self, f: &Finding) -> Option<&str> {
        let line = f.source_line.text();
        self.markers
            .iter()
            .find(|m| line.contains(m.as_str()))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::scan_bytes;

    fn findings(text: &str) -> Vec<Finding> {
        let engine = crate::test_support::engine_from(crate::test_support::DEMO_RULE);
        scan_bytes(&engine, "app.env", text.as_bytes())
    }

    fn kinds(t: &Triaged) -> Vec<(usize, &'static str)> {
        let mut v: Vec<(usize, &'static str)> = t
            .reported
            .iter()
            .map(|f| (f.line, "open"))
            .chain(
                t.suppressed
                    .iter()
                    .map(|s| (s.finding.line, s.suppression.kind.as_str())),
            )
            .collect();
        v.sort();
        v
    }

    #[test]
    fn an_inline_marker_allows_one_secret_on_its_line_only() {
        let text = "a = demo_k3j9x2m1 # leakhound:allow\n\
                    b = demo_p8q7r6s5\n\
                    c = demo_t4u3v2w1 demo_z9y8x7w6 # leakhound:allow\n\
                    d = demo_m5n4b3v2 demo_m5n4b3v2 // leakhound:allow\n\
                    e = demo_g7h6j5k4 # gitleaks:allow\n";
        let triage = Triage::new(None, None);
        let t = triage.apply(findings(text));
        assert_eq!(
            kinds(&t),
            vec![
                (1, "inline"),
                (2, "open"),
                (3, "open"),
                (3, "open"),
                (4, "inline"),
                (4, "inline"),
                (5, "open"),
            ]
        );
        let t = Triage::new(None, None)
            .with_markers(vec!["gitleaks:allow".to_string()])
            .apply(findings(text));
        assert!(kinds(&t).contains(&(5, "inline")));
        assert_eq!(
            t.suppressed[0].suppression.source,
            "`leakhound:allow` at app.env:1"
        );
    }

    #[test]
    fn ignore_entries_and_baselines_match_fingerprints_only() {
        let found = findings("a = demo_k3j9x2m1\nb = demo_p8q7r6s5\nc = demo_t4u3v2w1\n");
        let entry = Entry {
            fingerprint: found[0].fingerprint.clone(),
            reason: Some("test fixture".to_string()),
            file: PathBuf::from(".leakhoundignore"),
            line: 4,
        };
        let triage = Triage::new(None, None)
            .with_ignored(vec![entry])
            .with_baseline(
                HashSet::from([found[1].fingerprint.clone()]),
                Path::new("b.json"),
            );
        let t = triage.apply(found.clone());
        assert_eq!(
            kinds(&t),
            vec![(1, "ignore-file"), (2, "baseline"), (3, "open")]
        );
        assert_eq!(
            t.suppressed[0].suppression.justification(),
            "test fixture (ignored: .leakhoundignore:4)"
        );
        // The same secret in another file has another fingerprint.
        let engine = crate::test_support::engine_from(crate::test_support::DEMO_RULE);
        let elsewhere = scan_bytes(&engine, "other.env", b"a = demo_k3j9x2m1\n");
        assert_eq!(triage.apply(elsewhere).reported.len(), 1);
    }

    #[test]
    fn severity_gates() {
        let found = findings("a = demo_k3j9x2m1\n");
        let t = Triage::new(None, None).apply(found.clone());
        assert!(t.fails(Severity::High) && t.fails(Severity::Low));
        let mut low = found.clone();
        low[0].severity = Severity::Low;
        let t = Triage::new(None, None).apply(low.clone());
        assert!(!t.fails(Severity::Medium) && t.fails(Severity::Low));
        let t = Triage::new(None, None)
            .with_min_severity(Severity::Medium)
            .apply(low);
        assert_eq!((t.reported.len(), t.below_min_severity), (0, 1));
    }

    #[test]
    fn fingerprints_are_project_wide() {
        let mut found = findings("a = demo_k3j9x2m1\n");
        let at_root = fingerprint("demo-token", "src/app.env", &found[0].secret);
        let triage = Triage::new(Some(Path::new("/p/src")), Some(Path::new("/p")));
        triage.identify(&mut found);
        assert_eq!(found[0].fingerprint, at_root);
        assert_eq!(found[0].path, "app.env");
    }
}
