//! End-to-end tests of triage: `.leakhound.toml`, inline markers, `.leakhoundignore`,
//! baselines and severity gates, including the ways they must not hide a secret: a second
//! secret on an allowed or ignored line, the same secret in another file, a secret newer than
//! the baseline. Trees are built in temporary directories; the secrets are generated fakes.

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::token;
use serde_json::Value;
use tempfile::TempDir;

fn leakhound() -> Command {
    let mut cmd = Command::cargo_bin("leakhound").expect("the binary is built");
    cmd.env_remove("NO_COLOR")
        .env_remove("LEAKHOUND_CONFIG")
        .env_remove("GIT_INDEX_FILE");
    cmd
}

/// A medium-severity finding: a hard-coded password that differs per seed.
fn password(seed: u64) -> String {
    format!(
        "password = \"Zq{}x!Vr8{}\"",
        seed * 7919 + 13,
        seed % 97 + 11
    )
}

/// A project in a temporary directory (not a git repository unless `git_init` is called).
struct Project {
    dir: TempDir,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Vec<Value> {
        serde_json::from_str::<Value>(&self.stdout)
            .unwrap_or_else(|e| panic!("JSON report: {e}: {}", self.stdout))
            .as_array()
            .expect("an array of findings")
            .clone()
    }
}

impl Project {
    fn new() -> Project {
        Project {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, text: &str) -> &Project {
        let path = self.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, text).expect("write");
        self
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_in(self.path(), args)
    }

