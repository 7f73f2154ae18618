//! `rules list` and `rules check`: the rules in force where they are run (the built-in ones,
//! changed and extended by the configuration).

use std::io::{self, Write};

use anyhow::{Context, Result};

use super::setup::{self, Place};
use super::Outcome;
use crate::cli::{ConfigArgs, ListFormat};
use crate::engine::Engine;
use crate::rule_check::check_examples;

/// The rules in force in the current directory (for `rules list` and `rules check`).
fn rules_here(args: &ConfigArgs) -> Result<crate::rules::RuleSet> {
    let cwd = std::env::current_dir().context("cannot find the current directory")?;
    let place = Place::paths(std::slice::from_ref(&cwd), Some(cwd.clone()));
    Ok(setup::load_rules(args, &place)?.0)
}

pub fn list(config: &ConfigArgs, format: ListFormat) -> Result<Outcome> {
    let rules = rules_here(config)?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    let result = match format {
        ListFormat::Text => rules.rules().iter().try_for_each(|r| {
            writeln!(
                out,
                "{:<40} {:<6} {}",
                r.spec.id, r.spec.severity, r.spec.name
            )
        }),
        ListFormat::Json => {
            let specs: Vec<_> = rules.rules().iter().map(|r| &r.spec).collect();
            serde_json::to_writer_pretty(&mut out, &specs)
                .map_err(io::Error::from)
                .and_then(|()| writeln!(out))
        }
    };
    match result.and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other.context("cannot write the rule list")?,
    }
    Ok(Outcome::Clean)
}

pub fn check(config: &ConfigArgs) -> Result<Outcome> {
    let mut rules = rules_here(config)?;
    rules.load_embedded_examples()?;
    let engine = Engine::new(rules)?;
    let failures = check_examples(&engine);
    let rules = engine.rules();
    let examples: usize = rules
        .rules()
        .iter()
        .map(|r| r.spec.examples.len() + r.spec.negative_examples.len())
        .sum();
    let mut out = io::stdout().lock();
    for f in &failures {
        writeln!(out, "FAIL {f}").ok();
    }
    writeln!(
        out,
        "{} rules, {} examples: {} passed, {} failed",
        rules.len(),
        examples,
        examples - failures.len(),
        failures.len()
    )
    .ok();
    Ok(if failures.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Found
    })
}
