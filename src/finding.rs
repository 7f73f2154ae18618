//! Findings: a rule match turned into what a person or a script acts on.
//!
//! A finding has the rule, where the secret is (1-based line and character column, start and
//! end), a fingerprint that survives edits elsewhere in the file, and the secret itself wrapped
//! in [`Secret`], whose `Debug` and `Display` redact, so that a stray log line cannot leak it.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::rules::Severity;

/// A secret value. Formatting it redacts; [`Secret::expose`] is the one way to the raw text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    pub fn new(bytes: &[u8]) -> Secret {
        Secret(String::from_utf8_lossy(bytes).into_owned())
    }

    /// The raw secret, for `--show-secrets` and for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// At most the first four characters (fewer for short secrets), then an ellipsis:
    /// enough to recognise `ghp_…` or `AKIA…`, never enough to use.
    pub fn redacted(&self) -> String {
        let chars = self.0.chars().count();
        let keep = (chars / 5).min(4);
        let mut out: String = self.0.chars().take(keep).collect();
        out.push('…');
        out
    }

    /// Hex SHA-256 of the secret (for fingerprints; never shown on its own).
    fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_bytes()).into()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The line (or lines) a secret stands on, for triage to read inline markers and line
/// allowlists: held in memory only, never written to a report, and redacted by `Debug`, since it
/// holds the secret. A very long line (a minified bundle) is cut to [`SourceLine::REACH`] bytes
/// on either side of the secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SourceLine(Box<str>);

impl SourceLine {
    /// How far before and after the secret the line is kept.
    pub const REACH: usize = 2048;

    /// The line(s) of `data` holding `secret` (a byte range), without the line break.
    pub fn around(data: &[u8], secret: std::ops::Range<usize>) -> SourceLine {
        let start = secret.start.min(data.len());
        let end = secret.end.clamp(start, data.len());
        let from = start.saturating_sub(Self::REACH);
        let line_start = memchr::memrchr(b'\n', &data[from..start]).map_or(from, |i| from + i + 1);
        let to = end.saturating_add(Self::REACH).min(data.len());
        let line_end = memchr::memchr(b'\n', &data[end..to]).map_or(to, |i| end + i);
        let line = &data[line_start..line_end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        SourceLine(String::from_utf8_lossy(line).into())
    }

    /// The text, for triage only.
    pub fn text(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SourceLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SourceLine({} bytes)", self.0.len())
    }
}

/// Where a finding was made in git history (absent for working-tree findings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    pub commit: String,
    pub author: String,
    pub email: String,
    /// RFC 3339 commit time.
    pub date: String,
    /// Is the secret still present at HEAD?
    pub in_head: bool,
    /// How many blobs (versions of files) carry this same secret.
    pub blob_count: usize,
}

/// A git message that holds a secret: not a file, so a finding in one is located by a
/// pseudo-path under `.git/` (which no tracked file can have: git refuses `.git` as a path
/// component), with lines and columns counted in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitMessage {
    /// The message of the commit `id` (full hexadecimal id).
    Commit { id: String },
    /// The message of the annotated tag `name` (as the tag object records it; its id is `id`).
    Tag { name: String, id: String },
}

impl GitMessage {
    /// `commit` or `tag`, in reports.
    pub fn kind(&self) -> &'static str {
        match self {
            GitMessage::Commit { .. } => "commit",
            GitMessage::Tag { .. } => "tag",
        }
    }

    /// `.git/commits/<id>/message` or `.git/tags/<name>/message`: the finding's path, and so
    /// part of its fingerprint (stable as long as the commit or the tag's name is).
    pub fn path(&self) -> String {
        match self {
            GitMessage::Commit { id } => format!(".git/commits/{id}/message"),
            GitMessage::Tag { name, .. } => format!(".git/tags/{name}/message"),
        }
    }
}

/// One secret found.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule_id: String,
    pub rule_name: String,
    pub severity: Severity,
    /// Relative to the scan root, `/`-separated.
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    /// Column of the secret's last character (inclusive).
    pub end_column: usize,
    /// Byte offset of the secret in the scanned content.
    pub offset: usize,
    pub secret: Secret,
    pub fingerprint: String,
    /// `base64` or `percent` when the secret was found inside an encoded value (the location
    /// is then that of the encoded value).
    pub encoding: Option<&'static str>,
    pub commit: Option<CommitInfo>,
    /// What part of a release scan found it: `tree`, `history` or `artifact` (none outside
    /// `leakhound release`).
    pub origin: Option<&'static str>,
    /// In a scan of many repositories: the repository (as listed, or relative to the directory
    /// searched); `path` then starts with it.
    pub repository: Option<String>,
    /// For a secret inside an archive: the member's path within the outermost file
    /// (`app/settings.py`, nested `inner.zip!x/y.env`); `path` is then `outer!member`.
    pub member: Option<String>,
    /// For a secret in a commit's or a tag's message rather than in a file: which message
    /// (`path` is then its pseudo-path, and `commit` the commit, or the commit tagged).
    pub git_message: Option<GitMessage>,
    /// The line the secret stands on, for triage (never reported).
    pub source_line: SourceLine,
    /// Another secret stands on the same line of the same content (a marker on such a line
    /// allows neither). Set when the content is scanned, so that it holds for the version of the
    /// file the finding comes from, whatever commit a history scan attributes it to.
    pub shares_line: bool,
}

