//! The keyword prefilter: one Aho-Corasick automaton over every rule's keywords.
//!
//! This is the only pass over every byte of the input; a rule's regex runs only in windows
//! around the hits it reports.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::rules::RuleSet;

/// All rules' keywords, deduplicated case-insensitively, each mapped to the rules that use it.
#[derive(Debug)]
pub struct Prefilter {
    automaton: AhoCorasick,
    /// For keyword pattern `i`, the indexes of the rules that listed it.
    rules_of_keyword: Vec<Vec<usize>>,
}

/// A keyword found in the input.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub start: usize,
    pub end: usize,
    pub keyword: usize,
}

impl Prefilter {
    /// Builds the automaton: a DFA (fastest per byte, slowest to build) for large inputs, a
    /// contiguous NFA (built in a quarter of the time) when `small_input`.
    pub fn new(rules: &RuleSet, small_input: bool) -> Result<Prefilter, aho_corasick::BuildError> {
        let mut keywords: Vec<String> = Vec::new();
        let mut rules_of_keyword: Vec<Vec<usize>> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        for (rule_index, rule) in rules.rules().iter().enumerate() {
            for keyword in &rule.spec.keywords {
                let lower = keyword.to_ascii_lowercase();
                let k = *index.entry(lower.clone()).or_insert_with(|| {
                    keywords.push(lower);
                    rules_of_keyword.push(Vec::new());
                    keywords.len() - 1
                });
                if !rules_of_keyword[k].contains(&rule_index) {
                    rules_of_keyword[k].push(rule_index);
                }
            }
        }
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(if small_input {
                AhoCorasickKind::ContiguousNFA
            } else {
                AhoCorasickKind::DFA
            }))
            .build(&keywords)?;
        Ok(Prefilter {
            automaton,
            rules_of_keyword,
        })
    }

    /// Calls `on_hit` for every keyword occurrence, overlapping ones included.
    pub fn for_each_hit(&self, haystack: &[u8], mut on_hit: impl FnMut(Hit)) {
        for m in self.automaton.find_overlapping_iter(haystack) {
            on_hit(Hit {
                start: m.start(),
                end: m.end(),
                keyword: m.pattern().as_usize(),
            });
        }
    }

    /// The rules that listed keyword `keyword`.
    pub fn rules_of(&self, keyword: usize) -> &[usize] {
        &self.rules_of_keyword[keyword]
    }

    pub fn keyword_count(&self) -> usize {
        self.rules_of_keyword.len()
    }
}
