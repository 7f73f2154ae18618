//! The engine against the naive [`Reference`]: for generated and adversarial inputs, and for the
//! shared synthetic corpus, [`Engine::scan`] must report exactly what every rule's regex and
//! filters find over the whole text.
//!
//! Inputs are assembled from pieces that stress what the engine does to be fast: every rule's
//! examples and negative examples (so that the keyword prefilter fires, for every rule),
//! keywords without values, values split across lines, LF, CRLF and CR line ends, long lines
//! (past the windows' line snapping), ASCII and UTF-8 noise, and encoded values; then mutated a
//! few bytes at a time.
//!
//! `LEAKHOUND_ORACLE_CASES=N` runs `N` generated cases instead of the few a normal `cargo test`
//! can afford (a debug build runs every rule's regex over every byte of each case).

use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::sample::Index;

use super::reference::Reference;
use super::{Engine, Match, DEFAULT_DECODE_DEPTH};

/// The embedded rules with their examples, the engine over them and the reference.
struct Oracle {
    engine: &'static Engine,
    reference: Reference<'static>,
    /// Texts the inputs are made of, each a rule's example or negative example.
    examples: Vec<Vec<u8>>,
    negatives: Vec<Vec<u8>>,
    /// Every rule's keywords and near words.
    keywords: Vec<Vec<u8>>,
}

fn oracle() -> &'static Oracle {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    static ORACLE: OnceLock<Oracle> = OnceLock::new();
    ORACLE.get_or_init(|| {
        let engine = ENGINE.get_or_init(|| {
            Engine::new(crate::test_support::embedded_with_examples()).expect("engine builds")
        });
        let rules = engine.rules().rules();
        let examples = rules
            .iter()
            .flat_map(|r| r.spec.examples.iter().map(|e| e.as_bytes().to_vec()))
            .collect();
        let negatives = rules
            .iter()
            .flat_map(|r| r.spec.negative_examples.iter())
            .map(|e| e.as_bytes().to_vec())
            .collect();
        let mut keywords: Vec<Vec<u8>> = rules
            .iter()
            .flat_map(|r| r.spec.keywords.iter().chain(&r.spec.near_words))
            .map(|k| k.as_bytes().to_vec())
            .collect();
        keywords.sort();
        keywords.dedup();
        Oracle {
            reference: Reference::new(engine.rules(), DEFAULT_DECODE_DEPTH),
            engine,
            examples,
            negatives,
            keywords,
        }
    })
}

