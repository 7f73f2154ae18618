//! The fixed words a rule's secret can be, read off its regex.
//!
//! Most rules report values of some shape (`ghp_[A-Za-z0-9]{36}`), but a few report one of a
//! handful of words: the vendor-default SNMP communities `public` and `private`, whatever
//! syntax they are configured in. Such a regex is typically a long alternation of syntaxes, the
//! dearest kind to run, and it cannot match in a window that holds none of the words: the
//! engine checks for them first.

use regex_syntax::hir::{Hir, HirKind};

use super::finite;

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
        for word in finite::words(group, MAX_WORDS)? {
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
