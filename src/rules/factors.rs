//! What every match of a regex must contain, read off its syntax tree in one pass.
//!
//! These facts steer the engine ([`Facts`]; the build works them out for the embedded rules,
//! the library for user rules, both with [`of`]):
//!
//! - Whether every match holds one of the rule's keywords. For most rules the keyword is part
//!   of what the regex matches (`ghp_`, `https://`, a name such as `api_key`), but some use it
//!   as context: `kind: Secret` a few lines above the values of a Kubernetes manifest. Only
//!   when the keyword is inside every match, and no newline but at its ends
//!   ([`single_line`]), does a match lie on its keyword's line.
//! - A few words of which every match holds one, other than the keywords: the token itself in
//!   `vault[\w.-]{0,20}?token\s*=...`, or the vendor-default communities `public` and `private`
//!   in a rule that reports only those. A window without any of them cannot match, and the
//!   regex, the dearest step, need not run there. Likewise a few bytes (`=`, `:`).
//!
//! All are conservative: `false` and `None` mean "cannot tell".

use regex_syntax::hir::{Hir, HirKind};

use super::{finite, single_line};

/// How many strings a part of a regex may stand for before it is treated as open-ended.
const LIMIT: usize = 64;

/// Required words shorter than this are too common to search for.
const SHORTEST: usize = 3;

/// Required words this long are rare enough: past it, fewer words are worth more than longer.
const GOOD_LENGTH: usize = 5;

/// Longest run of parts tried as one required word.
const MAX_RUN: usize = 16;

/// What is known of a regex.
#[derive(Debug, Default)]
pub struct Facts {
    /// Every match holds one of the keywords (ASCII case ignored) and no newline but at its
    /// ends: a match lies on the line of a keyword hit.
    pub on_keyword_line: bool,
    /// Lowercase words, at least one of which every match holds (ASCII case ignored), chosen
    /// to be unrelated to the keywords: a window found by a keyword always holds the keyword.
    pub required_words: Option<Vec<Vec<u8>>>,
    /// At most [`MAX_BYTES`] bytes (exact, not in any keyword), at least one of which every
    /// match holds: the `=` or `:` of an assignment. A window without any is skipped with a
    /// `memchr`, before anything else.
    pub required_bytes: Option<Vec<u8>>,
}

/// At most this many bytes are looked for (`memchr3`).
pub const MAX_BYTES: usize = 3;

/// Reads the facts of `hir` for a rule with `keywords` (matched ignoring ASCII case).
pub fn of<K: AsRef<[u8]>>(hir: &Hir, keywords: &[K]) -> Facts {
    let keywords: Vec<Vec<u8>> = keywords
        .iter()
        .map(|k| k.as_ref().to_ascii_lowercase())
        .collect();
    let keywords = &keywords[..];
    let part = analyze(hir, keywords);
    // Keywords match ignoring case, so a keyword's window holds its other bytes as they are,
    // but not its letters in either case.
    let mut in_keywords = [false; 256];
    for &b in keywords.iter().flatten() {
        in_keywords[usize::from(b)] = !b.is_ascii_alphabetic();
    }
    Facts {
        required_bytes: required_bytes(hir, &in_keywords),
        on_keyword_line: holds_keyword(keywords, &part) && single_line::is_single_line(hir),
        required_words: part.required.filter(|r| r.useful).map(|r| r.words),
    }
}

/// Whether every match holds one of `keywords`, by the analysis of the whole regex.
fn holds_keyword(keywords: &[Vec<u8>], whole: &Part) -> bool {
    !keywords.is_empty() && whole.holds
}

/// What is known of one part of a regex.
struct Part {
    /// Every string it matches, if there are few.
    words: Option<Vec<Vec<u8>>>,
    /// Every string it matches holds a keyword.
    holds: bool,
    /// The best set of words of which each of its matches holds one.
    required: Option<Required>,
}

struct Required {
    words: Vec<Vec<u8>>,
    /// No word is part of a keyword nor holds one, so a keyword's window need not hold it.
    useful: bool,
    shortest: usize,
}

