//! Rules: what each kind of secret looks like, as data.
//!
//! A rule is read from TOML (`patterns/*.toml`, embedded at build time, plus any user file given
//! with `--config`), validated, and turned into a [`Rule`] whose regex is compiled on first use so
//! that a scan which never sees a rule's keyword never pays for compiling it. This module knows
//! nothing of files, git or reports: it answers "which rules exist and what do they match".

mod factors;
mod finite;
mod ids;
pub mod services;
mod single_line;
mod spec;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use regex_automata::meta::{Cache, Regex};
use regex_automata::util::captures::Captures;
use regex_automata::Input;

pub use ids::is_kebab_case;
pub use spec::{Allowlist, RuleFile, RuleSpec, Severity};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/patterns.rs"));
}

/// Bytes searched before a keyword hit unless a rule says otherwise (room for a variable name).
pub const DEFAULT_WINDOW_BEFORE: usize = 128;
/// Bytes searched after a keyword hit unless a rule says otherwise (room for the value).
pub const DEFAULT_WINDOW_AFTER: usize = 256;

/// Why a rule set could not be built.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("malformed rule file {path}: {message}")]
    Parse { path: String, message: String },
    // An id is printed escaped: the error is one line whatever the file holds.
    #[error("rule '{}' in {path}: {message}", .id.escape_debug())]
    Invalid {
        path: String,
        id: String,
        message: String,
    },
    #[error("rule '{}' in {path}: invalid regex: {message}", .id.escape_debug())]
    Regex {
        path: String,
        id: String,
        message: String,
    },
    #[error("rule id '{}' is defined twice ({first} and {second})", .id.escape_debug())]
    Duplicate {
        id: String,
        first: String,
        second: String,
    },
}

/// A validated rule, ready to match.
#[derive(Debug)]
pub struct Rule {
    pub spec: RuleSpec,
    /// The file the rule came from (`patterns/aws.toml`, or a user config path).
    pub origin: String,
    /// `None` if the regex failed to compile: impossible for embedded rules (a test compiles
    /// every one) and for user rules (compiled when loaded), but never a panic if it happens.
    /// Boxed: a compiled regex and its cache are ten times the rest of a rule, and the rule
    /// set holds hundreds of rules that a scan never compiles.
    regex: OnceLock<Option<Box<CompiledRegex>>>,
    /// What the rule's facts let a scan skip without running (or compiling) the regex.
    gate: OnceLock<Gate>,
    /// For an embedded rule, what the build read off its regex.
    known_facts: Option<KnownFacts>,
    allow_regexes: OnceLock<Vec<AllowRegex>>,
    allow_match_regexes: OnceLock<Vec<AllowRegex>>,
    stopwords_lower: Vec<String>,
}

/// A rule's regex with the index of the capture group that holds the secret.
#[derive(Debug)]
pub struct CompiledRegex {
    pub regex: Regex,
    /// The `secret` named group, if the rule has one; otherwise the first group that took part.
    pub secret_group: Option<usize>,
    /// The search cache (and captures) that threads take turns with. The lazy DFA builds its
    /// states in the cache, and building them is most of what a regex costs in small windows;
    /// with one cache per thread, every thread built the same states again.
    shared_cache: Mutex<(Cache, Captures)>,
}

/// A search for the words of which every match of a rule holds one, ignoring ASCII case.
#[derive(Debug)]
enum RequiredWords {
    /// The prefilter's own search, several times faster than an automaton: windows of the
    /// rules with required words run to hundreds of bytes, and the generic ones to megabytes
    /// in a scan.
    Pairs(Box<crate::engine::PairFilter>),
    /// Where the pair search cannot take the words (a word of one byte).
    Automaton(aho_corasick::AhoCorasick),
}

impl RequiredWords {
    fn new(words: Vec<Vec<u8>>) -> Option<RequiredWords> {
        if let Some(pairs) = crate::engine::PairFilter::new(&words) {
            return Some(RequiredWords::Pairs(Box::new(pairs)));
        }
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(words)
            .ok()
            .map(RequiredWords::Automaton)
    }

    /// Whether one of the words occurs in `window`.
    fn occur_in(&self, window: &[u8]) -> bool {
        match self {
            RequiredWords::Pairs(pairs) => {
                let mut found = false;
                pairs.for_each_match(window, |_, _| found = true);
                found
            }
            RequiredWords::Automaton(automaton) => automaton.is_match(window),
        }
    }
}

