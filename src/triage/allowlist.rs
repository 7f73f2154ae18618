//! A configuration's `[[allowlist]]`, compiled: what is not a secret, or not to be reported.
//!
//! Paths are gitignore-style globs (the `ignore` crate's gitignore matcher, rooted at the
//! configuration's directory); regexes test the secret or the whole line; stopwords are
//! case-insensitive substrings of the secret; commits name history findings' introducing
//! commits. An allowlist found beside what is scanned applies only under its own directory.

use std::ops::Range;
use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use regex::Regex;

use crate::config::AllowlistSpec as Spec;
use crate::finding::Finding;

/// One compiled allowlist.
#[derive(Debug)]
pub struct Allowlist {
    /// `.leakhound.toml [[allowlist]] #2`, and its description: the justification of what it
    /// suppresses.
    pub name: String,
    pub description: Option<String>,
    /// Applies only to findings under this directory (absolute), if set.
    scope: Option<PathBuf>,
    rules: Vec<String>,
    /// Where the path globs start (absolute).
    paths_root: PathBuf,
    paths: Option<Gitignore>,
    regexes: Vec<Regex>,
    lines: Vec<Regex>,
    stopwords: Vec<String>,
    commits: Vec<String>,
}

/// Why a finding was allowlisted: which kind of entry matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowedBy {
    Path,
    Regex,
    Line,
    Stopword,
    Commit,
}

impl AllowedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            AllowedBy::Path => "path",
            AllowedBy::Regex => "regex",
            AllowedBy::Line => "line",
            AllowedBy::Stopword => "stopword",
            AllowedBy::Commit => "commit",
        }
    }
}

impl Allowlist {
    /// Compiles `spec`; an error is the span of the bad value and what is wrong with it.
    pub fn build(
        spec: &Spec,
        name: String,
        paths_root: &Path,
        scope: Option<PathBuf>,
    ) -> Result<Allowlist, (Range<usize>, String)> {
        let paths = if spec.paths.is_empty() {
            None
        } else {
            let mut builder = GitignoreBuilder::new(paths_root);
            for glob in &spec.paths {
                builder
                    .add_line(None, glob.get_ref())
                    .map_err(|e| (glob.span(), format!("invalid path glob: {e}")))?;
            }
            let built = builder.build().map_err(|e| {
                let span = spec.paths[0].span();
                (span, format!("invalid path glob: {e}"))
            })?;
            Some(built)
        };
        let compile = |patterns: &[toml::Spanned<String>]| -> Result<Vec<Regex>, _> {
            patterns
                .iter()
                .map(|p| {
                    Regex::new(p.get_ref()).map_err(|e| {
                        let message = e.to_string();
                        let last = message
                            .lines()
                            .last()
                            .unwrap_or_default()
                            .trim()
                            .to_string();
                        (p.span(), format!("invalid regex: {last}"))
                    })
                })
                .collect()
        };
        let mut commits = Vec::new();
        for c in &spec.commits {
            let id = c.get_ref().trim().to_ascii_lowercase();
            if id.len() < 7 || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err((
                    c.span(),
                    "a commit must be an id or a prefix of at least 7 hex digits".to_string(),
                ));
            }
            commits.push(id);
        }
        Ok(Allowlist {
            name,
            description: spec.description.clone(),
            scope,
            rules: spec.rules.iter().map(|r| r.get_ref().clone()).collect(),
            paths_root: paths_root.to_path_buf(),
            paths,
            regexes: compile(&spec.regexes)?,
            lines: compile(&spec.lines)?,
            stopwords: spec
                .stopwords
                .iter()
                .map(|w| w.to_lowercase())
                .filter(|w| !w.is_empty())
                .collect(),
            commits,
        })
    }

    /// Whether `finding`, whose file is `absolute` (if it has one on disk), is allowlisted, and
    /// by what kind of entry.
    pub fn allows(&self, finding: &Finding, absolute: Option<&Path>) -> Option<AllowedBy> {
        if let Some(scope) = &self.scope {
            if !absolute.is_some_and(|a| a.starts_with(scope)) {
                return None;
            }
        }
        if !self.rules.is_empty() && !self.rules.contains(&finding.rule_id) {
            return None;
        }
        if absolute.is_some_and(|a| self.matches_path(a, false)) {
            return Some(AllowedBy::Path);
        }
        let secret = finding.secret.expose();
        if self.regexes.iter().any(|re| re.is_match(secret)) {
            return Some(AllowedBy::Regex);
        }
        let line = finding.source_line.text();
        if self.lines.iter().any(|re| re.is_match(line)) {
            return Some(AllowedBy::Line);
        }
        if !self.stopwords.is_empty() {
            let lower = secret.to_lowercase();
            if self.stopwords.iter().any(|w| lower.contains(w.as_str())) {
                return Some(AllowedBy::Stopword);
            }
        }
        // A history finding's commit; a release's tree finding carries the commit that brought
        // it, but it is in the working tree, which no commit allowlist covers.
        if let Some(c) = finding
            .commit
            .as_ref()
            .filter(|_| finding.origin != Some("tree"))
        {
            if self
                .commits
                .iter()
                .any(|id| c.commit.starts_with(id.as_str()))
            {
                return Some(AllowedBy::Commit);
            }
        }
        None
    }

    /// Whether a walk may leave out `absolute` (a file, or a directory and all below it): it
    /// matches a path glob of an allowlist that applies to every rule.
    pub fn excludes(&self, absolute: &Path, is_dir: bool) -> bool {
        self.rules.is_empty()
            && self.scope.as_ref().is_none_or(|s| absolute.starts_with(s))
            && self.matches_path(absolute, is_dir)
    }

    fn matches_path(&self, absolute: &Path, is_dir: bool) -> bool {
        let Some(paths) = &self.paths else {
            return false;
        };
        let Ok(relative) = absolute.strip_prefix(&self.paths_root) else {
            return false;
        };
        if relative.as_os_str().is_empty() {
            return false;
        }
        paths
            .matched_path_or_any_parents(relative, is_dir)
            .is_ignore()
    }
}
