//! End-to-end tests of `leakhound git`, `scan --staged` and `hook`, on small repositories built
//! with the `git` command in temporary directories. The secrets are generated fakes.

mod common;

use std::path::PathBuf;

use common::{run, token, Repo};
use serde_json::Value;

/// `leakhound ARGS -f json -q` in the repository: exit code and findings.
fn json(repo: &Repo, args: &[&str]) -> (i32, Vec<Value>) {
    let mut all = args.to_vec();
    all.extend(["-f", "json", "-q"]);
    let (code, stdout, stderr) = run(repo.path(), &all);
    assert!(code == 0 || code == 1, "exit {code}: {stderr}");
    let findings: Value = serde_json::from_str(&stdout).expect("a JSON report");
    (code, findings.as_array().expect("an array").clone())
}

#[test]
fn a_removed_secret_is_reported_with_the_commit_that_added_it() {
    let repo = Repo::new();
    let secret = token(1);
    repo.write("app.env", "A=1\n");
    repo.commit("start");
    repo.write("app.env", &format!("A=1\nGITHUB_TOKEN={secret}\n"));
    let added = repo.commit("add token");
    repo.write("app.env", "A=1\nGITHUB_TOKEN=\n");
    repo.commit("remove token");

    let (code, findings) = json(&repo, &["git"]);
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!(f["rule_id"], "github-pat");
    assert_eq!(f["path"], "app.env");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(2), Some(14))
    );
    assert_eq!(f["commit"], added.as_str());
    assert_eq!(f["in_head"], false);
    assert_eq!(f["blob_count"], 1);
    assert_eq!(f["author"], "Ada Tester");
    assert_eq!(f["email"], "ada@example.invalid");
    assert_eq!(f["date"], "2023-11-14T22:13:22Z");
}

#[test]
fn a_secret_in_five_versions_of_a_file_is_reported_once() {
    let repo = Repo::new();
    let secret = token(2);
    let mut text = format!("# settings\ntoken = \"{secret}\"\n");
    repo.write("src/settings.py", &text);
    let first = repo.commit("v1");
    for i in 2..=5 {
        text.push_str(&format!("VERSION = {i}\n"));
        repo.write("src/settings.py", &text);
        repo.commit(&format!("v{i}"));
    }
    let (code, findings) = json(&repo, &["git"]);
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["blob_count"], 5);
    assert_eq!(findings[0]["in_head"], true);
    assert_eq!(findings[0]["commit"], first.as_str());
    assert_eq!(findings[0]["line"], 2);
}

#[test]
fn a_secret_only_on_an_unmerged_branch_is_found_unless_refs_leave_it_out() {
    let repo = Repo::new();
    repo.write("README.md", "hello\n");
    repo.commit("start");
    repo.git(&["checkout", "-q", "-b", "feature/wip"]);
    repo.write("client.js", &format!("const token = '{}';\n", token(3)));
    let wip = repo.commit("wip");
    repo.git(&["checkout", "-q", "main"]);

    let (code, findings) = json(&repo, &["git"]);
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["commit"], wip.as_str());
    assert_eq!(findings[0]["in_head"], false);

    let (code, findings) = json(&repo, &["git", "--ref", "main"]);
    assert_eq!((code, findings.len()), (0, 0));
    let (code, findings) = json(&repo, &["git", "--ref", "main", "--ref", "feature/wip"]);
    assert_eq!((code, findings.len()), (1, 1));
}

#[test]
fn since_and_range_scan_only_the_new_commits() {
    let repo = Repo::new();
    let old = token(4);
    let new = token(5);
    repo.write("a.env", &format!("T={old}\n"));
    repo.commit("old secret");
    repo.git(&["tag", "-a", "v1.0.0", "-m", "release"]);
    repo.write("b.env", &format!("T={new}\n"));
    let introduced = repo.commit("new secret");
    repo.write("a.env", &format!("T={old}\nX=1\n"));
    repo.commit("touch a.env without adding a secret");

    for args in [
        &["git", "--since", "v1.0.0"][..],
        &["git", "--range", "v1.0.0..main"],
        &["git", "--range", "v1.0.0.."],
    ] {
        let (code, findings) = json(&repo, args);
        assert_eq!(code, 1, "{args:?}");
        let paths: Vec<&str> = findings.iter().filter_map(|f| f["path"].as_str()).collect();
        assert_eq!(paths, vec!["b.env"], "{args:?}");
        assert_eq!(findings[0]["commit"], introduced.as_str());
        assert_eq!(findings[0]["in_head"], true);
    }
    let (code, findings) = json(&repo, &["git"]);
    assert_eq!((code, findings.len()), (1, 2));
}

