//! End-to-end tests of `git`, `scan --staged` and `release` on repositories in unusual or damaged
//! states: no commits yet, bare, linked worktrees, damaged and missing objects, grafts and
//! replace refs, other object formats, a held index lock, a graph of many merges, large blobs.
//! Each asserts what the scan says and does, not only that it ends; every run of the binary has
//! a time limit, so a hang fails the test.

mod common;

use common::{run, token, validate_sarif, Repo};
use serde_json::Value;

/// `leakhound ARGS -f json -q` in `dir`: exit code and findings.
fn json_in(dir: &std::path::Path, args: &[&str]) -> (i32, Vec<Value>) {
    let mut all = args.to_vec();
    all.extend(["-f", "json", "-q"]);
    let (code, stdout, stderr) = run(dir, &all);
    assert!(code == 0 || code == 1, "exit {code}: {stderr}");
    let findings: Value = serde_json::from_str(&stdout).expect("a JSON report");
    (code, findings.as_array().expect("an array").clone())
}

/// The SARIF report's tool execution notifications: (descriptor id, message, location uri).
fn notifications(sarif: &str) -> Vec<(String, String, String)> {
    let log: Value = serde_json::from_str(sarif).expect("a SARIF log");
    log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notifications")
        .iter()
        .map(|n| {
            (
                n["descriptor"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                n["message"]["text"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

/// Text that compresses to a few kilobytes, so that a cut leaves the object's header whole.
fn filler(lines: usize) -> String {
    (0..lines)
        .map(|i| format!("line {i}: {}\n", i * 7919 % 1013))
        .collect()
}

#[test]
fn damaged_loose_blobs_are_skipped_by_name_and_the_scan_goes_on() {
    let repo = Repo::new();
    // A pack beside the loose objects, as a clone has: the objects are then read through
    // gitoxide, which must not take a damaged loose one for good.
    repo.write("README", "packed\n");
    repo.commit("packed");
    repo.git(&["repack", "-q", "-d"]);
    repo.write("app.env", &format!("T={}\n", token(30)));
    repo.write("cut.txt", &format!("{}K={}\n", filler(3000), token(31)));
    repo.write("flipped.txt", &format!("{}K={}\n", filler(3001), token(32)));
    repo.commit("files");
    let cut = repo.git(&["rev-parse", "HEAD:cut.txt"]);
    let cut_file = repo.loose_object(".git", &cut);
    let data = std::fs::read(&cut_file).unwrap();
    std::fs::write(&cut_file, &data[..data.len() / 2]).unwrap();
    let flipped = repo.git(&["rev-parse", "HEAD:flipped.txt"]);
    let flipped_file = repo.loose_object(".git", &flipped);
    let mut data = std::fs::read(&flipped_file).unwrap();
    let middle = data.len() / 2;
    for b in &mut data[middle..middle + 16] {
        *b ^= 0xa5;
    }
    std::fs::write(&flipped_file, &data).unwrap();

    let (code, stdout, stderr) = run(repo.path(), &["git", "--color", "never"]);
    assert_eq!(code, 1, "app.env's secret is still found: {stderr}");
    assert!(
        stderr.contains("not scanned: 2 (corrupt-object 2)"),
        "{stderr}"
    );
    let cut_line =
        format!("cut.txt: git object {cut} could not be read: damaged loose object: truncated");
    let flipped_line =
        format!("flipped.txt: git object {flipped} could not be read: damaged loose object");
    for said in [&stderr, &stdout] {
        assert!(said.contains(&cut_line), "{said}");
        assert!(said.contains(&flipped_line), "{said}");
    }
    let (code, findings) = json_in(repo.path(), &["git"]);
    let paths: Vec<&str> = findings.iter().filter_map(|f| f["path"].as_str()).collect();
    assert_eq!((code, paths), (1, vec!["app.env"]));

    let (_, sarif, _) = run(repo.path(), &["git", "-f", "sarif", "-q"]);
    let notes = notifications(&sarif);
    for (path, id) in [("cut.txt", &cut), ("flipped.txt", &flipped)] {
        assert!(
            notes
                .iter()
                .any(|(kind, message, uri)| kind == "skipped-corrupt-object"
                    && message.contains(id.as_str())
                    && uri == path),
            "{notes:?}"
        );
    }
    validate_sarif(repo.path(), &sarif);

    // The staged scan reads the same objects the same way.
    repo.write("new.env", &format!("{}N={}\n", filler(2000), token(33)));
    repo.git(&["add", "new.env"]);
    let staged = repo.git(&["rev-parse", ":new.env"]);
    let staged_file = repo.loose_object(".git", &staged);
    let data = std::fs::read(&staged_file).unwrap();
    std::fs::write(&staged_file, &data[..data.len() / 3]).unwrap();
    let (code, _, stderr) = run(repo.path(), &["scan", "--staged"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "new.env: git object {staged} could not be read: damaged loose object: truncated"
        )),
        "{stderr}"
    );
}

#[test]
fn a_damaged_blob_in_a_pack_is_skipped_and_the_scan_goes_on() {
    let repo = Repo::new();
    repo.write("app.env", &format!("T={}\n", token(34)));
    repo.write("packed.txt", &format!("{}K={}\n", filler(3000), token(35)));
    repo.commit("files");
    repo.git(&["gc", "-q"]);
    let blob = repo.git(&["rev-parse", "HEAD:packed.txt"]);
    let pack_dir = repo.path().join(".git/objects/pack");
    let idx = std::fs::read_dir(&pack_dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .expect("a pack index");
    let index = std::fs::File::open(&idx).unwrap();
    let out = repo
        .git_command(&["show-index"])
        .stdin(index)
        .output()
        .unwrap();
    let offset: usize = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.contains(&blob))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|o| o.parse().ok())
        .expect("the blob's offset in the pack");
    let pack = idx.with_extension("pack");
    let mut perms = std::fs::metadata(&pack).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&pack, perms).unwrap();
    let mut data = std::fs::read(&pack).unwrap();
    for b in &mut data[offset + 40..offset + 60] {
        *b ^= 0x5a;
    }
    std::fs::write(&pack, &data).unwrap();

    let (code, _, stderr) = run(repo.path(), &["git"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("corrupt-object 1"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "packed.txt: git object {blob} could not be read: "
        )),
        "{stderr}"
    );
}

#[test]
fn a_damaged_commit_stops_the_scan_with_one_line_naming_it() {
    let repo = Repo::new();
    repo.write("a.env", &format!("T={}\n", token(36)));
    repo.commit("one");
    repo.write("b.txt", "b\n");
    let damaged = repo.commit("two");
    repo.write("c.txt", "c\n");
    repo.commit("three");
    let file = repo.loose_object(".git", &damaged);
    let data = std::fs::read(&file).unwrap();
    std::fs::write(&file, &data[..data.len() / 2]).unwrap();

    for args in [&["git"][..], &["release"]] {
        let (code, stdout, stderr) = run(repo.path(), args);
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("leakhound: error: "), "{stderr}");
        assert!(
            stderr.contains(&format!("loose object {damaged} is damaged")),
            "{stderr}"
        );
    }
}

#[test]
fn a_missing_blob_is_named_and_the_scan_goes_on() {
    let repo = Repo::new();
    repo.write("app.env", &format!("T={}\n", token(37)));
    repo.write("lost.env", &format!("T={}\n", token(38)));
    repo.commit("files");
    let lost = repo.git(&["rev-parse", "HEAD:lost.env"]);
    std::fs::remove_file(repo.loose_object(".git", &lost)).expect("a loose object");

    let (code, stdout, stderr) = run(repo.path(), &["git", "--color", "never"]);
    assert_eq!(code, 1, "{stderr}");
    let line = format!("lost.env: git object {lost} is missing (partial or damaged clone)");
    assert!(
        stderr.contains("not scanned: 1 (missing-object 1)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&line) && stdout.contains(&line),
        "{stderr}{stdout}"
    );
    let (_, findings) = json_in(repo.path(), &["git"]);
    let paths: Vec<&str> = findings.iter().filter_map(|f| f["path"].as_str()).collect();
    assert_eq!(paths, vec!["app.env"]);
    let (_, sarif, _) = run(repo.path(), &["git", "-f", "sarif", "-q"]);
    let notes = notifications(&sarif);
    assert!(
        notes
            .iter()
            .any(|(kind, message, uri)| kind == "skipped-missing-object"
                && message.contains(&lost)
                && uri == "lost.env"),
        "{notes:?}"
    );
}

#[test]
fn grafts_and_replace_refs_hide_nothing() {
    let repo = Repo::new();
    repo.write("a.env", &format!("T={}\n", token(39)));
    let root = repo.commit("one");
    std::fs::remove_file(repo.path().join("a.env")).unwrap();
    repo.write("b.txt", "b\n");
    let second = repo.commit("two");
    repo.write("c.txt", "c\n");
    repo.commit("three");

    // A graft that makes `two` a root commit hides `one` from git log; the scan still reads it.
    std::fs::write(repo.path().join(".git/info/grafts"), format!("{second}\n")).unwrap();
    let (code, findings) = json_in(repo.path(), &["git"]);
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["commit"], root.as_str());
    assert_eq!(findings[0]["in_head"], false);
    std::fs::remove_file(repo.path().join(".git/info/grafts")).unwrap();

    // `git replace` swaps `two` for a commit with another tree: both are scanned, the original
    // (libgit2 does not apply replacements) and the replacement (its ref is a ref like others).
    repo.write("r.env", &format!("R={}\n", token(40)));
    repo.git(&["add", "r.env"]);
    let tree = repo.git(&["write-tree"]);
    let replacement = repo.git(&["commit-tree", &tree, "-m", "replacement"]);
    repo.git(&["reset", "-q", "--hard", "HEAD"]);
    repo.git(&["replace", &second, &replacement]);
    let (code, findings) = json_in(repo.path(), &["git"]);
    assert_eq!(code, 1);
    let found: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["commit"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        vec![("a.env", root.as_str()), ("r.env", replacement.as_str())]
    );
}

#[test]
fn an_unborn_head_has_no_history_and_its_index_is_scanned() {
    let repo = Repo::new();
    let (code, stdout, stderr) = run(repo.path(), &["git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("refs/heads/main has no commits yet: there is no history to scan"),
        "{stderr}"
    );
    assert!(stderr.contains("from 0 commits") && stderr.contains("no findings"));

    repo.write("config/.env", &format!("GITHUB_TOKEN={}\n", token(41)));
    repo.git(&["add", "-A"]);
    let (code, findings) = json_in(repo.path(), &["scan", "--staged"]);
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["path"], "config/.env");
    // Staged, still unborn: the history scan has still nothing to say.
    let (code, findings) = json_in(repo.path(), &["git"]);
    assert_eq!((code, findings.len()), (0, 0));
}

#[test]
fn a_bare_repository_pushed_to_is_scanned() {
    let work = Repo::new();
    let secret = token(42);
    work.write("deploy/app.env", &format!("T={secret}\n"));
    let added = work.commit("add");
    let bare = Repo::empty();
    bare.git(&["init", "-q", "--bare", "-b", "main"]);
    let url = bare.path().to_str().unwrap();
    work.git(&["push", "-q", url, "main"]);

    for (dir, args) in [(bare.path(), vec!["git"]), (work.path(), vec!["git", url])] {
        let (code, findings) = json_in(dir, &args);
        assert_eq!(code, 1, "{args:?}");
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0]["path"], "deploy/app.env");
        assert_eq!(findings[0]["commit"], added.as_str());
        assert_eq!(
            findings[0]["in_head"], true,
            "HEAD is main, which was pushed"
        );
    }
    let (_, sarif, _) = run(bare.path(), &["git", "-f", "sarif", "-q"]);
    validate_sarif(work.path(), &sarif);
    // A bare repository has no index: nothing is staged, and that is said.
    let (code, _, stderr) = run(bare.path(), &["scan", "--staged"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("bare"), "{stderr}");
}

#[test]
fn objects_borrowed_from_another_repository_are_read() {
    // `git clone --shared` and `--reference` leave the clone's objects in the original's
    // object store, named by objects/info/alternates; packed there, and loose.
    let origin = Repo::new();
    origin.write("old.env", &format!("T={}\n", token(60)));
    origin.commit("packed");
    origin.git(&["gc", "-q"]);
    origin.write("new.env", &format!("T={}\n", token(61)));
    origin.commit("loose");
    let clone = Repo::empty();
    let from = origin.path().to_str().unwrap();
    let into = clone.path().join("c");
    let into_arg = into.to_str().unwrap();
    clone.git(&["clone", "-q", "--shared", from, into_arg]);
    assert!(into.join(".git/objects/info/alternates").is_file());
    let (_, theirs) = json_in(origin.path(), &["git"]);
    let (code, ours) = json_in(&into, &["git"]);
    assert_eq!(code, 1);
    let paths = |f: &[Value]| f.iter().map(|f| f["path"].clone()).collect::<Vec<_>>();
    assert_eq!(paths(&ours), paths(&theirs));
    assert_eq!(ours.len(), 2, "{ours:?}");
}

#[test]
fn a_linked_worktree_is_scanned_from_inside() {
    let repo = Repo::new();
    repo.write("README.md", "hi\n");
    repo.commit("start");
    let outside = tempfile::tempdir().unwrap();
    let wt = outside.path().join("wt");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "feature",
        wt.to_str().unwrap(),
    ]);
    let tree = Repo {
        dir: tempfile::tempdir().unwrap(),
        clock: std::cell::Cell::new(1_700_000_100),
    };
    let in_wt = |args: &[&str]| {
        let out = tree.git_command(args).current_dir(&wt).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write(wt.join("feature.env"), format!("T={}\n", token(43))).unwrap();
    in_wt(&["add", "feature.env"]);
    in_wt(&["commit", "-q", "-m", "feature secret"]);

    let (code, findings) = json_in(&wt, &["git"]);
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["path"], "feature.env");
    assert_eq!(
        findings[0]["in_head"], true,
        "the worktree's HEAD is feature"
    );
    // From the main work tree the same secret is on a branch HEAD does not have.
    let (_, findings) = json_in(repo.path(), &["git"]);
    assert_eq!(findings[0]["in_head"], false);

    std::fs::write(wt.join("staged.env"), format!("S={}\n", token(44))).unwrap();
    in_wt(&["add", "staged.env"]);
    let (code, findings) = json_in(&wt.join("."), &["scan", "--staged"]);
    assert_eq!(code, 1);
    let paths: Vec<&str> = findings.iter().filter_map(|f| f["path"].as_str()).collect();
    assert_eq!(paths, vec!["staged.env"], "only the worktree's own index");
    let (code, findings) = json_in(repo.path(), &["scan", "--staged"]);
    assert_eq!(
        (code, findings.len()),
        (0, 0),
        "the main index is not the worktree's"
    );
}

