//! The keyword prefilter: one search for every rule's keywords at once.
//!
//! This is the only pass over every byte of the input; a rule's regex runs only in windows
//! around the hits it reports. The search is a [`PairFilter`] (several times faster than an
//! Aho-Corasick automaton over this many case-insensitive keywords, and built in microseconds);
//! Aho-Corasick remains for keyword sets the filter cannot take.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::pair_filter::PairFilter;
use crate::rules::RuleSet;

/// All rules' keywords, deduplicated case-insensitively, each mapped to the rules that use it.
#[derive(Debug)]
pub struct Prefilter {
    search: Search,
    /// Length of the longest keyword.
    longest: usize,
    /// For keyword pattern `i`, the indexes of the rules that listed it.
    rules_of_keyword: Vec<Vec<usize>>,
}

#[derive(Debug)]
enum Search {
    Pairs(Box<PairFilter>),
    Automaton(AhoCorasick),
}

/// A keyword found in the input.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub start: usize,
    pub end: usize,
    pub keyword: usize,
}

impl Prefilter {
    /// Builds the search: a [`PairFilter`] when the keywords allow (always, for rules that
    /// pass validation), else an Aho-Corasick DFA (fastest per byte, slowest to build) for
    /// large inputs or a contiguous NFA (built in a quarter of the time) when `small_input`.
    pub fn new(rules: &RuleSet, small_input: bool) -> Result<Prefilter, aho_corasick::BuildError> {
        let (keywords, rules_of_keyword) = keywords_of(rules);
        let longest = keywords.iter().map(String::len).max().unwrap_or(0);
        if let Some(filter) = PairFilter::new(&keywords) {
            return Ok(Prefilter {
                search: Search::Pairs(Box::new(filter)),
                longest,
                rules_of_keyword,
            });
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
            search: Search::Automaton(automaton),
            longest,
            rules_of_keyword,
        })
    }

    /// Calls `on_hit` for every keyword occurrence, overlapping ones included.
    pub fn for_each_hit(&self, haystack: &[u8], mut on_hit: impl FnMut(Hit)) {
        match &self.search {
            Search::Pairs(filter) => filter.for_each_match(haystack, |keyword, range| {
                on_hit(Hit {
                    start: range.start,
                    end: range.end,
                    keyword,
                })
            }),
            Search::Automaton(automaton) => {
                for m in automaton.find_overlapping_iter(haystack) {
                    on_hit(Hit {
                        start: m.start(),
                        end: m.end(),
                        keyword: m.pattern().as_usize(),
                    });
                }
            }
        }
    }

    /// The rules that listed keyword `keyword`.
    pub fn rules_of(&self, keyword: usize) -> &[usize] {
        &self.rules_of_keyword[keyword]
    }

    /// Calls `on_hit` for every keyword occurrence that starts in `range` (whose end may lie
    /// past it), as [`Prefilter::for_each_hit`] over the whole haystack would.
    pub fn for_each_hit_starting_in(
        &self,
        haystack: &[u8],
        range: Range<usize>,
        mut on_hit: impl FnMut(Hit),
    ) {
        let end = range
            .end
            .saturating_add(self.longest.saturating_sub(1))
            .min(haystack.len());
        self.for_each_hit(&haystack[range.start..end], |hit| {
            if range.start + hit.start < range.end {
                on_hit(Hit {
                    start: range.start + hit.start,
                    end: range.start + hit.end,
                    keyword: hit.keyword,
                });
            }
        });
    }

    pub fn keyword_count(&self) -> usize {
        self.rules_of_keyword.len()
    }
}

/// Every rule's keywords, lowercased and deduplicated, with the rules that listed each.
fn keywords_of(rules: &RuleSet) -> (Vec<String>, Vec<Vec<usize>>) {
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
    (keywords, rules_of_keyword)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(prefilter: &Prefilter, haystack: &[u8]) -> Vec<(usize, usize, usize)> {
        let mut hits = Vec::new();
        prefilter.for_each_hit(haystack, |h| hits.push((h.start, h.end, h.keyword)));
        hits.sort_unstable();
        hits
    }

    #[test]
    fn pair_filter_and_automaton_agree_on_every_rule_example() {
        let mut rules = RuleSet::embedded().expect("embedded rules");
        rules.load_embedded_examples().expect("embedded examples");
        let fast = Prefilter::new(&rules, false).expect("prefilter");
        assert!(matches!(fast.search, Search::Pairs(_)));
        let (keywords, rules_of_keyword) = keywords_of(&rules);
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&keywords)
            .expect("automaton");
        let reference = Prefilter {
            search: Search::Automaton(automaton),
            longest: fast.longest,
            rules_of_keyword,
        };
        let mut text = Vec::new();
        for rule in rules.rules() {
            for example in rule
                .spec
                .examples
                .iter()
                .chain(&rule.spec.negative_examples)
            {
                text.extend_from_slice(example.as_bytes());
                text.push(b'\n');
                text.extend_from_slice(example.to_ascii_uppercase().as_bytes());
                text.push(b' ');
            }
        }
        let found = hits(&fast, &text);
        assert!(found.len() > rules.len(), "{} hits", found.len());
        assert_eq!(found, hits(&reference, &text));
        // Searched in pieces, keywords across the cuts included, the hits are the same.
        let mut pieced = Vec::new();
        for start in (0..text.len()).step_by(97) {
            let range = start..(start + 97).min(text.len());
            fast.for_each_hit_starting_in(&text, range, |h| {
                pieced.push((h.start, h.end, h.keyword))
            });
        }
        pieced.sort_unstable();
        assert_eq!(found, pieced);
    }
}
