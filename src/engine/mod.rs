//! The matching engine: bytes in, rule matches out.
//!
//! One pass of the keyword [`Prefilter`] over the input finds every place a rule could match;
//! each rule's regex then runs only in the windows around its own keywords' hits (merged when
//! they overlap), and each candidate goes through the entropy, placeholder and allowlist checks.
//! The engine knows nothing of paths, git or reports: a source hands it bytes, and what it
//! returns are byte ranges that the finding layer turns into locations.

pub mod decode;
#[cfg(test)]
mod differential;
pub mod entropy;
mod pair_filter;
pub mod placeholder;
mod prefilter;
#[cfg(test)]
mod reference;

use std::cell::RefCell;
use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;
use regex_automata::Input;

pub use decode::Encoding;
pub use pair_filter::PairFilter;
pub use prefilter::{Prefilter, NEAR};

use crate::rules::{Rule, RuleSet};

/// How many layers of encoding are looked through by default (base64 inside base64, say).
pub const DEFAULT_DECODE_DEPTH: usize = 2;

/// How far a window may grow to reach the start or end of its line, so that `^`/`$` rules work
/// without a minified single-line file turning every window into the whole file.
const LINE_SNAP_LIMIT: usize = 256;

/// A confirmed match of one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Index of the rule in the engine's [`RuleSet`].
    pub rule: usize,
    /// Where the secret is.
    pub secret: Range<usize>,
    /// Where the whole regex match is (name, operator and value, for assignment rules).
    pub whole: Range<usize>,
    /// For a secret found inside an encoded value: the decoded secret (`secret` and `whole`
    /// are then the span of the encoded value) and the outermost encoding.
    pub decoded: Option<(Box<[u8]>, Encoding)>,
}

/// Why an engine could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the keyword prefilter: {0}")]
pub struct EngineError(#[from] aho_corasick::BuildError);

/// A rule set plus its prefilter; cheap to share between threads.
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    rules: RuleSet,
    prefilter: Prefilter,
    decode_depth: usize,
}

/// How an engine is tuned.
#[derive(Debug, Clone, Copy)]
pub struct EngineOptions {
    /// About how many bytes will be scanned: a small input gets a prefilter that is quick to
    /// build (a pre-commit hook), a large one the fastest per byte.
    pub input_bytes: u64,
    /// Layers of base64/percent encoding to look through (0: none).
    pub decode_depth: usize,
}

impl Default for EngineOptions {
    fn default() -> EngineOptions {
        EngineOptions {
            input_bytes: u64::MAX,
            decode_depth: DEFAULT_DECODE_DEPTH,
        }
    }
}

/// One search window: rule `rule` over `range`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Window {
    rule: usize,
    start: usize,
    end: usize,
}

thread_local! {
    /// Per-thread scratch space, so that scanning many small files allocates nothing per file.
    static WINDOWS: RefCell<Vec<Window>> = const { RefCell::new(Vec::new()) };
}

/// Below this many bytes of input, a fallback Aho-Corasick prefilter (used only for keyword
/// sets the pair filter cannot take) is built as a contiguous NFA rather than a DFA: a DFA over
/// every keyword takes ~7 ms to build, an NFA ~2 ms but scans ~2.5x slower.
pub const SMALL_INPUT: u64 = 1 << 20;

/// Inputs at least this large are scanned by several threads.
const PARALLEL_INPUT: usize = 1 << 20;
/// The size of the pieces a large input's keyword search is split into.
const PARALLEL_PIECE: usize = 256 << 10;
/// How many windows of a large input one task confirms.
const WINDOWS_PER_TASK: usize = 256;

impl Engine {
    /// An engine with the default options (tuned for large inputs).
    pub fn new(rules: RuleSet) -> Result<Engine, EngineError> {
        Engine::with_options(rules, EngineOptions::default())
    }

    /// An engine tuned for scanning about `bytes` of input, decoding with the default depth.
    pub fn for_input_size(rules: RuleSet, bytes: u64) -> Result<Engine, EngineError> {
        Engine::with_options(
            rules,
            EngineOptions {
                input_bytes: bytes,
                ..EngineOptions::default()
            },
        )
    }

    pub fn with_options(rules: RuleSet, options: EngineOptions) -> Result<Engine, EngineError> {
        let prefilter = Prefilter::new(&rules, options.input_bytes < SMALL_INPUT)?;
        Ok(Engine {
            inner: Arc::new(Inner {
                rules,
                prefilter,
                decode_depth: options.decode_depth,
            }),
        })
    }

    pub fn rules(&self) -> &RuleSet {
        &self.inner.rules
    }

