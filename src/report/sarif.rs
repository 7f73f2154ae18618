//! SARIF 2.1.0, shaped for GitHub code scanning.
//!
//! One run; the driver lists every rule that fired, with help on rotating the secret; each result
//! has a relative URI under the `SRCROOT` base, a full region and stable partial fingerprints.
//! Files that were not scanned become tool execution notifications. No secret is written unless
//! `--show-secrets` (and then only in the result's properties, never in a message).

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use serde_json::{json, Value};

use super::ReportContext;
use crate::finding::{secret_line_hash, Finding, GitMessage};
use crate::rules::{Rule, Severity};
use crate::triage::{Suppression, SuppressionKind};

const INFORMATION_URI: &str = "https://github.com/leakhound/leakhound";
const BASE_ID: &str = "SRCROOT";
/// Skipped files listed one by one in the notifications, per reason.
const NOTIFICATIONS_PER_REASON: usize = 1000;

pub fn write_sarif(
    out: &mut dyn Write,
    ctx: &ReportContext<'_>,
    findings: &[Finding],
) -> io::Result<()> {
    let entries = super::entries(findings, ctx.suppressed);
    let fired: Vec<&Rule> = {
        let ids: std::collections::BTreeSet<&str> =
            entries.iter().map(|(f, _)| f.rule_id.as_str()).collect();
        ids.iter().filter_map(|id| ctx.rules.find(id)).collect()
    };
    let rule_index: HashMap<&str, usize> =
        fired.iter().enumerate().map(|(i, r)| (r.id(), i)).collect();

    let mut occurrences: HashMap<(String, String), usize> = HashMap::new();
    let results: Vec<Value> = entries
        .iter()
        .map(|&(f, suppression)| {
            let base = secret_line_hash(&f.rule_id, &f.secret);
            let n = occurrences
                .entry((f.path.clone(), base.clone()))
                .or_insert(0);
            *n += 1;
            let mut r = result(
                ctx,
                f,
                rule_index.get(f.rule_id.as_str()).copied(),
                &format!("{base}:{n}"),
            );
            if let Some(s) = suppression {
                r["suppressions"] = json!([suppression_object(s)]);
            }
            r
        })
        .collect();

    let mut run = json!({
        "tool": {
            "driver": {
                "name": "leakhound",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": fired.iter().map(|r| descriptor(r)).collect::<Vec<_>>(),
            }
        },
        "invocations": [{
            "executionSuccessful": true,
            "toolExecutionNotifications": notifications(ctx),
        }],
        "columnKind": "unicodeCodePoints",
        "results": results,
    });
    if let Some(root) = &ctx.root {
        run["originalUriBaseIds"] = json!({ BASE_ID: { "uri": directory_uri(root) } });
        if let Some(revision) = &ctx.revision {
            // The local repository, never a remote's URL (which may carry credentials).
            let mut provenance = json!({
                "repositoryUri": directory_uri(root),
                "revisionId": revision.commit,
                "mappedTo": { "uriBaseId": BASE_ID },
            });
            if let Some(branch) = &revision.branch {
                provenance["branch"] = json!(branch);
            }
            run["versionControlProvenance"] = json!([provenance]);
        }
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    out.write_all(b"\n")
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's scale: over 9 critical, 7-8.9 high, 4-6.9 medium, under 4 low.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

const DEFAULT_REMEDIATION: &str = "Treat the secret as compromised: revoke or rotate it at its \
issuer, replace it where it is used with a reference to a secret store or an environment \
variable, and remove it from the file. If it was ever committed, it stays in git history until \
the history is rewritten, so rotation is what makes it safe.";

fn descriptor(rule: &Rule) -> Value {
    let spec = &rule.spec;
    let remediation = spec.remediation.as_deref().unwrap_or(DEFAULT_REMEDIATION);
    let mut markdown = format!(
        "**{}**\n\n{}\n\n**How to fix it**\n\n{}\n",
        spec.name, spec.description, remediation
    );
    let mut text = format!(
        "{}\n\n{}\n\nHow to fix it: {}",
        spec.name, spec.description, remediation
    );
    if !spec.references.is_empty() {
        markdown.push_str("\n**References**\n\n");
        text.push_str("\n\nReferences:");
        for r in &spec.references {
            markdown.push_str(&format!("- <{r}>\n"));
            text.push_str(&format!("\n- {r}"));
        }
    }
    let mut tags = vec!["security".to_string(), "secret".to_string()];
    tags.extend(spec.tags.iter().cloned());
    let mut d = json!({
        "id": spec.id,
        "name": pascal_case(&spec.name),
        "shortDescription": { "text": sentence(&spec.name) },
        "fullDescription": { "text": sentence(&spec.description) },
        "help": { "text": text, "markdown": markdown },
        "defaultConfiguration": { "level": level(spec.severity) },
        "properties": {
            "security-severity": security_severity(spec.severity),
            "precision": if spec.generic { "medium" } else { "high" },
            "tags": tags,
        },
    });
    if let Some(uri) = spec.references.first() {
        d["helpUri"] = json!(uri);
    }
    d
}

fn result(
    ctx: &ReportContext<'_>,
    f: &Finding,
    rule_index: Option<usize>,
    line_hash: &str,
) -> Value {
    let mut properties = json!({
        "severity": f.severity.as_str(),
        "redactedSecret": f.secret.redacted(),
    });
    if ctx.show_secrets {
        properties["secret"] = json!(f.secret.expose());
    }
    if let Some(encoding) = f.encoding {
        properties["encoding"] = json!(encoding);
    }
    if let Some(member) = &f.member {
        properties["archiveMember"] = json!(member);
    }
    if let Some(origin) = f.origin {
        properties["origin"] = json!(origin);
    }
    if let Some(repository) = &f.repository {
        properties["repository"] = json!(repository);
    }
    if let Some(c) = &f.commit {
        properties["commit"] = json!(c.commit);
        properties["author"] = json!(c.author);
        properties["email"] = json!(c.email);
        properties["date"] = json!(c.date);
        properties["inHead"] = json!(c.in_head);
        properties["blobCount"] = json!(c.blob_count);
    }
    let where_ = match &f.commit {
        Some(c) if !c.in_head => format!(
            " It was introduced in commit {} and is no longer in HEAD, but remains in history.",
            &c.commit[..c.commit.len().min(12)]
        ),
        Some(c) => format!(
            " It was introduced in commit {}.",
            &c.commit[..c.commit.len().min(12)]
        ),
        None => String::new(),
    };
    let mut r = json!({
        "ruleId": f.rule_id,
        "level": level(f.severity),
        "message": { "text": format!("{} found{} in {} at line {}{}. Rotate it and remove it from the source.{where_}", f.rule_name, encoded_note(f), f.path, f.line, if f.member.is_some() { " of the archive member" } else { "" }) },
        "locations": [{
            "physicalLocation": {
                // An archive member's artifact is the archive: code scanning knows files only.
                "artifactLocation": artifact(ctx, f.outer_path()),
                "region": {
                    "startLine": f.line,
                    "startColumn": f.column,
                    "endLine": f.end_line,
                    "endColumn": f.end_column + 1,
                }
            }
        }],
        "partialFingerprints": {
            "primaryLocationLineHash": line_hash,
            "leakhoundFingerprint/v1": f.fingerprint,
        },
        "properties": properties,
    });
    if let Some(message) = &f.git_message {
        in_git_message(&mut r, f, message);
    }
    if let Some(i) = rule_index {
        r["ruleIndex"] = json!(i);
    }
    r
}

/// A secret in a commit's or a tag's message: code scanning shows only results with a file
/// location (and refuses URIs of other schemes), so the physical location stays the message's
/// pseudo-path under `.git/` (relative, which no tracked file can be: shown, never confused with
/// a file), and a logical location names the commit or the tag for tools that read them.
fn in_git_message(r: &mut Value, f: &Finding, message: &GitMessage) {
    let (kind, name, said) = match message {
        GitMessage::Commit { id } => (
            "commit",
            id.as_str(),
            format!("commit {}", &id[..id.len().min(12)]),
        ),
        GitMessage::Tag { name, .. } => ("tag", name.as_str(), format!("tag {name}")),
    };
    r["message"]["text"] = json!(format!(
        "{} found{} in the message of {said}, at line {}. Rotate it: the message stays in the \
         repository's history until the history is rewritten.",
        f.rule_name,
        encoded_note(f),
        f.line
    ));
    r["locations"][0]["logicalLocations"] = json!([{
        "kind": kind,
        "name": name,
        "fullyQualifiedName": format!("{kind} {name}"),
    }]);
    r["properties"]["gitMessage"] = json!(kind);
    if let GitMessage::Tag { name, .. } = message {
        r["properties"]["tag"] = json!(name);
    }
}

/// A SARIF suppression: `inSource` for a marker in the file, `external` for the ignore file,
/// a baseline or an allowlist; accepted, with the team's justification.
fn suppression_object(s: &Suppression) -> Value {
    let kind = match s.kind {
        SuppressionKind::Inline => "inSource",
        _ => "external",
    };
    json!({
        "kind": kind,
        "status": "accepted",
        "justification": s.justification(),
        "properties": { "leakhoundKind": s.kind.as_str() },
    })
}

fn encoded_note(f: &Finding) -> String {
    f.encoding
        .map(|e| format!(" inside a {e}-encoded value"))
        .unwrap_or_default()
}

fn artifact(ctx: &ReportContext<'_>, path: &str) -> Value {
    if path.starts_with('/') {
        json!({ "uri": format!("file://{}", percent_encode(path)) })
    } else if ctx.root.is_some() {
        json!({ "uri": relative_uri(path), "uriBaseId": BASE_ID })
    } else {
        json!({ "uri": relative_uri(path) })
    }
}

/// A relative path as a relative URI reference. A `:` is escaped as well: in the first segment
/// it would make the reference an absolute URI with a scheme (`c:notes.txt`, `http:x/y`), which
/// SARIF does not allow beside a `uriBaseId` and which no consumer finds in the tree.
fn relative_uri(path: &str) -> String {
    percent_encode(path).replace(':', "%3A")
}

fn notifications(ctx: &ReportContext<'_>) -> Vec<Value> {
    let mut by_reason: BTreeMap<&str, Vec<&crate::source::Skipped>> = BTreeMap::new();
    for s in &ctx.stats.skipped {
        by_reason.entry(s.reason.label()).or_default().push(s);
    }
    let mut out = Vec::new();
    for (label, skipped) in by_reason {
        let expected = skipped.first().is_some_and(|s| s.reason.is_expected());
        let level = if expected { "note" } else { "warning" };
        for s in skipped.iter().take(NOTIFICATIONS_PER_REASON) {
            let mut n = json!({
                "level": level,
                "message": { "text": format!("Not scanned: {}.", s.reason.describe()) },
                "descriptor": { "id": format!("skipped-{label}") },
            });
            if !s.path.is_empty() {
                n["locations"] =
                    json!([{ "physicalLocation": { "artifactLocation": artifact(ctx, &s.path) } }]);
            }
            out.push(n);
        }
        if skipped.len() > NOTIFICATIONS_PER_REASON {
            out.push(json!({
                "level": level,
                "message": { "text": format!("Not scanned: {} more files ({label}).", skipped.len() - NOTIFICATIONS_PER_REASON) },
                "descriptor": { "id": format!("skipped-{label}") },
            }));
        }
    }
    out
}

/// `GitHub personal access token (classic)` → `GitHubPersonalAccessTokenClassic`
/// (SARIF rule names are identifiers, and must differ from the id).
fn pascal_case(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .map(|part| {
            let mut c = part.chars();
            c.next()
                .map(|first| first.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// SARIF wants messages to be sentences.
fn sentence(s: &str) -> String {
    let s = s.trim();
    if s.ends_with(['.', '!', '?']) {
        s.to_string()
    } else {
        format!("{s}.")
    }
}

/// `file:///abs/root/` for an absolute directory.
fn directory_uri(root: &std::path::Path) -> String {
    let mut s = percent_encode(&root.to_string_lossy().replace('\\', "/"));
    if !s.starts_with('/') {
        s.insert(0, '/');
    }
    if !s.ends_with('/') {
        s.push('/');
    }
    format!("file://{s}")
}

/// Percent-encodes what may not stand in a URI path (spaces, non-ASCII, `%`, `#`, `?`...).
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(
            percent_encode("docs/with space/notes (copy).md"),
            "docs/with%20space/notes%20(copy).md"
        );
        assert_eq!(percent_encode("docs/日本.md"), "docs/%E6%97%A5%E6%9C%AC.md");
        assert_eq!(percent_encode("a#b?c%d"), "a%23b%3Fc%25d");
        assert_eq!(relative_uri("c:notes.txt"), "c%3Anotes.txt");
        assert_eq!(relative_uri("docs/a b:c.md"), "docs/a%20b%3Ac.md");
        assert_eq!(
            directory_uri(std::path::Path::new("/tmp/x y")),
            "file:///tmp/x%20y/"
        );
    }

    #[test]
    fn names() {
        assert_eq!(
            pascal_case("GitHub personal access token (classic)"),
            "GitHubPersonalAccessTokenClassic"
        );
        assert_eq!(pascal_case("JSON Web Token"), "JSONWebToken");
        assert_eq!(sentence("A key"), "A key.");
        assert_eq!(sentence("A key."), "A key.");
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;
        use proptest::strategy::ValueTree;

        use crate::finding::{fingerprint, CommitInfo, Finding, Secret, SourceLine};
        use crate::report::ReportContext;
        use crate::rules::RuleSet;
        use crate::scan::Stats;
        use crate::source::{SkipReason, Skipped};

        fn rules() -> &'static RuleSet {
            static RULES: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
            RULES.get_or_init(|| RuleSet::embedded().expect("embedded rules"))
        }

        /// Paths as they come from a tree or an archive: spaces, non-ASCII, control characters,
        /// `:`, `%`, `#`, `?`, relative or (now and then) absolute.
        fn path() -> impl Strategy<Value = String> {
            let segment = prop_oneof![
                "[a-z0-9._-]{1,10}",
                "[a-z ]{1,6}\\.md",
                "\\PC{1,6}",
                "[\\x00-\\x1f\\x7f]{1,3}[a-z]{0,3}",
                "[a-z]{0,3}[:%#?\\[\\]@!$&'()*+,;=]{1,3}[a-z]{0,3}",
            ];
            (
                prop::collection::vec(segment, 1..4),
                prop::sample::select(&["", "", "", "/"][..]),
            )
                .prop_map(|(segments, root)| format!("{root}{}", segments.join("/")))
        }

        /// A secret no report may show: a marker no rule text or path has, then anything.
        fn secret() -> impl Strategy<Value = String> {
            "[A-Za-z0-9+/=_\\-]{4,40}".prop_map(|s| format!("Qz9XkW{s}"))
        }

        fn finding() -> impl Strategy<Value = Finding> {
            (
                any::<prop::sample::Index>(),
                path(),
                secret(),
                (1usize..5000, 1usize..400, 0usize..3, 0usize..80),
                prop::option::of(prop::sample::select(&["base64", "percent"][..])),
                prop::option::of(("[0-9a-f]{40}", any::<bool>())),
            )
                .prop_map(
                    |(rule, path, secret, (line, column, lines, width), encoding, commit)| {
                        let rule = rule.get(rules().rules());
                        let secret = Secret::new(secret.as_bytes());
                        Finding {
                            rule_id: rule.id().to_string(),
                            rule_name: rule.spec.name.clone(),
                            severity: rule.spec.severity,
                            fingerprint: fingerprint(rule.id(), &path, &secret),
                            path,
                            line,
                            column,
                            end_line: line + lines,
                            end_column: if lines == 0 {
                                column + width
                            } else {
                                1 + width
                            },
                            offset: 0,
                            secret,
                            encoding,
                            commit: commit.map(|(commit, in_head)| CommitInfo {
                                commit,
                                author: "A \u{e9} <x>".to_string(),
                                email: "a@example.invalid".to_string(),
                                date: "2024-01-02T03:04:05Z".to_string(),
                                in_head,
                                blob_count: 1,
                            }),
                            origin: None,
                            repository: None,
                            git_message: None,
                            member: None,
                            source_line: SourceLine::default(),
                            shares_line: false,
                        }
                    },
                )
        }

        fn report(findings: &[Finding], root: bool, skipped: Vec<Skipped>) -> Vec<u8> {
            let stats = Stats {
                skipped,
                ..Stats::default()
            };
            let ctx = ReportContext {
                rules: rules(),
                stats: &stats,
                show_secrets: false,
                color: false,
                root: root.then(|| std::path::PathBuf::from("/work/my repo")),
                revision: None,
                suppressed: &[],
                suppressed_counts: &[],
                below_min_severity: 0,
            };
            let mut out = Vec::new();
            write_sarif(&mut out, &ctx, findings).expect("written to memory");
            out
        }

        /// `uri` percent-decoded.
        fn decoded(uri: &str) -> Vec<u8> {
            percent_encoding::percent_decode_str(uri).collect()
        }

        proptest! {
            #[test]
            fn reports_are_sarif_with_relative_uris_regions_and_fingerprints(
                findings in prop::collection::vec(finding(), 0..6),
                root in any::<bool>(),
            ) {
                let out = report(&findings, root, Vec::new());
                let log: Value = serde_json::from_slice(&out).expect("the report is JSON");
                prop_assert_eq!(&log["version"], "2.1.0");
                let runs = log["runs"].as_array().expect("runs");
                prop_assert_eq!(runs.len(), 1);
                let run = &runs[0];
                let descriptors = run["tool"]["driver"]["rules"].as_array().expect("rules");
                let results = run["results"].as_array().expect("results");
                prop_assert_eq!(results.len(), findings.len());
                let mut ordered: Vec<&Finding> = findings.iter().collect();
                ordered.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
                for (result, f) in results.iter().zip(ordered) {
                    prop_assert_eq!(&result["ruleId"], f.rule_id.as_str());
                    let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
                    prop_assert_eq!(&descriptors[index]["id"], f.rule_id.as_str());
                    let location = &result["locations"][0]["physicalLocation"];
                    let uri = location["artifactLocation"]["uri"].as_str().expect("uri");
                    prop_assert!(
                        uri.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@%".contains(&b)),
                        "{}", uri
                    );
                    match f.path.strip_prefix('/') {
                        Some(_) => {
                            let path = uri.strip_prefix("file://").expect("an absolute file URI");
                            prop_assert_eq!(decoded(path), f.path.as_bytes());
                        }
                        None => {
                            // A relative reference: no scheme (no `:` before the first `/`),
                            // not absolute, and the path again once decoded.
                            let first = uri.split('/').next().unwrap_or_default();
                            prop_assert!(!first.contains(':') && !uri.starts_with('/'), "{}", uri);
                            prop_assert_eq!(decoded(uri), f.path.as_bytes());
                            let base = &location["artifactLocation"]["uriBaseId"];
                            prop_assert_eq!(base.as_str(), root.then_some(BASE_ID));
                        }
                    }
                    let region = &location["region"];
                    let number = |key: &str| region[key].as_u64().expect("region numbers");
                    prop_assert!(number("startLine") >= 1 && number("startColumn") >= 1);
                    prop_assert!(number("endLine") >= number("startLine"));
                    prop_assert!(
                        number("endLine") > number("startLine") || number("endColumn") > number("startColumn")
                    );
                    let prints = &result["partialFingerprints"];
                    prop_assert!(prints["primaryLocationLineHash"].as_str().is_some_and(|h| !h.is_empty()));
                    prop_assert_eq!(&prints["leakhoundFingerprint/v1"], f.fingerprint.as_str());
                    prop_assert!(result["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
                }
                // No secret is written unless asked for.
                let text = String::from_utf8_lossy(&out);
                for f in &findings {
                    prop_assert!(!text.contains(f.secret.expose()));
                }
            }
        }

        /// Reports of generated findings (odd paths, commits, skipped files; with and without a
        /// root), checked by the shared SARIF validator (Microsoft's multitool with GitHub's
        /// rules): no error and no warning. Skipped where the validator is missing or cannot run.
        #[test]
        fn the_sarif_validator_finds_no_error_in_our_reports() {
            let validator = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/tools/validate-sarif");
            if !validator.is_file() {
                eprintln!("skipped: no ../shared/tools/validate-sarif beside the repository");
                return;
            }
            let dir = tempfile::tempdir().expect("tempdir");
            let mut runner = proptest::test_runner::TestRunner::deterministic();
            let mut files = Vec::new();
            for (i, root) in [true, false, true].into_iter().enumerate() {
                let findings = prop::collection::vec(finding(), 1..8)
                    .new_tree(&mut runner)
                    .expect("findings")
                    .current();
                let skipped = vec![
                    Skipped {
                        path: "assets/logo.png".to_string(),
                        reason: SkipReason::Binary,
                    },
                    Skipped {
                        path: "dist/app.zip".to_string(),
                        reason: SkipReason::ArchiveLimit {
                            limit: "depth".to_string(),
                        },
                    },
                ];
                let file = dir.path().join(format!("report-{i}.sarif"));
                std::fs::write(&file, report(&findings, root, skipped)).expect("write");
                files.push(file);
            }
            let output = std::process::Command::new(&validator)
                .args(&files)
                .output()
                .expect("run the validator");
            let printed = String::from_utf8_lossy(&output.stdout).to_string()
                + &String::from_utf8_lossy(&output.stderr);
            match output.status.code() {
                Some(0) => eprintln!("{printed}"),
                Some(2) => eprintln!("skipped: the validator could not run: {printed}"),
                _ => panic!("the validator found errors:\n{printed}"),
            }
        }
    }
}
