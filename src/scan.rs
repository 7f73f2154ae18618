//! The pipeline: content from a source, through the engine, out as findings, in parallel.
//!
//! This is where byte ranges become [`Finding`]s (line, column, fingerprint) and where the
//! counts for the summary are kept. It does not walk directories (that is `source::fs`) and does
//! not format anything (that is `report`). Git history and staged changes have their own
//! pipelines beside this one ([`history`], [`staged`]), built from the same [`scan_bytes`].

pub mod cache;
pub mod history;
pub mod shard;
pub mod staged;

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::engine::Engine;
use crate::finding::{fingerprint, Finding, LineCounter, Secret, SourceLine};
use crate::rules::Severity;
use crate::source::archive::{self, Format, Limits};
use crate::source::fs::{self, FileEntry};
use crate::source::{decode, SkipReason, Skipped};

/// What a scan did, for the summary and the reports.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub skipped: Vec<Skipped>,
    pub elapsed: Duration,
    /// Commits enumerated, when the input was git history (then "files" are blobs).
    pub commits: Option<u64>,
}

impl Stats {
    /// Skips counted by reason label, in a fixed order.
    pub fn skipped_by_reason(&self) -> Vec<(&'static str, usize)> {
        let mut counts: std::collections::BTreeMap<&'static str, usize> = Default::default();
        for s in &self.skipped {
            *counts.entry(s.reason.label()).or_default() += 1;
        }
        counts.into_iter().collect()
    }
}

/// Findings counted by severity, most severe first.
pub fn count_by_severity(findings: &[Finding]) -> Vec<(Severity, usize)> {
    Severity::ALL
        .iter()
        .map(|&s| (s, findings.iter().filter(|f| f.severity == s).count()))
        .collect()
}

/// Inputs at least this large are scanned in pieces (see [`scan_bytes`]).
const HUGE_INPUT: usize = 256 << 20;
/// About how much of a huge input one piece covers.
const HUGE_PIECE: usize = 64 << 20;
/// How far a piece reads past its end, so that a match that starts in it is seen whole: far
/// more than any secret, encoded value or private key block.
const HUGE_OVERLAP: usize = 1 << 20;

/// Scans one piece of content known as `path`; findings come back in position order.
///
/// A huge input (a multi-gigabyte log or dump let in by a raised `--max-file-size`) is scanned
/// in pieces of about [`HUGE_PIECE`] bytes cut after a line break, each read [`HUGE_OVERLAP`]
/// further, keeping the matches that start in it; a mapped file's pages are given back after
/// each piece, so memory stays at a piece or two rather than the file's size. Matches are those
/// of one scan of the whole input, as long as none is longer than the overlap.
pub fn scan_bytes(engine: &Engine, path: &str, data: &[u8]) -> Vec<Finding> {
    if data.len() < HUGE_INPUT {
        return scan_piece(engine, path, data, 0..data.len());
    }
    scan_in_pieces(engine, path, data, HUGE_PIECE, HUGE_OVERLAP)
}

/// [`scan_bytes`] of a huge input: pieces of about `piece` bytes, read `overlap` further.
fn scan_in_pieces(
    engine: &Engine,
    path: &str,
    data: &[u8],
    piece: usize,
    overlap: usize,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut start = 0;
    // Lines before `start`.
    let mut lines_before = 0;
    while start < data.len() {
        let cut = line_end_after(data, start + piece);
        // The overlap on both sides, from and to a line break: a match is kept by the piece its
        // secret starts in, and seen with the lines around it (`<password>` on the line above).
        let from = line_start_before(data, start.saturating_sub(overlap));
        let end = line_end_after(data, cut + overlap);
        let lines_skipped = memchr::memchr_iter(b'\n', &data[from..start]).count();
        let lines_at_from = lines_before - lines_skipped;
        findings.extend(
            scan_piece(engine, path, &data[from..end], start - from..cut - from)
                .into_iter()
                .map(|mut f| {
                    f.offset += from;
                    f.line += lines_at_from;
                    f.end_line += lines_at_from;
                    f
                }),
        );
        lines_before += memchr::memchr_iter(b'\n', &data[start..cut]).count();
        crate::source::mapped::release(&data[start..cut]);
        start = cut;
    }
    findings
}