/// How many generated cases to run: `LEAKHOUND_ORACLE_CASES`, or `normal`.
fn cases(normal: u32) -> u32 {
    std::env::var("LEAKHOUND_ORACLE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(normal)
}

/// One piece of a generated input.
#[derive(Debug, Clone)]
enum Piece {
    Example(Index),
    Negative(Index),
    /// A keyword, then what may follow it without a value (`=`, `: `, a quote, nothing).
    Keyword(Index, &'static str),
    /// An example with a line end put in at some byte.
    Split(Index, Index, &'static str),
    /// An example, base64 or percent encoded, after a key or not.
    Encoded(Index, bool, &'static str),
    Ascii(String),
    Unicode(String),
    Bytes(Vec<u8>),
    LineEnd(&'static str),
    /// A line of about `n` bytes of short tokens, with no line end (minified code). Its tokens
    /// are short: a name or value longer than a window reaches past what the engine searches
    /// around a keyword ([`super::LINE_SNAP_LIMIT`] plus the rule's window), by design.
    LongLine(usize, &'static str),
}

/// What long lines are made of.
const FILLERS: [&str; 6] = [
    "a=1;",
    "x_0, ",
    " ",
    "\"ab\":\"c\",",
    "\u{e9}\u{20ac} ",
    "f(g)+h[i]-",
];

const LINE_ENDS: [&str; 4] = ["\n", "\r\n", "\r", "\n\n"];

fn line_end() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&LINE_ENDS[..])
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        6 => any::<Index>().prop_map(Piece::Example),
        2 => any::<Index>().prop_map(Piece::Negative),
        2 => (
            any::<Index>(),
            prop::sample::select(&["", "=", " = ", ": ", "=\"", "_KEY=", " token: '"][..])
        )
            .prop_map(|(k, after)| Piece::Keyword(k, after)),
        2 => (any::<Index>(), any::<Index>(), line_end())
            .prop_map(|(e, at, end)| Piece::Split(e, at, end)),
        1 => (
            any::<Index>(),
            any::<bool>(),
            prop::sample::select(&["password: ", "data = \"", "x=", "<v>", ""][..])
        )
            .prop_map(|(e, percent, key)| Piece::Encoded(e, percent, key)),
        2 => "[ -~]{0,24}".prop_map(Piece::Ascii),
        1 => "\\PC{0,8}".prop_map(Piece::Unicode),
        1 => prop::collection::vec(any::<u8>(), 0..8).prop_map(Piece::Bytes),
        3 => line_end().prop_map(Piece::LineEnd),
        1 => (200usize..1200, prop::sample::select(&FILLERS[..]))
            .prop_map(|(n, filler)| Piece::LongLine(n, filler)),
    ]
}

impl Piece {
    fn write(&self, o: &Oracle, out: &mut Vec<u8>) {
        match self {
            Piece::Example(i) => out.extend_from_slice(i.get::<Vec<u8>>(&o.examples)),
            Piece::Negative(i) => out.extend_from_slice(i.get::<Vec<u8>>(&o.negatives)),
            Piece::Keyword(i, after) => {
                out.extend_from_slice(i.get::<Vec<u8>>(&o.keywords));
                out.extend_from_slice(after.as_bytes());
            }
            Piece::Split(i, at, end) => {
                let example = i.get::<Vec<u8>>(&o.examples);
                let at = at.index(example.len() + 1);
                out.extend_from_slice(&example[..at]);
                out.extend_from_slice(end.as_bytes());
                out.extend_from_slice(&example[at..]);
            }
            Piece::Encoded(i, percent, key) => {
                use base64::Engine as _;
                let example = i.get::<Vec<u8>>(&o.examples);
                out.extend_from_slice(key.as_bytes());
                if *percent {
                    let encoded = percent_encoding::percent_encode(
                        example,
                        percent_encoding::NON_ALPHANUMERIC,
                    );
                    out.extend(encoded.flat_map(str::bytes));
                } else {
                    let encoded = base64::engine::general_purpose::STANDARD.encode(example);
                    out.extend_from_slice(encoded.as_bytes());
                }
                if key.ends_with('"') {
                    out.push(b'"');
                }
            }
            Piece::Ascii(s) | Piece::Unicode(s) => out.extend_from_slice(s.as_bytes()),
            Piece::Bytes(b) => out.extend_from_slice(b),
            Piece::LineEnd(end) => out.extend_from_slice(end.as_bytes()),
            Piece::LongLine(n, filler) => {
                let end = out.len() + n;
                while out.len() < end {
                    out.extend_from_slice(filler.as_bytes());
                }
            }
        }
    }
}

/// A change of a few bytes at some place in an input.
#[derive(Debug, Clone)]
enum Mutation {
    Insert(Index, u8),
    Delete(Index, usize),
    Replace(Index, u8),
    /// The case of the ASCII letters of a few bytes, flipped.
    FlipCase(Index, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<Index>(), prop::sample::select(&b"\n\r \"'=:%"[..]))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<Index>(), 1usize..4).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Replace(i, b)),
        (any::<Index>(), 1usize..16).prop_map(|(i, n)| Mutation::FlipCase(i, n)),
    ]
}

impl Mutation {
    fn apply(&self, text: &mut Vec<u8>) {
        match *self {
            Mutation::Insert(at, b) => {
                let at = at.index(text.len() + 1);
                text.insert(at, b);
            }
            _ if text.is_empty() => {}
            Mutation::Delete(at, n) => {
                let at = at.index(text.len());
                text.drain(at..(at + n).min(text.len()));
            }
            Mutation::Replace(at, b) => {
                let at = at.index(text.len());
                text[at] = b;
            }
            Mutation::FlipCase(at, n) => {
                let at = at.index(text.len());
                let end = (at + n).min(text.len());
                for b in &mut text[at..end] {
                    if b.is_ascii_alphabetic() {
                        *b ^= 0x20;
                    }
                }
            }
        }
    }
}

