//! `leakhound merge REPORT...`: the reports of the shards of one scan (`--shard K/N`), combined
//! into the report a single process would have written.
//!
//! Reports are combined as written, never re-scanned: `json-report` files into one (findings and
//! skips in the order of a single run, the summary's counts added up), SARIF logs into one run
//! (results in that order, each rule once with the indexes renumbered, the notifications of
//! all). The shards must be of one kind; the scheduler that ran them is theirs. Secrets are in a
//! merged report exactly as in its inputs (redacted unless the shards showed them).

use std::cmp::Ordering;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use serde_json::{json, Map, Value};

use super::{open_output, Outcome};
use std::io::Write;

pub fn merge(reports: &[PathBuf], output: Option<&std::path::Path>) -> Result<Outcome> {
    let mut parsed = Vec::with_capacity(reports.len());
    for path in reports {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!("{}: not a JSON report (line {})", path.display(), e.line())
        })?;
        parsed.push((path, value));
    }
    let kind = |v: &Value| {
        if v.get("runs").is_some() {
            Some("sarif")
        } else if v.get("summary").is_some() && v.get("findings").is_some() {
            Some("json-report")
        } else {
            None
        }
    };
    let mut kinds = Vec::new();
    for (path, value) in &parsed {
        match kind(value) {
            Some(k) => kinds.push(k),
            None => bail!(
                "{}: neither a json-report nor a SARIF log of leakhound (merge takes those)",
                path.display()
            ),
        }
    }
    kinds.dedup();
    let values: Vec<Value> = parsed.into_iter().map(|(_, v)| v).collect();
    let (merged, open) = match kinds.as_slice() {
        ["json-report"] => merge_json_reports(values),
        ["sarif"] => merge_sarif(values)?,
        [] => bail!("no report to merge"),
        _ => {
            bail!("the reports are of different kinds: merge json-reports or SARIF logs, not both")
        }
    };
    let mut out = open_output(output)?;
    serde_json::to_writer_pretty(&mut out, &merged)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(if open > 0 {
        Outcome::Found
    } else {
        Outcome::Clean
    })
}

/// A finding's place in a report, as a single run orders them: path, line, column, rule, commit.
fn finding_order(a: &Value, b: &Value) -> Ordering {
    let key = |v: &Value| {
        (
            v["path"].as_str().unwrap_or_default().to_string(),
            v["line"].as_u64().unwrap_or(0),
            v["column"].as_u64().unwrap_or(0),
            v["rule_id"].as_str().unwrap_or_default().to_string(),
            v["commit"].as_str().map(str::to_string),
        )
    };
    key(a).cmp(&key(b))
}

/// Adds up two JSON values of the same shape: numbers are summed, objects key by key.
fn add(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Number(a), Value::Number(b)) => {
            if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
                *a = (x + y).into();
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(existing) => add(existing, v),
                    None => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        _ => {}
    }
}

fn merge_json_reports(reports: Vec<Value>) -> (Value, u64) {
    let mut findings = Vec::new();
    let mut skipped = Vec::new();
    let mut summary = Value::Object(Map::new());
    let mut tool = Value::Null;
    let mut elapsed = 0u64;
    for mut report in reports {
        if let Some(f) = report["findings"].as_array_mut() {
            findings.append(f);
        }
        if let Some(s) = report["skipped"].as_array_mut() {
            skipped.append(s);
        }
        // The shards ran side by side: the merged scan took as long as the slowest.
        elapsed = elapsed.max(report["summary"]["elapsed_ms"].as_u64().unwrap_or(0));
        if let Some(s) = report["summary"].as_object_mut() {
            s.remove("elapsed_ms");
        }
        add(&mut summary, &report["summary"]);
        tool = report["tool"].take();
    }
    findings.sort_by(finding_order);
    skipped.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    summary["elapsed_ms"] = json!(elapsed);
    let open = summary["findings"].as_u64().unwrap_or(0);
    // Keys in the order a single run writes them.
    let order = [
        "files_scanned",
        "bytes_scanned",
        "commits",
        "elapsed_ms",
        "findings",
        "by_severity",
        "suppressed",
        "below_min_severity",
        "skipped",
    ];
    let mut ordered = Map::new();
    for key in order {
        if let Some(v) = summary.get(key) {
            ordered.insert(key.to_string(), v.clone());
        }
    }
    let merged = json!({
        "tool": tool,
        "summary": Value::Object(ordered),
        "findings": findings,
        "skipped": skipped,
    });
    (merged, open)
}

