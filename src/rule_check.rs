//! `leakhound rules check`: every rule against its own examples, through the real engine.
//!
//! An example passes when scanning it reports the rule (so its keywords, window and filters are
//! exercised, not just its regex); a negative example passes when scanning it does not.

use crate::engine::{Engine, Match};

/// One example that did not behave as its rule says, or that another rule reports too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    pub rule_id: String,
    pub kind: FailureKind,
    pub example: String,
}

/// What went wrong with an example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// The rule did not find its example.
    Missed,
    /// The rule found something in its negative example.
    NegativeMatched,
    /// Another non-generic rule reports the same value as this rule: one of them is redundant
    /// or too broad.
    AlsoMatchedBy(String),
    /// The regex repeats a broad class a bounded but large number of times (`[^\n]{0,200}`):
    /// the lazy DFA then tracks every count from every start and its cache thrashes, which
    /// made one rule cost 2.6 µs a byte. The window around a keyword already bounds a match,
    /// so `*` or `+` does the same job. `example` holds the repetition.
    SlowRepetition,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            FailureKind::Missed => write!(
                f,
                "{}: example not matched: {:?}",
                self.rule_id, self.example
            ),
            FailureKind::NegativeMatched => {
                write!(
                    f,
                    "{}: negative example matched: {:?}",
                    self.rule_id, self.example
                )
            }
            FailureKind::AlsoMatchedBy(other) => write!(
                f,
                "{}: example also reported by {other} (same value): {:?}",
                self.rule_id, self.example
            ),
            FailureKind::SlowRepetition => write!(
                f,
                "{}: regex repeats a broad class {} times, which makes it slow; \
                 use * or + (the window around the keyword bounds the match)",
                self.rule_id, self.example
            ),
        }
    }
}

/// Runs every rule's examples and negative examples; returns what failed. Besides misses and
/// matched negatives, an example whose value a second non-generic rule also reports fails (a
/// generic rule may overlap: it yields to the specific one at scan time anyway).
pub fn check_examples(engine: &Engine) -> Vec<ExampleFailure> {
    let rules = engine.rules();
    let mut failures = Vec::new();
    for (index, rule) in rules.rules().iter().enumerate() {
        let fail = |kind: FailureKind, example: &str| ExampleFailure {
            rule_id: rule.id().to_string(),
            kind,
            example: example.to_string(),
        };
        for example in &rule.spec.examples {
            let matches = engine.scan(example.as_bytes());
            let own: Vec<_> = matches.iter().filter(|m| m.rule == index).collect();
            if own.is_empty() {
                failures.push(fail(FailureKind::Missed, example));
                continue;
            }
            if rule.spec.generic {
                continue;
            }
            for other in &matches {
                let other_rule = rules.get(other.rule);
                if other.rule != index
                    && !other_rule.spec.generic
                    && own
                        .iter()
                        .any(|m| value_of(example, m) == value_of(example, other))
                {
                    failures.push(fail(
                        FailureKind::AlsoMatchedBy(other_rule.id().to_string()),
                        example,
                    ));
                }
            }
        }
        for repetition in slow_repetitions(&rule.spec.regex) {
            failures.push(fail(FailureKind::SlowRepetition, &repetition));
        }
        for example in &rule.spec.negative_examples {
            if engine
                .scan(example.as_bytes())
                .iter()
                .any(|m| m.rule == index)
            {
                failures.push(fail(FailureKind::NegativeMatched, example));
            }
        }
    }
    failures
}

/// Bounded repetitions of at least this many of a class of at least [`BROAD_CLASS`] bytes are
/// reported as slow. Only gaps are that broad (`[^\n]`, `.`, `[^"]`); a token alphabet
/// (`[A-Za-z0-9_-]{20,74}`) is not, and its bounds are what make a rule precise.
const SLOW_REPETITION: u32 = 60;
const BROAD_CLASS: u32 = 128;

