//! The rule file format, exactly as written in `patterns/*.toml` and user configs.

use serde::{Deserialize, Serialize};

/// One TOML rule file: a list of `[[rules]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

/// How bad a leak of this kind is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    /// Every severity, most severe first (the order summaries print them in).
    pub const ALL: [Severity; 3] = [Severity::High, Severity::Medium, Severity::Low];
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Values that a rule's regex matches but that are not secrets.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Allowlist {
    /// Regexes tested against the secret; a hit means "not a secret".
    #[serde(default)]
    pub regexes: Vec<String>,
    /// Regexes tested against the whole match (name and value).
    #[serde(default)]
    pub match_regexes: Vec<String>,
    /// Case-insensitive substrings of the secret that mark it as a placeholder.
    #[serde(default)]
    pub stopwords: Vec<String>,
}

/// A rule as written in TOML.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable kebab-case id; it is the SARIF ruleId and must never change.
    pub id: String,
    /// Short human name, e.g. "GitHub personal access token (classic)".
    pub name: String,
    /// What the secret is and what it grants.
    pub description: String,
    pub severity: Severity,
    /// Literals whose presence makes the regex worth running (matched case-insensitively).
    pub keywords: Vec<String>,
    /// The confirming regex; the `secret` named group, or else the first group that takes part
    /// in the match, is the secret.
    pub regex: String,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    #[serde(default)]
    pub entropy: Option<f64>,
    /// Bytes after a keyword hit that the regex needs to see (default 256).
    #[serde(default)]
    pub window: Option<usize>,
    /// Bytes before a keyword hit that the regex needs to see (default 128).
    #[serde(default)]
    pub window_before: Option<usize>,
    /// Apply the built-in placeholder filter (`${VAR}`, `<token>`, `xxxx`, `changeme`, ...).
    #[serde(default = "yes")]
    pub filter_placeholders: bool,
    /// Drop secrets that read like names in code (`X509RequestInheritOptions`, `_bindgen_ty_7`):
    /// for generic rules, whose values may be expressions rather than literals.
    #[serde(default)]
    pub filter_identifiers: bool,
    /// Words of which one lies within [`crate::engine::NEAR`] bytes of the keyword in every
    /// match (`key`, `token`, `secret` beside a service's name), with the secret after it on its
    /// line: at least 12 letters, digits or `+/=_-`, a digit among them, starting within 128
    /// bytes. A keyword of only such rules is searched only around those words: cheap enough
    /// for a table of a thousand names.
    #[serde(default)]
    pub near_words: Vec<String>,
    /// A generic rule yields to any specific rule whose secret overlaps its own.
    #[serde(default)]
    pub generic: bool,
    #[serde(default)]
    pub allowlist: Allowlist,
    /// Provider documentation of the format.
    #[serde(default)]
    pub references: Vec<String>,
    /// How to revoke and rotate this kind of secret (SARIF help); a generic text otherwise.
    #[serde(default)]
    pub remediation: Option<String>,
    /// Free-form tags for SARIF (`cloud`, `network`, ...).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Text in which the rule must find a secret. For embedded rules these are loaded only
    /// when asked for ([`super::RuleSet::load_embedded_examples`]).
    #[serde(default)]
    pub examples: Vec<String>,
    /// Text in which the rule must find nothing.
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

fn yes() -> bool {
    true
}

impl RuleSpec {
    /// Every rule documents itself with an example of what it finds and of what it must not.
    pub fn validate_examples(&self) -> Result<(), String> {
        if self.examples.is_empty() || self.negative_examples.is_empty() {
            return Err("at least one example and one negative example are needed".into());
        }
        Ok(())
    }

