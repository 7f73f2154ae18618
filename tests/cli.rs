//! End-to-end tests of the `leakhound` binary: exit codes, formats, redaction, bad input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn leakhound() -> Command {
    let mut cmd = Command::cargo_bin("leakhound").expect("the binary is built");
    cmd.env_remove("NO_COLOR");
    cmd
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn tree() -> PathBuf {
    testdata().join("tree")
}

/// The fake secrets planted in `testdata/tree`, by name.
fn planted() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(testdata().join("tree.secrets.json")).expect("secrets list");
    serde_json::from_str(&text).expect("secrets list is JSON")
}

/// Runs the binary. A scan of the fixtures in `testdata/` reads no configuration: leakhound's
/// own `.leakhound.toml` allowlists them, so that leakhound passes on its own repository.
fn run(args: &[&str]) -> (i32, String, String) {
    let mut cmd = leakhound();
    cmd.args(args);
    if args.first() == Some(&"scan") && args.iter().any(|a| a.contains("testdata")) {
        cmd.arg("--no-config");
    }
    let out = cmd.output().expect("runs");
    (
        out.status.code().expect("exits normally"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scan_json(extra: &[&str]) -> Vec<Value> {
    let root = tree();
    let mut args = vec!["scan", root.to_str().unwrap(), "-f", "json", "-q"];
    args.extend_from_slice(extra);
    let (code, stdout, _) = run(&args);
    assert_eq!(code, 1, "findings mean exit code 1");
    serde_json::from_str::<Value>(&stdout)
        .expect("JSON output")
        .as_array()
        .expect("an array of findings")
        .clone()
}

#[test]
fn finds_every_planted_secret_and_no_decoy() {
    let findings = scan_json(&[]);
    let mut found: Vec<(String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    let expected = [
        (".env", "aws-access-key-id"),
        (".env", "aws-secret-access-key"),
        ("config/app.yaml", "database-uri-password"),
        ("config/app.yaml", "generic-password"),
        ("k8s/secret.yaml", "generic-password"),
        ("k8s/secret.yaml", "gitlab-pat"),
        ("keys/deploy_rsa", "private-key-pem"),
        ("src/client.py", "github-pat"),
    ];
    for (path, rule) in expected {
        assert!(
            found.iter().any(|(p, r)| p == path && r == rule),
            "missing {rule} in {path}; found {found:?}"
        );
    }
    assert!(
        found.iter().all(|(p, _)| p != "config/placeholders.yaml"),
        "a placeholder was reported: {found:?}"
    );
}

#[test]
fn secrets_inside_base64_are_found_at_the_encoded_value() {
    let findings = scan_json(&["--show-secrets"]);
    let secrets = planted();
    let k8s: Vec<&Value> = findings
        .iter()
        .filter(|f| f["path"] == "k8s/secret.yaml")
        .collect();
    assert_eq!(k8s.len(), 2, "{k8s:?}");
    let password = k8s
        .iter()
        .find(|f| f["rule_id"] == "generic-password")
        .unwrap();
    assert_eq!(password["secret"], secrets["k8s_password"].as_str());
    assert_eq!(password["encoding"], "base64");
    // Line 8 is `  password: <base64>`; the location is the encoded value's.
    assert_eq!(
        (password["line"].as_u64(), password["column"].as_u64()),
        (Some(8), Some(13))
    );
    let token = k8s.iter().find(|f| f["rule_id"] == "gitlab-pat").unwrap();
    assert_eq!(token["secret"], secrets["gitlab_token_in_b64"].as_str());
    let (_, no_decode, _) = run(&[
        "scan",
        tree().join("k8s").to_str().unwrap(),
        "-f",
        "json",
        "-q",
        "--decode-depth",
        "0",
    ]);
    assert!(!no_decode.contains("gitlab-pat"), "{no_decode}");
}

#[test]
fn json_findings_have_the_documented_fields() {
    for f in scan_json(&[]) {
        for key in [
            "rule_id",
            "rule_name",
            "severity",
            "path",
            "line",
            "column",
            "end_line",
            "end_column",
            "secret",
            "fingerprint",
        ] {
            assert!(f.get(key).is_some(), "{key} missing in {f}");
        }
        assert!(f["line"].as_u64().unwrap() >= 1 && f["column"].as_u64().unwrap() >= 1);
        assert!(f["end_line"].as_u64() >= f["line"].as_u64());
    }
}

#[test]
fn positions_are_exact() {
    let findings = scan_json(&[]);
    let token = findings
        .iter()
        .find(|f| f["rule_id"] == "github-pat")
        .expect("github token found");
    // src/client.py line 4: GITHUB_TOKEN = "ghp_..."
    assert_eq!(
        (token["line"].as_u64(), token["column"].as_u64()),
        (Some(4), Some(17))
    );
    assert_eq!(token["end_column"].as_u64(), Some(16 + 40));
}

#[test]
fn no_secret_appears_in_any_format_without_show_secrets() {
    let root = tree();
    let secrets = planted();
    for format in ["text", "json", "jsonl", "sarif"] {
        let (code, stdout, stderr) = run(&[
            "scan",
            root.to_str().unwrap(),
            "-f",
            format,
            "--color",
            "always",
        ]);
        assert_eq!(code, 1);
        for (name, secret) in &secrets {
            assert!(
                !stdout.contains(secret.as_str()),
                "{name} leaked in {format} stdout"
            );
            assert!(
                !stderr.contains(secret.as_str()),
                "{name} leaked in {format} stderr"
            );
        }
    }
}

#[test]
fn show_secrets_shows_them() {
    let findings = scan_json(&["--show-secrets"]);
    let secrets = planted();
    let shown: Vec<&str> = findings
        .iter()
        .filter_map(|f| f["secret"].as_str())
        .collect();
    assert!(shown.contains(&secrets["ghp"].as_str()));
    assert!(shown.contains(&secrets["aws_secret"].as_str()));
}

#[test]
fn output_is_deterministic_across_thread_counts() {
    let root = tree();
    let one = run(&[
        "scan",
        root.to_str().unwrap(),
        "-f",
        "json",
        "-q",
        "-j",
        "1",
    ])
    .1;
    let two = run(&[
        "scan",
        root.to_str().unwrap(),
        "-f",
        "json",
        "-q",
        "-j",
        "2",
    ])
    .1;
    assert_eq!(one, two);
}

#[test]
fn jsonl_is_one_finding_per_line() {
    let root = tree();
    let (code, stdout, _) = run(&["scan", root.to_str().unwrap(), "-f", "jsonl", "-q"]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.len() >= 6);
    for line in lines {
        let v: Value = serde_json::from_str(line).expect("each line is JSON");
        assert!(v["rule_id"].is_string());
    }
}

#[test]
fn sarif_has_relative_uris_regions_and_fingerprints() {
    let root = tree();
    let (code, stdout, _) = run(&["scan", root.to_str().unwrap(), "-f", "sarif", "-q"]);
    assert_eq!(code, 1);
    let log: Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(!rules.is_empty());
    for rule in rules {
        assert!(rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("How to fix it"));
        assert!(rule["properties"]["security-severity"].is_string());
    }
    let base = run["originalUriBaseIds"]["SRCROOT"]["uri"]
        .as_str()
        .unwrap();
    assert!(base.starts_with("file:///") && base.ends_with('/'));
    for result in run["results"].as_array().unwrap() {
        let loc = &result["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.starts_with('/') && !uri.contains("://"),
            "relative uri: {uri}"
        );
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "SRCROOT");
        for k in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(loc["region"][k].as_u64().unwrap() >= 1, "{k}");
        }
        assert!(result["partialFingerprints"]["primaryLocationLineHash"].is_string());
        let rule_index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[rule_index]["id"], result["ruleId"]);
    }
}

#[test]
fn sarif_line_hash_survives_moving_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let secret = &planted()["ghp"];
    let hash = |text: String| {
        std::fs::write(dir.path().join("a.py"), text).unwrap();
        let (_, stdout, _) = run(&["scan", dir.path().to_str().unwrap(), "-f", "sarif", "-q"]);
        let log: Value = serde_json::from_str(&stdout).unwrap();
        let r = &log["runs"][0]["results"][0];
        (
            r["partialFingerprints"]["primaryLocationLineHash"]
                .as_str()
                .unwrap()
                .to_string(),
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap(),
        )
    };
    let (a, line_a) = hash(format!("T = \"{secret}\"\n"));
    let (b, line_b) = hash(format!("import os\n\n\nT = \"{secret}\"\n"));
    assert_ne!(line_a, line_b);
    assert_eq!(a, b);
}