#[test]
fn a_sha256_repository_is_refused_in_one_line() {
    let repo = Repo::empty();
    let out = repo.git_output(&["init", "-q", "--object-format=sha256", "-b", "main"]);
    if !out.status.success() {
        eprintln!(
            "git cannot create SHA-256 repositories here ({}): skipped",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return;
    }
    repo.write("a.env", &format!("T={}\n", token(45)));
    repo.commit("one");
    repo.git(&["add", "-A"]);
    for args in [&["git"][..], &["scan", "--staged"], &["release"]] {
        let (code, stdout, stderr) = run(repo.path(), args);
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(stdout.is_empty());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("SHA-256"), "{stderr}");
    }
}

#[test]
fn a_held_index_lock_does_not_stop_a_staged_scan() {
    let repo = Repo::new();
    repo.write("README.md", "hi\n");
    repo.commit("start");
    repo.write("app.env", &format!("T={}\n", token(46)));
    repo.git(&["add", "app.env"]);
    // Another git process holds the lock (say, an editor's background `git status`).
    std::fs::write(repo.path().join(".git/index.lock"), "").unwrap();
    let (code, findings) = json_in(repo.path(), &["scan", "--staged"]);
    assert_eq!(code, 1);
    assert_eq!(findings[0]["path"], "app.env");
    assert!(
        repo.path().join(".git/index.lock").exists(),
        "the lock is not ours to take or remove"
    );
}