/// A SARIF result's place, as a single run orders them.
fn result_order(a: &Value, b: &Value) -> Ordering {
    let key = |r: &Value| {
        let location = &r["locations"][0]["physicalLocation"];
        (
            location["artifactLocation"]["uri"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            location["region"]["startLine"].as_u64().unwrap_or(0),
            location["region"]["startColumn"].as_u64().unwrap_or(0),
            r["ruleId"].as_str().unwrap_or_default().to_string(),
            r["properties"]["commit"].as_str().map(str::to_string),
        )
    };
    key(a).cmp(&key(b))
}

fn merge_sarif(logs: Vec<Value>) -> Result<(Value, u64)> {
    let mut first: Option<Value> = None;
    let mut rules: Vec<Value> = Vec::new();
    let mut results: Vec<Value> = Vec::new();
    let mut notifications: Vec<Value> = Vec::new();
    let mut successful = true;
    for mut log in logs {
        let Some(runs) = log["runs"].as_array_mut() else {
            bail!("a SARIF log without runs");
        };
        for run in runs.iter_mut() {
            let run_rules: Vec<Value> = run["tool"]["driver"]["rules"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for mut result in run["results"]
                .as_array_mut()
                .map(std::mem::take)
                .unwrap_or_default()
            {
                let rule_id = result["ruleId"].as_str().unwrap_or_default().to_string();
                let index = match rules.iter().position(|r| r["id"] == rule_id.as_str()) {
                    Some(i) => i,
                    None => {
                        let rule = run_rules
                            .iter()
                            .find(|r| r["id"] == rule_id.as_str())
                            .cloned()
                            .unwrap_or_else(|| json!({ "id": rule_id }));
                        rules.push(rule);
                        rules.len() - 1
                    }
                };
                result["ruleIndex"] = json!(index);
                results.push(result);
            }
            for invocation in run["invocations"].as_array().into_iter().flatten() {
                successful &= invocation["executionSuccessful"].as_bool().unwrap_or(true);
                if let Some(n) = invocation["toolExecutionNotifications"].as_array() {
                    notifications.extend(n.iter().cloned());
                }
            }
        }
        if first.is_none() {
            first = Some(log);
        }
    }
    let Some(mut log) = first else {
        bail!("no report to merge");
    };
    results.sort_by(result_order);
    // A single run lists the rules that fired sorted by id.
    let mut order: Vec<usize> = (0..rules.len()).collect();
    order.sort_by(|&a, &b| rules[a]["id"].as_str().cmp(&rules[b]["id"].as_str()));
    for r in &mut results {
        let old = r["ruleIndex"].as_u64().unwrap_or(0) as usize;
        if let Some(new) = order.iter().position(|&o| o == old) {
            r["ruleIndex"] = json!(new);
        }
    }
    let rules: Vec<Value> = order.iter().map(|&i| rules[i].clone()).collect();
    notifications.sort_by(|a, b| {
        let key = |n: &Value| {
            (
                n["descriptor"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                n["message"]["text"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        };
        key(a).cmp(&key(b))
    });
    let open = results
        .iter()
        .filter(|r| r["suppressions"].as_array().is_none_or(|s| s.is_empty()))
        .count() as u64;
    let run = &mut log["runs"][0];
    run["tool"]["driver"]["rules"] = json!(rules);
    run["results"] = json!(results);
    run["invocations"] = json!([{
        "executionSuccessful": successful,
        "toolExecutionNotifications": notifications,
    }]);
    if let Some(runs) = log["runs"].as_array_mut() {
        runs.truncate(1);
    }
    Ok((log, open))
}