/// What a rule's facts (read off its regex, by the build for embedded rules) let a scan skip
/// without the regex: a window where a match is impossible needs no search, and a rule whose
/// every window is such needs no compiling (a tenth to a fifth of the rules whose keywords a
/// scan meets).
#[derive(Debug, Default)]
pub struct Gate {
    /// Every match holds one of the rule's keywords and no newline but at its ends: a match
    /// lies on the line of a keyword hit.
    pub on_keyword_line: bool,
    /// Words of which every match holds one, other than the keywords (`token` in a Vault
    /// rule keyed on `vault`; `public` and `private` in the default-community rule): a window
    /// without one cannot match.
    required_words: Option<RequiredWords>,
    /// At most three bytes of which every match holds one (`=` or `:`); empty if none is known.
    required_bytes: Vec<u8>,
}

impl Gate {
    fn new(on_keyword_line: bool, words: Option<Vec<Vec<u8>>>, bytes: Option<Vec<u8>>) -> Gate {
        Gate {
            on_keyword_line,
            required_words: words.and_then(RequiredWords::new),
            required_bytes: bytes.unwrap_or_default(),
        }
    }

    /// Whether a match is impossible in `window` because none of the bytes, or none of the
    /// words, of which every match holds one is there.
    pub fn cannot_match(&self, window: &[u8]) -> bool {
        let lacks_bytes = match self.required_bytes[..] {
            [a] => memchr::memchr(a, window).is_none(),
            [a, b] => memchr::memchr2(a, b, window).is_none(),
            [a, b, c] => memchr::memchr3(a, b, c, window).is_none(),
            _ => false,
        };
        lacks_bytes
            || self
                .required_words
                .as_ref()
                .is_some_and(|words| !words.occur_in(window))
    }
}