/// Where the line holding byte `at` starts.
fn line_start_before(data: &[u8], at: usize) -> usize {
    memchr::memrchr(b'\n', &data[..at]).map_or(0, |i| i + 1)
}

/// Where the line holding byte `at` ends (just past its line break), or the end of `data`.
fn line_end_after(data: &[u8], at: usize) -> usize {
    if at >= data.len() {
        return data.len();
    }
    memchr::memchr(b'\n', &data[at..]).map_or(data.len(), |i| at + i + 1)
}

/// Scans `data`, keeping the matches whose secret starts in `keep` (the others belong to a
/// neighbouring piece of a huge input).
fn scan_piece(engine: &Engine, path: &str, data: &[u8], keep: Range<usize>) -> Vec<Finding> {
    let mut matches = engine.scan(data);
    matches.retain(|m| keep.contains(&m.secret.start));
    // Starts come in order; ends nearly so (two matches may overlap): a counter each, so that
    // neither goes back to the start of the file for the other.
    let mut starts = LineCounter::new(data);
    let mut ends = LineCounter::new(data);
    let mut findings = Vec::with_capacity(matches.len());
    for m in matches {
        let rule = engine.rule(m.rule);
        let (line, column) = starts.position(m.secret.start);
        let last_char = last_char_start(data, m.secret.clone());
        let (end_line, end_column) = ends.position(last_char);
        let secret = match &m.decoded {
            Some((value, _)) => Secret::new(value),
            None => Secret::new(&data[m.secret.clone()]),
        };
        findings.push(Finding {
            rule_id: rule.spec.id.clone(),
            rule_name: rule.spec.name.clone(),
            severity: rule.spec.severity,
            path: path.to_string(),
            line,
            column,
            end_line,
            end_column,
            offset: m.secret.start,
            fingerprint: fingerprint(&rule.spec.id, path, &secret),
            secret,
            encoding: m.decoded.as_ref().map(|(_, e)| e.as_str()),
            commit: None,
            origin: None,
            repository: None,
            member: None,
            git_message: None,
            source_line: SourceLine::around(data, m.secret.clone()),
            shares_line: false,
        });
    }
    mark_shared_lines(&mut findings);
    findings
}

/// Marks the findings whose line holds another, different secret (findings come in position
/// order, so a line's findings are neighbours).
fn mark_shared_lines(findings: &mut [Finding]) {
    let mut start = 0;
    while start < findings.len() {
        let line = findings[start].line;
        let end = start
            + findings[start..]
                .iter()
                .take_while(|f| f.line == line)
                .count();
        let group = &mut findings[start..end];
        let first = group[0].secret.clone();
        if group.iter().any(|f| f.secret != first) {
            for f in group {
                f.shares_line = true;
            }
        }
        start = end;
    }
}

/// Byte offset where the last character of `range` starts.
fn last_char_start(data: &[u8], range: std::ops::Range<usize>) -> usize {
    let mut i = range.end.saturating_sub(1).max(range.start);
    while i > range.start && (data[i] as i8) < -0x40 {
        i -= 1;
    }
    i
}

/// How files are read.
#[derive(Debug, Clone)]
pub struct FileOptions {
    /// Files larger than this are skipped (and reported as skipped), unless they are archives,
    /// whose own limits apply.
    pub max_file_size: u64,
    /// How archives are opened; `None`: they are not (`--no-archives`).
    pub archives: Option<Limits>,
}

/// What sees each file's findings as soon as they are made (for streaming output): all of one
/// file's at once, so that triage can see a line's other findings.
pub type OnFile<'a> = dyn Fn(&[Finding]) + Sync + 'a;