#[test]
fn a_merged_secret_belongs_to_the_branch_commit_and_repeats_are_kept() {
    let repo = Repo::new();
    let secret = token(17);
    repo.write("README.md", "hi\n");
    repo.commit("root");
    repo.git(&["checkout", "-q", "-b", "hotfix"]);
    repo.write("ops/deploy.sh", &format!("A={secret}\nB={secret}\n"));
    let hotfix = repo.commit("hotfix");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("other.txt", "x\n");
    repo.commit("meanwhile on main");
    repo.clock.set(repo.clock.get() + 1);
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge hotfix", "hotfix"]);

    let (code, findings) = json(&repo, &["git"]);
    assert_eq!(code, 1);
    let lines: Vec<u64> = findings.iter().filter_map(|f| f["line"].as_u64()).collect();
    assert_eq!(
        lines,
        vec![1, 2],
        "the same value on two lines is two findings"
    );
    for f in &findings {
        assert_eq!(f["commit"], hotfix.as_str(), "not the merge commit");
        assert_eq!(f["in_head"], true);
    }
}

#[test]
fn ranges_compare_with_what_was_there_before_them() {
    let repo = Repo::new();
    let secret = token(6);
    repo.write("README.md", "hi\n");
    let root = repo.commit("root");
    repo.write("keep.env", &format!("T={secret}\n"));
    let added = repo.commit("add");
    repo.write("keep.env", &format!("T={secret}\nMORE=1\n"));
    repo.commit("edit, keeping the secret");

    // HEAD's version of keep.env is outside the range, and still has the secret.
    let (code, findings) = json(&repo, &["git", "--range", &format!("{root}..{added}")]);
    assert_eq!(code, 1);
    assert_eq!(findings[0]["commit"], added.as_str());
    assert_eq!(findings[0]["in_head"], true);
    // After `added`, keep.env changed but its secret is not new.
    let (code, findings) = json(&repo, &["git", "--since", &added]);
    assert_eq!((code, findings.len()), (0, 0), "{findings:?}");
    let (code, findings) = json(&repo, &["git", "--range", &format!("{added}..{added}")]);
    assert_eq!((code, findings.len()), (0, 0));
}

