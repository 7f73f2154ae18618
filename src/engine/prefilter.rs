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
///
/// Keywords of rules that say a match always has one of its `near_words` close by (the
/// named-service table: a service's name is only worth a look beside `key`, `token`, `secret`...)
/// are *gated*: the near words join the first pass, and the gated keywords are searched only in
/// the few bytes around their hits. A thousand letter-only service names would otherwise cost a
/// pass or more over every byte, or make the one pass verify most positions inside words.
#[derive(Debug)]
pub struct Prefilter {
    /// Every keyword that is not gated, and the near words.
    main: Part,
    /// The gated keywords, searched around near-word hits only.
    gated: Option<Part>,
    /// For each keyword of `main` (by local index), what a hit of it calls for: read at every
    /// hit, so in one array.
    main_hits: Vec<MainHit>,
    /// For keyword `i` (global index), the indexes of the rules that listed it (none for a
    /// near word that no rule lists as a keyword).
    rules_of_keyword: Vec<Vec<usize>>,
}

/// What a hit of a keyword of the main search calls for.
#[derive(Debug, Clone, Copy)]
struct MainHit {
    /// The keyword's global index.
    keyword: usize,
    /// Whether it is a near word: a hit may open a region for the gated keywords.
    near_word: bool,
    /// Whether some rule lists it: a hit is reported.
    listed: bool,
}

/// One search and the global index of each of its keywords.
#[derive(Debug)]
struct Part {
    search: Search,
    global: Vec<usize>,
    longest: usize,
}

impl Part {
    /// The search `search` builds over `keywords` (each with its global index).
    fn new(
        keywords: &[(String, usize)],
        search: impl FnOnce(&[String]) -> Result<Search, aho_corasick::BuildError>,
    ) -> Result<Part, aho_corasick::BuildError> {
        let words: Vec<String> = keywords.iter().map(|(k, _)| k.clone()).collect();
        Ok(Part {
            search: search(&words)?,
            global: keywords.iter().map(|&(_, g)| g).collect(),
            longest: words.iter().map(String::len).max().unwrap_or(0),
        })
    }
}

#[derive(Debug)]
enum Search {
    /// One filter per [`KEYWORDS_PER_FILTER`] keywords, each with the local index of its
    /// first keyword.
    Pairs(Vec<(PairFilter, usize)>),
    Automaton(AhoCorasick),
}

/// Keywords one [`PairFilter`] takes before its buckets stop being selective. With 8 buckets, a
/// few thousand letter-only keywords leave nearly every pair of letters allowed in every lane,
/// and most positions inside words get verified.
const KEYWORDS_PER_FILTER: usize = 1024;

/// How far from a near word a gated keyword may start: [`NEAR`] bytes after the near word's end,
/// or [`NEAR`] plus the keyword's own length before the near word's start.
pub const NEAR: usize = 24;

// The named-service regexes reach no further from a key word than this: before one, their gap
// and the name itself (the margin adds the longest keyword); after one, their gap and a
// separator.
const _: () = assert!(
    crate::rules::services::GAP_AFTER_NAME <= NEAR
        && crate::rules::services::GAP_AFTER_KEY_WORD < NEAR
        && crate::rules::services::MIN_LENGTH >= VALUE_MIN
);

/// How far after a near word, on its line, the secret of a gated rule starts at the latest.
pub const VALUE_REACH: usize = 128;
/// The fewest bytes a gated rule's secret has.
pub const VALUE_MIN: usize = 12;

/// Whether a secret of a gated rule can follow a near word that ends at `from`: a run of at least
/// [`VALUE_MIN`] letters, digits and `+/=_-`, a digit among them, starting on the same line within
/// [`VALUE_REACH`] bytes. Most near words in code (`Key *string`, `fn token(&self)`,
/// `NextToken: nil`) have none, and open no region.
///
/// The scan remembers what it saw last: near words come in order and often several to a line
/// (`api_key = token.get("key")`), and a later one's answer mostly follows from the earlier scan
/// without reading its bytes again. (The tests hold it to a plain scan of each near word.)
#[derive(Debug, Default)]
struct ValueScan {
    /// Where the last scan started, and what it found.
    from: usize,
    seen: Seen,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// Nothing remembered.
    #[default]
    Nothing,
    /// No run from `from` up to the newline at this position.
    NoneToNewline(usize),
    /// No run from `from` up to this byte, which is no value byte and lies past the reach.
    NoneToByte(usize),
    /// A run that starts here.
    RunAt(usize),
}

