//! The leak audit: every command, in every report format, over the shared synthetic corpus (a
//! tree and its git history, with planted secrets), and every byte it writes — standard output,
//! standard error and the files it makes — is searched for every planted secret. None may
//! appear unless `--show-secrets` was given; that case is run too, to prove the search can
//! fail. Error paths are audited the same way: a malformed configuration and a broken user rule
//! whose lines hold a secret must not echo it.
//!
//! Needs `python3` and `../shared/corpus/gen_corpus.py`; skips with a message without them.

mod common;

use std::path::Path;
use std::process::Command;

/// The planted secrets worth searching for: every value a scanner must or may report, long
/// enough not to occur by chance in help text (SNMP's `public` and `private` do).
fn planted(truth: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(truth).expect("truth file");
    let mut secrets: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["expect"] != "ignore")
        .filter_map(|v| v["secret"].as_str().map(str::to_string))
        .filter(|s| s.len() >= 12)
        .collect();
    secrets.sort();
    secrets.dedup();
    secrets
}

/// One command's run: its name for messages, and every byte it wrote.
struct Run {
    what: String,
    code: i32,
    bytes: Vec<u8>,
}

fn leakhound(dir: &Path, args: &[&str], outputs: &[&Path]) -> Run {
    let out = Command::new(assert_cmd::cargo::cargo_bin("leakhound"))
        .args(args)
        .current_dir(dir)
        .env_remove("LEAKHOUND_CONFIG")
        .env_remove("GIT_INDEX_FILE")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("runs");
    let mut bytes = out.stdout;
    bytes.extend_from_slice(&out.stderr);
    for path in outputs {
        if let Ok(written) = std::fs::read(path) {
            bytes.extend_from_slice(&written);
        }
    }
    Run {
        what: args.join(" "),
        code: out.status.code().unwrap_or(-1),
        bytes,
    }
}

/// The planted secrets found in `run`'s output.
fn leaked<'s>(run: &Run, secrets: &'s [String]) -> Vec<&'s str> {
    let finder = aho_corasick::AhoCorasick::new(secrets).expect("automaton");
    let mut found: Vec<&str> = finder
        .find_iter(&run.bytes)
        .map(|m| secrets[m.pattern().as_usize()].as_str())
        .collect();
    found.sort();
    found.dedup();
    found
}

