//! Small rule sets and engines for unit tests (compiled in test builds only).

use crate::engine::Engine;
use crate::rules::RuleSet;

/// One specific rule: `demo_` followed by eight lowercase letters or digits.
pub const DEMO_RULE: &str = r#"
[[rules]]
id = "demo-token"
name = "Demo token"
description = "A token for tests."
severity = "high"
keywords = ["demo_"]
regex = '''\b(demo_[a-z0-9]{8})\b'''
examples = ["t = demo_abcd1234"]
negative_examples = ["t = demo_abc"]
"#;

/// A low-severity rule as TOML, with one keyword and one example of each kind.
pub fn rule_toml(id: &str, keyword: &str, regex: &str, example: &str, negative: &str) -> String {
    let quote = "'''";
    format!(
        "[[rules]]\nid = {id:?}\nname = {id:?}\ndescription = \"d\"\nseverity = \"low\"\n\
         keywords = [{keyword:?}]\nregex = {quote}{regex}{quote}\n\
         examples = [{example:?}]\nnegative_examples = [{negative:?}]\n"
    )
}

/// An engine over the rules in `toml`, loaded the way user rules are.
pub fn engine_from(toml: &str) -> Engine {
    let mut set = RuleSet::default();
    set.add_toml("test.toml", toml, true)
        .expect("valid test rules");
    Engine::new(set).expect("engine builds")
}

/// The embedded rules with their examples, which a scan does not load.
pub fn embedded_with_examples() -> RuleSet {
    let mut set = RuleSet::embedded().expect("embedded rules load");
    set.load_embedded_examples()
        .expect("embedded examples load");
    set
}
