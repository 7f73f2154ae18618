//! Running each command: turns parsed flags into a scan (or a rules listing) and its outcome.
//!
//! Errors here are `anyhow` errors with context; `main` prints them as one line, exit code 2.

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::sync::Mutex;

use anyhow::{bail, Context, Result};

use crate::cli::{Cli, ColorChoice, Command, ListFormat, RuleFiles, RulesCommand, ScanArgs};
use crate::engine::{Engine, EngineOptions};
use crate::report::{self, Format, ReportContext};
use crate::rule_check::check_examples;
use crate::rules::RuleSet;
use crate::scan::{self, FileOptions};
use crate::source::fs::{self as fs_source, WalkOptions};
use crate::summary::write_summary;

/// How a command ended (errors are the `Err` side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing found, all checks passed.
    Clean,
    /// Secrets found, or rule examples failed.
    Found,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Found => 1,
        }
    }
}

pub fn run(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Scan(args) => scan(&args),
        Command::Rules(RulesCommand::List(args)) => rules_list(&args.rules, args.format),
        Command::Rules(RulesCommand::Check(args)) => rules_check(&args.rules),
    }
}

fn load_rules(files: &RuleFiles) -> Result<RuleSet> {
    Ok(RuleSet::load(&files.config)?)
}

fn build_engine(files: &RuleFiles) -> Result<Engine> {
    Ok(Engine::new(load_rules(files)?)?)
}

fn scan(args: &ScanArgs) -> Result<Outcome> {
    for path in &args.paths {
        if let Err(e) = std::fs::metadata(path) {
            bail!("cannot scan {}: {}", path.display(), e);
        }
    }
    if let Some(n) = args.threads {
        if n == 0 {
            bail!("--threads must be at least 1");
        }
        // Only fails when the global pool already exists, which cannot happen this early.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
    let rules = load_rules(&args.rules)?;
    let walk_options = WalkOptions {
        honor_ignore_files: !args.no_ignore,
        follow_links: args.follow,
        threads: args.threads.unwrap_or(0),
    };
    let started = std::time::Instant::now();
    let (entries, walk_skips) = fs_source::walk(&args.paths, &walk_options);
    let input_bytes = entries.iter().map(|e| e.size).sum();
    let engine = Engine::with_options(
        rules,
        EngineOptions {
            input_bytes,
            decode_depth: args.decode_depth,
        },
    )?;

    let mut out = open_output(args.output.as_deref())?;
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };

    // JSON Lines streams findings as they are made; the other formats are written at the end.
    let stream = Mutex::new((&mut out, None::<io::Error>));
    let on_finding = |f: &crate::finding::Finding| {
        if args.format == Format::Jsonl {
            let mut guard = stream.lock().unwrap_or_else(|e| e.into_inner());
            let (w, err) = &mut *guard;
            if err.is_none() {
                if let Err(e) = report::write_jsonl_line(&mut **w, args.show_secrets, f) {
                    *err = Some(e);
                }
            }
        }
    };
    let file_options = FileOptions {
        max_file_size: args.max_file_size,
    };
    let (findings, mut stats) = scan::scan_files(&engine, &entries, &file_options, &on_finding);
    let stream_error = stream.into_inner().unwrap_or_else(|e| e.into_inner()).1;
    stats.skipped.extend(walk_skips);
    stats.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    stats.elapsed = started.elapsed();

    let ctx = ReportContext {
        rules: engine.rules(),
        stats: &stats,
        show_secrets: args.show_secrets,
        color,
        root: fs_source::report_base(&args.paths),
    };
    let written = match stream_error {
        Some(e) => Err(e),
        None => {
            report::write_report(args.format, &mut out, &ctx, &findings).and_then(|()| out.flush())
        }
    };
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other.context("cannot write the report")?,
    }
    if !args.quiet {
        write_summary(&mut io::stderr().lock(), &stats, &findings).ok();
    }
    Ok(if findings.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Found
    })
}

fn open_output(path: Option<&Path>) -> Result<Box<dyn Write + Send>> {
    Ok(match path {
        Some(p) => Box::new(io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(io::BufWriter::new(io::stdout())),
    })
}

fn rules_list(files: &RuleFiles, format: ListFormat) -> Result<Outcome> {
    let rules = load_rules(files)?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    let result = match format {
        ListFormat::Text => rules.rules().iter().try_for_each(|r| {
            writeln!(
                out,
                "{:<40} {:<6} {}",
                r.spec.id, r.spec.severity, r.spec.name
            )
        }),
        ListFormat::Json => {
            let specs: Vec<_> = rules.rules().iter().map(|r| &r.spec).collect();
            serde_json::to_writer_pretty(&mut out, &specs)
                .map_err(io::Error::from)
                .and_then(|()| writeln!(out))
        }
    };
    match result.and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other.context("cannot write the rule list")?,
    }
    Ok(Outcome::Clean)
}

fn rules_check(files: &RuleFiles) -> Result<Outcome> {
    let engine = build_engine(files)?;
    let failures = check_examples(&engine);
    let rules = engine.rules();
    let examples: usize = rules
        .rules()
        .iter()
        .map(|r| r.spec.examples.len() + r.spec.negative_examples.len())
        .sum();
    let mut out = io::stdout().lock();
    for f in &failures {
        writeln!(out, "FAIL {f}").ok();
    }
    writeln!(
        out,
        "{} rules, {} examples: {} passed, {} failed",
        rules.len(),
        examples,
        examples - failures.len(),
        failures.len()
    )
    .ok();
    Ok(if failures.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Found
    })
}