#[test]
fn a_bad_revision_or_a_non_repository_is_one_error_line_and_exit_two() {
    let plain = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(plain.path(), &["git", "."]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("leakhound: error: "));
    assert!(stderr.contains("not in a git repository"));

    let (code, _, stderr) = run(plain.path(), &["git", "does/not/exist"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("does/not/exist"), "{stderr}");

    let repo = Repo::new();
    repo.write("a", "a\n");
    repo.commit("a");
    for args in [
        &["git", "--since", "v9.9"][..],
        &["git", "--range", "nope..main"],
        &["git", "--range", "main...HEAD"],
        &["git", "--ref", "nope"],
    ] {
        let (code, _, stderr) = run(repo.path(), args);
        assert_eq!(code, 2, "{args:?}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[test]
fn an_empty_repository_has_no_findings() {
    let repo = Repo::new();
    let (code, findings) = json(&repo, &["git"]);
    assert_eq!((code, findings.len()), (0, 0));
    let (code, _, stderr) = run(repo.path(), &["git"]);
    assert_eq!(code, 0);
    assert!(stderr.contains("no findings"), "{stderr}");
}

#[test]
fn submodules_missing_objects_and_large_blobs_are_skipped_and_said() {
    let repo = Repo::new();
    let secret = token(7);
    repo.write("big.txt", &format!("{}\nT={secret}\n", "x".repeat(4000)));
    repo.write("lost.env", &format!("T={}\n", token(8)));
    repo.write("bin.dat", "\0\0\0binary\n");
    repo.commit("files");
    let submodule_commit = repo.git(&["rev-parse", "HEAD"]);
    repo.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{submodule_commit},vendor/lib"),
    ]);
    repo.git(&["commit", "-q", "-m", "add a submodule"]);
    let lost = repo.git(&["rev-parse", "HEAD:lost.env"]);
    let loose = repo
        .path()
        .join(".git/objects")
        .join(&lost[..2])
        .join(&lost[2..]);
    std::fs::remove_file(loose).expect("the blob is a loose object");

    let (code, stdout, stderr) = run(repo.path(), &["git", "--max-file-size", "1K"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stderr.contains("missing-object 1"), "{stderr}");
    assert!(
        stderr.contains(&format!("lost.env: git object {lost} is missing")),
        "{stderr}"
    );
    assert!(
        stderr.contains("submodule 1") && stderr.contains("too-large 1"),
        "{stderr}"
    );
    assert!(stderr.contains("binary 1"), "{stderr}");
    assert!(
        stdout.contains("vendor/lib: submodule at commit"),
        "{stdout}"
    );
    assert!(
        stdout.contains("big.txt: 4044 bytes, over the size limit"),
        "{stdout}"
    );

    let (code, findings) = json(&repo, &["git"]);
    assert_eq!(
        (code, findings.len()),
        (1, 1),
        "without the limit big.txt is scanned"
    );
}

#[test]
fn a_shallow_clone_is_scanned_and_said_to_be_cut() {
    let repo = Repo::new();
    repo.write("a.env", &format!("T={}\n", token(9)));
    repo.commit("one");
    repo.write("b.txt", "b\n");
    repo.commit("two");
    repo.write("c.txt", "c\n");
    repo.commit("three");
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    let target = clone.path().join("shallow");
    let out = repo.git_output(&[
        "clone",
        "-q",
        "--depth",
        "1",
        &url,
        target.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (code, stdout, stderr) = run(&target, &["git"]);
    assert_eq!(code, 1, "the secret is still in the one commit there is");
    assert!(stderr.contains("history is cut"), "{stderr}");
    assert!(stdout.contains("history is cut"), "{stdout}");
    let (_, sarif, _) = run(&target, &["git", "-f", "sarif", "-q"]);
    assert!(sarif.contains("skipped-shallow-history"));
}

#[test]
fn history_reports_never_show_the_secret_and_sarif_has_provenance() {
    let repo = Repo::new();
    let secret = token(10);
    repo.write("deploy/config.yaml", &format!("token: {secret}\n"));
    let added = repo.commit("add");
    repo.write("deploy/config.yaml", "token: ${TOKEN}\n");
    let head = repo.commit("remove");
    for format in ["text", "json", "jsonl", "sarif"] {
        let (code, stdout, stderr) = run(repo.path(), &["git", "-f", format]);
        assert_eq!(code, 1);
        assert!(
            !stdout.contains(&secret) && !stderr.contains(&secret),
            "{format}"
        );
    }
    let (_, stdout, _) = run(repo.path(), &["git", "-f", "sarif", "-q"]);
    let sarif: Value = serde_json::from_str(&stdout).unwrap();
    let run0 = &sarif["runs"][0];
    let result = &run0["results"][0];
    let location = &result["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(location["uri"], "deploy/config.yaml");
    assert_eq!(location["uriBaseId"], "SRCROOT");
    assert_eq!(result["properties"]["commit"], added.as_str());
    assert_eq!(result["properties"]["inHead"], false);
    assert_eq!(result["properties"]["author"], "Ada Tester");
    let provenance = &run0["versionControlProvenance"][0];
    assert_eq!(provenance["revisionId"], head.as_str());
    assert_eq!(provenance["branch"], "refs/heads/main");
    assert!(provenance["repositoryUri"]
        .as_str()
        .unwrap()
        .starts_with("file:///"));

    let (_, stdout, _) = run(repo.path(), &["git", "-f", "jsonl", "-q"]);
    let line: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(line["commit"], added.as_str());
}

#[test]
fn staged_scans_report_only_added_or_modified_lines() {
    let repo = Repo::new();
    let committed = token(11);
    let staged = token(12);
    let unstaged = token(13);
    repo.write("src/app.py", &format!("OLD = \"{committed}\"\nx = 1\n"));
    repo.commit("old secret, already in history");
    repo.write(
        "src/app.py",
        &format!("OLD = \"{committed}\"\nx = 2\nNEW = \"{staged}\"\n"),
    );
    repo.git(&["add", "src/app.py"]);
    repo.write("src/later.py", &format!("T = \"{unstaged}\"\n"));

    for args in [&["scan", "--staged"][..], &["git", "--staged"]] {
        let (code, findings) = json(&repo, args);
        assert_eq!(code, 1, "{args:?}");
        assert_eq!(findings.len(), 1, "{args:?}: {findings:?}");
        assert_eq!(findings[0]["path"], "src/app.py");
        assert_eq!(findings[0]["line"], 3);
        assert!(findings[0].get("commit").is_none());
    }
    // From a subdirectory, paths are still relative to the repository root.
    let (code, stdout, _) = run(
        &repo.path().join("src"),
        &["scan", "--staged", "-f", "json"],
    );
    assert_eq!(code, 1);
    assert!(stdout.contains("\"path\": \"src/app.py\""), "{stdout}");

    // A rename without new lines brings nothing new.
    repo.commit("take it");
    repo.git(&["mv", "src/app.py", "src/main.py"]);
    let (code, findings) = json(&repo, &["scan", "--staged"]);
    assert_eq!((code, findings.len()), (0, 0), "{findings:?}");
}

#[test]
fn staged_scans_work_before_the_first_commit() {
    let repo = Repo::new();
    repo.write("config/.env", &format!("GITHUB_TOKEN={}\n", token(14)));
    repo.write("notes.txt", "nothing here\n");
    repo.git(&["add", "-A"]);
    let (code, findings) = json(&repo, &["scan", "--staged"]);
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["path"], "config/.env");

    let clean = Repo::new();
    let (code, findings) = json(&clean, &["scan", "--staged"]);
    assert_eq!((code, findings.len()), (0, 0));
}

fn hook_path(repo: &Repo) -> PathBuf {
    repo.path().join(".git/hooks/pre-commit")
}

#[test]
fn the_hook_stops_a_commit_that_adds_a_secret() {
    let repo = Repo::new();
    repo.write("README.md", "hi\n");
    repo.commit("start");
    let (code, stdout, stderr) = run(repo.path(), &["hook", "install"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("installed the pre-commit hook"), "{stdout}");
    let script = std::fs::read_to_string(hook_path(&repo)).unwrap();
    assert!(script.contains("leakhound-managed-hook"));

    let secret = token(15);
    repo.write("app.env", &format!("GITHUB_TOKEN={secret}\n"));
    repo.git(&["add", "app.env"]);
    let refused = repo.git_output(&["commit", "-q", "-m", "leak"]);
    assert!(!refused.status.success(), "the hook must stop the commit");
    let said = String::from_utf8_lossy(&refused.stderr).into_owned()
        + &String::from_utf8_lossy(&refused.stdout);
    assert!(said.contains("app.env:1:14"), "{said}");
    assert!(said.contains("ghp_…"), "{said}");
    assert!(said.contains("git commit --no-verify"), "{said}");
    assert!(
        !said.contains(&secret),
        "the hook must not print the secret"
    );

    // `git commit -a` records a temporary index that the hook must read.
    repo.write("README.md", &format!("hi\ntoken {}\n", token(16)));
    repo.git(&["reset", "-q"]);
    std::fs::remove_file(repo.path().join("app.env")).unwrap();
    let refused = repo.git_output(&["commit", "-q", "-a", "-m", "leak via -a"]);
    assert!(!refused.status.success(), "commit -a must be checked too");

    repo.write("README.md", "hi\nand more\n");
    let ok = repo.git_output(&["commit", "-q", "-a", "-m", "clean"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    let (code, stdout, _) = run(repo.path(), &["hook", "uninstall"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("removed the pre-commit hook"));
    assert!(!hook_path(&repo).exists());
    let (code, stdout, _) = run(repo.path(), &["hook", "uninstall"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("no pre-commit hook"));
}

#[test]
fn the_hook_leaves_other_hooks_alone_unless_forced() {
    let repo = Repo::new();
    let hook = hook_path(&repo);
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(&hook, "#!/bin/sh\nexec lint-staged\n").unwrap();

    let (code, _, stderr) = run(repo.path(), &["hook", "install"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not written by leakhound") && stderr.contains("--force"));
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains("lint-staged"));
    let (code, _, stderr) = run(repo.path(), &["hook", "uninstall"]);
    assert_eq!(code, 2, "uninstall must not remove someone else's hook");
    assert!(stderr.contains("leaving it alone"));

    let (code, stdout, _) = run(repo.path(), &["hook", "install", "--force"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("pre-commit.before-leakhound"), "{stdout}");
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains("leakhound-managed-hook"));
    let (code, _, _) = run(repo.path(), &["hook", "install"]);
    assert_eq!(code, 0, "reinstalling over our own hook needs no --force");

    let (code, _, _) = run(repo.path(), &["hook", "uninstall"]);
    assert_eq!(code, 0);
    assert!(
        std::fs::read_to_string(&hook)
            .unwrap()
            .contains("lint-staged"),
        "restored"
    );
}

#[test]
fn the_hook_goes_where_core_hooks_path_says() {
    let repo = Repo::new();
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    let (code, _, stderr) = run(repo.path(), &["hook", "install"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(repo.path().join(".githooks/pre-commit").exists());
    assert!(!hook_path(&repo).exists());
}

/// Commits with `message` (the working tree unchanged but for a counter), one second apart.
fn commit_with_message(repo: &Repo, message: &str) -> String {
    let n = repo.clock.get();
    repo.write("counter.txt", &format!("{n}\n"));
    repo.commit(message)
}

#[test]
fn commit_and_tag_messages_are_scanned_once_each() {
    let repo = Repo::new();
    let in_commit = token(60);
    let in_tag = token(61);
    let start = commit_with_message(&repo, "start");
    let leaky = commit_with_message(
        &repo,
        &format!("deploy\n\nused GITHUB_TOKEN={in_commit} to test\n"),
    );
    // The commit is on main, on two more branches and under two tags: its message is one finding.
    repo.git(&["branch", "copy"]);
    repo.git(&["branch", "another"]);
    repo.git(&["tag", "light"]);
    repo.clock.set(repo.clock.get() + 1);
    repo.git(&[
        "tag",
        "-a",
        "v1.0",
        "-m",
        &format!("Release 1.0\n\ntoken {in_tag}\n"),
    ]);
    // A tag of that tag is another tag object, with a message of its own and no secret.
    repo.git(&["tag", "-a", "v1.0-signed-off", "v1.0", "-m", "re-tag"]);

    let (code, findings) = json(&repo, &["git"]);
    assert_eq!(code, 1);
    let found: Vec<(&str, &str, u64, u64)> = findings
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap(),
                f["git_message"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let commit_path = format!(".git/commits/{leaky}/message");
    assert_eq!(
        found,
        vec![
            (commit_path.as_str(), "commit", 3, 19),
            (".git/tags/v1.0/message", "tag", 3, 7)
        ]
    );
    let (c, t) = (&findings[0], &findings[1]);
    assert_eq!(c["commit"], leaky.as_str());
    assert_eq!(
        (c["in_head"].as_bool(), c["blob_count"].as_u64()),
        (Some(true), Some(1))
    );
    assert_eq!(c["author"], "Ada Tester");
    assert!(c.get("tag").is_none());
    assert_eq!(
        (t["tag"].as_str(), t["commit"].as_str()),
        (Some("v1.0"), Some(leaky.as_str()))
    );
    assert_ne!(c["fingerprint"], t["fingerprint"]);

    // Only what the selection holds: a message before --since is not new.
    let newer = commit_with_message(&repo, &format!("later, with {}", token(62)));
    let (code, findings) = json(&repo, &["git", "--since", "v1.0"]);
    assert_eq!(code, 1);
    let paths: Vec<&str> = findings.iter().filter_map(|f| f["path"].as_str()).collect();
    assert_eq!(paths, vec![format!(".git/commits/{newer}/message")]);
    let (code, findings) = json(&repo, &["git", "--range", &format!("{leaky}..{newer}")]);
    assert_eq!((code, findings.len()), (1, 1));
    let (code, findings) = json(&repo, &["git", "--range", &format!("{start}..{leaky}")]);
    assert_eq!(
        (code, findings.len()),
        (1, 2),
        "the commit and the tag on it: {findings:?}"
    );
    // A commit on another branch only: HEAD does not have it.
    repo.git(&["checkout", "-q", "-b", "side", "HEAD~1"]);
    let side = commit_with_message(&repo, &format!("side {}", token(63)));
    repo.git(&["checkout", "-q", "main"]);
    let (_, findings) = json(&repo, &["git"]);
    let side_finding = findings
        .iter()
        .find(|f| f["commit"] == side.as_str())
        .expect("the side commit's message");
    assert_eq!(side_finding["in_head"], false);
}

#[test]
fn message_findings_in_every_format_and_under_triage() {
    let repo = Repo::new();
    let secret = token(64);
    // The same secret in a file and in a commit message: two findings, two fingerprints.
    repo.write("app.env", &format!("T={secret}\n"));
    let commit = repo.commit(&format!("add app.env\n\nT={secret}\n"));
    let path = format!(".git/commits/{commit}/message");

    let (code, text, stderr) = run(repo.path(), &["git", "--color", "never"]);
    assert_eq!(code, 1);
    assert!(text.contains(&format!("{path}:3:3")), "{text}");
    assert!(!text.contains(&secret) && !stderr.contains(&secret));
    let (_, findings) = json(&repo, &["git"]);
    assert_eq!(findings.len(), 2);
    let fingerprints: Vec<&str> = findings
        .iter()
        .filter_map(|f| f["fingerprint"].as_str())
        .collect();
    assert_ne!(fingerprints[0], fingerprints[1]);
    let (_, again) = json(&repo, &["git"]);
    assert_eq!(findings, again, "stable from run to run");

    let (_, sarif, _) = run(repo.path(), &["git", "-f", "sarif", "-q"]);
    assert!(!sarif.contains(&secret));
    let log: Value = serde_json::from_str(&sarif).unwrap();
    let result = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["properties"]["gitMessage"] == "commit")
        .expect("the message's result")
        .clone();
    let location = &result["locations"][0];
    assert_eq!(
        location["physicalLocation"]["artifactLocation"]["uri"],
        path.as_str()
    );
    assert_eq!(
        location["physicalLocation"]["artifactLocation"]["uriBaseId"],
        "SRCROOT"
    );
    assert_eq!(location["physicalLocation"]["region"]["startLine"], 3);
    assert_eq!(location["logicalLocations"][0]["kind"], "commit");
    assert_eq!(location["logicalLocations"][0]["name"], commit.as_str());
    assert!(result["message"]["text"]
        .as_str()
        .unwrap()
        .contains(&format!("in the message of commit {}", &commit[..12])));
    common::validate_sarif(repo.path(), &sarif);
    let (_, jsonl, _) = run(repo.path(), &["git", "-f", "jsonl", "-q"]);
    assert!(
        jsonl
            .lines()
            .any(|l| l.contains("\"git_message\":\"commit\"")),
        "{jsonl}"
    );

    // A baseline of today's findings holds the message's too.
    let baseline = repo.path().join("baseline.json");
    let (code, _, _) = run(
        repo.path(),
        &["git", "--write-baseline", baseline.to_str().unwrap()],
    );
    assert_eq!(code, 0);
    let (code, findings) = json(&repo, &["git", "--baseline", baseline.to_str().unwrap()]);
    assert_eq!((code, findings.len()), (0, 0), "{findings:?}");
    // The ignore file takes its fingerprint like any other.
    let message_print = findings_of(&repo)
        .into_iter()
        .find(|f| f["git_message"] == "commit")
        .and_then(|f| f["fingerprint"].as_str().map(str::to_string))
        .unwrap();
    std::fs::write(
        repo.path().join(".leakhoundignore"),
        format!("{message_print} # rotated\n"),
    )
    .unwrap();
    let (code, findings) = json(&repo, &["git"]);
    let paths: Vec<&str> = findings.iter().filter_map(|f| f["path"].as_str()).collect();
    assert_eq!((code, paths), (1, vec!["app.env"]));
    std::fs::remove_file(repo.path().join(".leakhoundignore")).unwrap();
    // A marker on the message's line allows it, as in a file.
    commit_with_message(&repo, &format!("fixture {} # leakhound:allow", token(65)));
    let (_, stdout, _) = run(repo.path(), &["git", "-f", "json", "-q"]);
    let all: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    let allowed: Vec<&Value> = all.iter().filter(|f| !f["suppressed"].is_null()).collect();
    assert_eq!(allowed.len(), 1, "{all:?}");
    assert_eq!(allowed[0]["suppressed"]["kind"], "inline");
    assert_eq!(allowed[0]["git_message"], "commit");
}

/// Every finding of `git`, suppressed ones included.
fn findings_of(repo: &Repo) -> Vec<Value> {
    let (_, findings) = json(repo, &["git", "--include-suppressed", "--no-config"]);
    findings
}