impl ValueScan {
    fn follows(&mut self, haystack: &[u8], from: usize) -> bool {
        // Every run between a later start and where the last scan stopped is part of a run the
        // last scan saw (or a shorter piece of one), so the answer carries over; a run found
        // carries over to every start up to its own.
        let resume = match self.seen {
            _ if from < self.from => from,
            Seen::NoneToNewline(newline) if from <= newline => return false,
            Seen::NoneToByte(stop) if from <= stop => stop,
            Seen::RunAt(run) if from <= run => return true,
            _ => from,
        };
        self.from = from;
        self.seen = scan_for_value(haystack, from, resume);
        matches!(self.seen, Seen::RunAt(_))
    }
}

/// Looks for a run from `resume` on (the bytes from `from` to `resume` are known to hold none,
/// and `resume`, if past `from`, is no value byte).
///
/// Eight bytes at a time, as bit masks (a byte loop mispredicts at every run's end, and this
/// runs after every near word). What the bytes hold decides it: the first run of at least
/// [`VALUE_MIN`] bytes with a digit, unless a newline, or a byte of no value at or past the
/// reach, comes first. A run that short never fits inside one word with a break at each end, so
/// only the run carried into a word can qualify where it ends.
fn scan_for_value(haystack: &[u8], from: usize, resume: usize) -> Seen {
    let reach = from.saturating_add(VALUE_REACH);
    // The run that reaches the current word: where it starts, and whether it has a digit.
    let mut run_start = resume;
    let mut run_digit = false;
    let mut at = resume;
    while at < haystack.len() {
        let word = &haystack[at..haystack.len().min(at + 8)];
        let Masks {
            value,
            digit,
            newline,
        } = Masks::of(word);
        let valid = u8::MAX >> (8 - word.len());
        if value == u8::MAX {
            run_digit |= digit != 0;
            at += 8;
            if at - run_start >= VALUE_MIN && run_digit {
                return Seen::RunAt(run_start);
            }
            continue;
        }
        // The carried run ends at the first byte of no value (padding past the end included).
        let ends = value.trailing_ones();
        run_digit |= digit & low_bits(ends) != 0;
        if at + ends as usize - run_start >= VALUE_MIN && run_digit {
            return Seen::RunAt(run_start);
        }
        let past_reach = match reach.checked_sub(at) {
            Some(lanes) if lanes < 8 => u8::MAX << lanes,
            Some(_) => 0,
            None => u8::MAX,
        };
        let stops = (newline | (!value & past_reach)) & valid;
        if stops != 0 {
            let stop = stops.trailing_zeros();
            let i = at + stop as usize;
            return if newline >> stop & 1 == 1 {
                Seen::NoneToNewline(i)
            } else {
                Seen::NoneToByte(i)
            };
        }
        if word.len() < 8 {
            break;
        }
        // The run that the word's last bytes begin, carried into the next word.
        let last_break = 7 - (!value).leading_zeros();
        run_start = at + last_break as usize + 1;
        run_digit = digit >> last_break >> 1 != 0;
        at += 8;
    }
    Seen::NoneToNewline(haystack.len())
}

/// The lowest `n` bits of a byte.
fn low_bits(n: u32) -> u8 {
    (u8::MAX as u16 >> (8 - n.min(8))) as u8
}

/// For up to 8 bytes, one bit each (bit `k` for byte `k`): which are value bytes (letters,
/// digits, `+/=_-`), digits, newlines.
struct Masks {
    value: u8,
    digit: u8,
    newline: u8,
}