impl CompiledRegex {
    /// Calls `on_match` with the captures of each match in `input`, leftmost first, and
    /// returns `true`; or, when another thread is using the regex and `wait` is `false`, does
    /// nothing and returns `false`, so that the caller can do other work first. (Searching
    /// with a cache of its own instead would build the same lazy-DFA states a second time.)
    pub fn for_each_match(
        &self,
        input: Input<'_>,
        wait: bool,
        mut on_match: impl FnMut(&Captures),
    ) -> bool {
        let mut shared = match self.shared_cache.try_lock() {
            Ok(shared) => shared,
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) if !wait => return false,
            Err(std::sync::TryLockError::WouldBlock) => self.wait_for_cache(),
        };
        // The captures live beside the cache, so that a window costs no allocation.
        let (cache, caps) = &mut *shared;
        let mut input = input;
        loop {
            self.regex.search_captures_with(cache, &input, caps);
            let Some(found) = caps.get_match() else {
                return true;
            };
            on_match(caps);
            let next = if found.is_empty() {
                found.end() + 1
            } else {
                found.end()
            };
            if next > input.end() {
                return true;
            }
            input.set_start(next);
        }
    }

    /// Takes the cache from the thread that holds it. That thread is searching one window,
    /// which takes microseconds: spinning that long is cheaper than going to sleep, which
    /// costs a switch on each side and, on a virtual machine, tens of microseconds to wake.
    fn wait_for_cache(&self) -> std::sync::MutexGuard<'_, (Cache, Captures)> {
        for _ in 0..SPINS_BEFORE_SLEEP {
            match self.shared_cache.try_lock() {
                Ok(shared) => return shared,
                Err(std::sync::TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => std::hint::spin_loop(),
            }
        }
        self.shared_cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How many times [`CompiledRegex::wait_for_cache`] tries the lock (a `pause` apart, some tens
/// of nanoseconds) before it sleeps.
const SPINS_BEFORE_SLEEP: usize = 1000;

impl Rule {
    fn new(spec: RuleSpec, origin: String) -> Rule {
        let stopwords_lower = spec
            .allowlist
            .stopwords
            .iter()
            .map(|w| w.to_ascii_lowercase())
            .collect();
        Rule {
            spec,
            origin,
            regex: OnceLock::new(),
            gate: OnceLock::new(),
            known_facts: None,
            allow_regexes: OnceLock::new(),
            allow_match_regexes: OnceLock::new(),
            stopwords_lower,
        }
    }

    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// What the rule's facts let a scan skip, worked out on first use: from what the build
    /// read off an embedded rule's regex, or read off a user rule's now.
    pub fn gate(&self) -> &Gate {
        self.gate.get_or_init(|| match self.known_facts {
            Some((on_keyword_line, words, bytes)) => Gate::new(
                on_keyword_line,
                words.map(|words| words.iter().map(|w| w.to_vec()).collect()),
                bytes.map(<[u8]>::to_vec),
            ),
            // A regex that does not parse has no facts (and never runs: see `regex`).
            None => parse(&self.spec.regex).map_or_else(
                |_| Gate::default(),
                |hir| {
                    let facts = factors::of(&hir, &self.spec.keywords);
                    Gate::new(
                        facts.on_keyword_line,
                        facts.required_words,
                        facts.required_bytes,
                    )
                },
            ),
        })
    }

    /// The compiled regex, compiling it on first use.
    pub fn regex(&self) -> Option<&CompiledRegex> {
        self.regex
            .get_or_init(|| self.compile_regex().ok().map(Box::new))
            .as_deref()
    }

    /// Compiles the regex and the allowlist regexes now, naming this rule in any error.
    pub fn compile_all(&self) -> Result<(), RuleError> {
        let error = |message: String| RuleError::Regex {
            path: self.origin.clone(),
            id: self.spec.id.clone(),
            message,
        };
        let compiled = self.compile_regex().map_err(error)?;
        let allow = |patterns: &[String]| -> Result<Vec<AllowRegex>, RuleError> {
            patterns
                .iter()
                .map(|p| {
                    allowlist_regex(p)
                        .map_err(|e| error(format!("allowlist: {}", one_line(&e.to_string()))))
                })
                .collect()
        };
        let secret_allow = allow(&self.spec.allowlist.regexes)?;
        let match_allow = allow(&self.spec.allowlist.match_regexes)?;
        let _ = self.regex.set(Some(Box::new(compiled)));
        let _ = self.allow_regexes.set(secret_allow);
        let _ = self.allow_match_regexes.set(match_allow);
        Ok(())
    }

    fn compile_regex(&self) -> Result<CompiledRegex, String> {
        compile_regex(&self.spec.regex)
    }

    /// Bytes before a keyword hit that the regex may need to see.
    pub fn window_before(&self) -> usize {
        self.spec.window_before.unwrap_or(DEFAULT_WINDOW_BEFORE)
    }

    /// Bytes after a keyword hit that the regex may need to see.
    pub fn window_after(&self) -> usize {
        self.spec.window.unwrap_or(DEFAULT_WINDOW_AFTER)
    }

    /// Does the rule's own allowlist mark this secret (or the whole match) as not a secret?
    pub fn is_allowed(&self, secret: &[u8], whole_match: &[u8]) -> bool {
        if !self.stopwords_lower.is_empty() {
            let lower = secret.to_ascii_lowercase();
            if self
                .stopwords_lower
                .iter()
                .any(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some())
            {
                return true;
            }
        }
        let secret_res = self
            .allow_regexes
            .get_or_init(|| compile_allowlist(&self.spec.allowlist.regexes));
        if secret_res.iter().any(|re| re.is_match(secret)) {
            return true;
        }
        let match_res = self
            .allow_match_regexes
            .get_or_init(|| compile_allowlist(&self.spec.allowlist.match_regexes));
        match_res.iter().any(|re| re.is_match(whole_match))
    }
}

/// An allowlist regex, shared: a `Regex` clone would search with caches of its own, and build
/// its lazy DFA's states again.
type AllowRegex = Arc<AllowPattern>;

/// An allowlist regex, searched as up to two: its alternatives anchored at the start of the
/// value, and the others. An anchored search follows only what can match from the first byte,
/// where an unanchored one carries every alternative along the whole value, and its lazy DFA
/// builds new states for nearly every value checked.
#[derive(Debug)]
struct AllowPattern {
    parts: Vec<Regex>,
}

impl AllowPattern {
    fn is_match(&self, haystack: &[u8]) -> bool {
        self.parts.iter().any(|re| re.is_match(haystack))
    }
}

/// The regexes an allowlist pattern is searched as, or why it is not a valid regex.
fn allow_parts(pattern: &str) -> Result<Vec<Regex>, String> {
    use regex_syntax::hir::{Hir, HirKind};
    let hir = parse(pattern)?;
    let build = |hir: &Hir| {
        Regex::builder()
            .build_from_hir(hir)
            .map_err(|e| one_line(&e.to_string()))
    };
    let HirKind::Alternation(branches) = hir.kind() else {
        return Ok(vec![build(&hir)?]);
    };
    let (anchored, floating): (Vec<Hir>, Vec<Hir>) = branches.iter().cloned().partition(|b| {
        b.properties()
            .look_set_prefix()
            .contains(regex_syntax::hir::Look::Start)
    });
    if anchored.is_empty() || floating.is_empty() {
        return Ok(vec![build(&hir)?]);
    }
    Ok(vec![
        build(&Hir::alternation(anchored))?,
        build(&Hir::alternation(floating))?,
    ])
}

/// Compiles allowlist regexes on first use; one that does not compile is left out (impossible
/// for embedded rules, which a test compiles, and for user rules, compiled when loaded).
fn compile_allowlist(patterns: &[String]) -> Vec<AllowRegex> {
    patterns
        .iter()
        .filter_map(|p| allowlist_regex(p).ok())
        .collect()
}

/// An allowlist regex, with ASCII classes like the rule regexes: secrets are ASCII, and
/// Unicode tables make a regex several times dearer to compile. Rules of one family share
/// allowlists (the network-gear rules share one of some 200 words), so each pattern is
/// compiled once per process.
fn allowlist_regex(pattern: &str) -> Result<AllowRegex, String> {
    type Cache = Mutex<HashMap<String, AllowRegex>>;
    static COMPILED: OnceLock<Cache> = OnceLock::new();
    let cache = COMPILED.get_or_init(Default::default);
    if let Some(regex) = cache.lock().ok().and_then(|c| c.get(pattern).cloned()) {
        return Ok(regex);
    }
    let regex = Arc::new(AllowPattern {
        parts: allow_parts(pattern)?,
    });
    if let Ok(mut c) = cache.lock() {
        c.insert(pattern.to_string(), regex.clone());
    }
    Ok(regex)
}

/// The syntax tree of a rule or allowlist regex: ASCII classes (`\w`, `\s`, `\b` are ASCII
/// unless a pattern opts into `(?u)`), over arbitrary bytes.
fn parse(pattern: &str) -> Result<regex_syntax::hir::Hir, String> {
    let syntax = regex_automata::util::syntax::Config::new()
        .unicode(false)
        .utf8(false);
    regex_automata::util::syntax::parse_with(pattern, &syntax).map_err(|e| one_line(&e.to_string()))
}

/// An embedded rule's facts, worked out by the build: (on_keyword_line, required_words,
/// required_bytes).
type KnownFacts = (
    bool,
    Option<&'static [&'static [u8]]>,
    Option<&'static [u8]>,
);

/// Compiles a rule regex the way the engine runs it: ASCII classes (`\w`, `\s`, `\b` are ASCII
/// unless a rule opts into `(?u)`) over arbitrary bytes, which keeps every search on a DFA.
pub fn compile_regex(pattern: &str) -> Result<CompiledRegex, String> {
    let hir = parse(pattern)?;
    let regex = Regex::builder()
        // Rule regexes run only in small windows around keyword hits, where a literal
        // prefilter saves nothing; extracting one costs half of the compile time.
        .configure(Regex::config().auto_prefilter(false))
        .build_from_hir(&hir)
        .map_err(|e| one_line(&e.to_string()))?;
    let info = regex.group_info();
    let groups = info.group_len(regex_automata::PatternID::ZERO);
    if groups < 2 {
        return Err("the regex has no capture group for the secret".to_string());
    }
    let secret_group = info.to_index(regex_automata::PatternID::ZERO, "secret");
    Ok(CompiledRegex {
        shared_cache: Mutex::new((regex.create_cache(), regex.create_captures())),
        regex,
        secret_group,
    })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every rule leakhound knows, in a fixed order (embedded files by name, then user files).
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Each rule's index by id.
    by_id: HashMap<String, usize>,
}

impl RuleSet {
    /// The rules embedded in the binary.
    pub fn embedded() -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::default();
        set.rules.reserve(embedded::FACTS.len());
        // Parsed in parallel: with the named-service table, parsing is most of start-up.
        use rayon::prelude::*;
        let files: Vec<(String, Result<RuleFile, RuleError>)> = embedded::EMBEDDED
            .par_iter()
            .map(|(name, json)| {
                let origin = format!("patterns/{name}");
                let file = serde_json::from_str(json).map_err(|e| RuleError::Parse {
                    path: origin.clone(),
                    message: one_line(&e.to_string()),
                });
                (origin, file)
            })
            .collect();
        for (origin, file) in files {
            set.add_specs(&origin, file?, false)?;
        }
        for rule in &mut set.rules {
            rule.known_facts = embedded::FACTS
                .binary_search_by(|(id, ..)| (*id).cmp(rule.spec.id.as_str()))
                .ok()
                .map(|i| embedded::FACTS[i].1);
        }
        Ok(set)
    }

    /// Gives the embedded rules their examples, which [`RuleSet::embedded`] leaves out: only
    /// `rules check` and tests run them.
    pub fn load_embedded_examples(&mut self) -> Result<(), RuleError> {
        let parse_error = |e: serde_json::Error| RuleError::Parse {
            path: "patterns (examples)".to_string(),
            message: one_line(&e.to_string()),
        };
        let mut all: HashMap<String, (Vec<String>, Vec<String>)> =
            serde_json::from_str(embedded::EXAMPLES).map_err(parse_error)?;
        for rule in &mut self.rules {
            if !rule.origin.starts_with("patterns/") {
                continue;
            }
            if let Some((positive, negative)) = all.remove(&rule.spec.id) {
                rule.spec.examples = positive;
                rule.spec.negative_examples = negative;
            }
        }
        Ok(())
    }

    /// Parses and validates rules from TOML text. `compile_now` compiles every regex of each
    /// rule immediately, so a broken one is an error now (user rules). Otherwise regexes are
    /// compiled on first use: that is for the embedded rules, which a test compiles in full, and
    /// keeps start-up in the low milliseconds (the pre-commit hook runs on every commit).
    pub fn add_toml(
        &mut self,
        origin: &str,
        text: &str,
        compile_now: bool,
    ) -> Result<(), RuleError> {
        let file: RuleFile = toml::from_str(text).map_err(|e| RuleError::Parse {
            path: origin.to_string(),
            message: one_line(e.message()),
        })?;
        self.add_specs(origin, file, compile_now)
    }

    /// Validates parsed rules and adds them (see [`RuleSet::add_toml`] for `compile_now`).
    fn add_specs(
        &mut self,
        origin: &str,
        file: RuleFile,
        compile_now: bool,
    ) -> Result<(), RuleError> {
        for spec in file.rules {
            let invalid = |message: String| RuleError::Invalid {
                path: origin.to_string(),
                id: spec.id.clone(),
                message,
            };
            spec.validate().map_err(&invalid)?;
            if compile_now {
                spec.validate_examples().map_err(&invalid)?;
            }
            if let Some(&index) = self.by_id.get(&spec.id) {
                let first = self.rules[index].origin.clone();
                return Err(RuleError::Duplicate {
                    id: spec.id.clone(),
                    first,
                    second: origin.to_string(),
                });
            }
            let rule = Rule::new(spec, origin.to_string());
            if compile_now {
                rule.compile_all()?;
            }
            self.by_id.insert(rule.spec.id.clone(), self.rules.len());
            self.rules.push(rule);
        }
        Ok(())
    }

    /// Adds user rules given as parsed specs (a configuration's `[[rules]]`), compiling their
    /// regexes now so that a broken one is an error before the scan starts.
    pub fn add_user_rules(&mut self, origin: &str, specs: Vec<RuleSpec>) -> Result<(), RuleError> {
        self.add_specs(origin, RuleFile { rules: specs }, true)
    }

    /// Adds a named service of a user configuration (a `[[services]]` entry, the format of
    /// `patterns/services/*.toml`) as its rule; a bad entry is an error naming the service.
    pub fn add_user_service(&mut self, origin: &str, entry: &toml::Value) -> Result<(), RuleError> {
        let invalid = |message: String| RuleError::Invalid {
            path: origin.to_string(),
            id: entry
                .get("id")
                .and_then(toml::Value::as_str)
                .unwrap_or("?")
                .to_string(),
            message,
        };
        let rule = services::Service::from_toml(entry, "user")
            .map_err(invalid)?
            .to_rule();
        let spec: RuleSpec = serde_json::from_value(rule).map_err(|e| invalid(e.to_string()))?;
        self.add_user_rules(origin, vec![spec])
    }

    /// Changes a rule's severity; `false` if no rule has that id.
    pub fn set_severity(&mut self, id: &str, severity: Severity) -> bool {
        match self.by_id.get(id) {
            Some(&index) => {
                self.rules[index].spec.severity = severity;
                true
            }
            None => false,
        }
    }

    /// Removes the rules with these ids (ids no rule has are ignored).
    pub fn disable<'a>(&mut self, ids: impl IntoIterator<Item = &'a str>) {
        let ids: std::collections::HashSet<&str> = ids.into_iter().collect();
        if ids.is_empty() {
            return;
        }
        self.rules.retain(|r| !ids.contains(r.spec.id.as_str()));
        self.by_id = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.spec.id.clone(), i))
            .collect();
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn get(&self, index: usize) -> &Rule {
        &self.rules[index]
    }

    pub fn find(&self, id: &str) -> Option<&Rule> {
        self.by_id.get(id).map(|&index| &self.rules[index])
    }
}