/// The bounded repetitions in `pattern` that make a lazy DFA slow, as `{min,max}` (none if the
/// pattern does not parse: compiling it reports that).
fn slow_repetitions(pattern: &str) -> Vec<String> {
    use regex_syntax::hir::{Class, Hir, HirKind};

    fn is_broad(hir: &Hir) -> bool {
        let size = match hir.kind() {
            HirKind::Class(Class::Bytes(class)) => class
                .ranges()
                .iter()
                .map(|r| u32::from(r.end() - r.start()) + 1)
                .sum(),
            HirKind::Class(Class::Unicode(class)) => class
                .ranges()
                .iter()
                .map(|r| u32::from(r.end()) - u32::from(r.start()) + 1)
                .sum(),
            _ => 0,
        };
        size >= BROAD_CLASS
    }
    // Inside a capture group a bound is the secret's length (`"([^"\r\n]{2,128})"`): it starts
    // after the rule's context has matched, so few counts are ever live. Outside one it is a
    // gap between a keyword and the value, counted from every keyword occurrence.
    fn walk(hir: &Hir, in_capture: bool, found: &mut Vec<String>) {
        match hir.kind() {
            HirKind::Repetition(repetition) => {
                if let Some(max) = repetition.max {
                    if !in_capture
                        && max >= SLOW_REPETITION
                        && max > repetition.min
                        && is_broad(&repetition.sub)
                    {
                        found.push(format!("{{{},{max}}}", repetition.min));
                    }
                }
                walk(&repetition.sub, in_capture, found);
            }
            HirKind::Capture(capture) => walk(&capture.sub, true, found),
            HirKind::Concat(hirs) | HirKind::Alternation(hirs) => {
                hirs.iter().for_each(|h| walk(h, in_capture, found))
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    if let Ok(hir) = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
    {
        walk(&hir, false, &mut found);
    }
    found
}

/// The secret a match reports: the decoded value, or the matched text.
fn value_of<'a>(text: &'a str, m: &'a Match) -> &'a [u8] {
    match &m.decoded {
        Some((value, _)) => value,
        None => &text.as_bytes()[m.secret.clone()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    #[test]
    fn every_embedded_rule_passes_its_examples() {
        let engine = Engine::new(crate::test_support::embedded_with_examples()).expect("engine");
        let failures = check_examples(&engine);
        let text: Vec<String> = failures.iter().map(ToString::to_string).collect();
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            text.join("\n")
        );
    }

    #[test]
    fn rule_ids_are_unique_and_kebab_case_and_examples_plentiful() {
        let set = crate::test_support::embedded_with_examples();
        let mut ids = std::collections::HashSet::new();
        for rule in set.rules() {
            assert!(crate::rules::is_kebab_case(rule.id()), "{}", rule.id());
            assert!(ids.insert(rule.id()), "duplicate id {}", rule.id());
            assert!(
                rule.spec.examples.len() >= 2,
                "{} needs two examples",
                rule.id()
            );
            assert!(!rule.spec.negative_examples.is_empty(), "{}", rule.id());
            assert!(
                !rule.spec.references.is_empty(),
                "{} needs a reference",
                rule.id()
            );
        }
    }

    #[test]
    fn two_specific_rules_reporting_one_value_is_a_failure() {
        let rule = |id: &str| {
            format!(
                "[[rules]]\nid = \"{id}\"\nname = \"N\"\ndescription = \"d\"\nseverity = \"low\"\n\
                 keywords = [\"tok_\"]\nregex = '(tok_[0-9]{{4}})'\nexamples = [\"tok_1357\"]\n\
                 negative_examples = [\"x\"]\n"
            )
        };
        let mut set = RuleSet::default();
        set.add_toml("t.toml", &(rule("a") + &rule("b")), true)
            .unwrap();
        let failures = check_examples(&Engine::new(set).unwrap());
        assert_eq!(failures.len(), 2, "{failures:?}");
        assert_eq!(failures[0].kind, FailureKind::AlsoMatchedBy("b".into()));
    }

    #[test]
    fn large_bounded_gaps_are_reported() {
        assert_eq!(slow_repetitions(r"snmp[^\r\n]{0,200}?x"), ["{0,200}"]);
        assert_eq!(slow_repetitions(r"(?:a|b[^\n]{1,64}c)(x)"), ["{1,64}"]);
        assert_eq!(
            slow_repetitions(r"ghp_[A-Za-z0-9]{36}.{0,100}(x)"),
            ["{0,100}"]
        );
        // Secret lengths in a capture group, token alphabets, exact counts, small bounds and
        // unbounded repetitions are fine.
        assert!(slow_repetitions(r#"key 7 "([^"\r\n]{2,128})""#).is_empty());
        assert!(slow_repetitions(r"[A-Za-z0-9_-]{20,74}|[^\n]{0,20}|[^\n]*|[^\n]{80}").is_empty());
        assert!(slow_repetitions(r"(unbalanced").is_empty());
    }

    #[test]
    fn a_wrong_example_is_reported() {
        let mut set = RuleSet::default();
        set.add_toml(
            "t.toml",
            r#"
[[rules]]
id = "t"
name = "T"
description = "d"
severity = "low"
keywords = ["tok_"]
regex = '''(tok_[0-9]{4})\b'''
examples = ["tok_12"]
negative_examples = ["tok_1234"]
"#,
            true,
        )
        .unwrap();
        let failures = check_examples(&Engine::new(set).unwrap());
        assert_eq!(failures.len(), 2);
        assert_eq!(failures[0].kind, FailureKind::Missed);
        assert_eq!(failures[1].kind, FailureKind::NegativeMatched);
    }
}