impl Masks {
    #[inline]
    fn of(bytes: &[u8]) -> Masks {
        // Each byte's class bits in its own lane (a whole word unrolled, a short tail byte by
        // byte), then bit `b` of every lane gathered into one byte by a multiplication.
        let mut lanes = 0u64;
        if let Ok(word) = <&[u8; 8]>::try_from(bytes) {
            for (k, &b) in word.iter().enumerate() {
                lanes |= (VALUE_BYTE[b as usize] as u64) << (8 * k);
            }
        } else {
            for (k, &b) in bytes.iter().enumerate() {
                lanes |= (VALUE_BYTE[b as usize] as u64) << (8 * k);
            }
        }
        let gather = |bit: u32| {
            ((lanes >> bit & 0x0101_0101_0101_0101).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8
        };
        Masks {
            value: gather(0),
            digit: gather(1),
            newline: gather(2),
        }
    }
}

/// The class bits of [`VALUE_BYTE`].
const VALUE: u8 = 1;
const DIGIT: u8 = 2;
const NEWLINE: u8 = 4;

/// [`scan_for_value`]'s class of each byte (a table: it runs after every near word).
static VALUE_BYTE: [u8; 256] = {
    let mut class = [0; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        if byte.is_ascii_digit() {
            class[b] = VALUE | DIGIT;
        } else if byte.is_ascii_alphabetic() || matches!(byte, b'+' | b'/' | b'=' | b'_' | b'-') {
            class[b] = VALUE;
        } else if byte == b'\n' {
            class[b] = NEWLINE;
        }
        b += 1;
    }
    class
};

/// Gated regions closer than this are searched in one call.
const MERGE_GAP: usize = 64;

/// A keyword found in the input.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub start: usize,
    pub end: usize,
    pub keyword: usize,
}

/// How a part's keywords are searched when the pair filter cannot take them.
#[derive(Debug, Clone, Copy)]
enum Fallback {
    Dfa,
    Nfa,
}

impl Search {
    fn new(keywords: &[String], fallback: Fallback) -> Result<Search, aho_corasick::BuildError> {
        let filters: Option<Vec<(PairFilter, usize)>> = keywords
            .chunks(KEYWORDS_PER_FILTER)
            .enumerate()
            .map(|(i, chunk)| PairFilter::new(chunk).map(|f| (f, i * KEYWORDS_PER_FILTER)))
            .collect();
        if let Some(filters) = filters {
            return Ok(Search::Pairs(filters));
        }
        Search::automaton(keywords, fallback)
    }

    fn automaton(
        keywords: &[String],
        fallback: Fallback,
    ) -> Result<Search, aho_corasick::BuildError> {
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(match fallback {
                Fallback::Dfa => AhoCorasickKind::DFA,
                Fallback::Nfa => AhoCorasickKind::ContiguousNFA,
            }))
            .build(keywords)?;
        Ok(Search::Automaton(automaton))
    }

    /// Calls `on_hit(local keyword, range)` for every occurrence, overlapping ones included.
    fn for_each(&self, haystack: &[u8], mut on_hit: impl FnMut(usize, Range<usize>)) {
        match self {
            Search::Pairs(filters) => {
                for (filter, first) in filters {
                    filter.for_each_match(haystack, |k, range| on_hit(first + k, range));
                }
            }
            Search::Automaton(automaton) => {
                for m in automaton.find_overlapping_iter(haystack) {
                    on_hit(m.pattern().as_usize(), m.start()..m.end());
                }
            }
        }
    }
}

/// The search of gated keywords: one pair filter over all of them (or an automaton where the
/// filter cannot take them).
fn gated_search(keywords: &[String]) -> Result<Search, aho_corasick::BuildError> {
    match PairFilter::new(keywords) {
        Some(filter) => Ok(Search::Pairs(vec![(filter, 0)])),
        None => Search::automaton(keywords, Fallback::Nfa),
    }
}

impl Prefilter {
    /// Builds the search: [`PairFilter`]s when the keywords allow (always, for rules that
    /// pass validation), else an Aho-Corasick DFA (fastest per byte, slowest to build) for
    /// large inputs or a contiguous NFA (built in a quarter of the time) when `small_input`.
    pub fn new(rules: &RuleSet, small_input: bool) -> Result<Prefilter, aho_corasick::BuildError> {
        let fallback = if small_input {
            Fallback::Nfa
        } else {
            Fallback::Dfa
        };
        Prefilter::build(
            rules,
            |keywords| Search::new(keywords, fallback),
            gated_search,
        )
    }