    fn run_in(&self, dir: &Path, args: &[&str]) -> Run {
        let out = leakhound()
            .current_dir(dir)
            .args(args)
            .output()
            .expect("runs");
        Run {
            code: out.status.code().expect("exits normally"),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn git(&self, args: &[&str]) {
        common::git(self.path(), args);
    }

    fn commit_all(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    fn git_init(&self) {
        self.git(&["init", "-q", "-b", "main"]);
    }

    /// `scan . -f json -q` plus `extra`.
    fn scan_json(&self, extra: &[&str]) -> Run {
        let mut args = vec!["scan", ".", "-f", "json", "-q"];
        args.extend_from_slice(extra);
        self.run(&args)
    }
}

fn rules_of(findings: &[Value]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_string(),
                f["rule_id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn open(findings: &[Value]) -> Vec<&Value> {
    findings
        .iter()
        .filter(|f| f.get("suppressed").is_none())
        .collect()
}

#[test]
fn an_inline_marker_allows_its_line_and_every_report_says_where() {
    let p = Project::new();
    p.write(
        "app.py",
        &format!("TOKEN = \"{}\"  # leakhound:allow test account\n", token(1)),
    );
    let text = p.run(&["scan", ".", "--color", "never"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(text.stderr.contains("1 allowed inline"), "{}", text.stderr);
    assert!(
        text.stderr
            .contains("allowed inline: app.py:1 (github-pat)"),
        "{}",
        text.stderr
    );
    assert!(text.stdout.contains("app.py:1:"), "{}", text.stdout);

    let json = p.scan_json(&[]);
    assert_eq!(json.code, 0);
    let findings = json.json();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["suppressed"]["kind"], "inline");
    assert!(!json.stdout.contains(&token(1)), "redacted");

    let sarif: Value =
        serde_json::from_str(&p.run(&["scan", ".", "-f", "sarif", "-q"]).stdout).expect("SARIF");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["suppressions"][0]["kind"], "inSource");
    assert_eq!(result["suppressions"][0]["status"], "accepted");
}

#[test]
fn a_second_secret_on_an_allowed_line_is_reported() {
    let p = Project::new();
    p.write(
        "app.py",
        &format!("A = \"{}\"  # leakhound:allow\n", token(1)),
    );
    assert_eq!(p.scan_json(&[]).code, 0);
    p.write(
        "app.py",
        &format!(
            "A = \"{}\"; B = \"{}\"  # leakhound:allow\n",
            token(1),
            token(2)
        ),
    );
    let run = p.scan_json(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        open(&run.json()).len(),
        2,
        "both secrets of the ambiguous line are open"
    );
}

#[test]
fn a_second_secret_on_an_allowed_line_is_reported_in_history_too() {
    let p = Project::new();
    p.git_init();
    p.write(
        "app.py",
        &format!("A = \"{}\"  # leakhound:allow\n", token(1)),
    );
    p.commit_all("one");
    assert_eq!(p.run(&["git", ".", "-q"]).code, 0);
    p.write(
        "app.py",
        &format!(
            "A = \"{}\"; B = \"{}\"  # leakhound:allow\n",
            token(1),
            token(2)
        ),
    );
    p.commit_all("two");
    let run = p.run(&["git", ".", "-q", "-f", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = run.json();
    assert!(
        !open(&found).is_empty(),
        "the second secret, from the second commit"
    );
    assert_eq!(p.run(&["scan", ".", "-q"]).code, 1);
    assert_eq!(p.run(&["release", "-q"]).code, 1);
}

#[test]
fn other_scanners_markers_count_only_where_the_config_opts_in() {
    let p = Project::new();
    p.write(
        "app.py",
        &format!("T = \"{}\"  # gitleaks:allow\n", token(3)),
    );
    assert_eq!(p.scan_json(&[]).code, 1);
    p.write(
        ".leakhound.toml",
        "[triage]\ninline_markers = [\"gitleaks:allow\"]\n",
    );
    let run = p.scan_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()[0]["suppressed"]["kind"], "inline");
    // --no-config turns the opt-in off again.
    assert_eq!(p.scan_json(&["--no-config"]).code, 1);
}

#[test]
fn ignore_entries_hide_one_secret_in_one_file_only() {
    let p = Project::new();
    let line = format!("T = \"{}\"\n", token(4));
    p.write("a/app.env", &line);
    let run = p.scan_json(&[]);
    assert_eq!(run.code, 1);
    let fp = run.json()[0]["fingerprint"]
        .as_str()
        .expect("fingerprint")
        .to_string();

    let add = p.run(&[
        "ignore",
        "add",
        &fp,
        "--reason",
        "rotated, kept as a test account",
    ]);
    assert_eq!(add.code, 0, "{}", add.stderr);
    let ignore = std::fs::read_to_string(p.path().join(".leakhoundignore")).expect("written");
    assert!(
        ignore.contains(&format!("{fp}  # rotated, kept as a test account")),
        "{ignore}"
    );
    assert!(!ignore.contains(&token(4)));

    let run = p.scan_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.json().is_empty(),
        "ignored findings are not listed unless asked"
    );
    let all = p.scan_json(&["--include-suppressed"]).json();
    assert_eq!(all[0]["suppressed"]["kind"], "ignore-file");
    assert_eq!(p.scan_json(&["--no-config"]).code, 1, "an audit's raw view");
    assert_eq!(
        all[0]["suppressed"]["reason"],
        "rotated, kept as a test account"
    );

    // Edits elsewhere in the file keep the entry.
    p.write("a/app.env", &format!("# config\n\nX = 1\n{line}"));
    assert_eq!(p.scan_json(&[]).code, 0);
    // A different secret added on the ignored line is reported.
    p.write(
        "a/app.env",
        &format!("T = \"{}\" U = \"{}\"\n", token(4), token(5)),
    );
    let run = p.scan_json(&[]);
    assert_eq!(run.code, 1);
    assert_eq!(open(&run.json()).len(), 1);
    // The same secret in another file is reported.
    p.write("a/app.env", &line);
    p.write("b/copy.env", &line);
    let run = p.scan_json(&[]);
    assert_eq!(run.code, 1);
    assert_eq!(
        rules_of(&run.json()),
        vec![("b/copy.env".into(), "github-pat".into())]
    );
}

#[test]
fn ignore_check_lists_stale_entries() {
    let p = Project::new();
    p.git_init();
    p.write("app.env", &format!("T = \"{}\"\n", token(6)));
    let fp = p.scan_json(&[]).json()[0]["fingerprint"]
        .as_str()
        .expect("fp")
        .to_string();
    p.run(&["ignore", "add", &fp, "--reason", "fixture"]);
    let check = p.run(&["ignore", "check"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    assert!(
        check.stdout.contains("1 ignore entry, 0 stale"),
        "{}",
        check.stdout
    );

    p.write("app.env", "T = \"\"\n");
    let check = p.run(&["ignore", "check"]);
    assert_eq!(check.code, 1);
    assert!(
        check
            .stdout
            .contains(&format!(".leakhoundignore:3: {fp}  # fixture")),
        "{}",
        check.stdout
    );

    // Checked from a subdirectory, an entry for a file elsewhere in the project is not stale.
    p.write("keep/app.env", &format!("K = \"{}\"\n", token(60)));
    let found = p.scan_json(&[]).json();
    let keep = open(&found)[0]["fingerprint"]
        .as_str()
        .expect("fp")
        .to_string();
    p.run(&["ignore", "add", &keep]);
    p.write("sub/other.txt", "x\n");
    let prune = p.run_in(&p.path().join("sub"), &["ignore", "check", "--prune"]);
    assert_eq!(prune.code, 0, "{}", prune.stdout);
    assert!(
        prune.stdout.contains("removed 1 stale entry"),
        "{}",
        prune.stdout
    );
    let left = std::fs::read_to_string(p.path().join(".leakhoundignore")).expect("kept");
    assert!(
        !left.contains(&fp) && left.starts_with("# "),
        "comments stay: {left}"
    );
    assert!(left.contains(&keep), "{left}");
    assert_eq!(p.run(&["ignore", "check"]).code, 0);
}

#[test]
fn pruning_keeps_entries_that_only_the_history_needs() {
    let p = Project::new();
    p.git_init();
    p.write("app.env", &format!("T = \"{}\"\n", token(61)));
    p.commit_all("one");
    let fp = p.scan_json(&[]).json()[0]["fingerprint"]
        .as_str()
        .expect("fp")
        .to_string();
    p.run(&["ignore", "add", &fp, "--reason", "rotated"]);
    p.write("app.env", "T = \"\"\n");
    p.commit_all("two");
    assert_eq!(
        p.run(&["ignore", "check"]).code,
        1,
        "stale in the working tree"
    );
    let prune = p.run(&["ignore", "check", "--prune"]);
    assert_eq!(prune.code, 0, "{}", prune.stdout);
    assert!(prune.stdout.contains("0 stale"), "{}", prune.stdout);
    assert_eq!(
        p.run(&["git", ".", "-q"]).code,
        0,
        "the entry still covers the history"
    );
}

#[test]
fn a_malformed_ignore_file_is_an_error_that_does_not_echo_it() {
    let p = Project::new();
    p.write("app.env", "X = 1\n");
    let pasted = token(7);
    p.write(".leakhoundignore", &format!("{pasted}\n"));
    let run = p.scan_json(&[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(".leakhoundignore:1: not a fingerprint"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&pasted));
    // Nor does `ignore add` echo a secret given in place of a fingerprint.
    let add = p.run(&["ignore", "add", &pasted]);
    assert_eq!(add.code, 2);
    assert!(
        add.stderr.contains("argument 1 is not a fingerprint"),
        "{}",
        add.stderr
    );
    assert!(!add.stderr.contains(&pasted));
}

#[test]
fn a_baseline_hides_known_findings_and_never_new_ones() {
    let p = Project::new();
    p.write(
        "app.env",
        &format!("T = \"{}\"\n{}\n", token(8), password(1)),
    );
    let write = p.run(&[
        "scan",
        ".",
        "--write-baseline",
        "baseline.json",
        "-q",
        "-f",
        "json",
    ]);
    assert_eq!(
        write.code, 0,
        "writing a baseline is the adoption step: {}",
        write.stderr
    );
    let baseline = std::fs::read_to_string(p.path().join("baseline.json")).expect("written");
    assert!(
        !baseline.contains(&token(8)[..8]) && !baseline.contains("Zq"),
        "no secrets"
    );
    assert!(baseline.contains("\"fingerprint\""));
    assert_eq!(p.scan_json(&["--baseline", "baseline.json"]).code, 0);

    p.write(
        "app.env",
        &format!(
            "T = \"{}\"\n{}\nNEW = \"{}\"\n",
            token(8),
            password(1),
            token(9)
        ),
    );
    let run = p.scan_json(&["--baseline", "baseline.json"]);
    assert_eq!(run.code, 1);
    let findings = run.json();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["line"], 3);

    // A SARIF or JSON report of ours is a baseline too.
    for format in ["sarif", "json", "jsonl"] {
        let old = Project::new();
        old.write("app.env", &format!("T = \"{}\"\n", token(8)));
        let report = old.run(&["scan", ".", "-f", format, "-q"]);
        old.write("report", &report.stdout);
        assert_eq!(
            old.scan_json(&["--baseline", "report"]).code,
            0,
            "{format} as a baseline"
        );
    }
    let bad = p.scan_json(&["--baseline", "app.env"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("not a leakhound baseline or report"),
        "{}",
        bad.stderr
    );
}

#[test]
fn severity_gates_decide_the_exit_code_and_what_is_reported() {
    let p = Project::new();
    p.write("app.env", &format!("{}\n", password(2)));
    let run = p.scan_json(&["--fail-on", "high"]);
    assert_eq!(run.code, 0, "a medium finding does not fail --fail-on high");
    assert_eq!(run.json().len(), 1, "but it is reported");
    let text = p.run(&["scan", ".", "--fail-on", "high"]);
    assert!(
        text.stderr.contains("none at --fail-on high or above"),
        "{}",
        text.stderr
    );
    assert_eq!(p.scan_json(&["--fail-on", "medium"]).code, 1);

    let run = p.scan_json(&["--min-severity", "high"]);
    assert_eq!((run.code, run.json().len()), (0, 0));
    let text = p.run(&["scan", ".", "--min-severity", "high"]);
    assert!(
        text.stderr.contains("1 below --min-severity"),
        "{}",
        text.stderr
    );

    p.write(".leakhound.toml", "[scan]\nfail_on = \"high\"\n");
    assert_eq!(p.scan_json(&[]).code, 0);
    assert_eq!(p.scan_json(&["--fail-on", "low"]).code, 1, "the flag wins");
}

#[test]
fn config_allowlists_rules_and_severities() {
    let p = Project::new();
    p.write("src/app.env", &format!("T = \"{}\"\n", token(10)));
    p.write("tests/fixtures/a.env", &format!("T = \"{}\"\n", token(11)));
    p.write(
        "docs/sample.md",
        &format!("T = \"{}\"  <!-- sample -->\n", token(12)),
    );
    p.write("conf/dev.env", &format!("{}\n", password(3)));
    p.write(
        ".leakhound.toml",
        &format!(
            r#"
[[allowlist]]
description = "fixtures"
paths = ["tests/fixtures/"]

[[allowlist]]
description = "documented samples"
lines = ["<!-- sample -->"]

[[allowlist]]
rules = ["github-pat"]
regexes = ["^{}$"]
"#,
            token(10)
        ),
    );
    let run = p.scan_json(&["--include-suppressed"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let findings = run.json();
    assert_eq!(
        rules_of(&open(&findings).into_iter().cloned().collect::<Vec<_>>()),
        vec![("conf/dev.env".into(), "generic-password".into())]
    );
    let allowlisted: Vec<&str> = findings
        .iter()
        .filter(|f| f["suppressed"]["kind"] == "allowlist")
        .map(|f| f["path"].as_str().unwrap_or_default())
        .collect();
    // The configuration names the token it allows: its own line is allowed by the same regex.
    assert_eq!(
        allowlisted,
        vec![".leakhound.toml", "docs/sample.md", "src/app.env"]
    );
    // The fixtures directory was not walked, and the summary says so.
    let text = p.run(&["scan", "."]);
    assert!(text.stderr.contains("allowlisted 1"), "{}", text.stderr);
    assert!(
        text.stdout.contains("1 allowlisted path"),
        "{}",
        text.stdout
    );

    p.write(
        ".leakhound.toml",
        "disabled_rules = [\"generic-password\"]\n[severity]\ngithub-pat = \"low\"\n",
    );
    let run = p.scan_json(&["--fail-on", "medium"]);
    assert_eq!(run.code, 0);
    let findings = run.json();
    assert!(findings
        .iter()
        .all(|f| f["rule_id"] == "github-pat" && f["severity"] == "low"));
    assert_eq!(findings.len(), 3);
}

#[test]
fn config_errors_name_the_file_the_line_and_the_key() {
    let p = Project::new();
    p.write("app.env", "X = 1\n");
    let cases = [
        (
            "[scan]\ndecode_depth = \"deep\"\n",
            ".leakhound.toml:2: scan.decode_depth:",
        ),
        (
            "[scan]\n\nmax_size = 1\n",
            ".leakhound.toml:3: scan.max_size: unknown field",
        ),
        (
            "[[allowlist]]\nregexes = [\"(open\"]\n",
            ".leakhound.toml:2: allowlist.regexes: invalid regex",
        ),
        (
            "disabled_rules = [\"no-such-rule\"]\n",
            ".leakhound.toml:1: disabled_rules: no rule has the id 'no-such-rule'",
        ),
        (
            "[[allowlist]]\ncommits = [\"abc\"]\n",
            ".leakhound.toml:2: allowlist.commits:",
        ),
        ("[[rules]]\nid = \"x\"\n", "missing field"),
    ];
    for (config, needle) in cases {
        p.write(".leakhound.toml", config);
        let run = p.scan_json(&[]);
        assert_eq!(run.code, 2, "{config}");
        assert!(run.stderr.contains(needle), "{config}: {}", run.stderr);
        assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
        assert!(!run.stderr.contains("panicked"));
    }
}

#[test]
fn config_files_from_the_environment_and_the_command_line() {
    let p = Project::new();
    p.write("app.env", &format!("{}\n", password(4)));
    p.write("ci.toml", "[scan]\nmin_severity = \"high\"\n");
    let out = leakhound()
        .current_dir(p.path())
        .env("LEAKHOUND_CONFIG", p.path().join("ci.toml"))
        .args(["scan", ".", "-q", "-f", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(p.scan_json(&["--config", "ci.toml"]).code, 0);
    // A --config file's baseline is found beside it, not in the scanned project.
    let ci = tempfile::tempdir().expect("tempdir");
    let report = p.scan_json(&[]);
    std::fs::write(ci.path().join("known.json"), &report.stdout).expect("write");
    std::fs::write(
        ci.path().join("ci.toml"),
        "[triage]\nbaseline = \"known.json\"\n",
    )
    .expect("write");
    let pinned = ci.path().join("ci.toml");
    let pinned = pinned.to_str().expect("utf-8");
    assert_eq!(p.scan_json(&["--no-config", "--config", pinned]).code, 0);
    // Allowlists of the project's configuration apply to what is piped in.
    p.write(".leakhound.toml", "[[allowlist]]\nstopwords = [\"Zq\"]\n");
    let piped = leakhound()
        .current_dir(p.path())
        .args(["scan", "-", "-q"])
        .write_stdin(format!("{}\n", password(4)))
        .output()
        .expect("runs");
    assert_eq!(piped.status.code(), Some(0));
    std::fs::remove_file(p.path().join(".leakhound.toml")).expect("rm");
    assert_eq!(
        p.scan_json(&["--config", "ci.toml", "--no-config"]).code,
        0,
        "--config still counts"
    );
    assert_eq!(p.scan_json(&[]).code, 1);
}

#[test]
fn config_init_writes_a_starter_that_loads() {
    let p = Project::new();
    let init = p.run(&["config", "init"]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    let text = std::fs::read_to_string(p.path().join(".leakhound.toml")).expect("written");
    assert!(text.contains("[[allowlist]]"));
    p.write("app.env", "X = 1\n");
    assert_eq!(p.scan_json(&[]).code, 0);
    let again = p.run(&["config", "init"]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("exists already"), "{}", again.stderr);
    assert_eq!(p.run(&["config", "init", "--force"]).code, 0);
}

#[test]
fn nested_configs_apply_under_their_own_directory() {
    let p = Project::new();
    p.git_init();
    p.write("a/x.env", &format!("T = \"{}\"\n", token(13)));
    p.write("b/x.env", &format!("T = \"{}\"\n", token(14)));
    p.write(
        "a/.leakhound.toml",
        "[[allowlist]]\nstopwords = [\"ghp_\"]\n",
    );
    let run = p.run(&["scan", "a", "b", "-f", "json", "-q"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        rules_of(&run.json()),
        vec![("b/x.env".into(), "github-pat".into())]
    );
}

#[test]
fn fingerprints_do_not_depend_on_the_directory_scanned() {
    let p = Project::new();
    p.git_init();
    p.write("src/app.env", &format!("T = \"{}\"\n", token(15)));
    let at_root = p.scan_json(&[]).json()[0]["fingerprint"].clone();
    let in_src = p.run_in(&p.path().join("src"), &["scan", ".", "-f", "json", "-q"]);
    let in_src = in_src.json();
    assert_eq!(in_src[0]["path"], "app.env");
    assert_eq!(in_src[0]["fingerprint"], at_root);
    // An ignore entry made at the root holds in the subdirectory, found at the project root.
    p.run(&["ignore", "add", at_root.as_str().expect("fp")]);
    let run = p.run_in(&p.path().join("src"), &["scan", ".", "-f", "json", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn history_and_staged_scans_are_triaged_too() {
    let p = Project::new();
    p.git_init();
    p.write("app.env", &format!("T = \"{}\"\n", token(16)));
    p.write("fixtures/f.env", &format!("T = \"{}\"\n", token(17)));
    p.write(
        ".leakhound.toml",
        "[[allowlist]]\npaths = [\"fixtures/\"]\n",
    );
    p.commit_all("one");
    let history = p.run(&["git", ".", "-f", "json", "-q"]);
    assert_eq!(history.code, 1);
    let findings = history.json();
    assert_eq!(
        rules_of(&findings),
        vec![("app.env".into(), "github-pat".into())]
    );
    let fp = findings[0]["fingerprint"].as_str().expect("fp").to_string();
    let tree = p.scan_json(&[]).json();
    assert_eq!(
        tree[0]["fingerprint"],
        fp.as_str(),
        "the same identity in tree and history"
    );

    // One ignore entry accepts it in the tree and in the history.
    p.run(&["ignore", "add", &fp, "--reason", "test account"]);
    assert_eq!(p.run(&["git", ".", "-q"]).code, 0);
    assert_eq!(p.scan_json(&[]).code, 0);

    // The pre-commit path honours the configuration and inline markers.
    p.write("fixtures/g.env", &format!("T = \"{}\"\n", token(18)));
    p.write(
        "new.env",
        &format!("T = \"{}\" # leakhound:allow\n", token(19)),
    );
    p.git(&["add", "-A"]);
    let staged = p.run(&["scan", "--staged", "-q"]);
    assert_eq!(staged.code, 0, "{}{}", staged.stdout, staged.stderr);
    p.write("new.env", &format!("T = \"{}\"\n", token(19)));
    p.git(&["add", "-A"]);
    assert_eq!(p.run(&["scan", "--staged", "-q"]).code, 1);

    // Commit allowlists, for history.
    p.commit_all("two");
    let head = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(p.path())
        .output()
        .expect("git");
    let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
    assert_eq!(p.run(&["git", ".", "-q"]).code, 1);
    p.write(
        ".leakhound.toml",
        &format!(
            "[[allowlist]]\npaths = [\"fixtures/\"]\ncommits = [\"{}\"]\n",
            &head[..12]
        ),
    );
    let run = p.run(&["git", ".", "-q", "-f", "json", "--include-suppressed"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.json().iter().any(|f| f["suppressed"]["source"]
        .as_str()
        .is_some_and(|s| s.contains("(commit)"))));
}

#[test]
fn suppressed_sarif_passes_the_validator() {
    let p = Project::new();
    p.write(
        "a.env",
        &format!("T = \"{}\" # leakhound:allow\n", token(20)),
    );
    p.write(
        "b.env",
        &format!("T = \"{}\"\n{}\n", token(21), password(5)),
    );
    let found = p.scan_json(&[]).json();
    let fp = open(&found)[0]["fingerprint"]
        .as_str()
        .expect("fp")
        .to_string();
    p.run(&["ignore", "add", &fp, "--reason", "test"]);
    let sarif = p.run(&["scan", ".", "-f", "sarif", "-q", "--include-suppressed"]);
    assert_eq!(sarif.code, 1);
    let log: Value = serde_json::from_str(&sarif.stdout).expect("SARIF");
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    assert_eq!(
        results
            .iter()
            .filter(|r| r.get("suppressions").is_some())
            .count(),
        2
    );
    common::validate_sarif(p.path(), &sarif.stdout);
}