#[test]
fn no_command_or_format_writes_a_planted_secret() {
    let work = tempfile::tempdir().expect("tempdir");
    let corpus = work.path().join("corpus");
    let args = [
        "--size-mb",
        "0.5",
        "--seed",
        "13",
        "--git",
        "--commits",
        "10",
        "--no-stress",
    ];
    let Some(truth) = common::generate_corpus(&corpus, &args, "audit") else {
        return;
    };
    let secrets = planted(&truth);
    assert!(
        secrets.len() > 15,
        "too few planted secrets: {}",
        secrets.len()
    );

    // Stage a change holding secrets, for `scan --staged`.
    let staged = corpus.join("staged-credentials.env");
    std::fs::write(
        &staged,
        secrets
            .iter()
            .take(20)
            .map(|s| format!("API_TOKEN={s}\n"))
            .collect::<String>(),
    )
    .expect("write");
    common::git(&corpus, &["add", "staged-credentials.env"]);

    let out_dir = work.path().join("out");
    std::fs::create_dir(&out_dir).expect("mkdir");
    let report = out_dir.join("report");
    let baseline = out_dir.join("baseline.json");
    let mut runs = Vec::new();
    for format in ["text", "json", "jsonl", "json-report", "sarif"] {
        for command in [
            &["scan", "--no-config", "."][..],
            &["scan", "--no-config", "--include-suppressed", "."],
            &["scan", "--no-config", "--staged", "."],
            &["git", "."],
            &["release", "."],
        ] {
            let mut args: Vec<&str> = command.to_vec();
            args.extend(["-f", format]);
            runs.push(leakhound(&corpus, &args, &[]));
        }
        // A report written to a file (the same writer as standard output, another path).
        let report_str = report.to_str().expect("utf-8 path");
        let args = ["scan", "--no-config", "-f", format, "-o", report_str, "."];
        runs.push(leakhound(&corpus, &args, &[&report]));
        std::fs::remove_file(&report).ok();
    }
    let baseline_str = baseline.to_str().expect("utf-8 path");
    runs.push(leakhound(
        &corpus,
        &["scan", "--no-config", "--write-baseline", baseline_str, "."],
        &[&baseline],
    ));
    runs.push(leakhound(
        &corpus,
        &["scan", "--no-config", "--baseline", baseline_str, "."],
        &[],
    ));
    // Accepting every finding writes fingerprints to the ignore file, never secrets.
    let fingerprints: Vec<String> = {
        let json = leakhound(&corpus, &["scan", "--no-config", "-f", "json", "."], &[]);
        let text = String::from_utf8_lossy(&json.bytes);
        let start = text.find('[').expect("a JSON array");
        let end = text.rfind(']').expect("a JSON array");
        let records: Vec<serde_json::Value> =
            serde_json::from_str(&text[start..=end]).expect("JSON findings");
        records
            .iter()
            .filter_map(|r| r["fingerprint"].as_str().map(str::to_string))
            .take(30)
            .collect()
    };
    let mut add = vec!["ignore", "add"];
    add.extend(fingerprints.iter().map(String::as_str));
    runs.push(leakhound(
        &corpus,
        &add,
        &[&corpus.join(".leakhoundignore")],
    ));
    runs.push(leakhound(&corpus, &["ignore", "check", "."], &[]));
    // Standard input.
    let stdin_run = {
        let out = Command::new(assert_cmd::cargo::cargo_bin("leakhound"))
            .args(["scan", "--no-config", "-f", "json", "-"])
            .stdin(std::fs::File::open(&staged).expect("open"))
            .output()
            .expect("runs");
        let mut bytes = out.stdout;
        bytes.extend_from_slice(&out.stderr);
        Run {
            what: "scan - (standard input)".to_string(),
            code: out.status.code().unwrap_or(-1),
            bytes,
        }
    };
    runs.push(stdin_run);
    // Help and rule listings.
    for args in [
        &["--help"][..],
        &["scan", "--help"],
        &["git", "--help"],
        &["release", "--help"],
        &["rules", "list"],
        &["rules", "list", "--format", "json"],
    ] {
        runs.push(leakhound(&corpus, args, &[]));
    }
    // Error paths: a configuration whose malformed line holds a secret, and a user rule whose
    // broken regex sits beside one.
    let secret = &secrets[0];
    let bad_toml = out_dir.join("bad.toml");
    std::fs::write(
        &bad_toml,
        format!("[scan]\nmax_file_size = \"10M\"\ntoken = {secret} = oops\n"),
    )
    .expect("write");
    let bad_rule = out_dir.join("bad-rule.toml");
    std::fs::write(
        &bad_rule,
        format!(
            "[[rules]]\nid = \"my-rule\"\ndescription = \"x\"\nkeywords = [\"{secret}\"]\n\
             regex = \"({secret}\"\n"
        ),
    )
    .expect("write");
    for config in [&bad_toml, &bad_rule] {
        let config = config.to_str().expect("utf-8 path");
        let run = leakhound(&corpus, &["scan", "-c", config, "."], &[]);
        assert_eq!(
            run.code,
            2,
            "{}: {}",
            run.what,
            String::from_utf8_lossy(&run.bytes)
        );
        runs.push(run);
    }

    for run in &runs {
        assert!(
            (0..=2).contains(&run.code),
            "{}: exit {} (a crash?)",
            run.what,
            run.code
        );
        let found = leaked(run, &secrets);
        assert!(
            found.is_empty(),
            "`leakhound {}` wrote {} planted secret(s), e.g. one of {} characters",
            run.what,
            found.len(),
            found[0].len()
        );
    }
    eprintln!(
        "audited {} runs against {} planted secrets",
        runs.len(),
        secrets.len()
    );

    // The search can fail: with --show-secrets the secrets are there.
    let shown = leakhound(
        &corpus,
        &["scan", "--no-config", "--show-secrets", "."],
        &[],
    );
    assert!(
        leaked(&shown, &secrets).len() > 15,
        "the audit would not notice a leak"
    );
}
