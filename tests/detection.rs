//! End-to-end tests of detection through the binary: named-service keys (their rule ids and
//! names in every report format, a user's own `[[services]]`), and secrets written in the
//! syntaxes that line-by-line rules used to miss.

mod common;

use common::run;

/// A fake hex key that differs per seed (32 characters, no counting).
fn hex_key(seed: u64) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..32)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b"0123456789abcdef"[(x % 16) as usize])
        })
        .collect()
}

fn findings(dir: &std::path::Path, args: &[&str]) -> Vec<serde_json::Value> {
    let mut full = vec!["scan", "--no-config", "--format", "json"];
    full.extend_from_slice(args);
    full.push(".");
    let (code, out, err) = run(dir, &full);
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    report["findings"]
        .as_array()
        .or_else(|| report.as_array())
        .cloned()
        .unwrap_or_default()
}

#[test]
fn a_named_service_key_is_reported_under_the_service_rule_and_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = hex_key(1);
    std::fs::write(
        dir.path().join(".env"),
        format!("ZEROBOUNCE_API_KEY={key}\nDEBUG=1\n"),
    )
    .expect("write");
    let found = findings(dir.path(), &[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["rule_id"], "zerobounce-api-key");
    assert_eq!(found[0]["rule_name"], "ZeroBounce API key");
    assert!(
        !found[0]["secret"]
            .as_str()
            .unwrap_or_default()
            .contains(&key),
        "the key is redacted"
    );

    let (code, sarif, _) = run(
        dir.path(),
        &["scan", "--no-config", "--format", "sarif", "."],
    );
    assert_eq!(code, 1);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).expect("SARIF");
    let rules = &sarif["runs"][0]["tool"]["driver"]["rules"];
    let rule = rules
        .as_array()
        .and_then(|r| r.iter().find(|r| r["id"] == "zerobounce-api-key"))
        .expect("the service's rule is in the SARIF driver");
    assert!(rule.to_string().contains("ZeroBounce"), "{rule}");
    assert!(!sarif.to_string().contains(&key), "no secret in SARIF");
}

#[test]
fn a_service_name_far_from_any_key_word_or_inside_another_word_is_not_a_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = hex_key(2);
    std::fs::write(
        dir.path().join("notes.md"),
        format!(
            "We send mail through ZeroBounce and Mailtrap.\n\
             The build id is recorded below, for the release notes of this week.\n\
             build = {key}\n\
             NOTZEROBOUNCE_API_KEY={key}\n"
        ),
    )
    .expect("write");
    let found = findings(dir.path(), &[]);
    assert!(
        found.iter().all(|f| !f["rule_id"]
            .as_str()
            .unwrap_or_default()
            .starts_with("zerobounce")),
        "{found:?}"
    );
}

#[test]
fn a_configuration_adds_its_own_services() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = hex_key(3);
    std::fs::write(
        dir.path().join("services.toml"),
        "[[services]]\nid = \"intranet-geo\"\nname = \"Intranet Geo\"\nvalue = \"hex\"\nlength = 32\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("app.yaml"),
        format!("intranet_geo:\n  intranetGeoToken: \"{key}\"\n"),
    )
    .expect("write");
    let found = findings(dir.path(), &["-c", "services.toml"]);
    assert!(
        found
            .iter()
            .any(|f| f["rule_id"] == "intranet-geo-api-key"
                && f["rule_name"] == "Intranet Geo API key"),
        "{found:?}"
    );
    // A bad entry is one error line naming the file and the line, exit 2.
    std::fs::write(
        dir.path().join("bad.toml"),
        "\n[[services]]\nid = \"intranet-geo\"\nname = \"X\"\nvalue = \"hexx\"\n",
    )
    .expect("write");
    let (code, _, err) = run(dir.path(), &["scan", "--no-config", "-c", "bad.toml", "."]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.toml:2") && err.contains("hexx"), "{err}");
}

#[test]
fn secrets_in_syntaxes_that_span_lines_or_pieces_are_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("settings.xml"),
        "<settings>\n  <server>\n    <password>\n      Xk9vQ2mLz7Tp\n    </password>\n  </server>\n</settings>\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("db.php"),
        "<?php\n$db_password = 'Rq7k' . 'T3mWz9vLp';\n", // leakhound:allow (fake secrets of the test)
    )
    .expect("write");
    std::fs::write(
        dir.path().join("Conn.cs"),
        [
            "var cs = \"Driver={ODBC Driver 17};Pwd=Tq8Wm3Zx6Lp2Vr;Uid=sa;Server=db01\";", // leakhound:allow (fake secrets of the test)
            "string password = @\"Kq8Lm2Vn6Tj4Ys\";", // leakhound:allow (fake secrets of the test)
        ]
        .join("\n"),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("deploy.sh"),
        "curl -H \"Authorization: token 9f8e7d6c5b4a39281706f5e4d3c2b1a0\" https://git.corp.internal/api/v3/user\n", // leakhound:allow (fake secrets of the test)
    )
    .expect("write");
    let found = findings(dir.path(), &[]);
    let rules: Vec<(&str, &str)> = found
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default(),
                f["rule_id"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    for expected in [
        ("settings.xml", "generic-xml-password"),
        ("db.php", "generic-password"),
        ("Conn.cs", "connection-string-password"),
        ("Conn.cs", "generic-password"),
        ("deploy.sh", "http-authorization-token"),
    ] {
        assert!(
            rules
                .iter()
                .any(|(p, r)| p.ends_with(expected.0) && *r == expected.1),
            "{expected:?} not in {rules:?}"
        );
    }
}
