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
        let engine =
            Engine::new(RuleSet::embedded().expect("embedded rules load")).expect("engine");
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
        let set = RuleSet::embedded().expect("embedded rules load");
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