#[test]
fn a_blob_over_the_size_limit_is_skipped_with_its_reason_everywhere() {
    let repo = Repo::new();
    repo.write("small.env", &format!("T={}\n", token(47)));
    repo.write("dump.sql", &format!("{}\nK={}\n", filler(200), token(48)));
    repo.commit("files");
    let size = std::fs::metadata(repo.path().join("dump.sql"))
        .unwrap()
        .len();
    let (code, stdout, stderr) = run(repo.path(), &["git", "--max-file-size", "2K"]);
    assert_eq!(code, 1, "small.env's secret: {stderr}");
    assert!(stderr.contains("not scanned: 1 (too-large 1)"), "{stderr}");
    assert!(
        stdout.contains(&format!(
            "dump.sql: {size} bytes, over the size limit of 2048 bytes"
        )),
        "{stdout}"
    );
    let (_, sarif, _) = run(
        repo.path(),
        &["git", "--max-file-size", "2K", "-f", "sarif", "-q"],
    );
    let notes = notifications(&sarif);
    assert!(
        notes
            .iter()
            .any(|(kind, message, uri)| kind == "skipped-too-large"
                && message.contains(&size.to_string())
                && uri == "dump.sql"),
        "{notes:?}"
    );
    let (code, findings) = json_in(repo.path(), &["git", "--max-file-size", "2K"]);
    assert_eq!((code, findings.len()), (1, 1));
}

