//! End-to-end tests of scans of many repositories: `git --discover`, `git --repos-from`,
//! `--shard K/N` and `merge`; and of one history split by path with `--shard K/N`. The shards
//! of a scan, merged, are the single run's report.

mod common;

use std::path::Path;

use common::{git, report_paths, run, token};

/// Eight repositories under `org/`: working trees, a fork (a clone), a bare one, one nested a
/// level down, one empty; most with secrets in their history.
fn organisation(org: &Path) {
    for i in 0..5u64 {
        let repo = org.join(format!("service-{i}"));
        std::fs::create_dir_all(&repo).expect("mkdir");
        git(&repo, &["init", "-q", "-b", "main"]);
        for c in 0..3u64 {
            std::fs::write(repo.join("main.py"), format!("print({c})\n")).expect("write");
            if (i + c) % 2 == 0 {
                std::fs::write(
                    repo.join("settings.env"),
                    format!("GITHUB_TOKEN={}\n", token(i * 10 + c)),
                )
                .expect("write");
            }
            git(&repo, &["add", "-A"]);
            git(&repo, &["commit", "-q", "-m", &format!("c{c}")]);
        }
    }
    git(org, &["clone", "-q", "service-0", "fork-of-0"]);
    git(org, &["clone", "-q", "--bare", "service-1", "mirror-1.git"]);
    std::fs::create_dir_all(org.join("team/empty")).expect("mkdir");
    git(&org.join("team/empty"), &["init", "-q"]);
}

/// A temporary directory holding `org/`, made by [`organisation`].
fn new_organisation() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let org = dir.path().join("org");
    std::fs::create_dir(&org).expect("mkdir");
    organisation(&org);
    (dir, org)
}

fn without_elapsed(mut report: serde_json::Value) -> serde_json::Value {
    if let Some(s) = report["summary"].as_object_mut() {
        s.remove("elapsed_ms");
    }
    report
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("JSON")
}

