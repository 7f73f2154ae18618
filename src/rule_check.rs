//! `leakhound rules check`: every rule against its own examples, through the real engine.
//!
//! An example passes when scanning it reports the rule (so its keywords, window and filters are
//! exercised, not just its regex); a negative example passes when scanning it does not.

use crate::engine::Engine;

/// One example that did not behave as its rule says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    pub rule_id: String,
    /// `true` for an example that was not matched, `false` for a negative one that was.
    pub missed: bool,
    pub example: String,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.missed {
            write!(
                f,
                "{}: example not matched: {:?}",
                self.rule_id, self.example
            )
        } else {
            write!(
                f,
                "{}: negative example matched: {:?}",
                self.rule_id, self.example
            )
        }
    }
}

/// Runs every rule's examples and negative examples; returns what failed.
pub fn check_examples(engine: &Engine) -> Vec<ExampleFailure> {
    let mut failures = Vec::new();
    for (index, rule) in engine.rules().rules().iter().enumerate() {
        let fires = |text: &str| engine.scan(text.as_bytes()).iter().any(|m| m.rule == index);
        for example in &rule.spec.examples {
            if !fires(example) {
                failures.push(ExampleFailure {
                    rule_id: rule.id().to_string(),
                    missed: true,
                    example: example.clone(),
                });
            }
        }
        for example in &rule.spec.negative_examples {
            if fires(example) {
                failures.push(ExampleFailure {
                    rule_id: rule.id().to_string(),
                    missed: false,
                    example: example.clone(),
                });
            }
        }
    }
    failures
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
        assert!(failures[0].missed && !failures[1].missed);
    }
}
