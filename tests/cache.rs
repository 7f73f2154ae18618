//! End-to-end tests of the history scan cache (`leakhound git --cache DIR`): a warm scan reports
//! exactly what a cold one does — after new commits, under another rule set, with a damaged
//! cache — reads only what is new, and keeps no secret.

mod common;

use std::path::Path;

use common::{git, run, token};

/// A repository with history: files that gain and lose secrets, a branch and a merge.
fn repository(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
    std::fs::create_dir(dir.join("src")).expect("mkdir");
    for i in 0..12u64 {
        let module = format!("import os\n\ndef f{i}():\n    return {i}\n");
        std::fs::write(dir.join(format!("src/mod{}.py", i % 4)), module).expect("write");
        if i % 3 == 0 {
            std::fs::write(dir.join("app.env"), format!("GITHUB_TOKEN={}\n", token(i)))
                .expect("write");
        }
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-q", "-m", &format!("change {i}")]);
    }
    git(dir, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(
        dir.join("deploy.env"),
        format!("GITHUB_TOKEN={}\n", token(99)),
    )
    .expect("write");
    git(dir, &["add", "-A"]);
    // A commit message with a secret: a warm scan still reports it.
    let message = format!("feature, deployed with GITHUB_TOKEN={}", token(98));
    git(dir, &["commit", "-q", "-m", &message]);
    git(dir, &["checkout", "-q", "main"]);
    git(dir, &["merge", "-q", "--no-ff", "-m", "merge", "feature"]);
}

/// The JSON report of `leakhound git` with `extra` flags, without its timing.
fn report(dir: &Path, extra: &[&str]) -> (serde_json::Value, String) {
    let mut args = vec!["git", ".", "-f", "json-report"];
    args.extend_from_slice(extra);
    let (code, out, err) = run(dir, &args);
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    let mut report: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    report["summary"]
        .as_object_mut()
        .expect("summary")
        .remove("elapsed_ms");
    (report, err)
}

/// A temporary directory holding the [`repository`] at `repo` and a cache directory's place.
fn setup() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).expect("mkdir");
    repository(&repo);
    let cache = dir.path().join("cache");
    (dir, repo, cache)
}

#[test]
fn a_warm_scan_reports_what_a_cold_one_does_and_reads_only_what_is_new() {
    let (_dir, repo, cache) = setup();
    let cache_arg = cache.to_str().expect("utf-8 path");

    let (cold, _) = report(&repo, &[]);
    assert!(
        cold["findings"].as_array().is_some_and(|f| f.len() >= 5),
        "{cold}"
    );
    assert!(
        cold["findings"].as_array().is_some_and(|f| f
            .iter()
            .any(|f| f["path"].as_str().is_some_and(|p| p.ends_with("/message")))),
        "the commit message's secret: {cold}"
    );
    let (first, _) = report(&repo, &["--cache", cache_arg]);
    assert_eq!(first, cold, "a first scan with a cache");
    let (warm, said) = report(&repo, &["--cache", cache_arg]);
    assert_eq!(warm, cold, "a warm scan");
    assert!(said.contains("cache: 14 of 14 commits"), "{said}");

    // One new commit: only it is walked, and the findings are those of a cold scan.
    std::fs::write(
        repo.join("new.env"),
        format!("GITHUB_TOKEN={}\n", token(1234)),
    )
    .expect("write");
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "one more"]);
    let (cold, _) = report(&repo, &[]);
    let (warm, said) = report(&repo, &["--cache", cache_arg]);
    assert_eq!(warm, cold, "after a new commit");
    assert!(said.contains("cache: 14 of 15 commits"), "{said}");

    // Another rule set: the commits are still known, the blobs are scanned again.
    std::fs::write(
        repo.join(".leakhound.toml"),
        "disabled_rules = [\"github-pat\"]\n",
    )
    .expect("write");
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "config"]);
    let (cold, _) = report(&repo, &[]);
    let (warm, said) = report(&repo, &["--cache", cache_arg]);
    assert_eq!(warm, cold, "under another rule set");
    assert!(said.contains("and 0 blobs known"), "{said}");

    // The cache holds ids and counts, never a secret.
    let mut secrets: Vec<String> = (0..12).step_by(3).map(token).collect();
    secrets.extend([token(98), token(99), token(1234)]);
    for entry in std::fs::read_dir(&cache).expect("cache dir") {
        let sub = entry.expect("entry").path();
        for file in std::fs::read_dir(&sub).expect("repo dir") {
            let bytes = std::fs::read(file.expect("file").path()).expect("read");
            for s in &secrets {
                assert!(
                    !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                    "a secret in the cache"
                );
            }
        }
    }
}

#[test]
fn a_damaged_cache_is_said_and_the_scan_is_cold() {
    let (_dir, repo, cache) = setup();
    let cache_arg = cache.to_str().expect("utf-8 path");
    let (cold, _) = report(&repo, &[]);
    report(&repo, &["--cache", cache_arg]);
    for entry in std::fs::read_dir(&cache).expect("cache dir") {
        for file in std::fs::read_dir(entry.expect("entry").path()).expect("repo dir") {
            let path = file.expect("file").path();
            let bytes = std::fs::read(&path).expect("read");
            std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("write");
        }
    }
    let (warm, said) = report(&repo, &["--cache", cache_arg]);
    assert_eq!(warm, cold);
    assert!(
        said.contains("warning: cannot read the scan cache") && said.contains("without it"),
        "{said}"
    );
    // --no-cache leaves it alone.
    let (code, _, err) = run(&repo, &["git", ".", "--no-cache", "-q"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.is_empty(), "{err}");
}