    fn build(
        rules: &RuleSet,
        mut search: impl FnMut(&[String]) -> Result<Search, aho_corasick::BuildError>,
        mut gated: impl FnMut(&[String]) -> Result<Search, aho_corasick::BuildError>,
    ) -> Result<Prefilter, aho_corasick::BuildError> {
        let (keywords, rules_of_keyword) = keywords_of(rules);
        let split = split(rules, keywords, rules_of_keyword);
        let main = Part::new(&split.main, &mut search)?;
        let gated = if split.gated.is_empty() {
            None
        } else {
            // Around near words only: one filter, however many keywords, since each filter is
            // a search of every region and the regions are short.
            Some(Part::new(&split.gated, &mut gated)?)
        };
        let main_hits = main
            .global
            .iter()
            .zip(&split.is_near_word)
            .map(|(&keyword, &near_word)| MainHit {
                keyword,
                near_word,
                listed: !split.rules_of_keyword[keyword].is_empty(),
            })
            .collect();
        Ok(Prefilter {
            main,
            gated,
            main_hits,
            rules_of_keyword: split.rules_of_keyword,
        })
    }

    /// Calls `on_hit` for every keyword occurrence that a rule could match from, overlapping
    /// ones included: every occurrence of an ungated keyword, and those of gated keywords near
    /// a near word.
    pub fn for_each_hit(&self, haystack: &[u8], on_hit: impl FnMut(Hit)) {
        self.for_each_hit_starting_in(haystack, 0..haystack.len(), on_hit)
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
        let reach = |end: usize, longest: usize| {
            end.saturating_add(longest.saturating_sub(1))
                .min(haystack.len())
        };
        let mut near = Vec::new();
        let mut value_scan = ValueScan::default();
        // Near words just outside `range` open regions inside it (no margin without gated
        // keywords).
        let gate_margin = self.gated.as_ref().map_or(0, |g| NEAR + g.longest);
        let search_from = range.start.saturating_sub(gate_margin);
        let search_to = reach(range.end.saturating_add(gate_margin), self.main.longest);
        self.main
            .search
            .for_each(&haystack[search_from..search_to], |local, found| {
                let start = search_from + found.start;
                let end = search_from + found.end;
                let hit = self.main_hits[local];
                if hit.near_word && value_scan.follows(haystack, end) {
                    near.push(start.saturating_sub(gate_margin)..end.saturating_add(NEAR));
                }
                if hit.listed && (range.start..range.end).contains(&start) {
                    on_hit(Hit {
                        start,
                        end,
                        keyword: hit.keyword,
                    });
                }
            });
        let Some(gated) = &self.gated else {
            return;
        };
        // The regions where a gated keyword may start: their union, clipped to `range`, so
        // that the hits do not depend on how the input is cut.
        near.sort_unstable_by_key(|r| r.start);
        let mut regions: Vec<Range<usize>> = Vec::new();
        for r in near {
            let r = r.start.max(range.start)..r.end.min(range.end);
            if r.is_empty() {
                continue;
            }
            match regions.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => regions.push(r),
            }
        }
        // Regions a few bytes apart are searched in one call (a search has a fixed cost); a
        // hit counts only if it starts in a region.
        let mut first = 0;
        while first < regions.len() {
            let mut last = first;
            while last + 1 < regions.len()
                && regions[last + 1].start <= regions[last].end + MERGE_GAP
            {
                last += 1;
            }
            let span = regions[first].start..regions[last].end;
            let members = &regions[first..=last];
            let to = reach(span.end, gated.longest);
            gated
                .search
                .for_each(&haystack[span.start..to], |local, found| {
                    let start = span.start + found.start;
                    if members.iter().any(|r| r.contains(&start)) {
                        on_hit(Hit {
                            start,
                            end: span.start + found.end,
                            keyword: gated.global[local],
                        });
                    }
                });
            first = last + 1;
        }
    }

    pub fn keyword_count(&self) -> usize {
        self.rules_of_keyword.len()
    }
}