    pub fn rule(&self, index: usize) -> &Rule {
        self.inner.rules.get(index)
    }

    /// Finds every secret in `haystack`, including inside base64 and percent-encoded values,
    /// in order of position (then rule).
    pub fn scan(&self, haystack: &[u8]) -> Vec<Match> {
        let mut matches = self.scan_plain(haystack);
        self.scan_encoded(haystack, self.inner.decode_depth, &mut matches);
        resolve_overlaps(&self.inner.rules, &mut matches);
        matches
    }

    /// The rules over the bytes as they are.
    fn scan_plain(&self, haystack: &[u8]) -> Vec<Match> {
        if haystack.len() >= PARALLEL_INPUT {
            return self.scan_plain_in_parallel(haystack);
        }
        let mut matches = Vec::new();
        WINDOWS.with(|cell| {
            let mut windows = cell.borrow_mut();
            windows.clear();
            self.collect_windows(haystack, 0..haystack.len(), &mut windows);
            self.confirm_all(haystack, merge(&mut windows), &mut matches);
        });
        matches
    }

    /// [`Engine::scan_plain`] for a large input, split between threads: a single large file
    /// (a log, a bundle) would otherwise keep one thread busy while the others wait. The
    /// windows are the same, merged over the whole input, so the matches are too.
    fn scan_plain_in_parallel(&self, haystack: &[u8]) -> Vec<Match> {
        let pieces: Vec<Range<usize>> = (0..haystack.len())
            .step_by(PARALLEL_PIECE)
            .map(|start| start..(start + PARALLEL_PIECE).min(haystack.len()))
            .collect();
        let mut windows: Vec<Window> = pieces
            .into_par_iter()
            .flat_map_iter(|piece| {
                let mut windows = Vec::new();
                self.collect_windows(haystack, piece, &mut windows);
                windows
            })
            .collect();
        let windows: Vec<Window> = merge(&mut windows).collect();
        windows
            .par_chunks(WINDOWS_PER_TASK)
            .flat_map_iter(|windows| {
                let mut matches = Vec::new();
                self.confirm_all(haystack, windows.iter().copied(), &mut matches);
                matches
            })
            .collect()
    }

    /// Confirms each window. A window whose rule another thread is searching with waits
    /// until the others are done; by then that thread has most likely moved on.
    fn confirm_all(
        &self,
        haystack: &[u8],
        windows: impl Iterator<Item = Window>,
        matches: &mut Vec<Match>,
    ) {
        let mut busy = Vec::new();
        for window in windows {
            if !self.confirm(haystack, window, false, matches) {
                busy.push(window);
            }
        }
        for window in busy {
            self.confirm(haystack, window, true, matches);
        }
    }

    /// The rules over every encoded value that decodes to text, with the value's key in front
    /// of it (`password = "<decoded>"`) so that name-based rules apply; matches are reported
    /// at the encoded value.
    fn scan_encoded(&self, haystack: &[u8], depth: usize, out: &mut Vec<Match>) {
        if depth == 0 {
            return;
        }
        let mut decoded = Vec::new();
        for candidate in decode::candidates(haystack) {
            let encoded = &haystack[candidate.span.clone()];
            if !decode::decode_into(candidate.encoding, encoded, &mut decoded) {
                continue;
            }
            let (text, value_start) = match decode::key_before(haystack, candidate.span.start) {
                Some(name) => {
                    let mut text = haystack[name].to_vec();
                    text.extend_from_slice(b" = \"");
                    let start = text.len();
                    text.extend_from_slice(&decoded);
                    text.extend_from_slice(b"\"\n");
                    (text, start)
                }
                None => (decoded.clone(), 0),
            };
            let mut inner = self.scan_plain(&text);
            self.scan_encoded(&text, depth - 1, &mut inner);
            for m in inner {
                if m.secret.end <= value_start {
                    continue;
                }
                let value = match m.decoded {
                    Some((value, _)) => value,
                    None => text[m.secret.clone()].into(),
                };
                out.push(Match {
                    rule: m.rule,
                    secret: candidate.span.clone(),
                    whole: candidate.span.clone(),
                    decoded: Some((value, candidate.encoding)),
                });
            }
        }
    }

