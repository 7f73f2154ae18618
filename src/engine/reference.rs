//! A naive engine for differential tests: what [`Engine::scan`](super::Engine::scan) must find,
//! computed the slow and obvious way.
//!
//! Every rule's regex runs over the whole text (no keyword prefilter, no windows, no line
//! snapping, no gate that skips a regex), leftmost first and without overlaps, and each
//! candidate goes through the same filters as in the engine ([`super::accepts`]: entropy,
//! placeholders, identifiers, the rule's allowlist). Encoded values are found by a byte-by-byte
//! reading of their definition, not by the engine's block masks (they are decoded, and given
//! their key, with the decoder's own `decode_into` and `key_before`, which have property tests
//! of their own), and the overlaps between rules are resolved by a statement of the rules
//! rather than by the engine's sort and dedup.
//!
//! A whole-text run finds more than the engine promises: a rule's matches are searched for only
//! around its keywords, as far as its windows say. So the reference also tells which of its
//! matches lie within reach of a keyword ([`in_reach`], found by a plain search of the text):
//! those the engine must report exactly; anything the engine reports must be among the
//! reference's matches.
//!
//! It is not for scanning: it costs every rule's regex over every byte.

use std::ops::Range;
use std::sync::Mutex;

use regex_automata::meta::Cache;
use regex_automata::util::captures::Captures;
use regex_automata::Input;

use super::decode::{self, Encoding};
use super::{accepts, Match};
use crate::rules::RuleSet;

/// What the reference finds in one text.
#[derive(Debug, Default)]
pub struct Found {
    /// Every match that passed its rule's filters, before overlaps between rules are
    /// resolved: nothing the engine reports may be missing here.
    pub all: Vec<Match>,
    /// What a scan reports of them (overlaps resolved, in the engine's order) that lies within
    /// reach of a keyword ([`in_reach`]): the engine must report each of them.
    pub required: Vec<Match>,
}

/// A match and whether it lies within reach of one of its rule's keywords.
struct Candidate {
    m: Match,
    in_reach: bool,
}

/// A naive engine over a rule set, with a search cache per rule kept from one scan to the
/// next (building lazy-DFA states is most of what a regex costs in a debug build).
pub struct Reference<'r> {
    rules: &'r RuleSet,
    caches: Vec<Mutex<Option<(Cache, Captures)>>>,
    decode_depth: usize,
}