/// What the tests of the regex analyses share.
#[cfg(test)]
mod test_syntax {
    /// A regex's syntax tree as rule regexes are compiled: ASCII classes, over any bytes.
    pub fn hir(pattern: &str) -> regex_syntax::hir::Hir {
        regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(pattern)
            .expect("pattern")
    }

    /// Words as strings, sorted, for comparing.
    pub fn sorted(words: Vec<Vec<u8>>) -> Vec<String> {
        let mut words: Vec<String> = words
            .into_iter()
            .map(|w| String::from_utf8(w).expect("ascii"))
            .collect();
        words.sort();
        words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::DEMO_RULE as GOOD;

    #[test]
    fn embedded_rules_load_and_compile() {
        let set = RuleSet::embedded().expect("embedded rules are valid");
        assert!(!set.is_empty());
        assert!(set.rules().iter().all(|r| r.spec.examples.is_empty()));
        for rule in crate::test_support::embedded_with_examples().rules() {
            rule.compile_all().unwrap_or_else(|e| panic!("{e}"));
            rule.spec
                .validate_examples()
                .unwrap_or_else(|e| panic!("{}: {e}", rule.id()));
        }
    }

    #[test]
    fn user_rules_are_added() {
        let mut set = RuleSet::default();
        set.add_toml("user.toml", GOOD, true).unwrap();
        assert_eq!(set.len(), 1);
        assert!(set.find("demo-token").is_some());
    }

    #[test]
    fn broken_regex_names_the_rule() {
        let text = GOOD.replace(r"[a-z0-9]{8}", r"[a-z0-9{8}");
        let err = RuleSet::default()
            .add_toml("user.toml", &text, true)
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("demo-token"), "{msg}");
        assert!(msg.contains("invalid regex"), "{msg}");
        assert!(!msg.contains('\n'), "one line: {msg}");
    }