/// A generated input, shown as text (lossily) when a case fails.
#[derive(Clone)]
struct Text(Vec<u8>);

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "b{:?}", String::from_utf8_lossy(&self.0))
    }
}

/// An input: some pieces, then some mutations.
fn input() -> impl Strategy<Value = Text> {
    (
        prop::collection::vec(piece(), 1..12),
        prop::collection::vec(mutation(), 0..4),
    )
        .prop_map(|(pieces, mutations)| {
            let o = oracle();
            let mut text = Vec::new();
            for p in &pieces {
                p.write(o, &mut text);
            }
            for m in &mutations {
                m.apply(&mut text);
            }
            Text(text)
        })
}

/// A match as a line of a report, for failure messages.
fn describe(o: &Oracle, text: &[u8], m: &Match) -> String {
    let secret = match &m.decoded {
        Some((value, encoding)) => format!("{:?} ({encoding:?})", String::from_utf8_lossy(value)),
        None => format!("{:?}", String::from_utf8_lossy(&text[m.secret.clone()])),
    };
    format!(
        "{} secret {:?} whole {:?}: {secret}",
        o.engine.rule(m.rule).id(),
        m.secret,
        m.whole
    )
}

/// Whether the engine's `found` is the reference's `m`, or `m` with less of its context: a
/// window that starts inside the indentation or the name before a value (on a line longer than
/// the windows reach) sees the same secret with less in front of it.
fn same_secret(m: &Match, found: &Match) -> bool {
    m.rule == found.rule
        && m.secret == found.secret
        && m.decoded == found.decoded
        && m.whole.start <= found.whole.start
        && found.whole.end <= m.whole.end
}

/// `Err` naming what the engine missed and what it made up, unless it reports every match the
/// reference requires and nothing that the reference did not find; else how many matches
/// were required.
fn compare(text: &[u8]) -> Result<usize, String> {
    let o = oracle();
    compare_with(o, o.engine, text)
}

/// [`compare`] for another engine over the same rules.
fn compare_with(o: &Oracle, engine: &Engine, text: &[u8]) -> Result<usize, String> {
    let expected = o.reference.scan(text);
    let actual = engine.scan(text);
    let missing: Vec<String> = expected
        .required
        .iter()
        .filter(|m| !actual.contains(m))
        .map(|m| describe(o, text, m))
        .collect();
    let extra: Vec<String> = actual
        .iter()
        .filter(|m| !expected.all.iter().any(|r| same_secret(r, m)))
        .map(|m| describe(o, text, m))
        .collect();
    if missing.is_empty() && extra.is_empty() {
        return Ok(expected.required.len());
    }
    Err(format!(
        "engine and reference differ on {:?}\n  missed by the engine:\n    {}\n  only the engine:\n    {}",
        String::from_utf8_lossy(text),
        missing.join("\n    "),
        extra.join("\n    ")
    ))
}

/// Cases a normal `cargo test` runs: each costs every rule's regex over its input, about a
/// third of a second in a debug build.
const NORMAL_CASES: u32 = 40;