impl<'r> Reference<'r> {
    pub fn new(rules: &'r RuleSet, decode_depth: usize) -> Reference<'r> {
        Reference {
            rules,
            caches: (0..rules.len()).map(|_| Mutex::new(None)).collect(),
            decode_depth,
        }
    }

    /// Every match of every rule in `haystack`.
    pub fn scan(&self, haystack: &[u8]) -> Found {
        let mut candidates = self.plain(haystack);
        self.encoded(haystack, self.decode_depth, &mut candidates);
        let all: Vec<Match> = candidates.iter().map(|c| c.m.clone()).collect();
        let required = resolve(self.rules, all.clone())
            .into_iter()
            .filter(|m| candidates.iter().any(|c| c.in_reach && c.m == *m))
            .collect();
        Found { all, required }
    }

    /// Each rule's regex over the whole of `haystack`, leftmost first, without overlaps.
    fn plain(&self, haystack: &[u8]) -> Vec<Candidate> {
        let lowercase = haystack.to_ascii_lowercase();
        let mut out = Vec::new();
        for (index, rule) in self.rules.rules().iter().enumerate() {
            let Some(compiled) = rule.regex() else {
                continue;
            };
            let mut guard = self.caches[index].lock().unwrap_or_else(|e| e.into_inner());
            let (cache, caps) = guard.get_or_insert_with(|| {
                (
                    compiled.regex.create_cache(),
                    compiled.regex.create_captures(),
                )
            });
            let mut from = 0;
            while from <= haystack.len() {
                let input = Input::new(haystack).span(from..haystack.len());
                compiled.regex.search_captures_with(cache, &input, caps);
                let Some(whole) = caps.get_match() else {
                    break;
                };
                let secret = match compiled.secret_group {
                    Some(group) => caps.get_group(group),
                    None => (1..caps.group_len()).find_map(|g| caps.get_group(g)),
                };
                if let Some(secret) = secret {
                    if accepts(rule, &haystack[secret.range()], &haystack[whole.range()]) {
                        out.push(Candidate {
                            in_reach: in_reach(rule, &lowercase, whole.range()),
                            m: Match {
                                rule: index,
                                secret: secret.range(),
                                whole: whole.range(),
                                decoded: None,
                            },
                        });
                    }
                }
                from = whole.end() + usize::from(whole.is_empty());
            }
        }
        out
    }

    /// The matches inside encoded values, reported at the encoded value.
    fn encoded(&self, haystack: &[u8], depth: usize, out: &mut Vec<Candidate>) {
        if depth == 0 {
            return;
        }
        for (span, encoding) in candidates(haystack) {
            let mut value = Vec::new();
            if !decode::decode_into(encoding, &haystack[span.clone()], &mut value) {
                continue;
            }
            // The value in the context of its key, so that name-based rules see the name.
            let (text, value_start) = match decode::key_before(haystack, span.start) {
                Some(key) => {
                    let mut text = haystack[key].to_vec();
                    text.extend_from_slice(b" = \"");
                    let start = text.len();
                    text.extend_from_slice(&value);
                    text.extend_from_slice(b"\"\n");
                    (text, start)
                }
                None => (value, 0),
            };
            let mut inner = self.plain(&text);
            self.encoded(&text, depth - 1, &mut inner);
            for Candidate { m, in_reach } in inner {
                if m.secret.end <= value_start {
                    continue;
                }
                let secret = match m.decoded {
                    Some((secret, _)) => secret,
                    None => text[m.secret.clone()].into(),
                };
                out.push(Candidate {
                    in_reach,
                    m: Match {
                        rule: m.rule,
                        secret: span.clone(),
                        whole: span.clone(),
                        decoded: Some((secret, encoding)),
                    },
                });
            }
        }
    }
}

/// Whether the match `whole` lies within the rule's window around an occurrence of one of its
/// keywords (ASCII case ignored; `lowercase` is the text in lowercase): from `window_before`
/// bytes before the keyword's start to `window` bytes after its end.
///
/// That is what the engine promises: it runs a rule's regex only around the rule's keywords,
/// and a rule says with its windows how far from a keyword its matches reach. A match of a rule
/// that uses its keyword as context (`stringData:` above a Kubernetes secret's values) lies
/// anywhere in a whole-text run; one that reaches further from its keyword than its window is
/// cut by the window. The engine searches somewhat more (windows widen to whole lines, up to
/// `LINE_SNAP_LIMIT` bytes), so it may report matches out of reach too, but only true ones.
fn in_reach(rule: &crate::rules::Rule, lowercase: &[u8], whole: Range<usize>) -> bool {
    let (before, after) = (rule.window_before(), rule.window_after());
    rule.spec.keywords.iter().any(|keyword| {
        let keyword = keyword.to_ascii_lowercase();
        let keyword = keyword.as_bytes();
        let Some(last) = lowercase.len().checked_sub(keyword.len()) else {
            return false;
        };
        // A keyword at `at` reaches `at - before .. at + len + after`.
        let first = whole.end.saturating_sub(after + keyword.len());
        let last = last.min(whole.start.saturating_add(before));
        (first..=last).any(|at| lowercase[at..].starts_with(keyword))
    })
}

/// Bytes of a base64 value (standard and URL-safe alphabets; `=` padding is not one).
fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"+/-_".contains(&b)
}