/// Scans files in parallel. `on_finding` sees each file's findings as soon as they are made
/// (for streaming output); the returned findings are sorted by path, line, column and rule.
pub fn scan_files(
    engine: &Engine,
    entries: &[FileEntry],
    options: &FileOptions,
    on_finding: &OnFile<'_>,
) -> (Vec<Finding>, Stats) {
    let tally = Tally::default();
    let mut findings: Vec<Finding> = entries
        .par_iter()
        .flat_map_iter(|entry| scan_and_tell(engine, entry, options, &tally, on_finding))
        .collect();
    tally.finish(&mut findings, None)
}

/// Scans each file that `walk` hands to its argument, on the thread that hands it over (a
/// parallel walk's threads: the walker shares its files out between them); returns what `walk`
/// returns, and otherwise as [`scan_files`].
///
/// Scanning on the walker's threads means nobody waits: with the walk on threads of its own
/// feeding rayon's through a channel, four threads took turns on two cores and the scanners
/// waited for files hundreds of times in a scan of the 100 MB corpus.
pub fn scan_walked<R>(
    engine: &Engine,
    options: &FileOptions,
    on_finding: &OnFile<'_>,
    walk: impl FnOnce(&(dyn Fn(FileEntry) + Sync)) -> R,
) -> (R, Vec<Finding>, Stats) {
    let tally = Tally::default();
    let findings = Mutex::new(Vec::new());
    let walked = walk(&|entry| {
        let found = scan_and_tell(engine, &entry, options, &tally, on_finding);
        if !found.is_empty() {
            findings
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(found);
        }
    });
    let mut findings = findings.into_inner().unwrap_or_else(|e| e.into_inner());
    let (findings, stats) = tally.finish(&mut findings, None);
    (walked, findings, stats)
}

/// Scans one file and shows its findings to `on_finding`.
fn scan_and_tell(
    engine: &Engine,
    entry: &FileEntry,
    options: &FileOptions,
    tally: &Tally,
    on_finding: &OnFile<'_>,
) -> Vec<Finding> {
    let found = scan_file(engine, entry, options, tally);
    if !found.is_empty() {
        on_finding(&found);
    }
    found
}

/// What parallel workers count while they scan; [`Tally::finish`] turns it into [`Stats`].
#[derive(Debug)]
pub struct Tally {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    pub skipped: Mutex<Vec<Skipped>>,
    pub started: Instant,
}

impl Default for Tally {
    /// Nothing counted yet; the clock starts now.
    fn default() -> Tally {
        Tally::new(Vec::new())
    }
}

impl Tally {
    /// Nothing counted yet but the skips already known (what listing a history or the staged
    /// changes could not read); the clock starts now.
    pub fn new(skipped: Vec<Skipped>) -> Tally {
        Tally {
            files: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            skipped: Mutex::new(skipped),
            started: Instant::now(),
        }
    }

    /// One more file (or blob) scanned, of `len` bytes.
    pub fn scanned(&self, len: u64) {
        self.scanned_many(1, len);
    }

