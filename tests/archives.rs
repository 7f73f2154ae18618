//! End-to-end tests of archive scanning: members found and named `outer!member` in every
//! format, SARIF pointing at the outer file, fingerprints that survive a rebuild, history blobs,
//! `--no-archives`, and hostile archives (bombs, deep nesting, damage) skipped with their reason
//! while the scan goes on, in bounded time. Archives are built here; the secrets are fakes.

mod common;

use std::io::{Cursor, Write};
use std::time::{Duration, Instant};

use common::{git, run, token, validate_sarif};
use serde_json::Value;

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in files {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            // A rebuild of the same content at another time.
            .last_modified_time(zip::DateTime::default_for_write());
        w.start_file(*name, options).expect("start");
        w.write_all(data).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

fn tar_gz_of(files: &[(&str, &[u8])], mtime: u64) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(mtime);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, *data).expect("append");
    }
    let tar = b.into_inner().expect("tar");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&tar).expect("gz");
    e.finish().expect("gz")
}

/// `dist/release.tar.gz` holding a wheel whose settings module has a token.
fn release_tree(mtime: u64) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = token(31);
    let settings = format!("GITHUB_TOKEN = \"{secret}\"\n");
    let wheel = zip_of(&[
        ("app/__init__.py", b"" as &[u8]),
        ("app/settings.py", settings.as_bytes()),
    ]);
    let tgz = tar_gz_of(
        &[("app-1.0-py3-none-any.whl", &wheel), ("README", b"hello\n")],
        mtime,
    );
    std::fs::create_dir_all(dir.path().join("dist")).expect("mkdir");
    std::fs::write(dir.path().join("dist/release.tar.gz"), tgz).expect("write");
    (dir, secret)
}

#[test]
fn a_token_in_a_wheel_in_a_tarball_is_found_and_named_in_every_format() {
    let (dir, secret) = release_tree(1_700_000_000);
    let member = "dist/release.tar.gz!app-1.0-py3-none-any.whl!app/settings.py";

    let (code, stdout, stderr) = run(dir.path(), &["scan", ".", "-f", "json", "-q"]);
    assert_eq!(code, 1, "{stderr}");
    let findings: Vec<Value> = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(findings.len(), 1, "{stdout}");
    assert_eq!(findings[0]["path"], member);
    assert_eq!(
        findings[0]["archive_member"],
        "app-1.0-py3-none-any.whl!app/settings.py"
    );
    assert_eq!(findings[0]["rule_id"], "github-pat");
    assert_eq!(
        (findings[0]["line"].as_u64(), findings[0]["column"].as_u64()),
        (Some(1), Some(17))
    );
    assert!(!stdout.contains(&secret));

    let (_, text, _) = run(dir.path(), &["scan", ".", "--color", "never"]);
    assert!(text.contains(&format!("{member}:1:17")), "{text}");

    let (_, sarif, _) = run(dir.path(), &["scan", ".", "-f", "sarif", "-q"]);
    let log: Value = serde_json::from_str(&sarif).expect("SARIF");
    let result = &log["runs"][0]["results"][0];
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "dist/release.tar.gz");
    assert_eq!(
        result["properties"]["archiveMember"],
        "app-1.0-py3-none-any.whl!app/settings.py"
    );
    assert!(result["message"]["text"]
        .as_str()
        .unwrap_or_default()
        .contains(member));
    assert!(!sarif.contains(&secret));
    validate_sarif(dir.path(), &sarif);

    // --no-archives: the tarball is one binary file again.
    let (code, _, stderr) = run(dir.path(), &["scan", ".", "--no-archives"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("binary 1"), "{stderr}");
}

#[test]
fn fingerprints_of_archive_findings_survive_a_rebuild() {
    let fingerprint = |mtime| {
        let (dir, _) = release_tree(mtime);
        let (_, stdout, _) = run(dir.path(), &["scan", ".", "-f", "json", "-q"]);
        let findings: Vec<Value> = serde_json::from_str(&stdout).expect("JSON");
        findings[0]["fingerprint"].clone()
    };
    assert_eq!(fingerprint(1_700_000_000), fingerprint(1_800_000_000));
}