    #[test]
    fn regex_without_group_is_rejected() {
        let text = GOOD.replace(r"\b(demo_[a-z0-9]{8})\b", r"\bdemo_[a-z0-9]{8}\b");
        let err = RuleSet::default()
            .add_toml("u.toml", &text, true)
            .unwrap_err();
        assert!(err.to_string().contains("capture group"), "{err}");
    }

    #[test]
    fn duplicate_ids_are_rejected() {
        let mut set = RuleSet::default();
        set.add_toml("a.toml", GOOD, true).unwrap();
        let err = set.add_toml("b.toml", GOOD, true).unwrap_err();
        assert!(matches!(err, RuleError::Duplicate { .. }), "{err}");
    }

    #[test]
    fn broken_allowlist_regex_names_the_rule() {
        let text = GOOD.replace(
            "negative_examples",
            "allowlist = { regexes = ['(unclosed'] }\nnegative_examples",
        );
        let err = RuleSet::default()
            .add_toml("u.toml", &text, true)
            .unwrap_err();
        assert!(
            err.to_string().contains("demo-token") && err.to_string().contains("allowlist"),
            "{err}"
        );
    }

    #[test]
    fn malformed_toml_is_one_line() {
        let err = RuleSet::default()
            .add_toml("bad.toml", "[[rules]\nid = ", true)
            .unwrap_err();
        assert!(matches!(err, RuleError::Parse { .. }));
        assert!(!err.to_string().contains('\n'));
    }