#[test]
fn shards_merged_are_the_single_run() {
    let (_dir, org) = new_organisation();
    // One repository's own triage, whose suppressions the shards must count as the whole does.
    let accepted: String = fingerprints_alone(&org.join("service-2"))
        .iter()
        .map(|f| format!("{f}\n"))
        .collect();
    std::fs::write(org.join("service-2/.leakhoundignore"), accepted).expect("write");
    let whole = shards_merge_to_the_whole(&org, &["--discover"]);
    assert!(
        whole["summary"]["suppressed"]["ignore-file"].as_u64() > Some(0),
        "{whole}"
    );
    let found = whole["findings"].as_array().map_or(0, Vec::len);
    assert!(found >= 8, "{whole}");
    let repos: std::collections::BTreeSet<&str> = whole["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["repository"].as_str())
        .collect();
    assert!(
        repos.contains("fork-of-0") && repos.contains("mirror-1.git"),
        "{repos:?}"
    );
}

#[test]
fn a_listed_repository_that_cannot_be_opened_is_a_skip() {
    let (dir, org) = new_organisation();
    let list = dir.path().join("repos.txt");
    std::fs::write(
        &list,
        "# the repositories of the org\nservice-2\n\nnot-a-repo\nmirror-1.git\n",
    )
    .expect("write");
    std::fs::create_dir(org.join("not-a-repo")).expect("mkdir");
    let list_arg = list.to_str().expect("utf-8 path");
    let (code, out, err) = run(
        &org,
        &["git", ".", "--repos-from", list_arg, "-f", "json-report"],
    );
    assert_eq!(code, 1, "{err}");
    let report = json(&out);
    let skipped = report["skipped"].as_array().expect("skipped");
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0]["path"], "not-a-repo");
    assert_eq!(skipped[0]["reason"], "unreadable");
    let paths = report_paths(&report);
    assert!(paths
        .iter()
        .all(|p| p.starts_with("service-2/") || p.starts_with("mirror-1.git/")));
    assert!(err.contains("[1/3] mirror-1.git"), "{err}");
    // A shard that is no shard is an error in one line.
    let (code, _, err) = run(&org.join("service-2"), &["git", ".", "--shard", "2/2"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a shard K/N"), "{err}");
}

/// `leakhound git . ARGS` in `repo` as one run and as 4 shards merged, in json-report and in
/// SARIF: the same report, each finding in exactly one shard. Returns the single run's
/// json-report.
fn shards_merge_to_the_whole(repo: &Path, args: &[&str]) -> serde_json::Value {
    let work = tempfile::tempdir().expect("tempdir");
    let mut whole_report = serde_json::Value::Null;
    for format in ["json-report", "sarif"] {
        let mut all = vec!["git", "."];
        all.extend_from_slice(args);
        all.extend(["-q", "-f", format]);
        let (code, whole, err) = run(repo, &all);
        assert_eq!(code, 1, "{err}");
        let mut shard_files = Vec::new();
        let mut seen = 0;
        for k in 0..4 {
            let shard = format!("{k}/4");
            let out = work.path().join(format!("shard-{k}.{format}"));
            let out_arg = out.to_str().expect("utf-8 path").to_string();
            let mut sharded = all.clone();
            sharded.extend(["--shard", &shard, "-o", &out_arg]);
            let (code, _, err) = run(repo, &sharded);
            assert!(code == 0 || code == 1, "{err}");
            if format == "json-report" {
                let report = json(&std::fs::read_to_string(&out).expect("read"));
                seen += report["findings"].as_array().map_or(0, Vec::len);
            }
            shard_files.push(out_arg);
        }
        let mut merge = vec!["merge"];
        merge.extend(shard_files.iter().map(String::as_str));
        let (code, merged, err) = run(repo, &merge);
        assert_eq!(code, 1, "{err}");
        let (whole, merged) = (json(&whole), json(&merged));
        if format == "json-report" {
            let found = whole["findings"].as_array().map_or(0, Vec::len);
            assert_eq!(seen, found, "each finding in exactly one shard");
            assert_eq!(without_elapsed(merged), without_elapsed(whole.clone()));
            whole_report = whole;
        } else {
            assert_eq!(merged["runs"][0]["results"], whole["runs"][0]["results"]);
            assert_eq!(
                merged["runs"][0]["tool"]["driver"]["rules"],
                whole["runs"][0]["tool"]["driver"]["rules"]
            );
            common::validate_sarif(work.path(), &serde_json::to_string(&merged).expect("json"));
        }
    }
    whole_report
}

#[test]
fn a_history_split_by_path_merges_to_the_single_run() {
    let repo = common::Repo::new();
    // A secret copied to many paths (one blob, paths in every shard), versions of a file that
    // keep, change and drop a secret, and secrets in a commit and a tag message.
    let shared = format!("GITHUB_TOKEN={}\n", token(60));
    for i in 0..12 {
        repo.write(&format!("copies/app-{i}.env"), &shared);
    }
    repo.write(
        "config/db.env",
        &format!("DB_PASSWORD=Winter{}!\n", token(61)),
    );
    repo.commit("copies and a database password");
    for v in 0..4u64 {
        repo.write(
            "config/db.env",
            &format!("DB_PASSWORD=Winter{}!\n", token(62 + v)),
        );
        repo.write(&format!("notes/{v}.md"), &format!("release {v}\n"));
        repo.commit(&format!("rotate {v}"));
    }
    std::fs::remove_file(repo.path().join("copies/app-3.env")).expect("rm");
    repo.commit(&format!("use the token {} instead", token(70)));
    repo.git(&[
        "tag",
        "-a",
        "v1",
        "-m",
        &format!("release key {}", token(71)),
    ]);
    let whole = shards_merge_to_the_whole(repo.path(), &["--no-cache"]);
    let findings = whole["findings"].as_array().expect("findings");
    assert!(findings.len() >= 12 + 5 + 2, "{whole}");
    assert_eq!(whole["summary"]["commits"], 6, "{whole}");

    // The shared synthetic corpus as a history, if it is here.
    let work = tempfile::tempdir().expect("tempdir");
    let corpus = work.path().join("corpus");
    let args = [
        "--size-mb",
        "1",
        "--seed",
        "21",
        "--git",
        "--commits",
        "30",
        "--no-stress",
    ];
    if common::generate_corpus(&corpus, &args, "the corpus part").is_none() {
        return;
    }
    let whole = shards_merge_to_the_whole(&corpus, &["--no-cache", "--no-config"]);
    assert!(
        whole["findings"].as_array().map_or(0, Vec::len) > 20,
        "{whole}"
    );
}

/// The fingerprints of the findings `leakhound git .` reports in `repo` alone.
fn fingerprints_alone(repo: &Path) -> Vec<String> {
    let (_, out, err) = run(repo, &["git", ".", "-f", "json"]);
    let findings = json(&out);
    let all = findings.as_array().unwrap_or_else(|| panic!("{err}"));
    all.iter()
        .filter_map(|f| f["fingerprint"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn each_repository_keeps_its_own_triage() {
    let (_dir, org) = new_organisation();
    // service-0's team accepted its findings with `leakhound ignore`, as a scan of it alone
    // names them; service-2's allowlist covers settings.env.
    let accepted = fingerprints_alone(&org.join("service-0"));
    assert!(!accepted.is_empty());
    let ignore: String = accepted
        .iter()
        .map(|f| format!("{f} # test token\n"))
        .collect();
    std::fs::write(org.join("service-0/.leakhoundignore"), ignore).expect("write");
    std::fs::write(
        org.join("service-2/.leakhound.toml"),
        "[[allowlist]]\ndescription = \"throwaway tokens\"\npaths = [\"settings.env\"]\n",
    )
    .expect("write");
    // The organisation's own file re-rates a rule: that is not the repositories' doing.
    std::fs::write(
        org.join(".leakhound.toml"),
        "[severity]\ngeneric-password = \"low\"\n",
    )
    .expect("write");

    let (code, out, err) = run(
        &org,
        &[
            "git",
            ".",
            "--discover",
            "-f",
            "json-report",
            "--include-suppressed",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(!err.contains("warning"), "{err}");
    let report = json(&out);
    let findings = report["findings"].as_array().expect("findings");
    let open_in = |repo: &str| {
        findings
            .iter()
            .filter(|f| f["repository"] == repo && f.get("suppressed").is_none())
            .count()
    };
    assert_eq!(open_in("service-0"), 0, "{report}");
    assert_eq!(open_in("service-2"), 0, "{report}");
    assert!(
        open_in("service-4") > 0,
        "the others are reported: {report}"
    );
    assert!(
        open_in("fork-of-0") > 0,
        "a fork is triaged apart: {report}"
    );
    let kinds: std::collections::BTreeSet<(String, String)> = findings
        .iter()
        .filter_map(|f| {
            let kind = f["suppressed"]["kind"].as_str()?;
            Some((f["repository"].as_str()?.to_string(), kind.to_string()))
        })
        .collect();
    assert!(
        kinds.contains(&("service-0".into(), "ignore-file".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("service-2".into(), "allowlist".into())),
        "{kinds:?}"
    );
    for f in findings {
        let path = f["path"].as_str().expect("path");
        assert!(
            path.starts_with(f["repository"].as_str().expect("repo")),
            "{f}"
        );
    }

    // --no-config reads no repository's file.
    let (_, out, _) = run(
        &org,
        &["git", ".", "--discover", "-f", "json", "--no-config"],
    );
    let all = json(&out);
    let in_0 = all
        .as_array()
        .expect("array")
        .iter()
        .filter(|f| f["repository"] == "service-0");
    assert_eq!(in_0.count(), accepted.len());

    // Rules a repository's file sets are said not to apply; a broken file stops the scan.
    std::fs::write(
        org.join("service-2/.leakhound.toml"),
        "disabled_rules = [\"github-pat\"]\n",
    )
    .expect("write");
    let (_, _, err) = run(&org, &["git", ".", "--discover", "-q"]);
    assert!(
        err.contains("warning: service-2/.leakhound.toml: its rules"),
        "{err}"
    );
    std::fs::write(org.join("service-2/.leakhound.toml"), "[[allowlist]\n").expect("write");
    let (code, _, err) = run(&org, &["git", ".", "--discover", "-q"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("service-2"), "{err}");
}