    /// Checks what serde cannot: id shape, non-empty fields, usable keywords. (Examples are
    /// [`RuleSpec::validate_examples`]: an embedded rule's are not loaded for a scan.)
    pub fn validate(&self) -> Result<(), String> {
        if !super::is_kebab_case(&self.id) {
            return Err("id must be kebab-case (lowercase letters, digits, single dashes)".into());
        }
        if self.name.trim().is_empty() || self.description.trim().is_empty() {
            return Err("name and description must not be empty".into());
        }
        if self.keywords.is_empty() {
            return Err(
                "at least one keyword is needed (the regex runs only near keywords)".into(),
            );
        }
        if let Some(k) = self.keywords.iter().find(|k| k.len() < 3 || !k.is_ascii()) {
            return Err(format!(
                "keyword {k:?} must be ASCII and at least 3 bytes long"
            ));
        }
        if let Some(w) = self
            .near_words
            .iter()
            .find(|w| w.len() < 3 || !w.is_ascii())
        {
            return Err(format!(
                "near word {w:?} must be ASCII and at least 3 bytes long"
            ));
        }
        if let Some(e) = self.entropy {
            if !(0.0..=8.0).contains(&e) {
                return Err(format!("entropy {e} is outside 0..=8 bits per byte"));
            }
        }
        if self.window.is_some_and(|w| w > 64 * 1024)
            || self.window_before.is_some_and(|w| w > 64 * 1024)
        {
            return Err("window must be at most 65536 bytes".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_orders_by_badness() {
        assert!(Severity::High > Severity::Medium && Severity::Medium > Severity::Low);
    }

    /// A fuzz harness of the rule file format: whatever a user's rule file holds, loading it
    /// is a rule set or an error, never a panic.
    mod fuzz {
        use proptest::prelude::*;
        use proptest::sample::Index;

        use crate::engine::Engine;
        use crate::rules::RuleSet;

        /// Small real rule files, and the demo rule.
        fn files() -> &'static [String] {
            static FILES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
            FILES.get_or_init(|| {
                let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("patterns");
                let mut files: Vec<String> = ["npm", "jwt", "docker", "telegram", "hetzner"]
                    .iter()
                    .map(|name| {
                        std::fs::read_to_string(dir.join(format!("{name}.toml")))
                            .expect("a pattern file")
                    })
                    .collect();
                files.push(crate::test_support::DEMO_RULE.to_string());
                files
            })
        }

        /// A change to a rule file: a character put in, a run taken out, a line repeated.
        #[derive(Debug, Clone)]
        enum Edit {
            Insert(Index, char),
            Remove(Index, usize),
            RepeatLine(Index),
        }

        fn edit() -> impl Strategy<Value = Edit> {
            prop_oneof![
                (any::<Index>(), any::<char>()).prop_map(|(i, c)| Edit::Insert(i, c)),
                (
                    any::<Index>(),
                    prop::sample::select(
                        &['"', '\'', '[', ']', '=', '\n', '\\', '{', '(', '*'][..]
                    )
                )
                    .prop_map(|(i, c)| Edit::Insert(i, c)),
                (any::<Index>(), 1usize..8).prop_map(|(i, n)| Edit::Remove(i, n)),
                any::<Index>().prop_map(Edit::RepeatLine),
            ]
        }

        fn mutated() -> impl Strategy<Value = String> {
            (any::<Index>(), prop::collection::vec(edit(), 1..6)).prop_map(|(file, edits)| {
                let mut text: Vec<char> = file.get(files()).chars().collect();
                for e in edits {
                    match e {
                        Edit::Insert(at, c) => text.insert(at.index(text.len() + 1), c),
                        Edit::Remove(at, n) => {
                            let at = at.index(text.len() + 1);
                            text.drain(at..(at + n).min(text.len()));
                        }
                        Edit::RepeatLine(at) => {
                            let at = at.index(text.len() + 1);
                            let start = text[..at]
                                .iter()
                                .rposition(|&c| c == '\n')
                                .map_or(0, |i| i + 1);
                            let end = text[at..]
                                .iter()
                                .position(|&c| c == '\n')
                                .map_or(text.len(), |i| at + i + 1);
                            let line: Vec<char> = text[start..end].to_vec();
                            text.splice(end..end, line);
                        }
                    }
                }
                text.into_iter().collect()
            })
        }

        proptest! {
            #[test]
            fn any_rule_file_loads_or_fails_with_a_one_line_error(
                text in prop_oneof![1 => ".{0,300}", 4 => mutated()],
            ) {
                let mut rules = RuleSet::default();
                match rules.add_toml("user.toml", &text, true) {
                    Err(e) => {
                        let message = e.to_string();
                        prop_assert!(message.contains("user.toml"), "{}", message);
                        prop_assert!(!message.contains('\n'), "{}", message);
                    }
                    Ok(()) => {
                        // What loads can be scanned with: its own examples, and the file itself.
                        let examples: Vec<String> = rules
                            .rules()
                            .iter()
                            .flat_map(|r| r.spec.examples.iter().chain(&r.spec.negative_examples))
                            .cloned()
                            .collect();
                        let engine = Engine::new(rules).expect("an engine over loaded rules");
                        for example in examples {
                            engine.scan(example.as_bytes());
                        }
                        engine.scan(text.as_bytes());
                    }
                }
            }
        }
    }
}
