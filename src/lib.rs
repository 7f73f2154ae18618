//! leakhound: a secret scanner for working trees, git history and release artifacts.
//!
//! Data flows one way, one module per step:
//! [`source`] (bytes and where they came from) → [`engine`] (keyword prefilter, regex, entropy
//! and placeholder checks) → [`finding`] (rule, location, fingerprint, redacted secret) →
//! [`triage`] (allowlists, inline markers, ignore file, baseline, severity gates) → [`report`]
//! (text, JSON, SARIF). [`rules`] holds the rules as data and [`config`] reads
//! `.leakhound.toml`; [`scan`] runs the pipeline in parallel (git history and staged changes in
//! [`scan::history`] and [`scan::staged`]); [`cli`] and [`commands`] are the command line,
//! [`hook`] the git pre-commit hook.
//!
//! ```
//! use leakhound::{engine::Engine, rules::RuleSet, scan::scan_bytes};
//!
//! let engine = Engine::new(RuleSet::embedded().unwrap()).unwrap();
//! let token = ["ghp_", "R4nd0mB0dyW1thD1g1tsAndL3tters012345"].concat();
//! let findings = scan_bytes(&engine, "config.env", format!("GITHUB_TOKEN={token}\n").as_bytes());
//! assert_eq!(findings[0].rule_id, "github-pat");
//! assert_eq!(findings[0].secret.redacted(), "ghp_…");
//! ```

pub mod cli;
pub mod commands;
pub mod config;
pub mod engine;
pub mod finding;
pub mod hook;
pub mod progress;
pub mod report;
pub mod rule_check;
pub mod rules;
pub mod scan;
pub mod source;
pub mod summary;
pub mod triage;

#[cfg(test)]
mod test_support;