    /// `files` files (an archive's members) of `bytes` bytes in all, scanned.
    pub fn scanned_many(&self, files: u64, bytes: u64) {
        self.files.fetch_add(files, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Files and bytes scanned, and the skips, as counted so far.
    pub fn into_parts(self) -> (u64, u64, Vec<Skipped>) {
        let skipped = self.skipped.into_inner().unwrap_or_else(|e| e.into_inner());
        (self.files.into_inner(), self.bytes.into_inner(), skipped)
    }

    /// One file (or blob) not scanned, and why.
    pub fn skip(&self, path: String, reason: SkipReason) {
        self.skipped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Skipped { path, reason });
    }

    /// Puts findings and skips in report order and totals the counts: the end of every scan.
    pub fn finish(
        self,
        findings: &mut Vec<Finding>,
        commits: Option<u64>,
    ) -> (Vec<Finding>, Stats) {
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let mut skipped = self.skipped.into_inner().unwrap_or_else(|e| e.into_inner());
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        let stats = Stats {
            files_scanned: self.files.into_inner(),
            bytes_scanned: self.bytes.into_inner(),
            skipped,
            elapsed: self.started.elapsed(),
            commits,
        };
        (std::mem::take(findings), stats)
    }
}

thread_local! {
    /// Each scanning thread reads file after file into one buffer.
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn scan_file(
    engine: &Engine,
    entry: &FileEntry,
    options: &FileOptions,
    tally: &Tally,
) -> Vec<Finding> {
    let skip = |reason: SkipReason| {
        tally.skip(entry.path.clone(), reason);
        Vec::new()
    };
    // The buffer is taken out while the file is scanned, not borrowed: a large file is
    // scanned by rayon tasks, and a thread that waits for them may take up another file's
    // scan meanwhile, which then reads into a buffer of its own.
    let mut buffer = READ_BUFFER.take();
    let found = match fs::read(&entry.fs_path, options.max_file_size, &mut buffer) {
        Err(SkipReason::TooLarge { size, limit }) => match &options.archives {
            // An artifact is often larger than any source file: an archive is held to the
            // archive limits instead.
            Some(limits) => match fs::map_archive(&entry.fs_path) {
                Ok(Some(map)) => {
                    let found = scan_archive(engine, &entry.path, &map, limits, tally);
                    if map.was_cut() {
                        tally.skip(entry.path.clone(), SkipReason::ChangedWhileRead);
                    }
                    found
                }
                Ok(None) => skip(SkipReason::TooLarge { size, limit }),
                Err(reason) => skip(reason),
            },
            None => skip(SkipReason::TooLarge { size, limit }),
        },
        Err(reason) => skip(reason),
        Ok(contents) => {
            let found = scan_data(
                engine,
                &entry.path,
                &contents,
                options.archives.as_ref(),
                tally,
            );
            // Findings from what was there stand; the report says the rest was not seen.
            if contents.was_cut() {
                tally.skip(entry.path.clone(), SkipReason::ChangedWhileRead);
            }
            found
        }
    };
    READ_BUFFER.set(buffer);
    found
}

/// The archive limits to open `data` with, when it is an archive and archives are opened.
pub fn archive_to_open<'l>(archives: Option<&'l Limits>, data: &[u8]) -> Option<&'l Limits> {
    archives.filter(|_| Format::sniff(data).is_some())
}

/// Scans `data`, known as `path`: an archive's members (with `archives`), or else the content
/// itself, counting what was scanned and what was not in `tally`.
pub fn scan_data(
    engine: &Engine,
    path: &str,
    data: &[u8],
    archives: Option<&Limits>,
    tally: &Tally,
) -> Vec<Finding> {
    if let Some(limits) = archive_to_open(archives, data) {
        return scan_archive(engine, path, data, limits, tally);
    }
    match scan_content(engine, path, data) {
        Ok(found) => {
            tally.scanned(data.len() as u64);
            found
        }
        Err(reason) => {
            tally.skip(path.to_string(), reason);
            Vec::new()
        }
    }
}

/// Scans the members of the archive `data`, known as `path`: each member's findings are named
/// `path!member`, each member counts as a file scanned, and what could not be opened is a skip.
pub fn scan_archive(
    engine: &Engine,
    path: &str,
    data: &[u8],
    limits: &Limits,
    tally: &Tally,
) -> Vec<Finding> {
    struct Collect<'a> {
        engine: &'a Engine,
        outer: &'a str,
        tally: &'a Tally,
        findings: Vec<Finding>,
    }
    impl archive::Visitor for Collect<'_> {
        fn member(&mut self, path: &str, data: &[u8]) {
            match scan_content(self.engine, path, data) {
                Ok(found) => {
                    self.tally.scanned(data.len() as u64);
                    let member = path
                        .strip_prefix(self.outer)
                        .and_then(|m| m.strip_prefix('!'))
                        .map(str::to_string);
                    self.findings.extend(found.into_iter().map(|mut f| {
                        f.member = member.clone();
                        f
                    }));
                }
                Err(reason) => self.tally.skip(path.to_string(), reason),
            }
        }

        fn skip(&mut self, path: &str, reason: SkipReason) {
            self.tally.skip(path.to_string(), reason);
        }
    }
    let mut collect = Collect {
        engine,
        outer: path,
        tally,
        findings: Vec::new(),
    };
    archive::walk(path, data, limits, &mut collect);
    collect.findings
}