impl Finding {
    /// The file on disk (or in the repository) that holds the finding: `path` without the
    /// archive member.
    pub fn outer_path(&self) -> &str {
        match &self.member {
            Some(m) => self
                .path
                .strip_suffix(m.as_str())
                .and_then(|p| p.strip_suffix('!'))
                .unwrap_or(&self.path),
            None => &self.path,
        }
    }

    /// The order reports use: path, line, column, rule.
    pub fn sort_key(&self) -> (&str, usize, usize, &str, Option<&str>) {
        (
            &self.path,
            self.line,
            self.column,
            &self.rule_id,
            self.commit.as_ref().map(|c| c.commit.as_str()),
        )
    }
}

/// `rule id + secret hash + path`, hashed: stable when lines move, different per file and rule,
/// and no way back to the secret.
pub fn fingerprint(rule_id: &str, path: &str, secret: &Secret) -> String {
    let mut h = Sha256::new();
    h.update(b"leakhound-fingerprint-v1\0");
    h.update(rule_id.as_bytes());
    h.update(b"\0");
    h.update(path.as_bytes());
    h.update(b"\0");
    h.update(secret.digest());
    hex(&h.finalize()[..16])
}

/// A hash of rule and secret only (no path, no line): the base of SARIF's
/// `primaryLocationLineHash`, which GitHub pairs with the file itself.
pub fn secret_line_hash(rule_id: &str, secret: &Secret) -> String {
    let mut h = Sha256::new();
    h.update(b"leakhound-line-v1\0");
    h.update(rule_id.as_bytes());
    h.update(b"\0");
    h.update(secret.digest());
    hex(&h.finalize()[..8])
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Turns byte offsets into 1-based lines and character columns, walking forward through the
/// content once for offsets given in increasing order.
#[derive(Debug)]
pub struct LineCounter<'a> {
    data: &'a [u8],
    offset: usize,
    line: usize,
    line_start: usize,
    /// Characters from `line_start` to `offset`: counted on from one position to the next,
    /// so that many findings on one long line (minified JSON, a bundle) cost one pass over it,
    /// not one from its start each.
    line_chars: usize,
}

impl<'a> LineCounter<'a> {
    pub fn new(data: &'a [u8]) -> LineCounter<'a> {
        LineCounter {
            data,
            offset: 0,
            line: 1,
            line_start: 0,
            line_chars: 0,
        }
    }

    /// (line, column) of the byte at `at`; cheapest when calls come in increasing order.
    pub fn position(&mut self, at: usize) -> (usize, usize) {
        let at = at.min(self.data.len());
        if at < self.offset {
            *self = LineCounter::new(self.data);
        }
        let chunk = &self.data[self.offset..at];
        // Counted in bulk (a vector count), not newline by newline: a file with findings is
        // counted up to its last one, and config files run to thousands of short lines.
        if let Some(last) = memchr::memrchr(b'\n', chunk) {
            self.line += memchr::memchr_iter(b'\n', chunk).count();
            self.line_start = self.offset + last + 1;
            self.line_chars = char_count(&self.data[self.line_start..at]);
        } else {
            self.line_chars += char_count(chunk);
        }
        self.offset = at;
        (self.line, 1 + self.line_chars)
    }
}

/// Characters in UTF-8 text (bytes that do not continue a multi-byte sequence).
fn char_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_little() {
        assert_eq!(
            Secret::new(b"ghp_abcdefghijklmnopqrstuvwxyz0123456789").redacted(),
            "ghp_…"
        );
        assert_eq!(Secret::new(b"public").redacted(), "p…");
        assert_eq!(Secret::new(b"abc").redacted(), "…");
        assert_eq!(
            format!("{:?}", Secret::new(b"supersecretvalue")),
            "Secret(sup…)"
        );
        assert_eq!(Secret::new("é".repeat(10).as_bytes()).redacted(), "éé…");
    }

    #[test]
    fn source_lines_are_whole_lines_cut_when_long_and_never_shown() {
        let text = b"first\r\nkey = s3cret # leakhound:allow\r\nlast";
        let at = 13..19;
        assert_eq!(&text[at.clone()], b"s3cret");
        let line = SourceLine::around(text, at);
        assert_eq!(line.text(), "key = s3cret # leakhound:allow");
        assert_eq!(format!("{line:?}"), "SourceLine(30 bytes)");
        let long = format!("{}SECRET{}", "a".repeat(5000), "b".repeat(5000));
        let line = SourceLine::around(long.as_bytes(), 5000..5006);
        assert_eq!(line.text().len(), 2 * SourceLine::REACH + 6);
        assert!(line.text().contains("SECRET"));
        // A range past the end is the last line.
        assert_eq!(SourceLine::around(b"a\nx", 5..9).text(), "x");
    }