#[test]
fn an_archive_committed_to_git_is_opened_in_history() {
    let (dir, _) = release_tree(1_700_000_000);
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "release"]);
    git(dir.path(), &["rm", "-q", "dist/release.tar.gz"]);
    git(dir.path(), &["commit", "-q", "-m", "remove"]);
    let (code, stdout, stderr) = run(dir.path(), &["git", ".", "-f", "json", "-q"]);
    assert_eq!(code, 1, "{stderr}");
    let findings: Vec<Value> = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(
        findings[0]["path"],
        "dist/release.tar.gz!app-1.0-py3-none-any.whl!app/settings.py"
    );
    assert_eq!(findings[0]["in_head"], false);
}

#[test]
fn hostile_archives_are_skipped_with_reasons_in_bounded_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, data: &[u8]| std::fs::write(dir.path().join(name), data).expect("w");
    // 64 MiB of zeros in 64 KiB: over the default ratio of 1000.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        gz.write_all(&zeros).expect("gz");
    }
    let bomb = gz.finish().expect("gz");
    write("bomb.gz", &bomb);
    // A zip of zips of bombs: 16 x 16 x 64 MiB if it were all expanded.
    let names: Vec<String> = (0..16).map(|i| format!("{i}")).collect();
    let inner = zip_of(
        &names
            .iter()
            .map(|n| (n.as_str(), &bomb[..]))
            .collect::<Vec<_>>(),
    );
    let outer = zip_of(
        &names
            .iter()
            .map(|n| (n.as_str(), &inner[..]))
            .collect::<Vec<_>>(),
    );
    write("nested-bombs.zip", &outer);
    // Nested deeper than the depth limit.
    let mut deep = zip_of(&[("x.env", b"X=1\n" as &[u8])]);
    for _ in 0..8 {
        deep = zip_of(&[("d.zip", &deep)]);
    }
    write("deep.zip", &deep);
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..50_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b'a' + (x % 26) as u8
        })
        .collect();
    let whole = tar_gz_of(&[("a", &noise)], 0);
    write("truncated.tar.gz", &whole[..whole.len() / 2]);
    write("ok.env", format!("T = \"{}\"\n", token(32)).as_bytes());

    let started = Instant::now();
    let (code, stdout, stderr) = run(dir.path(), &["scan", ".", "-f", "sarif", "-q"]);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 1, "the scan goes on to ok.env: {stderr}");
    let log: Value = serde_json::from_str(&stdout).expect("SARIF");
    let notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notifications")
        .clone();
    let said = |id: &str, uri: &str| {
        notes.iter().any(|n| {
            n["descriptor"]["id"] == id
                && n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .is_some_and(|u| u.starts_with(uri))
        })
    };
    assert!(said("skipped-archive-limit", "bomb.gz"), "{notes:?}");
    assert!(
        said("skipped-archive-limit", "nested-bombs.zip"),
        "{notes:?}"
    );
    assert!(said("skipped-archive-limit", "deep.zip"), "{notes:?}");
    assert!(
        said("skipped-corrupt-archive", "truncated.tar.gz"),
        "{notes:?}"
    );
    validate_sarif(dir.path(), &stdout);

    let (_, _, summary) = run(dir.path(), &["scan", "."]);
    assert!(
        summary.contains("archive-limit") && summary.contains("corrupt-archive"),
        "{summary}"
    );
}

#[test]
fn a_piped_archive_is_opened_too() {
    let (dir, _) = release_tree(1_700_000_000);
    let tgz = std::fs::read(dir.path().join("dist/release.tar.gz")).expect("read");
    let out = assert_cmd::Command::cargo_bin("leakhound")
        .expect("the binary is built")
        .args(["scan", "-", "-f", "json", "-q", "--no-config"])
        .write_stdin(tgz)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        findings[0]["path"],
        "stdin!app-1.0-py3-none-any.whl!app/settings.py"
    );
}
