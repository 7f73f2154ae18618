//! Whether a regex's matches stay within one line, read off its syntax tree.
//!
//! Most rules match within one line: a name, an operator and a value, or a token of some shape.
//! Many open with a boundary such as `[^A-Za-z0-9_]` or `[\s"']`, which may be the newline that
//! ends the line before, and some close with one. When a regex can match a `\n` byte only as the
//! first or the last byte of a match, each of its matches lies on the line of the keyword hit it
//! contains, plus the newlines around that line: the engine searches there and nowhere else.
//! Look-around assertions (`^`, `$`, `\b`) match no byte and do not count.

use regex_syntax::hir::{Hir, HirKind};

/// Whether every match of `hir` holds no `\n` byte except, perhaps, as its first or last byte.
pub fn is_single_line(hir: &Hir) -> bool {
    newlines_only_at_edges(hir, true, true)
}

/// Whether `hir` can match only without a newline, or with one at its first byte (if `first`)
/// or its last byte (if `last`).
fn newlines_only_at_edges(hir: &Hir, first: bool, last: bool) -> bool {
    if !can_match_newline(hir) {
        return true;
    }
    if !first && !last {
        return false;
    }
    if hir.properties().maximum_len().is_some_and(|len| len <= 1) {
        // One byte is both the first and the last.
        return true;
    }
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) | HirKind::Class(_) => true,
        HirKind::Literal(literal) => {
            literal.0.iter().enumerate().all(|(i, &b)| {
                b != b'\n' || (first && i == 0) || (last && i + 1 == literal.0.len())
            })
        }
        HirKind::Capture(capture) => newlines_only_at_edges(&capture.sub, first, last),
        HirKind::Alternation(hirs) => hirs.iter().all(|h| newlines_only_at_edges(h, first, last)),
        HirKind::Repetition(repetition) => {
            repetition.max == Some(1) && newlines_only_at_edges(&repetition.sub, first, last)
        }
        HirKind::Concat(hirs) => {
            // A part's first byte is the match's only if every part before it matches nothing
            // but the empty string; likewise for its last byte and the parts after it.
            let empty = |h: &Hir| h.properties().maximum_len() == Some(0);
            (0..hirs.len()).all(|i| {
                let at_first = first && hirs[..i].iter().all(empty);
                let at_last = last && hirs[i + 1..].iter().all(empty);
                newlines_only_at_edges(&hirs[i], at_first, at_last)
            })
        }
    }
}

fn can_match_newline(hir: &Hir) -> bool {
    use regex_syntax::hir::Class;
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => false,
        HirKind::Literal(literal) => literal.0.contains(&b'\n'),
        HirKind::Class(Class::Bytes(class)) => class
            .ranges()
            .iter()
            .any(|r| r.start() <= b'\n' && b'\n' <= r.end()),
        HirKind::Class(Class::Unicode(class)) => class
            .ranges()
            .iter()
            .any(|r| r.start() <= '\n' && '\n' <= r.end()),
        HirKind::Repetition(repetition) => {
            repetition.max != Some(0) && can_match_newline(&repetition.sub)
        }
        HirKind::Capture(capture) => can_match_newline(&capture.sub),
        HirKind::Concat(hirs) | HirKind::Alternation(hirs) => hirs.iter().any(can_match_newline),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single_line(pattern: &str) -> bool {
        is_single_line(&crate::rules::test_syntax::hir(pattern))
    }

    #[test]
    fn classes_without_newline_stay_on_one_line() {
        assert!(single_line(
            r"(?m:^)token[\x20\t]*=[\x20\t]*([^\s]{8,})\r?(?m:$)"
        ));
        assert!(single_line(r"\bghp_([A-Za-z0-9]{36})\b"));
        assert!(single_line(r"a(?:\n){0}b"));
    }

    #[test]
    fn a_newline_may_open_or_close_a_match() {
        assert!(single_line(r"(?:^|[\s'])--password[ \t]+(\S+)(?:\s|$)"));
        assert!(single_line(
            r"(?:(?m:^)[ \t]*|[^A-Za-z])secret[ \t]*=[ \t]*(\w+)"
        ));
        assert!(single_line("\nkey=(\\w+)\n"));
        assert!(single_line(r"(?:\s)?x(\w+)"));
    }

    #[test]
    fn a_newline_inside_a_match_is_not_one_line() {
        assert!(!single_line(r"token\s*=\s*(\S+)"));
        assert!(!single_line(r#""([^"]+)""#));
        assert!(!single_line(r"-----BEGIN\n(.+)"));
        assert!(!single_line(r"(?s)key(.)."));
        assert!(!single_line(r"a|b\nc"));
        // The optional `a` would put the newline second.
        assert!(!single_line(r"a?\nkey(\w+)"));
        assert!(!single_line(r"(?:\s\s)key(\w+)"));
        assert!(!single_line(r"key(\w+)\s\s"));
        assert!(!single_line(r"\s*key(\w+)"));
    }
}