    /// The windows around the keyword hits that start in `range`.
    fn collect_windows(&self, haystack: &[u8], range: Range<usize>, windows: &mut Vec<Window>) {
        let inner = &*self.inner;
        inner
            .prefilter
            .for_each_hit_starting_in(haystack, range, |hit| {
                for &rule_index in inner.prefilter.rules_of(hit.keyword) {
                    let rule = inner.rules.get(rule_index);
                    let start = hit.start.saturating_sub(rule.window_before());
                    let end = hit
                        .end
                        .saturating_add(rule.window_after())
                        .min(haystack.len());
                    let span = if rule.gate().on_keyword_line {
                        // The match lies on the hit's line (a newline at most opening or closing
                        // it): search no other. The line is cut where a window snapped to lines
                        // would end.
                        line_of(
                            haystack,
                            hit.start..hit.end,
                            start.saturating_sub(LINE_SNAP_LIMIT),
                            end.saturating_add(LINE_SNAP_LIMIT).min(haystack.len()),
                        )
                    } else {
                        start..end
                    };
                    windows.push(Window {
                        rule: rule_index,
                        start: span.start,
                        end: span.end,
                    });
                }
            });
    }

    /// Runs one rule's regex over one window and keeps the candidates that pass its filters.
    /// Returns `false`, having done nothing, if another thread is searching with the rule's
    /// regex and `wait` is `false`.
    fn confirm(&self, haystack: &[u8], window: Window, wait: bool, out: &mut Vec<Match>) -> bool {
        let rule = self.rule(window.rule);
        let gate = rule.gate();
        let span = if gate.on_keyword_line {
            window.start..window.end
        } else {
            snap_to_lines(haystack, window.start, window.end)
        };
        // Before the regex is compiled: some rules never get past this.
        if gate.cannot_match(&haystack[span.clone()]) {
            return true;
        }
        let Some(compiled) = rule.regex() else {
            return true;
        };
        let input = Input::new(haystack).span(span);
        let first_new = out.len();
        let searched = compiled.for_each_match(input, wait, |caps| {
            let Some(whole) = caps.get_match() else {
                return;
            };
            let secret_span = match compiled.secret_group {
                Some(group) => caps.get_group(group),
                None => (1..caps.group_len()).find_map(|g| caps.get_group(g)),
            };
            if let Some(secret_span) = secret_span {
                out.push(Match {
                    rule: window.rule,
                    secret: secret_span.range(),
                    whole: whole.range(),
                    decoded: None,
                });
            }
        });
        // The filters run once the regex is free for other threads.
        if out.len() > first_new {
            let candidates = out.split_off(first_new);
            out.extend(candidates.into_iter().filter(|m| {
                accepts(
                    rule,
                    &haystack[m.secret.clone()],
                    &haystack[m.whole.clone()],
                )
            }));
        }
        searched
    }
}

/// The rule's own filters: entropy floor, built-in placeholders, its allowlist.
fn accepts(rule: &Rule, secret: &[u8], whole: &[u8]) -> bool {
    if secret.is_empty() {
        return false;
    }
    if let Some(min) = rule.spec.entropy {
        if entropy::shannon(secret) < min {
            return false;
        }
    }
    if rule.spec.filter_placeholders && placeholder::is_placeholder(secret) {
        return false;
    }
    if rule.spec.filter_identifiers && placeholder::looks_like_identifier(secret) {
        return false;
    }
    !rule.is_allowed(secret, whole)
}

/// Sorts windows by rule and position and merges the overlapping ones of the same rule.
fn merge(windows: &mut Vec<Window>) -> impl Iterator<Item = Window> + '_ {
    windows.sort_unstable();
    let mut merged = 0;
    for i in 0..windows.len() {
        let w = windows[i];
        if merged > 0 {
            let last = &mut windows[merged - 1];
            if last.rule == w.rule && w.start <= last.end {
                last.end = last.end.max(w.end);
                continue;
            }
        }
        windows[merged] = w;
        merged += 1;
    }
    windows.truncate(merged);
    windows.iter().copied()
}

/// Widens `start..end` to whole lines, by at most [`LINE_SNAP_LIMIT`] bytes each way.
fn snap_to_lines(haystack: &[u8], start: usize, end: usize) -> Range<usize> {
    let floor = start.saturating_sub(LINE_SNAP_LIMIT);
    let start = memchr::memrchr(b'\n', &haystack[floor..start]).map_or(floor, |i| floor + i + 1);
    let ceiling = end.saturating_add(LINE_SNAP_LIMIT).min(haystack.len());
    let end = memchr::memchr(b'\n', &haystack[end..ceiling]).map_or(ceiling, |i| end + i);
    start..end
}

/// The line that holds `hit` with the newlines on either side of it, cut to `floor..ceiling`.
fn line_of(haystack: &[u8], hit: Range<usize>, floor: usize, ceiling: usize) -> Range<usize> {
    let start = memchr::memrchr(b'\n', &haystack[floor..hit.start]).map_or(floor, |i| floor + i);
    let end =
        memchr::memchr(b'\n', &haystack[hit.end..ceiling]).map_or(ceiling, |i| hit.end + i + 1);
    start..end
}