impl Required {
    fn new(words: Vec<Vec<u8>>, keywords: &[Vec<u8>]) -> Option<Required> {
        let shortest = words.iter().map(Vec::len).min()?;
        if shortest < SHORTEST {
            // Too common to be worth a search, and so is any union with them.
            return None;
        }
        let useful = words.iter().all(|w| unrelated(w, keywords));
        if let (false, [word]) = (useful, &words[..]) {
            // One word with a keyword in it (`X-Vault-Token:` for `vault`): what is around
            // the keyword will do.
            if let Some(piece) = best_piece(word, keywords) {
                return Some(Required {
                    shortest: piece.len(),
                    words: vec![piece],
                    useful: true,
                });
            }
        }
        Some(Required {
            words,
            useful,
            shortest,
        })
    }

    /// Useful first, then words long enough to be rare, then fewer of them (which keeps the
    /// union of an alternation's branches small), then longer ones.
    fn better_than(&self, other: &Required) -> bool {
        let score = |r: &Required| {
            (
                r.useful,
                r.shortest.min(GOOD_LENGTH),
                std::cmp::Reverse(r.words.len()),
                r.shortest,
            )
        };
        score(self) > score(other)
    }
}

fn best(a: Option<Required>, b: Option<Required>) -> Option<Required> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.better_than(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

fn analyze(hir: &Hir, keywords: &[Vec<u8>]) -> Part {
    let all_hold = |words: &Option<Vec<Vec<u8>>>| {
        words
            .as_ref()
            .is_some_and(|ws| ws.iter().all(|w| contains_any(w, keywords)))
    };
    let as_required = |words: &Option<Vec<Vec<u8>>>| Required::new(words.clone()?, keywords);
    match hir.kind() {
        HirKind::Capture(capture) => analyze(&capture.sub, keywords),
        HirKind::Alternation(hirs) => {
            let parts: Vec<Part> = hirs.iter().map(|h| analyze(h, keywords)).collect();
            let holds = parts.iter().all(|p| p.holds);
            let mut words = Some(Vec::new());
            let mut required = Some(Vec::new());
            for part in parts {
                words = words
                    .zip(part.words)
                    .and_then(|(a, b)| finite::union(a, b, LIMIT));
                required = required
                    .zip(part.required)
                    .and_then(|(a, b)| finite::union(a, b.words, LIMIT));
            }
            let required = required.and_then(|r| Required::new(without_longer(r), keywords));
            let required = best(required, as_required(&words));
            Part {
                words,
                holds,
                required,
            }
        }
        HirKind::Concat(hirs) => {
            let mut parts: Vec<Part> = hirs.iter().map(|h| analyze(h, keywords)).collect();
            let mut words = Some(vec![Vec::new()]);
            for part in &parts {
                words = match (words, &part.words) {
                    (Some(a), Some(b)) => finite::product(a, b, LIMIT),
                    _ => None,
                };
            }
            let holds = parts.iter().any(|p| p.holds) || run_holds(&parts, keywords);
            let mut required = as_required(&words);
            for part in &mut parts {
                required = best(required, part.required.take());
            }
            let required = best(required, best_run(&parts, keywords));
            Part {
                words,
                holds,
                required,
            }
        }
        HirKind::Repetition(repetition) => {
            let sub = analyze(&repetition.sub, keywords);
            let words = sub
                .words
                .as_ref()
                .and_then(|once| finite::repeat(once, repetition.min, repetition.max, LIMIT));
            let holds = (repetition.min >= 1 && sub.holds) || all_hold(&words);
            let required = if repetition.min >= 1 {
                best(sub.required, as_required(&words))
            } else {
                as_required(&words)
            };
            Part {
                words,
                holds,
                required,
            }
        }
        _ => {
            let words = finite::leaf(hir, LIMIT);
            Part {
                holds: all_hold(&words),
                required: as_required(&words),
                words,
            }
        }
    }
}

/// The fewest and rarest bytes, none of them in a keyword, of which every match of `hir`
/// holds one.
fn required_bytes(hir: &Hir, in_keywords: &[bool; 256]) -> Option<Vec<u8>> {
    let bytes = Bytes::of(hir, in_keywords);
    let found = bytes
        .rarest_required(in_keywords)
        .map(|b| vec![b])
        .or(bytes.one_of)?;
    // Lowercase letters and spaces are in nearly every line: not worth a search.
    found
        .iter()
        .any(|&b| commonness(b) < COMMON)
        .then_some(found)
}

/// The [`commonness`] of lowercase letters and spaces.
const COMMON: u32 = 3;

/// What is known of the bytes in the matches of a part of a regex.
struct Bytes {
    /// Bytes that every match holds.
    every: [bool; 256],
    /// A few bytes, not in a keyword, of which every match holds one.
    one_of: Option<Vec<u8>>,
}

impl Bytes {
    fn of(hir: &Hir, in_keywords: &[bool; 256]) -> Bytes {
        let mut every = [false; 256];
        let mut one_of = None;
        match hir.kind() {
            HirKind::Literal(literal) => {
                for &b in literal.0.iter() {
                    every[usize::from(b)] = true;
                }
            }
            HirKind::Class(regex_syntax::hir::Class::Bytes(class)) => {
                let mut bytes = Vec::new();
                for range in class.ranges() {
                    bytes.extend(range.start()..=range.end());
                    if bytes.len() > MAX_BYTES {
                        break;
                    }
                }
                if let [b] = bytes[..] {
                    every[usize::from(b)] = true;
                } else if bytes.len() <= MAX_BYTES
                    && bytes.iter().all(|&b| !in_keywords[usize::from(b)])
                {
                    one_of = Some(bytes);
                }
            }
            HirKind::Capture(capture) => return Bytes::of(&capture.sub, in_keywords),
            HirKind::Repetition(repetition) if repetition.min >= 1 => {
                return Bytes::of(&repetition.sub, in_keywords);
            }
            HirKind::Concat(hirs) => {
                let mut candidates = Vec::new();
                for h in hirs {
                    let part = Bytes::of(h, in_keywords);
                    for (b, &holds) in part.every.iter().enumerate() {
                        every[b] |= holds;
                    }
                    candidates.extend(part.one_of);
                }
                one_of = candidates.into_iter().min_by_key(|bytes| score(bytes));
            }
            HirKind::Alternation(hirs) => {
                every = [true; 256];
                let mut union = Some(Vec::new());
                for h in hirs {
                    let part = Bytes::of(h, in_keywords);
                    for (b, &holds) in part.every.iter().enumerate() {
                        every[b] &= holds;
                    }
                    let branch = part
                        .rarest_required(in_keywords)
                        .map(|b| vec![b])
                        .or(part.one_of);
                    union = union.zip(branch).and_then(|(mut all, more)| {
                        all.extend(more);
                        all.sort_unstable();
                        all.dedup();
                        (all.len() <= MAX_BYTES).then_some(all)
                    });
                }
                one_of = union;
            }
            _ => {}
        }
        Bytes { every, one_of }
    }

    /// The rarest byte that every match holds and no keyword does.
    fn rarest_required(&self, in_keywords: &[bool; 256]) -> Option<u8> {
        (0..=255u8)
            .filter(|&b| self.every[usize::from(b)] && !in_keywords[usize::from(b)])
            .min_by_key(|&b| commonness(b))
    }
}

fn score(bytes: &[u8]) -> (usize, u32) {
    (bytes.len(), bytes.iter().map(|&b| commonness(b)).sum())
}

/// How common a byte is in text, roughly: lowercase letters and spaces most, punctuation and
/// rare capitals least.
fn commonness(b: u8) -> u32 {
    match b {
        b'a'..=b'z' | b' ' | b'\t' | b'\n' | b'\r' => COMMON,
        b'A' | b'E' | b'I' | b'L' | b'N' | b'O' | b'R' | b'S' | b'T' => 2,
        b'0'..=b'9' | b'.' | b',' | b'_' | b'-' | b'/' | b'"' | b'\'' => 2,
        _ => 1,
    }
}

/// Whether some run of consecutive parts, each matching only a few strings, holds a keyword
/// whatever strings they match: `(?i:api)[_.-]?(?i:key)` holds `api_key`, `api.key`, ...
fn run_holds(parts: &[Part], keywords: &[Vec<u8>]) -> bool {
    let longest_keyword = keywords.iter().map(Vec::len).max().unwrap_or(0);
    for start in 0..parts.len() {
        let mut run = vec![Vec::new()];
        // The fewest bytes between the run's first part and the part being added: once no
        // keyword is that short, none can reach from the first part into a new one, and the
        // run from the next part finds whatever a longer run from here would.
        let mut between = 0;
        for (i, part) in parts[start..].iter().enumerate() {
            let Some(words) = &part.words else {
                break;
            };
            if between >= longest_keyword {
                break;
            }
            let Some(longer) = finite::product(run, words, LIMIT) else {
                break;
            };
            run = longer;
            if run.iter().all(|word| contains_any(word, keywords)) {
                return true;
            }
            if i > 0 {
                between += words.iter().map(Vec::len).min().unwrap_or(0);
            }
        }
    }
    false
}

/// The best required words that a run of consecutive parts, each matching only a few
/// strings, spells: `(?i:x-vault-token)`, `(?:ro|rw)community`. The parts are taken in runs
/// as long as they stay few, each run once: trying every start would cost a regex's length
/// squared, at every compile.
fn best_run(parts: &[Part], keywords: &[Vec<u8>]) -> Option<Required> {
    let mut found = None;
    let mut run = vec![Vec::new()];
    let mut run_parts = 0;
    for part in parts {
        let fits = part
            .words
            .as_ref()
            .filter(|words| run_parts < MAX_RUN && run.len() * words.len() <= LIMIT);
        match fits {
            Some(words) => {
                run = finite::product(run, words, LIMIT).unwrap_or_default();
                run_parts += 1;
            }
            None => {
                let done = std::mem::replace(&mut run, vec![Vec::new()]);
                found = best(found, Required::new(done, keywords));
                run_parts = 0;
                if let Some(words) = &part.words {
                    run = words.clone();
                    run_parts = 1;
                }
            }
        }
    }
    best(found, Required::new(run, keywords))
}

/// The words without those that hold another: any window that holds one of them holds one of
/// the rest.
fn without_longer(mut words: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    words.sort_by_key(Vec::len);
    let mut kept: Vec<Vec<u8>> = Vec::with_capacity(words.len());
    for word in words {
        if !kept.iter().any(|k| contains(&word, k)) {
            kept.push(word);
        }
    }
    kept.sort_unstable();
    kept
}

/// Whether `word` holds no keyword and is part of none.
fn unrelated(word: &[u8], keywords: &[Vec<u8>]) -> bool {
    !contains_any(word, keywords) && !keywords.iter().any(|k| contains(k, word))
}

/// The longest part of `word` that is unrelated to every keyword.
fn best_piece(word: &[u8], keywords: &[Vec<u8>]) -> Option<Vec<u8>> {
    let mut found: Vec<(usize, usize)> = keywords
        .iter()
        .filter(|k| !k.is_empty())
        .flat_map(|k| {
            word.windows(k.len())
                .enumerate()
                .filter(move |(_, w)| w == &&k[..])
                .map(move |(i, _)| (i, i + k.len()))
        })
        .collect();
    found.sort_unstable();
    // Between two keyword occurrences, a piece may take all but one byte of each.
    let mut pieces = Vec::with_capacity(found.len() + 1);
    let mut start = 0;
    for &(at, end) in &found {
        pieces.push(start..end - 1);
        start = start.max(at + 1);
    }
    pieces.push(start..word.len());
    pieces
        .into_iter()
        .filter(|p| p.start < p.end)
        .map(|p| word[p].to_vec())
        .filter(|p| unrelated(p, keywords))
        .max_by_key(Vec::len)
}

fn contains_any(word: &[u8], keywords: &[Vec<u8>]) -> bool {
    keywords.iter().any(|k| contains(word, k))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::rules::test_syntax::{hir, sorted};

    fn facts(pattern: &str, keywords: &[&str]) -> Facts {
        of(&hir(pattern), keywords)
    }

    fn holds(pattern: &str, keywords: &[&str]) -> bool {
        let keywords: Vec<Vec<u8>> = keywords
            .iter()
            .map(|k| k.to_ascii_lowercase().into_bytes())
            .collect();
        holds_keyword(&keywords, &analyze(&hir(pattern), &keywords))
    }

    fn bytes(pattern: &str, keywords: &[&str]) -> Option<String> {
        facts(pattern, keywords)
            .required_bytes
            .map(|b| String::from_utf8(b).expect("ascii"))
    }

    #[test]
    fn bytes_every_match_needs() {
        let assignment = r"[A-Za-z_]*(?i:secret)[ \t]*(?:=|:=|=>|:)[ \t]*(\S+)";
        assert_eq!(bytes(assignment, &["secret"]), Some(":=".into()));
        assert_eq!(
            bytes(r"(?i:token)\s*=\s*(\S+)", &["token"]),
            Some("=".into())
        );
        // In a keyword: every window of that keyword holds it (letters only in some case).
        assert_eq!(bytes(r"value:\s*(\S+)", &["value:"]), None);
        assert_eq!(bytes(r"(?-i:VALUE)\s*(\S+)", &["value"]), Some("U".into()));
        // One branch can do without.
        assert_eq!(bytes(r"a=(\S+)|(\S+)", &["a"]), None);
        assert_eq!(bytes(r"x(?:[;,!]|\|\|)(\S+)", &["x"]), None);
    }

    fn required(pattern: &str, keywords: &[&str]) -> Option<Vec<String>> {
        facts(pattern, keywords).required_words.map(sorted)
    }

    #[test]
    fn keyword_inside_every_match() {
        assert!(holds(r"\bghp_([A-Za-z0-9]{36})\b", &["ghp_"]));
        assert!(holds(r"(?i:GHP_)([A-Za-z0-9]{36})", &["ghp_"]));
        assert!(holds(
            r"[A-Za-z_]*(?i:secret|api[_.-]?key)[ \t]*=[ \t]*(\S+)",
            &["secret", "api_key", "api.key", "api-key", "apikey"]
        ));
        assert!(holds(
            r"(?:https?|ftp)://\S+:(\S+)@",
            &["http://", "https://", "ftp://"]
        ));
        assert!(holds(r"x(?:token)+y|(secret)", &["token", "secret"]));
    }

    #[test]
    fn keyword_as_context_or_optional() {
        assert!(!holds(
            r"(?m:^)[ \t]+[a-z]+:[ \t]+(\S{8,})",
            &["kind: secret"]
        ));
        assert!(!holds(r"(?:token)?=(\S+)", &["token"]));
        assert!(!holds(r"(?i:api[_.-]?key)=(\S+)", &["api_key", "apikey"]));
        assert!(!holds(r"(?:token)*=(\S+)", &["token"]));
        assert!(!holds(r"token=(\S+)|other=(\S+)", &["token"]));
        assert!(!holds(r"token=(\S+)", &[]));
    }

    #[test]
    fn words_every_match_needs_besides_the_keyword() {
        assert_eq!(
            required(
                r"(?i:vault)[\w.-]{0,20}?(?i:token)\s*=\s*([sb]\.[A-Za-z0-9]{24})|(?i:vault)[^\n]*?X-Vault-Token:\s*(\S+)",
                &["vault"]
            ),
            Some(vec!["token".into()])
        );
        assert_eq!(
            required(
                r"community\s+((?i:public|private))\s|set ((?i:public))",
                &["community", "set "]
            ),
            Some(vec!["private".into(), "public".into()])
        );
    }

    #[test]
    fn no_words_when_a_match_can_do_without() {
        // Only the keyword itself, or words that every keyword's window holds.
        assert_eq!(required(r"\bghp_([A-Za-z0-9]{36})\b", &["ghp_"]), None);
        assert_eq!(required(r"value:\s*(\S+)", &["value:"]), None);
        assert_eq!(required(r"(?:value)?:\s*(\S+)", &["x"]), None);
        // A branch without any.
        assert_eq!(
            required(r"token\s*=(\S+)|secret\s*:(\S+)", &["token", "secret"]),
            None
        );
        // Too short to be worth a search.
        assert_eq!(required(r"key([sb]\.\w+)", &["key"]), None);
    }
}
