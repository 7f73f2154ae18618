//! End-to-end tests of `leakhound release`: the working tree, the history since the previous
//! release tag and the artifacts in one report, each finding tagged with its origin, one
//! summary line per origin, one verdict as the exit code, the triage configuration honoured.

mod common;

use std::io::Write;
use std::path::Path;

use common::{git, run, token, validate_sarif};
use serde_json::Value;

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn commit(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}

/// v1.0 with a secret that was there before the release; since then one secret added and
/// removed again (history only) and one added that HEAD still has (tree).
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "old.env", &format!("T = \"{}\"\n", token(41)));
    commit(d, "one");
    git(d, &["tag", "v1.0"]);
    write(d, "old.env", "T = \"\"\n");
    write(d, "gone.env", &format!("T = \"{}\"\n", token(42)));
    commit(d, "two");
    std::fs::remove_file(d.join("gone.env")).expect("rm");
    write(d, "app.env", &format!("T = \"{}\"\n", token(43)));
    commit(d, "three");
    dir
}

fn findings(stdout: &str) -> Vec<(String, String)> {
    let all: Vec<Value> = serde_json::from_str(stdout).expect("JSON");
    let mut v: Vec<(String, String)> = all
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_string(),
                f["origin"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn the_tree_the_history_since_the_last_tag_and_the_artifacts_in_one_verdict() {
    let dir = repository();
    let d = dir.path();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(format!("T = \"{}\"\n", token(44)).as_bytes())
        .expect("gz");
    write(d, "dist/.gitignore", "*\n");
    std::fs::write(d.join("dist/config.env.gz"), gz.finish().expect("gz")).expect("write");

    let (code, stdout, stderr) = run(d, &["release", "--artifacts", "dist", "-f", "json"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        findings(&stdout),
        vec![
            ("app.env".into(), "tree".into()),
            ("dist/config.env.gz".into(), "artifact".into()),
            ("gone.env".into(), "history".into()),
        ],
        "old.env's secret is from before v1.0"
    );
    let all: Vec<Value> = serde_json::from_str(&stdout).expect("JSON");
    let tree = all
        .iter()
        .find(|f| f["origin"] == "tree")
        .expect("tree finding");
    assert!(
        tree["commit"].is_string(),
        "a tree finding says which commit brought it"
    );
    for needle in [
        "history since v1.0 (auto: the latest tag before HEAD)",
        "tree ",
        "history ",
        "artifact ",
        "release verdict: NOT READY: 3 open findings at or above --fail-on low",
    ] {
        assert!(stderr.contains(needle), "{needle}: {stderr}");
    }

    // The whole history with --since pointing at the first commit's parent-less past.
    let (_, stdout, stderr) = run(d, &["release", "--since", "v1.0", "-f", "json", "-q"]);
    assert_eq!(findings(&stdout).len(), 2, "{stderr}");
}

#[test]
fn without_a_tag_the_whole_history_is_scanned_and_said() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "a.env", &format!("T = \"{}\"\n", token(45)));
    commit(d, "one");
    write(d, "a.env", "T = \"\"\n");
    commit(d, "two");
    let (code, stdout, stderr) = run(d, &["release", "-f", "json"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&stdout), vec![("a.env".into(), "history".into())]);
    assert!(
        stderr.contains("the whole history (auto: no release tag before HEAD)"),
        "{stderr}"
    );

    // A tag on HEAD is the release being made, not the previous one.
    git(d, &["tag", "v2.0"]);
    let (_, _, stderr) = run(d, &["release"]);
    assert!(stderr.contains("the whole history"), "{stderr}");
}

#[test]
fn a_clean_release_exits_zero_and_triage_applies() {
    let dir = repository();
    let d = dir.path();
    let (_, stdout, _) = run(d, &["release", "-f", "json", "-q"]);
    let all: Vec<Value> = serde_json::from_str(&stdout).expect("JSON");
    for f in &all {
        let fp = f["fingerprint"].as_str().expect("fingerprint");
        let (code, _, stderr) = run(d, &["ignore", "add", fp, "--reason", "rotated"]);
        assert_eq!(code, 0, "{stderr}");
    }
    let (code, _, stderr) = run(d, &["release"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("release verdict: ready"), "{stderr}");
    assert!(stderr.contains("2 ignored"), "{stderr}");
}

#[test]
fn bad_input_is_an_error() {
    let dir = repository();
    let (code, _, stderr) = run(dir.path(), &["release", "--since", "v9.9"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no such tag or revision"), "{stderr}");
    let (code, _, stderr) = run(dir.path(), &["release", "--artifacts", "nope"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot scan the artifact nope"), "{stderr}");
    let plain = tempfile::tempdir().expect("tempdir");
    let (code, _, stderr) = run(plain.path(), &["release"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not in a git repository"), "{stderr}");
}

#[test]
fn one_sarif_run_with_origins_that_validates() {
    let dir = repository();
    let (_, sarif, _) = run(dir.path(), &["release", "-f", "sarif", "-q"]);
    let log: Value = serde_json::from_str(&sarif).expect("SARIF");
    assert_eq!(log["runs"].as_array().map(Vec::len), Some(1));
    let origins: Vec<&str> = log["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["properties"]["origin"].as_str())
        .collect();
    assert_eq!(origins.len(), 2);
    validate_sarif(dir.path(), &sarif);
}

/// `git push` in `dir`, with the test's git environment; its status and standard error.
fn push(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new("git")
        .arg("push")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .expect("git push runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_pre_push_hook_stops_a_secret_on_a_branch_or_a_tag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("work");
    let remote = dir.path().join("remote.git");
    std::fs::create_dir_all(&d).expect("mkdir");
    git(dir.path(), &["init", "-q", "--bare", "remote.git"]);
    git(&d, &["init", "-q", "-b", "main"]);
    git(
        &d,
        &["remote", "add", "origin", remote.to_str().expect("utf-8")],
    );
    write(&d, "README", "hello\n");
    commit(&d, "one");
    let (code, stdout, stderr) = run(&d, &["hook", "install", "--pre-push"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("installed the pre-push hook"), "{stdout}");
    let (ok, said) = push(&d, &["-q", "origin", "main"]);
    assert!(ok, "a clean branch is pushed: {said}");

    // Only the commits the remote does not have are scanned, and one of them has a secret.
    write(&d, "app.env", &format!("T = \"{}\"\n", token(46)));
    commit(&d, "two");
    let (ok, said) = push(&d, &["-q", "origin", "main"]);
    assert!(!ok, "{said}");
    assert!(
        said.contains("this push would publish the secret"),
        "{said}"
    );
    assert!(!said.contains(&token(46)), "redacted");

    // A new branch is scanned from where it leaves the remote's branches.
    git(&d, &["checkout", "-q", "-b", "topic"]);
    let (ok, _) = push(&d, &["-q", "origin", "topic"]);
    assert!(!ok, "the new branch carries the secret");

    // Remove it and accept the history finding: a tag push runs the release scan.
    std::fs::remove_file(d.join("app.env")).expect("rm");
    commit(&d, "three");
    let (_, stdout, _) = run(&d, &["git", ".", "-f", "json", "-q"]);
    let found: Vec<Value> = serde_json::from_str(&stdout).expect("JSON");
    let fp = found[0]["fingerprint"].as_str().expect("fp").to_string();
    run(&d, &["ignore", "add", &fp, "--reason", "rotated"]);
    commit(&d, "accept");
    git(&d, &["tag", "v1.0"]);
    let (ok, said) = push(&d, &["-q", "origin", "topic", "v1.0"]);
    assert!(ok, "{said}");

    let (code, stdout, _) = run(&d, &["hook", "uninstall", "--pre-push"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("removed the pre-push hook"), "{stdout}");
}

#[test]
fn an_artifact_inside_the_work_tree_is_scanned_once_as_an_artifact() {
    let dir = repository();
    let d = dir.path();
    write(d, "dist/app.env", &format!("T = \"{}\"\n", token(47)));
    let (_, stdout, stderr) = run(d, &["release", "--artifacts", "dist", "-f", "json"]);
    let dist: Vec<(String, String)> = findings(&stdout)
        .into_iter()
        .filter(|(p, _)| p.starts_with("dist/"))
        .collect();
    assert_eq!(dist, vec![("dist/app.env".into(), "artifact".into())]);
    assert!(
        stderr.contains("(artifact 1)"),
        "the tree line says why: {stderr}"
    );
}

#[test]
fn the_release_gate_scans_the_messages_of_the_commits_and_tag_it_ships() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    git(repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("README.md"), "hi\n").unwrap();
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", &format!("old {}", token(70))]);
    git(repo, &["tag", "-a", "v1.0.0", "-m", "one"]);
    std::fs::write(repo.join("README.md"), "hi again\n").unwrap();
    git(repo, &["add", "-A"]);
    git(
        repo,
        &[
            "commit",
            "-q",
            "-m",
            &format!("new\n\nwith {}\n", token(71)),
        ],
    );
    git(
        repo,
        &[
            "tag",
            "-a",
            "v1.1.0",
            "-m",
            &format!("Release\n{}\n", token(72)),
        ],
    );

    let (code, stdout, stderr) = run(repo, &["release", "-f", "json"]);
    assert_eq!(code, 1, "{stderr}");
    let findings: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    let found: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f["git_message"].as_str().unwrap(),
                f["origin"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![("commit", "history"), ("tag", "history")],
        "the new commit and the release tag, not the commit before v1.0.0: {findings:?}"
    );
    assert_eq!(findings[1]["tag"], "v1.1.0");
}
