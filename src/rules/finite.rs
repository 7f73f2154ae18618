//! The few strings a small part of a regex can match, read off its syntax tree.
//!
//! `(?i:public|private)`, `api[_.-]?key` and `credentials?` each match only a handful of
//! strings. Knowing them tells which words every match of a rule holds, and whether those
//! include one of its keywords (see `factors`).

use regex_syntax::hir::{Class, Hir, HirKind};

/// Repetitions up to this many times are spelled out.
const MAX_REPEAT: u32 = 4;

/// Every string `hir` matches, lowercased and without duplicates, if there are at most `limit`
/// of them. Look-around assertions match no byte and count as the empty string. (The factors
/// analysis builds the same sets bottom-up; this is their definition, for tests.)
#[cfg(test)]
pub fn words(hir: &Hir, limit: usize) -> Option<Vec<Vec<u8>>> {
    // Unbounded length means endless strings: no need to look further.
    hir.properties().maximum_len()?;
    match hir.kind() {
        HirKind::Capture(capture) => words(&capture.sub, limit),
        HirKind::Alternation(hirs) => {
            let mut all = Vec::new();
            for h in hirs {
                all = union(all, words(h, limit)?, limit)?;
            }
            Some(all)
        }
        HirKind::Concat(hirs) => {
            let mut all = vec![Vec::new()];
            for h in hirs {
                all = product(all, &words(h, limit)?, limit)?;
            }
            Some(all)
        }
        HirKind::Repetition(repetition) => repeat(
            &words(&repetition.sub, limit)?,
            repetition.min,
            repetition.max,
            limit,
        ),
        _ => leaf(hir, limit),
    }
}

/// The words of a part without sub-parts: a literal, a class, an assertion.
pub fn leaf(hir: &Hir, limit: usize) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(vec![Vec::new()]),
        HirKind::Literal(literal) => Some(vec![literal.0.to_ascii_lowercase()]),
        HirKind::Class(class) => Some(
            class_bytes(class, limit)?
                .into_iter()
                .map(|b| vec![b])
                .collect(),
        ),
        _ => None,
    }
}

/// Both sets of words, if together they hold at most `limit`.
pub fn union(mut all: Vec<Vec<u8>>, more: Vec<Vec<u8>>, limit: usize) -> Option<Vec<Vec<u8>>> {
    all.extend(more);
    all.sort_unstable();
    all.dedup();
    (all.len() <= limit).then_some(all)
}

/// Each of `prefixes` followed by each of `suffixes`, if there are at most `limit`.
pub fn product(
    mut prefixes: Vec<Vec<u8>>,
    suffixes: &[Vec<u8>],
    limit: usize,
) -> Option<Vec<Vec<u8>>> {
    if prefixes.len() * suffixes.len() > limit {
        return None;
    }
    if let [suffix] = suffixes {
        // The common case (a literal, a case-folded letter): the words grow in place and
        // stay distinct.
        for prefix in &mut prefixes {
            prefix.extend_from_slice(suffix);
        }
        return Some(prefixes);
    }
    let mut all = Vec::with_capacity(prefixes.len() * suffixes.len());
    for prefix in &prefixes {
        for suffix in suffixes {
            let mut joined = Vec::with_capacity(prefix.len() + suffix.len());
            joined.extend_from_slice(prefix);
            joined.extend_from_slice(suffix);
            all.push(joined);
        }
    }
    union(Vec::new(), all, limit)
}

/// `once` repeated `min` to `max` times, if `max` is small and the words are few.
pub fn repeat(once: &[Vec<u8>], min: u32, max: Option<u32>, limit: usize) -> Option<Vec<Vec<u8>>> {
    let max = max.filter(|&max| max <= MAX_REPEAT)?;
    let mut all = Vec::new();
    let mut repeated = vec![Vec::new()];
    for count in 0..=max {
        if count >= min {
            all = union(all, repeated.clone(), limit)?;
        }
        if count < max {
            repeated = product(repeated, once, limit)?;
        }
    }
    Some(all)
}

/// The bytes a class matches, lowercased, if there are at most `limit`.
fn class_bytes(class: &Class, limit: usize) -> Option<Vec<u8>> {
    let mut seen = [false; 128];
    let mut count = 0;
    let mut add = |c: u32| -> Option<()> {
        let b = u8::try_from(c)
            .ok()
            .filter(u8::is_ascii)?
            .to_ascii_lowercase();
        if !seen[usize::from(b)] {
            seen[usize::from(b)] = true;
            count += 1;
        }
        (count <= limit).then_some(())
    };
    match class {
        Class::Bytes(class) => {
            for r in class.ranges() {
                for b in r.start()..=r.end() {
                    add(u32::from(b))?;
                }
            }
        }
        Class::Unicode(class) => {
            for r in class.ranges() {
                for c in u32::from(r.start())..=u32::from(r.end()) {
                    add(c)?;
                }
            }
        }
    }
    Some((0..128u8).filter(|&b| seen[usize::from(b)]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::rules::test_syntax::{hir, sorted};

    fn words_of(pattern: &str, limit: usize) -> Option<Vec<String>> {
        words(&hir(pattern), limit).map(sorted)
    }

    #[test]
    fn small_languages_are_spelled_out() {
        assert_eq!(
            words_of(r"(?i:api[_-]?key)", 16),
            Some(vec!["api-key".into(), "api_key".into(), "apikey".into()])
        );
        assert_eq!(
            words_of(r"\bcredentials?\b", 16),
            Some(vec!["credential".into(), "credentials".into()])
        );
        assert_eq!(words_of(r"x{1,2}", 16), Some(vec!["x".into(), "xx".into()]));
        assert_eq!(
            words_of(r"[Pp]ublic|PUBLIC", 16),
            Some(vec!["public".into()])
        );
    }

    #[test]
    fn large_or_open_languages_are_not() {
        assert_eq!(words_of(r"[a-z]", 16), None);
        assert_eq!(words_of(r"ab+", 16), None);
        assert_eq!(words_of(r"[ab][cd][ef][gh][ij]", 16), None);
        assert_eq!(words_of(r"x{5}", 16), None);
        assert_eq!(words_of(r"[\x80-\xFF]", 300), None);
    }
}