/// Every rule's keywords, lowercased and deduplicated, with the rules that listed each (sorted:
/// a sort of some thousands of keywords is a fraction of what hashing each costs).
fn keywords_of(rules: &RuleSet) -> (Vec<String>, Vec<Vec<usize>>) {
    let mut listed: Vec<(String, usize)> = rules
        .rules()
        .iter()
        .enumerate()
        .flat_map(|(r, rule)| {
            rule.spec
                .keywords
                .iter()
                .map(move |k| (k.to_ascii_lowercase(), r))
        })
        .collect();
    listed.sort_unstable();
    listed.dedup();
    let mut keywords: Vec<String> = Vec::new();
    let mut rules_of_keyword: Vec<Vec<usize>> = Vec::new();
    for (keyword, rule) in listed {
        if keywords.last() != Some(&keyword) {
            keywords.push(keyword);
            rules_of_keyword.push(Vec::new());
        }
        if let Some(rules_of) = rules_of_keyword.last_mut() {
            rules_of.push(rule);
        }
    }
    (keywords, rules_of_keyword)
}

/// The keywords of the two parts, each with its global index.
struct Split {
    main: Vec<(String, usize)>,
    gated: Vec<(String, usize)>,
    is_near_word: Vec<bool>,
    rules_of_keyword: Vec<Vec<usize>>,
}