/// Orders matches by position and drops duplicates: the same rule on the same secret (a
/// decoded match is kept over a plain one of the encoded text), and a generic rule's match
/// where a specific rule matched an overlapping secret.
fn resolve_overlaps(rules: &RuleSet, matches: &mut Vec<Match>) {
    matches.sort_by(|a, b| {
        (
            a.secret.start,
            a.secret.end,
            a.rule,
            a.decoded.is_none(),
            &a.decoded,
        )
            .cmp(&(
                b.secret.start,
                b.secret.end,
                b.rule,
                b.decoded.is_none(),
                &b.decoded,
            ))
    });
    matches.dedup_by(|b, a| {
        a.rule == b.rule && a.secret == b.secret && (b.decoded.is_none() || a.decoded == b.decoded)
    });
    // A specific rule that matched the text as it is outranks generic rules there, and outranks
    // whatever was found by decoding that same text (the provider rule already knows the
    // encoded form, e.g. a base64 service-account key).
    let specific_plain: Vec<Range<usize>> = matches
        .iter()
        .filter(|m| !rules.get(m.rule).spec.generic && m.decoded.is_none())
        .map(|m| m.secret.clone())
        .collect();
    let specific_decoded: Vec<Range<usize>> = matches
        .iter()
        .filter(|m| !rules.get(m.rule).spec.generic && m.decoded.is_some())
        .map(|m| m.secret.clone())
        .collect();
    let overlaps = |spans: &[Range<usize>], m: &Match| {
        spans
            .iter()
            .any(|s| s.start < m.secret.end && m.secret.start < s.end)
    };
    matches.retain(|m| {
        if rules.get(m.rule).spec.generic {
            !overlaps(&specific_plain, m) && !overlaps(&specific_decoded, m)
        } else {
            m.decoded.is_none() || !overlaps(&specific_plain, m)
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::{engine_from as engine, rule_toml, DEMO_RULE};

    fn rules() -> String {
        DEMO_RULE.to_string() + GENERIC_RULE
    }

    const GENERIC_RULE: &str = r#"
[[rules]]
id = "demo-generic"
name = "Generic"
description = "d"
severity = "low"
generic = true
keywords = ["token"]
regex = '''token\s*=\s*"([^"]{8,})"'''
entropy = 2.0
examples = ['token = "q8Zr7TmW"']
negative_examples = ['token = "aaaaaaaa"']
"#;

    #[test]
    fn finds_secret_near_keyword() {
        let e = engine(&rules());
        let hay = b"x = 1\ny = demo_abcd1234 and more\n";
        let m = e.scan(hay);
        assert_eq!(m.len(), 1);
        assert_eq!(&hay[m[0].secret.clone()], b"demo_abcd1234");
    }

    #[test]
    fn keyword_is_case_insensitive_but_regex_decides() {
        let e = engine(&rules());
        assert!(e.scan(b"DEMO_abcd1234").is_empty());
    }

    #[test]
    fn truncated_window_does_not_shorten_a_match() {
        // The token continues past what a window would cover; \b must see the real next byte.
        let e = engine(&rules());
        assert!(e.scan(b"demo_abcd12345").is_empty());
    }

    #[test]
    fn generic_yields_to_specific() {
        let e = engine(&rules());
        let hay = br#"token = "demo_abcd1234""#;
        let m = e.scan(hay);
        assert_eq!(m.len(), 1);
        assert_eq!(e.rule(m[0].rule).id(), "demo-token");
    }

    #[test]
    fn entropy_and_placeholder_filters() {
        let e = engine(&rules());
        assert!(e.scan(br#"token = "aaaaaaaa""#).is_empty());
        assert!(e.scan(br#"token = "${TOKEN_VALUE}""#).is_empty());
        assert_eq!(e.scan(br#"token = "q8Zr7TmW""#).len(), 1);
    }

    #[test]
    fn many_hits_in_one_line_are_all_found() {
        let e = engine(&rules());
        let mut hay = Vec::new();
        for i in 0..200 {
            hay.extend_from_slice(format!("demo_abcd{i:04};").as_bytes());
        }
        assert_eq!(e.scan(&hay).len(), 200);
    }

    #[test]
    fn a_large_input_is_searched_in_pieces_without_losing_a_match() {
        let e = engine(&rules());
        // Lines of odd length, so that keywords fall across the pieces' edges.
        let mut hay = Vec::new();
        let mut planted = 0;
        while hay.len() < PARALLEL_INPUT * 2 + 7 {
            hay.extend_from_slice(
                format!("k{planted} = demo_abcd{:04}; filler\n", planted % 10_000).as_bytes(),
            );
            planted += 1;
        }
        let found = e.scan(&hay);
        assert_eq!(found.len(), planted);
        assert!(found
            .windows(2)
            .all(|w| w[0].secret.start < w[1].secret.start));
    }

    #[test]
    fn window_snapping_stays_in_bounds() {
        assert_eq!(snap_to_lines(b"ab\ncd\nef", 4, 5), 3..5);
        assert_eq!(snap_to_lines(b"abc", 0, 3), 0..3);
        assert_eq!(snap_to_lines(b"", 0, 0), 0..0);
    }

    #[test]
    fn line_of_a_hit_is_cut_to_its_bounds() {
        let hay = b"one\ntwo token three\nfour";
        assert_eq!(line_of(hay, 8..13, 0, hay.len()), 3..20);
        assert_eq!(line_of(hay, 8..13, 6, 15), 6..15);
        assert_eq!(line_of(b"token", 0..5, 0, 5), 0..5);
    }

    #[test]
    fn single_line_rule_sees_the_newlines_around_the_hit_line() {
        // A one-line rule whose boundary bytes may be the newlines around the line.
        let e = engine(&rule_toml(
            "demo-line",
            "key=",
            r"[^a-z]key=([0-9]{4})(?:\s|$)",
            "x key=1234",
            "xkey=1234",
        ));
        let hay = b"key=1937\nkey=2846\nakey=3759 key=4168\n";
        let secrets: Vec<&[u8]> = e.scan(hay).iter().map(|m| &hay[m.secret.clone()]).collect();
        assert_eq!(secrets, [&b"2846"[..], b"4168"]);
        let hay = b"key=5207\n";
        assert!(e.scan(hay).is_empty());
        let hay = b" key=5207";
        assert_eq!(e.scan(hay).len(), 1);
    }

    #[test]
    fn merge_joins_overlapping_windows_of_one_rule() {
        let mut w = vec![
            Window {
                rule: 0,
                start: 10,
                end: 20,
            },
            Window {
                rule: 0,
                start: 0,
                end: 12,
            },
            Window {
                rule: 1,
                start: 5,
                end: 6,
            },
            Window {
                rule: 0,
                start: 30,
                end: 40,
            },
        ];
        let merged: Vec<_> = merge(&mut w).collect();
        assert_eq!(
            merged,
            vec![
                Window {
                    rule: 0,
                    start: 0,
                    end: 20
                },
                Window {
                    rule: 0,
                    start: 30,
                    end: 40
                },
                Window {
                    rule: 1,
                    start: 5,
                    end: 6
                },
            ]
        );
    }

    /// A fuzz harness: any bytes through the embedded rules never panic, and what comes back
    /// is in bounds and in order.
    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        fn engine() -> &'static Engine {
            static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
            ENGINE.get_or_init(|| Engine::new(RuleSet::embedded().expect("rules")).expect("engine"))
        }

        /// Bytes of any value, and bytes drawn from what keywords, values and encodings are
        /// made of (so that windows open, merge and reach the ends of the input).
        fn bytes() -> impl Strategy<Value = Vec<u8>> {
            const PIECES: [&[u8]; 16] = [
                b"token",
                b"secret",
                b"password",
                b"api_key",
                b"ghp_",
                b"AKIA",
                b"key",
                b"://",
                b"=",
                b": ",
                b"\"",
                b"\n",
                b"\r\n",
                b"aB3dEf7hIj1lMn0pQr5t",
                b"%2F%3D",
                b"\xff\x00",
            ];
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..2048),
                prop::collection::vec(prop::sample::select(&PIECES[..]), 0..200)
                    .prop_map(|pieces| pieces.concat()),
            ]
        }

        proptest! {
            #[test]
            fn any_bytes_scan_to_matches_in_bounds_and_in_order(data in bytes()) {
                let e = engine();
                let found = e.scan(&data);
                for m in &found {
                    prop_assert!(m.rule < e.rules().len());
                    prop_assert!(m.secret.start < m.secret.end && m.secret.end <= data.len());
                    prop_assert!(m.whole.start <= m.secret.start && m.secret.end <= m.whole.end);
                    prop_assert!(m.whole.end <= data.len());
                    if m.decoded.is_some() {
                        prop_assert_eq!(&m.secret, &m.whole);
                    }
                }
                for pair in found.windows(2) {
                    let key = |m: &Match| (m.secret.start, m.secret.end, m.rule);
                    prop_assert!(key(&pair[0]) <= key(&pair[1]), "{:?}", pair);
                }
            }
        }
    }
}