/// Scans the content of a file (or of standard input) known as `path`, unless it is binary;
/// UTF-16 is transcoded first.
pub fn scan_content(engine: &Engine, path: &str, data: &[u8]) -> Result<Vec<Finding>, SkipReason> {
    let text = decode::text_of(data).ok_or(SkipReason::Binary)?;
    Ok(scan_bytes(engine, path, &text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        crate::test_support::engine_from(crate::test_support::DEMO_RULE)
    }

    #[test]
    fn a_huge_input_scanned_in_pieces_gives_the_findings_of_one_scan() {
        let engine = Engine::new(crate::test_support::embedded_with_examples()).expect("engine");
        // The examples of every fifth rule and of every rule with a multi-line example (private
        // keys, XML elements) between lines of code: hundreds of pieces, in a few seconds of a
        // debug build.
        let mut text = String::new();
        let rules = engine.rules().rules().iter().enumerate();
        let multi_line = |examples: &[String]| examples.iter().any(|e| e.contains('\n'));
        for (i, rule) in rules.filter(|(i, r)| i % 5 == 0 || multi_line(&r.spec.examples)) {
            for example in &rule.spec.examples {
                text.push_str(&format!("let x{i} = compute(y);\n{example}\n"));
            }
        }
        let whole = scan_piece(&engine, "f", text.as_bytes(), 0..text.len());
        assert!(whole.len() > 500, "{}", whole.len());
        let key = |f: &Finding| (f.rule_id.clone(), f.offset, f.line, f.column, f.end_line);
        let expected: Vec<_> = whole.iter().map(key).collect();
        for (piece, overlap) in [(4096, 2048), (50_000, 4096)] {
            let pieces = scan_in_pieces(&engine, "f", text.as_bytes(), piece, overlap);
            let got: Vec<_> = pieces.iter().map(key).collect();
            if got != expected {
                let mut counts = std::collections::BTreeMap::new();
                for k in &expected {
                    *counts.entry(k).or_insert(0i64) += 1;
                }
                for k in &got {
                    *counts.entry(k).or_insert(0i64) -= 1;
                }
                counts.retain(|_, n| *n != 0);
                panic!("pieces of {piece}, overlap {overlap}: missing (+) or extra (-) {counts:?}");
            }
        }
    }

    #[test]
    fn positions_and_end_columns() {
        let f = scan_bytes(&engine(), "a.txt", "é\nx = demo_abcd1234\n".as_bytes());
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].line, f[0].column, f[0].end_line, f[0].end_column),
            (2, 5, 2, 17)
        );
        assert_eq!(f[0].secret.expose(), "demo_abcd1234");
        assert_eq!(f[0].path, "a.txt");
    }

    #[test]
    fn large_files_beside_small_ones() {
        // A large file is scanned by rayon tasks; while a thread waits for them it may take up
        // the scan of another file, which must not find the read buffer in use.
        let dir = tempfile::tempdir().unwrap();
        let mut large = Vec::new();
        while large.len() < (1 << 20) + 1000 {
            large.extend_from_slice(b"line demo_abcd1234 and filler text\n");
        }
        for i in 0..2 {
            std::fs::write(dir.path().join(format!("large{i}.txt")), &large).unwrap();
        }
        for i in 0..32 {
            std::fs::write(dir.path().join(format!("small{i}.txt")), "demo_abcd1234").unwrap();
        }
        let (entries, _) = fs::walk(&[dir.path().to_path_buf()], &Default::default());
        let opts = FileOptions {
            max_file_size: 1 << 30,
            archives: None,
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let (findings, stats) = pool.install(|| scan_files(&engine(), &entries, &opts, &|_| {}));
        assert_eq!(stats.files_scanned, 2 + 32);
        assert!(stats.skipped.is_empty());
        assert_eq!(findings.len(), 2 * (large.len() / 35) + 32);
    }

    #[test]
    fn files_are_scanned_on_the_walkers_threads() {
        let dir = tempfile::tempdir().unwrap();
        for d in 0..8 {
            let sub = dir.path().join(format!("d{d}"));
            std::fs::create_dir(&sub).unwrap();
            for f in 0..16 {
                std::fs::write(sub.join(format!("{f}.txt")), "x demo_abcd1234\n").unwrap();
            }
        }
        std::fs::write(dir.path().join("big.txt"), "x".repeat(50)).unwrap();
        let roots = [dir.path().to_path_buf()];
        let opts = FileOptions {
            max_file_size: 20,
            archives: None,
        };
        let walk = fs::WalkOptions {
            threads: 2,
            ..Default::default()
        };
        let streamed = Mutex::new(0);
        let (walk_skips, findings, stats) = scan_walked(
            &engine(),
            &opts,
            &|found| *streamed.lock().unwrap() += found.len(),
            |scan_file| fs::walk_each(&roots, &walk, scan_file),
        );
        assert!(walk_skips.is_empty());
        assert_eq!(stats.files_scanned, 8 * 16);
        assert_eq!(findings.len(), 8 * 16);
        assert_eq!(*streamed.lock().unwrap(), 8 * 16);
        let paths: Vec<&str> = findings.iter().map(|f| f.path.as_str()).collect();
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(paths, sorted, "findings come back in path order");
        assert_eq!(stats.skipped.len(), 1);
        assert_eq!(stats.skipped[0].reason.label(), "too-large");
    }

    #[test]
    fn files_are_scanned_and_skips_recorded() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "demo_abcd1234").unwrap();
        std::fs::write(dir.path().join("b.bin"), b"\0\0demo_abcd1234").unwrap();
        std::fs::write(dir.path().join("c.txt"), "x".repeat(50)).unwrap();
        let (entries, _) = fs::walk(&[dir.path().to_path_buf()], &Default::default());
        let opts = FileOptions {
            max_file_size: 20,
            archives: None,
        };
        let (findings, stats) = scan_files(&engine(), &entries, &opts, &|_| {});
        assert_eq!(findings.len(), 1);
        assert_eq!(stats.files_scanned, 1);
        let reasons: Vec<_> = stats
            .skipped
            .iter()
            .map(|s| (s.path.as_str(), s.reason.label()))
            .collect();
        assert_eq!(reasons, vec![("b.bin", "binary"), ("c.txt", "too-large")]);
    }

    mod fingerprints {
        use super::*;
        use proptest::prelude::*;

        /// Lines of text with no demo token in them (no `_`), with any line end.
        fn lines() -> impl Strategy<Value = String> {
            prop::collection::vec(("[ -^`-~\u{e9}]{0,30}", "\n|\r\n|\r"), 0..8)
                .prop_map(|lines| lines.into_iter().map(|(l, end)| l + &end).collect())
        }

        proptest! {
            #[test]
            fn a_fingerprint_survives_edits_elsewhere_in_the_file(
                token in "[a-z0-9]{8}",
                before in lines(),
                after in lines(),
                indent in "[ \t]{0,6}",
                path in "[a-z]{1,8}(/[a-z ]{1,8}){0,2}\\.env",
            ) {
                let engine = engine();
                let line = format!("t = demo_{token}\n");
                let alone = scan_bytes(&engine, &path, line.as_bytes());
                let edited = format!("{before}{indent}{line}{after}");
                let moved = scan_bytes(&engine, &path, edited.as_bytes());
                prop_assert_eq!(alone.len(), 1);
                prop_assert_eq!(moved.len(), 1, "{:?}", edited);
                prop_assert_eq!(&alone[0].fingerprint, &moved[0].fingerprint);
                prop_assert_eq!(moved[0].line, 1 + before.matches('\n').count());
                // Another file, rule or secret is another finding.
                let elsewhere = scan_bytes(&engine, &format!("{path}.bak"), edited.as_bytes());
                prop_assert_ne!(&elsewhere[0].fingerprint, &moved[0].fingerprint);
                let reversed: String = token.chars().rev().collect();
                if reversed != token {
                    let other = scan_bytes(&engine, &path, format!("t = demo_{reversed}\n").as_bytes());
                    prop_assert_ne!(&other[0].fingerprint, &alone[0].fingerprint);
                }
            }
        }
    }
}