    #[test]
    fn git_messages_have_pseudo_paths_no_file_can_have() {
        let commit = GitMessage::Commit {
            id: "1a".repeat(20),
        };
        assert_eq!(
            commit.path(),
            format!(".git/commits/{}/message", "1a".repeat(20))
        );
        let tag = GitMessage::Tag {
            name: "release/v1.0".into(),
            id: "2b".repeat(20),
        };
        assert_eq!(tag.path(), ".git/tags/release/v1.0/message");
        assert_eq!((commit.kind(), tag.kind()), ("commit", "tag"));
    }

    #[test]
    fn fingerprint_depends_on_rule_path_and_secret_only() {
        let s = Secret::new(b"s3cr3t-value");
        let a = fingerprint("r", "a/b.txt", &s);
        assert_eq!(a, fingerprint("r", "a/b.txt", &s));
        assert_ne!(a, fingerprint("r", "a/c.txt", &s));
        assert_ne!(a, fingerprint("q", "a/b.txt", &s));
        assert_ne!(a, fingerprint("r", "a/b.txt", &Secret::new(b"other")));
        assert!(!a.contains("s3cr3t"));
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn positions_are_one_based_in_characters() {
        let text = "ab\nçd key\r\nx";
        let mut lc = LineCounter::new(text.as_bytes());
        assert_eq!(lc.position(0), (1, 1));
        let key = text.find("key").unwrap();
        assert_eq!(lc.position(key), (2, 4));
        let x = text.find('x').unwrap();
        assert_eq!(lc.position(x), (3, 1));
        // Going backwards restarts.
        assert_eq!(lc.position(1), (1, 2));
    }

    /// Checks every `step`-th position of `text`, in order, against counting from its start.
    fn agrees_with_a_naive_count(text: &str, step: usize) {
        let mut lc = LineCounter::new(text.as_bytes());
        for at in (0..text.len())
            .step_by(step)
            .filter(|&at| text.is_char_boundary(at))
        {
            let before = &text[..at];
            let line = 1 + before.matches('\n').count();
            let column = 1 + before.rsplit('\n').next().map_or(0, |l| l.chars().count());
            assert_eq!(lc.position(at), (line, column), "at {at}");
        }
    }

    #[test]
    fn positions_over_many_lines_match_a_naive_count() {
        let lines: String = (0..1000)
            .map(|i| format!("{}\n", "é".repeat(i % 7)))
            .collect();
        agrees_with_a_naive_count(&lines, 97);
        // Many positions on one long line, then past its end.
        agrees_with_a_naive_count(&format!("x\n{}\nlast", "aé€".repeat(500)), 13);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;
        use proptest::sample::Index;

        /// Text with every kind of line end and of character, and bytes that are not UTF-8.
        fn text() -> impl Strategy<Value = Vec<u8>> {
            const PIECES: [&[u8]; 14] = [
                b"a",
                b"key = v",
                b" ",
                b"\n",
                b"\r\n",
                b"\r",
                b"\n\r",
                "\u{e9}".as_bytes(),
                "\u{20ac}".as_bytes(),
                "\u{1f600}".as_bytes(),
                b"\x80",
                b"\xff",
                b"\xc3",
                b"\xe2\x82",
            ];
            let piece = prop::sample::select(&PIECES[..]);
            prop::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
        }

        /// Lines end at LF (a CR is a character of its line: the end of a CRLF line, or a
        /// character inside an old Mac file's single line); a column counts the bytes that
        /// start a character, so a stray continuation byte takes none.
        fn naive(data: &[u8], at: usize) -> (usize, usize) {
            let at = at.min(data.len());
            let before = &data[..at];
            let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let starts = before[line_start..]
                .iter()
                .filter(|&&b| !(0x80..0xc0).contains(&b))
                .count();
            (line, 1 + starts)
        }

        proptest! {
            #[test]
            fn positions_agree_with_a_naive_count(
                data in text(),
                offsets in prop::collection::vec(any::<Index>(), 1..20),
                past_the_end in 0usize..3,
            ) {
                let mut offsets: Vec<usize> =
                    offsets.iter().map(|i| i.index(data.len() + 1)).collect();
                offsets.push(data.len() + past_the_end);
                // In any order (a counter goes back to the start for an earlier offset), then
                // in increasing order, as scan_bytes asks.
                let mut counter = LineCounter::new(&data);
                for &at in &offsets {
                    prop_assert_eq!(counter.position(at), naive(&data, at), "at {}", at);
                }
                offsets.sort_unstable();
                let mut counter = LineCounter::new(&data);
                for &at in &offsets {
                    let position = counter.position(at);
                    prop_assert_eq!(position, naive(&data, at), "at {}", at);
                    // Where the text is UTF-8, a column is the characters before it, plus one.
                    if let Ok(before) = std::str::from_utf8(&data[..at.min(data.len())]) {
                        let line = before.rsplit('\n').next().unwrap_or_default();
                        prop_assert_eq!(position.1, 1 + line.chars().count());
                    }
                }
            }
        }
    }
}