#[test]
fn clean_tree_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.rs"),
        "fn main() { println!(\"hello\"); }\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stderr.contains("no findings"), "{stderr}");
}

#[test]
fn summary_goes_to_stderr_and_quiet_silences_it() {
    let root = tree();
    let (_, _, stderr) = run(&["scan", root.to_str().unwrap(), "-f", "json"]);
    assert!(
        stderr.contains("scanned") && stderr.contains("findings"),
        "{stderr}"
    );
    let (_, _, quiet) = run(&["scan", root.to_str().unwrap(), "-f", "json", "-q"]);
    assert!(quiet.is_empty(), "{quiet}");
}

#[test]
fn skipped_files_are_reported_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.log"), "x".repeat(5000)).unwrap();
    std::fs::write(
        dir.path().join("image.png"),
        b"\x89PNG\r\n\x1a\n\0\0\0binary",
    )
    .unwrap();
    std::fs::write(dir.path().join("ok.txt"), "fine\n").unwrap();
    let root = dir.path().to_str().unwrap();
    let (code, text, stderr) = run(&["scan", root, "--max-file-size", "1K", "--color", "never"]);
    assert_eq!(code, 0);
    assert!(
        stderr.contains("not scanned: 2 (binary 1, too-large 1)"),
        "{stderr}"
    );
    assert!(
        text.contains("big.log: 5000 bytes, over the size limit of 1024 bytes"),
        "{text}"
    );
    let (_, sarif, _) = run(&["scan", root, "--max-file-size", "1K", "-f", "sarif", "-q"]);
    let log: Value = serde_json::from_str(&sarif).unwrap();
    let notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    let ids: Vec<&str> = notes
        .iter()
        .map(|n| n["descriptor"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["skipped-binary", "skipped-too-large"]);
}

