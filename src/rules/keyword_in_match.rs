//! Whether every match of a regex holds one of its rule's keywords, read off its syntax tree.
//!
//! Keywords steer the engine to where a rule may match. For most rules the keyword is part of
//! what the regex matches (`ghp_`, `https://`, a name such as `api_key`), but some use it as
//! context: `kind: Secret` a few lines above the values of a Kubernetes manifest. Only when the
//! keyword is inside every match does a match lie on its keyword's line; this module tells
//! which kind a rule is, conservatively: `false` means "cannot tell".

use regex_syntax::hir::{Hir, HirKind};

use super::finite;

/// How many strings a part of a regex may stand for before it is treated as open-ended.
const LIMIT: usize = 64;

/// Whether every string `hir` matches contains one of `keywords` (lowercase), ASCII case
/// ignored.
pub fn every_match_holds_a_keyword(hir: &Hir, keywords: &[Vec<u8>]) -> bool {
    !keywords.is_empty() && holds(hir, keywords)
}

fn holds(hir: &Hir, keywords: &[Vec<u8>]) -> bool {
    let all_hold = |words: &[Vec<u8>]| words.iter().all(|w| contains_any(w, keywords));
    if let Some(words) = finite::words(hir, LIMIT) {
        return all_hold(&words);
    }
    match hir.kind() {
        HirKind::Capture(capture) => holds(&capture.sub, keywords),
        HirKind::Alternation(hirs) => hirs.iter().all(|h| holds(h, keywords)),
        HirKind::Repetition(repetition) => repetition.min >= 1 && holds(&repetition.sub, keywords),
        HirKind::Concat(hirs) => {
            let words: Vec<Option<Vec<Vec<u8>>>> =
                hirs.iter().map(|h| finite::words(h, LIMIT)).collect();
            let part_holds = hirs.iter().zip(&words).any(|(h, words)| match words {
                Some(words) => all_hold(words),
                None => holds(h, keywords),
            });
            part_holds || run_holds(&words, keywords)
        }
        _ => false,
    }
}

/// Whether some run of consecutive parts, each matching only a few strings, holds a keyword
/// whatever strings they match: `(?i:api)[_.-]?(?i:key)` holds `api_key`, `api.key`, ...
fn run_holds(parts: &[Option<Vec<Vec<u8>>>], keywords: &[Vec<u8>]) -> bool {
    let longest_keyword = keywords.iter().map(Vec::len).max().unwrap_or(0);
    for start in 0..parts.len() {
        let mut run = vec![Vec::new()];
        // The fewest bytes between the run's first part and the part being added: once no
        // keyword is that short, none can reach from the first part into a new one, and the
        // run from the next part finds whatever a longer run from here would.
        let mut between = 0;
        for (i, part) in parts[start..].iter().enumerate() {
            let Some(words) = part else {
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

fn contains_any(word: &[u8], keywords: &[Vec<u8>]) -> bool {
    keywords
        .iter()
        .any(|k| !k.is_empty() && word.windows(k.len()).any(|w| w == &k[..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(pattern: &str, keywords: &[&str]) -> bool {
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(pattern)
            .expect("pattern");
        let keywords: Vec<Vec<u8>> = keywords
            .iter()
            .map(|k| k.to_ascii_lowercase().into_bytes())
            .collect();
        every_match_holds_a_keyword(&hir, &keywords)
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
}