/// The encoded values worth decoding, read off their definition one byte at a time:
///
/// - base64: a maximal run of 16 to 65,536 base64 bytes, mixing upper and lower case letters
///   and having a digit or being at least 24 long, that starts right after a quote, backtick or
///   `>`, or after `=` or `:` and any spaces, and that ends (after at most two `=`) at the end
///   of the text or before a quote, backtick, `<`, `,`, `;`, `}`, `)` or white space;
/// - percent: a maximal token (no white space, quotes, backticks, brackets, `,` or `;`) of at
///   least 16 bytes with at least two `%XX` escapes.
fn candidates(h: &[u8]) -> Vec<(Range<usize>, Encoding)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < h.len() {
        if !is_base64(h[i]) || (i > 0 && is_base64(h[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        let mut run_end = i;
        while run_end < h.len() && is_base64(h[run_end]) {
            run_end += 1;
        }
        i = run_end;
        let run = &h[start..run_end];
        let mut spaces = start;
        while spaces > 0 && h[spaces - 1] == b' ' {
            spaces -= 1;
        }
        let position = match spaces.checked_sub(1).map(|k| h[k]) {
            Some(b'"' | b'\'' | b'`' | b'>') => spaces == start,
            Some(b'=' | b':') => true,
            _ => false,
        };
        let padding = h[run_end..]
            .iter()
            .take(2)
            .take_while(|&&b| b == b'=')
            .count();
        let end = run_end + padding;
        let ends = match h.get(end) {
            None => true,
            Some(b) => b"\"'`<,;})".contains(b) || b" \t\r\n".contains(b),
        };
        let mixed = run.iter().any(u8::is_ascii_uppercase)
            && run.iter().any(u8::is_ascii_lowercase)
            && (run.iter().any(u8::is_ascii_digit) || run.len() >= 24);
        if (16..=64 * 1024).contains(&run.len()) && position && ends && mixed {
            out.push((start..end, Encoding::Base64));
        }
    }
    let token_byte = |b: u8| !(b.is_ascii_whitespace() || b"\"'`<>(){}[],;".contains(&b));
    let escape = |w: &[u8]| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit();
    let mut i = 0;
    while i < h.len() {
        if !token_byte(h[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < h.len() && token_byte(h[i]) {
            i += 1;
        }
        let token = &h[start..i];
        if token.len() >= 16 && token.windows(3).filter(|w| escape(w)).count() >= 2 {
            out.push((start..i, Encoding::Percent));
        }
    }
    out
}

/// What the engine reports of all matches found, as rules:
///
/// - one match per rule, secret span and decoded value: a decoded match hides a plain one of
///   the same rule at the same span;
/// - a generic rule's match goes where any specific rule's secret overlaps its own;
/// - a specific rule's decoded match goes where a specific rule matched the text as it is,
///   overlapping it;
///
/// ordered by secret span, then rule, decoded values before the plain match.
pub fn resolve(rules: &RuleSet, all: Vec<Match>) -> Vec<Match> {
    let overlap = |a: &Range<usize>, b: &Range<usize>| a.start < b.end && b.start < a.end;
    let specific = |m: &Match| !rules.get(m.rule).spec.generic;
    let mut kept: Vec<Match> = Vec::new();
    for m in &all {
        let hidden_by = |o: &Match| {
            if !specific(o) || !overlap(&o.secret, &m.secret) {
                return false;
            }
            if !specific(m) {
                true
            } else {
                m.decoded.is_some() && o.decoded.is_none()
            }
        };
        if all.iter().any(hidden_by) {
            continue;
        }
        let same_place = |o: &Match| o.rule == m.rule && o.secret == m.secret;
        if m.decoded.is_none() && all.iter().any(|o| same_place(o) && o.decoded.is_some()) {
            continue;
        }
        if kept.iter().any(|k| same_place(k) && k.decoded == m.decoded) {
            continue;
        }
        kept.push(m.clone());
    }
    kept.sort_by(|a, b| {
        let key = |m: &Match| {
            (
                m.secret.start,
                m.secret.end,
                m.rule,
                m.decoded.is_none(),
                m.decoded.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    kept
}
