//! The fixed words a rule's secret can be, read off its regex.
//!
//! Most rules report values of some shape (`ghp_[A-Za-z0-9]{36}`), but a few report one of a
//! handful of words: the vendor-default SNMP communities `public` and `private`, whatever
//! syntax they are configured in. Such a regex is typically a long alternation of syntaxes, the
//! dearest kind to run, and it cannot match in a window that holds none of the words: the
//! engine checks for them first.

use regex_syntax::hir::{Class, Hir, HirKind};

/// More words than this and the check is not worth it.
const MAX_WORDS: usize = 16;

/// The words (lowercase, ASCII case to be ignored) that every capture group's match must be
/// one of, if there are few enough; `None` when a group can match something else.
pub fn of(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let mut groups = Vec::new();
    collect_groups(hir, &mut groups);
    if groups.is_empty() {
        return None;
    }
    let mut words: Vec<Vec<u8>> = Vec::new();
    for group in groups {
        for word in words_of(group)? {
            if word.is_empty() {
                return None;
            }
            if !words.contains(&word) {
                words.push(word);
            }
        }
    }
    (words.len() <= MAX_WORDS).then_some(words)
}

/// The outermost capture groups.
fn collect_groups<'h>(hir: &'h Hir, groups: &mut Vec<&'h Hir>) {
    match hir.kind() {
        HirKind::Capture(capture) => groups.push(&capture.sub),
        HirKind::Concat(hirs) | HirKind::Alternation(hirs) => {
            hirs.iter().for_each(|h| collect_groups(h, groups))
        }
        HirKind::Repetition(repetition) => collect_groups(&repetition.sub, groups),
        _ => {}
    }
}

/// Every string `hir` matches, lowercased, if it matches only a few fixed strings.
fn words_of(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Empty => Some(vec![Vec::new()]),
        HirKind::Literal(literal) => Some(vec![literal.0.to_ascii_lowercase()]),
        HirKind::Class(class) => Some(vec![vec![folded_byte(class)?]]),
        HirKind::Capture(capture) => words_of(&capture.sub),
        HirKind::Alternation(hirs) => {
            let mut words = Vec::new();
            for h in hirs {
                words.extend(words_of(h)?);
                if words.len() > MAX_WORDS {
                    return None;
                }
            }
            Some(words)
        }
        HirKind::Concat(hirs) => {
            let mut words = vec![Vec::new()];
            for h in hirs {
                let parts = words_of(h)?;
                if words.len() * parts.len() > MAX_WORDS {
                    return None;
                }
                words = words
                    .iter()
                    .flat_map(|w| {
                        parts.iter().map(move |p| {
                            let mut joined = w.clone();
                            joined.extend_from_slice(p);
                            joined
                        })
                    })
                    .collect();
            }
            Some(words)
        }
        _ => None,
    }
}

/// The one byte a class matches, ignoring ASCII case (`[Pp]`, `p`), if that is all it matches.
fn folded_byte(class: &Class) -> Option<u8> {
    let bytes: Vec<u8> = match class {
        Class::Bytes(class) => class
            .ranges()
            .iter()
            .flat_map(|r| r.start()..=r.end())
            .take(3)
            .collect(),
        Class::Unicode(class) => class
            .ranges()
            .iter()
            .flat_map(|r| u32::from(r.start())..=u32::from(r.end()))
            .take(3)
            .map(|c| u8::try_from(c).ok())
            .collect::<Option<_>>()?,
    };
    match bytes[..] {
        [b] => Some(b.to_ascii_lowercase()),
        [a, b] if a.is_ascii_alphabetic() && a.eq_ignore_ascii_case(&b) => {
            Some(a.to_ascii_lowercase())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(pattern: &str) -> Option<Vec<String>> {
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(pattern)
            .expect("pattern");
        of(&hir).map(|ws| {
            let mut ws: Vec<String> = ws
                .into_iter()
                .map(|w| String::from_utf8(w).expect("ascii"))
                .collect();
            ws.sort();
            ws
        })
    }

    #[test]
    fn fixed_words_in_every_group() {
        assert_eq!(
            words(r"community\s+((?i:public|private))\s|set ((?i:public))"),
            Some(vec!["private".into(), "public".into()])
        );
        assert_eq!(words(r"x(Ab|c)y"), Some(vec!["ab".into(), "c".into()]));
    }

    #[test]
    fn values_of_a_shape_are_not_words() {
        assert_eq!(words(r"ghp_([A-Za-z0-9]{36})"), None);
        assert_eq!(words(r"a((?i:public)|x+)"), None);
        assert_eq!(words(r"((?i:public))|([0-9a-f]{8})"), None);
        assert_eq!(words(r"no group"), None);
        assert_eq!(words(r"(a?)"), None);
        assert_eq!(words(r"([ab][cd][ef][gh][ij])"), None);
    }
}