/// A keyword is gated when every rule that lists it has near words; those near words (added
/// as keywords of no rule where no rule lists them) go to the main part.
fn split(rules: &RuleSet, keywords: Vec<String>, mut rules_of_keyword: Vec<Vec<usize>>) -> Split {
    let has_near_words: Vec<bool> = rules
        .rules()
        .iter()
        .map(|r| !r.spec.near_words.is_empty())
        .collect();
    let gated_keyword =
        |k: usize, rules_of: &[Vec<usize>]| rules_of[k].iter().all(|&r| has_near_words[r]);
    // The near words of every rule that has some (a thousand rules share a dozen words).
    let mut near_words: std::collections::BTreeSet<String> = Default::default();
    for rule in rules.rules() {
        for word in &rule.spec.near_words {
            if !near_words.contains(word.as_str()) {
                near_words.insert(word.to_ascii_lowercase());
            }
        }
    }
    let near_words: Vec<String> = near_words.into_iter().collect();
    let mut main = Vec::new();
    let mut gated = Vec::new();
    let mut is_near_word = Vec::new();
    let mut index_of: std::collections::HashMap<String, usize> = Default::default();
    for (k, keyword) in keywords.into_iter().enumerate() {
        if gated_keyword(k, &rules_of_keyword) {
            gated.push((keyword, k));
        } else {
            index_of.insert(keyword.clone(), main.len());
            is_near_word.push(near_words.binary_search(&keyword).is_ok());
            main.push((keyword, k));
        }
    }
    for word in near_words {
        if let Some(&local) = index_of.get(&word) {
            is_near_word[local] = true;
        } else {
            // A near word that no ungated rule lists: a keyword of no rule.
            let global = rules_of_keyword.len();
            rules_of_keyword.push(Vec::new());
            is_near_word.push(true);
            main.push((word, global));
        }
    }
    Split {
        main,
        gated,
        is_near_word,
        rules_of_keyword,
    }
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

    /// [`ValueScan::follows`] as its definition says, with nothing remembered.
    fn value_follows(haystack: &[u8], from: usize) -> bool {
        let mut run = 0usize;
        let mut digit = false;
        for (i, &b) in haystack.iter().enumerate().skip(from) {
            if b.is_ascii_alphanumeric() || b"+/=_-".contains(&b) {
                run += 1;
                digit |= b.is_ascii_digit();
                if run >= VALUE_MIN && digit {
                    return true;
                }
            } else if b == b'\n' || i >= from + VALUE_REACH {
                return false;
            } else {
                run = 0;
                digit = false;
            }
        }
        false
    }

    #[test]
    fn a_near_word_opens_a_region_only_before_a_value() {
        let follows = |text: &str| value_follows(text.as_bytes(), 0);
        assert!(follows("=5f1c2d3e4b5a69788796a5b4c3d2e1f0"));
        assert!(follows(
            "_ZEROBOUNCE: \"9c1d4e7f-2a6b-4c8d-9e0f-7b3e91d2c58a\""
        ));
        assert!(follows(" = 'Hq7Lm2Vx9Kp4TzWq8Nc3'"));
        assert!(!follows(" *string `json:\"key\"`"));
        assert!(!follows("(&self) -> Option<String> {"));
        assert!(!follows(
            ": nil,\n    value: 5f1c2d3e4b5a69788796a5b4c3d2e1f0"
        ));
        assert!(!follows(" = \"configuration_handler_value\""));
        let far = format!("={}5f1c2d3e4b5a69788796", " ".repeat(VALUE_REACH + 1));
        assert!(!follows(&far));
    }

    /// A seeded xorshift: each call a number below its argument.
    fn numbers(mut state: u64) -> impl FnMut(usize) -> usize {
        move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        }
    }

    /// [`scan_for_value`] a byte at a time.
    fn scan_bytewise(haystack: &[u8], from: usize, resume: usize) -> Seen {
        let mut run = 0usize;
        let mut digit = false;
        let reach = from + VALUE_REACH;
        for (i, &b) in haystack.iter().enumerate().skip(resume) {
            if b.is_ascii_alphanumeric() || b"+/=_-".contains(&b) {
                run += 1;
                digit |= b.is_ascii_digit();
                if run >= VALUE_MIN && digit {
                    return Seen::RunAt(i + 1 - run);
                }
            } else if b == b'\n' {
                return Seen::NoneToNewline(i);
            } else if i >= reach {
                return Seen::NoneToByte(i);
            } else {
                run = 0;
                digit = false;
            }
        }
        Seen::NoneToNewline(haystack.len())
    }

    #[test]
    fn the_word_scan_finds_what_a_byte_scan_finds() {
        let mut next = numbers(0x2545_f491_4f6c_dd1du64);
        for _ in 0..20_000 {
            let len = next(300);
            let alphabet: &[u8] = [
                &b"aaaa1 \n=-"[..],
                b"aaaaaaaaaaa1 ",
                b"a1 ",
                b"aaaaaaaaaaaaaaaaaaaaaaa5.",
                b"Z9\xff\x80/+_\t\n",
            ][next(5)];
            let text: Vec<u8> = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            let from = next(len + 1);
            // A resumed scan starts past `from` at a byte of no value.
            let resume = (from..=len)
                .nth(next(40))
                .filter(|&r| {
                    r == from
                        || text
                            .get(r)
                            .is_none_or(|b| VALUE_BYTE[*b as usize] & VALUE == 0)
                })
                .unwrap_or(from);
            assert_eq!(
                scan_for_value(&text, from, resume),
                scan_bytewise(&text, from, resume),
                "from {from} resume {resume} in {:?}",
                String::from_utf8_lossy(&text)
            );
        }
    }

    #[test]
    fn a_remembered_value_scan_answers_as_a_fresh_one() {
        let mut next = numbers(0x9e37_79b9_7f4a_7c15u64);
        for _ in 0..2000 {
            let len = next(400);
            // Runs common, or rare enough that scans stop at the reach.
            let alphabet: &[u8] = [&b"aaaa1 \n=-"[..], b"aaaaaaaaaaa1 ", b"a1 "][next(3)];
            let text: Vec<u8> = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            let mut scan = ValueScan::default();
            let mut from = 0;
            for _ in 0..40 {
                // Mostly forward, as hits come; now and then back.
                from = if next(8) == 0 {
                    next(len + 1)
                } else {
                    (from + next(30)).min(len)
                };
                assert_eq!(
                    scan.follows(&text, from),
                    value_follows(&text, from),
                    "from {from} in {:?}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
    }

    #[test]
    fn pair_filter_and_automaton_agree_on_every_rule_example() {
        let rules = crate::test_support::embedded_with_examples();
        let fast = Prefilter::new(&rules, false).expect("prefilter");
        assert!(matches!(fast.main.search, Search::Pairs(_)));
        let reference = Prefilter::build(
            &rules,
            |keywords| Search::automaton(keywords, Fallback::Nfa),
            |keywords| Search::automaton(keywords, Fallback::Nfa),
        )
        .expect("automata");
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