/// A main line where each commit merges a one-commit side branch: `merges` merges, written by
/// `git fast-import` (seconds for 100k, where `git commit` would take many minutes). Side
/// commit `secret_at` adds `key.env` holding `secret`.
fn merge_ladder(repo: &Repo, merges: usize, secret_at: usize, secret: &str) {
    use std::fmt::Write as _;
    let mut stream = String::new();
    let blob = |stream: &mut String, mark: usize, content: &str| {
        let _ = write!(
            stream,
            "blob\nmark :{mark}\ndata {}\n{content}\n",
            content.len()
        );
    };
    blob(&mut stream, 1, "hello");
    stream.push_str(
        "commit refs/heads/main\nmark :2\ncommitter a <a@b.invalid> 1700000000 +0000\n\
         data 4\nroot\nM 100644 :1 README\n\n",
    );
    let (mut mark, mut main) = (3, 2);
    for i in 0..merges {
        let (side, content, merge) = (mark, mark + 1, mark + 2);
        mark += 3;
        let (path, text) = if i == secret_at {
            ("key.env".to_string(), format!("API_TOKEN={secret}"))
        } else {
            (format!("f{}", i % 100), format!("side {i}"))
        };
        blob(&mut stream, content, &text);
        let t = 1_700_000_000 + 2 * i;
        let _ = write!(
            stream,
            "commit refs/heads/side\nmark :{side}\ncommitter a <a@b.invalid> {} +0000\n\
             data 4\nside\nfrom :{main}\nM 100644 :{content} {path}\n\n\
             commit refs/heads/main\nmark :{merge}\ncommitter a <a@b.invalid> {} +0000\n\
             data 5\nmerge\nfrom :{main}\nmerge :{side}\nM 100644 :{content} {path}\n\n",
            t + 1,
            t + 2
        );
        main = merge;
    }
    let mut child = repo
        .git_command(&["fast-import", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("git fast-import runs");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(stream.as_bytes()).expect("stream written");
    }
    assert!(child.wait().expect("fast-import ends").success());
    repo.git(&["branch", "-D", "side"]);
}

#[test]
fn a_graph_of_many_merges_is_walked_once_per_commit() {
    // 100k merges with LEAKHOUND_MERGES=100000 (3.1 s and 121 MB in a release build); fewer by
    // default, for a debug build under CI's time limit.
    let merges: usize = std::env::var("LEAKHOUND_MERGES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let repo = Repo::new();
    let secret = token(49);
    merge_ladder(&repo, merges, merges / 2, &secret);
    let (code, stdout, stderr) = run(repo.path(), &["git", "--no-cache", "-f", "json"]);
    assert_eq!(code, 1, "{stderr}");
    let commits = 2 * merges + 1;
    assert!(
        stderr.contains(&format!("from {commits} commits")),
        "every commit once: {stderr}"
    );
    let findings: Value = serde_json::from_str(&stdout).expect("a JSON report");
    let findings = findings.as_array().expect("an array");
    // Introduced once on the side branch, and kept by every merge after it: one finding.
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["path"], "key.env");
}