#[test]
fn the_engine_finds_what_the_reference_finds() {
    let config = ProptestConfig {
        cases: cases(NORMAL_CASES),
        // A failure prints its shrunk input; there is no source file to keep it beside.
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let required = std::cell::Cell::new(0);
    let result = runner.run(&input(), |text| {
        required.set(required.get() + compare(&text.0).map_err(TestCaseError::fail)?);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The inputs are made of examples: most cases hold matches that the engine must report.
    let cases = runner.config().cases as usize;
    eprintln!("{cases} cases, {} required matches", required.get());
    assert!(
        required.get() >= cases,
        "{} required matches in {cases} cases",
        required.get()
    );
}

#[test]
fn the_comparison_notices_a_lost_match() {
    // An engine that does not decode misses what the reference finds in an encoded value.
    let o = oracle();
    let plain = Engine::with_options(
        crate::test_support::embedded_with_examples(),
        super::EngineOptions {
            decode_depth: 0,
            ..super::EngineOptions::default()
        },
    )
    .expect("engine builds");
    use base64::Engine as _;
    let token = ["ghp_", "R4nd0mB0dyW1thD1g1tsAndL3tters012345"].concat();
    let text = format!(
        "data: {}\n",
        base64::engine::general_purpose::STANDARD.encode(format!("token={token}"))
    );
    let found = o.reference.scan(text.as_bytes());
    assert!(!found.required.is_empty(), "{found:?}");
    assert_eq!(
        compare_with(o, &plain, text.as_bytes()).map_err(|_| ()),
        Err(())
    );
    assert_eq!(compare(text.as_bytes()), Ok(found.required.len()));
}

/// The shared synthetic corpus's generator, beside the repository, if it is there.
fn corpus_generator() -> Option<std::path::PathBuf> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/gen_corpus.py");
    path.is_file().then_some(path)
}

/// Bytes of corpus text a normal run compares (about 6 KB a second in a debug build).
const NORMAL_CORPUS_BYTES: usize = 32 * 1024;

/// What a normal run compares around each of some planted values (until
/// [`NORMAL_CORPUS_BYTES`]): this many bytes on either side of it, whatever the file (a minified bundle's one line, a log, a binary blob). `LEAKHOUND_ORACLE_CASES`
/// compares every file whole.
const AROUND_PLANTED: usize = 1024;

/// The engine against the reference over the shared synthetic corpus (2 MB of realistic files
/// with planted secrets and decoys, plus stress files), generated into a temporary directory.
#[test]
fn the_engine_finds_what_the_reference_finds_in_the_synthetic_corpus() {
    let Some(generator) = corpus_generator() else {
        eprintln!("skipped: no ../shared/corpus/gen_corpus.py beside the repository");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("corpus");
    let generated = std::process::Command::new("python3")
        .arg(&generator)
        .args(["--size-mb", "2", "--seed", "11", "--out"])
        .arg(&out)
        .output();
    match generated {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!(
            "the corpus generator failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(e) => {
            eprintln!("skipped: cannot run python3 ({e})");
            return;
        }
    }
    let truth = std::fs::read_to_string(dir.path().join("corpus.truth.jsonl")).expect("truth");
    let whole_files = std::env::var_os("LEAKHOUND_ORACLE_CASES").is_some();
    let mut texts: Vec<(String, Vec<u8>)> = Vec::new();
    if whole_files {
        let mut stack = vec![out.clone()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).expect("read_dir").flatten() {
                let kind = entry.file_type().expect("file type");
                if kind.is_dir() {
                    stack.push(entry.path());
                } else if kind.is_file() {
                    let data = std::fs::read(entry.path()).expect("read");
                    texts.push((entry.path().display().to_string(), data));
                }
            }
        }
    } else {
        let mut bytes = 0;
        // Every third planted value: different files and kinds, not the first file's only.
        for line in truth.lines().step_by(3) {
            let planted: serde_json::Value = serde_json::from_str(line).expect("truth line");
            let (Some(path), Some(secret)) = (
                planted["path"].as_str(),
                planted["secret"].as_str().filter(|s| !s.is_empty()),
            ) else {
                continue;
            };
            let Ok(data) = std::fs::read(out.join(path)) else {
                continue;
            };
            // Where the value is (in a minified bundle's one line, a binary blob, a log...),
            // or the file's start if it is stored compressed or encoded.
            let at = data
                .windows(secret.len())
                .position(|w| w == secret.as_bytes())
                .unwrap_or(0);
            let piece = data
                [at.saturating_sub(AROUND_PLANTED)..(at + AROUND_PLANTED).min(data.len())]
                .to_vec();
            bytes += piece.len();
            texts.push((format!("{path} at byte {at}"), piece));
            if bytes >= NORMAL_CORPUS_BYTES {
                break;
            }
        }
    }
    let mut required = 0;
    for (name, text) in &texts {
        match compare(text) {
            Ok(n) => required += n,
            Err(e) => panic!("{name}: {e}"),
        }
    }
    eprintln!(
        "{} pieces of the corpus, {required} required matches",
        texts.len()
    );
    assert!(
        required >= texts.len() / 2,
        "{required} required matches in {} pieces",
        texts.len()
    );
}