    #[test]
    fn allowlists_search_anchored_alternatives_apart() {
        let pattern = r"(?x) ^[a-z]+$ | ^\$\{ | :: | \.txt$";
        let parts = allow_parts(pattern).expect("valid");
        assert_eq!(parts.len(), 2);
        let split = AllowPattern { parts };
        let whole = regex::bytes::RegexBuilder::new(pattern)
            .unicode(false)
            .build()
            .expect("valid");
        for value in [
            "abc",
            "aB",
            "${X}",
            "x${",
            "a::b",
            "notes.txt",
            "txt",
            "A1",
            "",
        ] {
            let value = value.as_bytes();
            assert_eq!(split.is_match(value), whole.is_match(value), "{value:?}");
        }
        assert_eq!(allow_parts(r"^a$|^b").map(|p| p.len()), Ok(1));
        assert_eq!(allow_parts(r"a|b").map(|p| p.len()), Ok(1));
        assert!(allow_parts(r"(a").is_err());
    }

    #[test]
    fn named_secret_group_wins() {
        let c = compile_regex(r"(key)=(?P<secret>[a-z]+)").unwrap();
        assert_eq!(c.secret_group, Some(2));
    }
}
#[cfg(test)]
mod required_word_rules {
    use super::*;

    #[test]
    fn windows_without_a_required_word_are_skipped() {
        let rules = RuleSet::embedded().expect("embedded rules");
        let with_words: Vec<&str> = rules
            .rules()
            .iter()
            .filter(|r| r.gate().required_words.is_some())
            .map(|r| r.id())
            .collect();
        assert!(with_words.contains(&"snmp-community-default"));
        assert!(with_words.contains(&"vault-legacy-token"));
        assert!(!with_words.contains(&"github-pat"));
        let default = rules.find("snmp-community-default").map(Rule::gate);
        let default = default.expect("exists");
        assert!(default.cannot_match(b"snmp-server community hY8Cgo RO"));
        assert!(!default.cannot_match(b"snmp-server community PUBLIC RO"));
        let vault = rules.find("vault-legacy-token").map(Rule::gate);
        let vault = vault.expect("exists");
        assert!(vault.cannot_match(b"vault:\n  address: https://vault.example:8200\n"));
        assert!(!vault.cannot_match(b"vault:\n  Token: s.abc\n"));
    }
}

