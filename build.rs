//! Embeds every `patterns/*.toml` file in the binary, so that adding a provider is adding a file.
//!
//! Each file is converted to JSON here, at build time: JSON parses several times faster than
//! TOML, which keeps start-up small for the pre-commit hook. A malformed pattern file fails the
//! build with its name.
//!
//! What the engine reads off each rule's regex (whether its matches keep to a keyword's line,
//! which words every match holds) is worked out here too, by the same code the library runs
//! for user rules: it costs more than compiling the regex, and would otherwise be paid for
//! every rule a scan touches.
use std::{env, fs, path::Path};

#[path = "src/rules/factors.rs"]
mod factors;
#[path = "src/rules/finite.rs"]
mod finite;
#[path = "src/rules/ids.rs"]
mod ids;
#[path = "src/rules/services.rs"]
mod services;
#[path = "src/rules/single_line.rs"]
mod single_line;

/// The facts of one rule, as `(id, (on_keyword_line, required_words, required_bytes))` source
/// text.
fn facts_of(rule: &toml::Value) -> Option<String> {
    let id = rule.get("id")?.as_str()?;
    let pattern = rule.get("regex")?.as_str()?;
    let keywords: Vec<&str> = rule
        .get("keywords")?
        .as_array()?
        .iter()
        .filter_map(|k| k.as_str())
        .collect();
    // A regex that does not parse is reported when the library compiles it, naming the rule.
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    let facts = factors::of(&hir, &keywords);
    let on_keyword_line = facts.on_keyword_line;
    let words = match facts.required_words {
        Some(words) => {
            let words: Vec<String> = words
                .iter()
                .map(|w| format!("b\"{}\"", w.escape_ascii()))
                .collect();
            format!("Some(&[{}])", words.join(", "))
        }
        None => "None".to_string(),
    };
    let bytes = match facts.required_bytes {
        Some(bytes) => format!("Some(b\"{}\")", bytes.escape_ascii()),
        None => "None".to_string(),
    };
    Some(format!(
        "    ({id:?}, ({on_keyword_line}, {words}, {bytes})),\n"
    ))
}

/// Moves a rule's examples into `examples` (id -> [examples, negative examples]): a scan never
/// reads them, and they are a third of what start-up would otherwise parse.
fn take_examples(
    rule: &mut serde_json::Value,
    examples: &mut serde_json::Map<String, serde_json::Value>,
) {
    let Some(map) = rule.as_object_mut() else {
        return;
    };
    let positive = map.remove("examples").unwrap_or_default();
    let negative = map.remove("negative_examples").unwrap_or_default();
    if let Some(id) = map.get("id").and_then(|id| id.as_str()) {
        examples.insert(id.to_string(), serde_json::json!([positive, negative]));
    }
}

/// `patterns/{name}` as TOML; a file that cannot be read or parsed fails the build with its name.
fn read_toml(path: &Path, name: &str) -> toml::Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
    toml::from_str(&text).unwrap_or_else(|e| panic!("patterns/{name} is not valid TOML: {e}"))
}

/// The `.toml` files directly in `dir`, sorted (none if it cannot be read).
fn toml_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("patterns");
    println!("cargo:rerun-if-changed={}", dir.display());
    for analysis in ["factors", "finite", "ids", "single_line"] {
        println!("cargo:rerun-if-changed=src/rules/{analysis}.rs");
    }
    let files = toml_files(&dir);
    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let mut out = String::from(
        "/// Every embedded rule file: (file name, the file as JSON).\npub static EMBEDDED: &[(&str, &str)] = &[\n",
    );
    let mut facts = Vec::new();
    let mut examples = serde_json::Map::new();
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let value = read_toml(path, name);
        let rules = value.get("rules").and_then(|r| r.as_array());
        facts.extend(rules.into_iter().flatten().filter_map(facts_of));
        let mut value = serde_json::to_value(&value).expect("TOML values convert to JSON");
        if let Some(rules) = value.get_mut("rules").and_then(|r| r.as_array_mut()) {
            rules
                .iter_mut()
                .for_each(|rule| take_examples(rule, &mut examples));
        }
        let json = serde_json::to_string(&value).expect("JSON values serialise");
        let dest = Path::new(&out_dir).join(format!("{name}.json"));
        fs::write(&dest, json).expect("OUT_DIR is writable");
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            dest.display().to_string()
        ));
    }
    // The named-service tables: each entry becomes a rule, embedded like a rule file's.
    let services_dir = dir.join("services");
    println!("cargo:rerun-if-changed={}", services_dir.display());
    println!("cargo:rerun-if-changed=src/rules/services.rs");
    let tables = toml_files(&services_dir);
    for path in &tables {
        println!("cargo:rerun-if-changed={}", path.display());
        let stem = path
            .file_stem()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let name = format!("services/{stem}.toml");
        let value = read_toml(path, &name);
        let mut rules =
            services::expand(&value, stem).unwrap_or_else(|e| panic!("patterns/{name}: {e}"));
        for rule in &mut rules {
            let as_toml = toml::Value::try_from(&*rule).expect("a generated rule converts to TOML");
            facts.extend(facts_of(&as_toml));
            take_examples(rule, &mut examples);
        }
        // In pieces of a hundred rules: start-up parses the embedded files in parallel.
        for (piece, rules) in rules.chunks(100).enumerate() {
            let json = serde_json::to_string(&serde_json::json!({ "rules": rules }))
                .expect("generated rules convert to JSON");
            let dest = Path::new(&out_dir).join(format!("services-{stem}-{piece}.json"));
            fs::write(&dest, json).expect("OUT_DIR is writable");
            out.push_str(&format!(
                "    ({name:?}, include_str!({:?})),\n",
                dest.display().to_string()
            ));
        }
    }
    out.push_str("];\n");
    let examples_path = Path::new(&out_dir).join("examples.json");
    let examples = serde_json::to_string(&examples).expect("JSON values serialise");
    fs::write(&examples_path, examples).expect("OUT_DIR is writable");
    out.push_str(&format!(
        "/// Every embedded rule's examples and negative examples, by id: only `rules check` reads them.\npub static EXAMPLES: &str = include_str!({:?});\n",
        examples_path.display().to_string()
    ));
    facts.sort();
    out.push_str(
        "/// Each embedded rule's (id, (on_keyword_line, required_words, required_bytes)), sorted by id.\npub static FACTS: &[(&str, super::KnownFacts)] = &[\n",
    );
    out.extend(facts);
    out.push_str("];\n");
    fs::write(Path::new(&out_dir).join("patterns.rs"), out).expect("OUT_DIR is writable");
}