#[test]
fn bad_input_is_one_error_line_and_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        r#"
[[rules]]
id = "my-broken-rule"
name = "Broken"
description = "d"
severity = "high"
keywords = ["tok_"]
regex = '''(tok_[a-z'''
examples = ["tok_a"]
negative_examples = ["x"]
"#,
    )
    .unwrap();
    let malformed = dir.path().join("malformed.toml");
    std::fs::write(&malformed, "[[rules]\nid = ").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["scan".into(), missing.display().to_string()],
            "cannot scan",
        ),
        (
            vec![
                "scan".into(),
                dir.path().display().to_string(),
                "--config".into(),
                broken.display().to_string(),
            ],
            "my-broken-rule",
        ),
        (
            vec![
                "scan".into(),
                dir.path().display().to_string(),
                "-c".into(),
                malformed.display().to_string(),
            ],
            "malformed.toml:1: invalid table header",
        ),
        (
            vec![
                "scan".into(),
                "--config".into(),
                missing.display().to_string(),
            ],
            "cannot read the configuration",
        ),
        (
            vec!["scan".into(), "--max-file-size".into(), "lots".into()],
            "not a size",
        ),
        (
            vec!["scan".into(), "--format".into(), "xml".into()],
            "invalid value",
        ),
        (
            vec![
                "rules".into(),
                "check".into(),
                "-c".into(),
                broken.display().to_string(),
            ],
            "my-broken-rule",
        ),
    ];
    for (args, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        if stderr.starts_with("leakhound: error:") {
            assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        }
    }
}

#[test]
fn output_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let root = tree();
    let (code, stdout, _) = run(&[
        "scan",
        root.to_str().unwrap(),
        "-f",
        "json",
        "-q",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert!(!v.as_array().unwrap().is_empty());
}

#[test]
fn rules_list_and_check() {
    let (code, stdout, _) = run(&["rules", "list"]);
    assert_eq!(code, 0);
    assert!(stdout.lines().any(|l| l.starts_with("github-pat ")));
    let (code, stdout, _) = run(&["rules", "list", "--format", "json"]);
    assert_eq!(code, 0);
    let rules: Value = serde_json::from_str(&stdout).unwrap();
    assert!(rules.as_array().unwrap().len() >= 20);
    let (code, stdout, _) = run(&["rules", "check"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains(" 0 failed"), "{stdout}");
}

#[test]
fn user_rules_extend_the_built_in_ones() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mine.toml");
    std::fs::write(
        &config,
        r#"
[[rules]]
id = "acme-internal-token"
name = "ACME internal token"
description = "Token for ACME's internal API."
severity = "high"
keywords = ["acme_"]
regex = '''\b(acme_[a-z0-9]{16})\b'''
examples = ["t = acme_q8zr7tmw2vlx9kpn"]
negative_examples = ["acme_short"]
"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("app.cfg"),
        "token = acme_q8zr7tmw2vlx9kpn\n",
    )
    .unwrap();
    let (code, stdout, _) = run(&[
        "scan",
        dir.path().to_str().unwrap(),
        "-c",
        config.to_str().unwrap(),
        "-f",
        "json",
        "-q",
    ]);
    assert_eq!(code, 1);
    assert!(stdout.contains("acme-internal-token"));
}

#[test]
fn standard_input_is_scanned_as_a_file_named_stdin() {
    let secret = planted()
        .into_values()
        .find(|s| s.starts_with("ghp_"))
        .expect("a planted GitHub token");
    let input = format!("export GITHUB_TOKEN={secret}\n");
    for format in ["text", "json", "sarif"] {
        let out = leakhound()
            .args(["scan", "-", "-q", "-f", format])
            .write_stdin(input.clone())
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1), "{format}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("stdin"), "{format}: {stdout}");
        assert!(!stdout.contains(&secret), "{format} leaks the secret");
    }
    let out = leakhound()
        .args(["scan", "-", "-f", "json"])
        .write_stdin(b"a\0binary\0blob".to_vec())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("binary 1"));
    let (code, _, stderr) = run(&["scan", "-", "."]);
    assert_eq!(code, 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