#[cfg(test)]
mod keyword_line_rules {
    use super::*;

    /// The rules with the most keyword hits in real trees search only their keyword's line; a
    /// change to their regex or keywords that loses this makes them several times dearer.
    #[test]
    fn busy_one_line_rules_search_only_the_keyword_line() {
        let rules = RuleSet::embedded().expect("embedded rules");
        let on_line = |id: &str| rules.find(id).is_some_and(|r| r.gate().on_keyword_line);
        for id in ["generic-secret", "url-basic-auth", "github-pat"] {
            assert!(on_line(id), "{id}");
        }
        // Its keyword is context on another line; its matches may cross lines.
        assert!(!on_line("kubernetes-secret-string-data"));
        assert!(!on_line("private-key-pem"));
    }
}

#[cfg(test)]
mod known_facts {
    use super::*;

    /// The build works out the embedded rules' facts with the same code as the library; this
    /// checks that what it wrote is what the library reads off each regex now.
    #[test]
    fn the_build_facts_match_the_regexes() {
        let rules = RuleSet::embedded().expect("embedded rules");
        assert_eq!(rules.len(), embedded::FACTS.len());
        for rule in rules.rules() {
            let (on_keyword_line, required, bytes) =
                rule.known_facts.expect("embedded rules have facts");
            let facts = factors::of(&test_syntax::hir(&rule.spec.regex), &rule.spec.keywords);
            assert_eq!(facts.on_keyword_line, on_keyword_line, "{}", rule.id());
            let required: Option<Vec<Vec<u8>>> =
                required.map(|ws| ws.iter().map(|w| w.to_vec()).collect());
            assert_eq!(facts.required_words, required, "{}", rule.id());
            assert_eq!(facts.required_bytes.as_deref(), bytes, "{}", rule.id());
        }
    }
}
