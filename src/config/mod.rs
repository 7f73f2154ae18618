//! Configuration: `.leakhound.toml` files found beside what is scanned, `LEAKHOUND_CONFIG` and
//! `--config`, merged into one [`Config`].
//!
//! A configuration adds rules, disables rules, changes their severity, sets defaults for flags
//! and declares allowlists; [`Config::apply_to`] turns it into the rule set, and the triage stage
//! gets its allowlists and settings. This module reads files and checks them; it does not scan.
//!
//! Discovery: for each scanned path, the nearest `.leakhound.toml` from that directory up to its
//! project root (the git work tree that holds it; just the directory itself outside git).

mod file;

use std::path::{Path, PathBuf};

use toml::Spanned;

pub use file::{AllowlistSpec, ConfigError, ConfigFile};

use crate::rules::{RuleSet, Severity};
use crate::triage::allowlist::Allowlist;

/// The file name looked for beside what is scanned.
pub const FILE_NAME: &str = ".leakhound.toml";
/// The environment variable naming one more configuration file.
pub const ENV_VAR: &str = "LEAKHOUND_CONFIG";
/// The ignore file's name, at the project root (or beside a configuration file).
pub const IGNORE_FILE_NAME: &str = ".leakhoundignore";
/// The commented starter file `leakhound config init` writes.
pub const STARTER: &str = include_str!("starter.toml");

/// One configuration file, parsed.
#[derive(Debug)]
struct Layer {
    /// The path as shown in messages.
    shown: String,
    /// Where its allowlists' path globs start, absolute: its own directory, or the project
    /// root for a file named by `--config` or `LEAKHOUND_CONFIG`.
    dir: PathBuf,
    /// Its own directory, absolute: where `ignore_file` and `baseline` are found.
    file_dir: PathBuf,
    text: String,
    file: ConfigFile,
    /// Found beside what is scanned: its allowlists apply only under its directory. Files named
    /// by `--config` or `LEAKHOUND_CONFIG` apply everywhere, their paths relative to the project
    /// root.
    discovered: bool,
}

/// Every configuration in force, later ones overriding earlier ones where they set the same
/// thing (discovered files, then `LEAKHOUND_CONFIG`, then `--config` files in order).
#[derive(Debug, Default)]
pub struct Config {
    layers: Vec<Layer>,
    allowlists: Vec<Allowlist>,
}

/// The directory that holds `dir` in a git work tree (the nearest with a `.git`), if any.
pub fn git_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// The project root of a scanned directory: its git work tree, or the directory itself.
pub fn project_root(dir: &Path) -> PathBuf {
    git_root(dir).unwrap_or_else(|| dir.to_path_buf())
}

/// The nearest configuration file for each directory (from it up to its project root),
/// without repeats, in the order of `dirs`.
pub fn discover(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
        let dir = if dir.is_file() {
            dir.parent().map(Path::to_path_buf).unwrap_or(dir)
        } else {
            dir
        };
        let root = project_root(&dir);
        let nearest = dir
            .ancestors()
            .take_while(|d| d.starts_with(&root))
            .map(|d| d.join(FILE_NAME))
            .find(|f| f.is_file());
        if let Some(f) = nearest.filter(|f| !found.contains(f)) {
            found.push(f);
        }
    }
    found
}

/// Which files to load: the discovered ones (unless `--no-config`), `LEAKHOUND_CONFIG` (unless
/// `--no-config`), and the explicit ones.
#[derive(Debug, Default)]
pub struct Sources {
    pub discovered: Vec<PathBuf>,
    pub env: Option<PathBuf>,
    pub explicit: Vec<PathBuf>,
}

impl Sources {
    /// The usual sources for scans of `dirs`: discovery, the environment, and `explicit`.
    pub fn for_dirs(dirs: &[PathBuf], explicit: &[PathBuf], no_config: bool) -> Sources {
        if no_config {
            return Sources {
                explicit: explicit.to_vec(),
                ..Sources::default()
            };
        }
        Sources {
            discovered: discover(dirs),
            env: std::env::var_os(ENV_VAR)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            explicit: explicit.to_vec(),
        }
    }
}

impl Config {
    /// Reads and checks every file of `sources`; `project_root` is where the paths of explicit
    /// files start.
    pub fn load(sources: &Sources, project_root: &Path) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        let explicit = sources.env.iter().chain(&sources.explicit);
        let files = sources
            .discovered
            .iter()
            .map(|p| (p, true))
            .chain(explicit.map(|p| (p, false)));
        for (path, discovered) in files {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
                path: shown.clone(),
                line: None,
                key: None,
                message: format!("cannot read the configuration: {e}"),
            })?;
            let file = file::parse(&shown, &text)?;
            let dir = if discovered {
                path.parent().map(Path::to_path_buf).unwrap_or_default()
            } else {
                project_root.to_path_buf()
            };
            let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
            let file_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let file_dir = std::fs::canonicalize(&file_dir).unwrap_or(file_dir);
            config.add_layer(Layer {
                shown,
                dir,
                file_dir,
                text,
                file,
                discovered,
            })?;
        }
        Ok(config)
    }

    /// A configuration from text, for tests and `config init`'s check of its own starter.
    pub fn from_text(shown: &str, text: &str, dir: &Path) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        config.add_layer(Layer {
            shown: shown.to_string(),
            dir: dir.to_path_buf(),
            file_dir: dir.to_path_buf(),
            text: text.to_string(),
            file: file::parse(shown, text)?,
            discovered: false,
        })?;
        Ok(config)
    }

    fn add_layer(&mut self, layer: Layer) -> Result<(), ConfigError> {
        let error = |span: std::ops::Range<usize>, message: String| {
            ConfigError::at(&layer.shown, &layer.text, Some(span), message)
        };
        for (index, spec) in layer.file.allowlist.iter().enumerate() {
            let scope = layer.discovered.then(|| layer.dir.clone());
            let name = format!("{} [[allowlist]] #{}", layer.shown, index + 1);
            let allowlist = Allowlist::build(spec, name, &layer.dir, scope)
                .map_err(|(span, message)| error(span, message))?;
            self.allowlists.push(allowlist);
        }
        for marker in &layer.file.triage.inline_markers {
            if marker.get_ref().trim().len() < 3 {
                return Err(error(
                    marker.span(),
                    "an inline marker must have at least 3 characters".to_string(),
                ));
            }
        }
        for size in [
            &layer.file.scan.max_file_size,
            &layer.file.scan.max_archive_bytes,
        ]
        .into_iter()
        .flatten()
        {
            size_of(size).map_err(|m| error(size.span(), m))?;
        }
        self.layers.push(layer);
        Ok(())
    }

    /// Adds the configurations' rules to `rules`, then disables rules and changes severities;
    /// an unknown rule id is an error that names the file, the key and the line.
    pub fn apply_to(&self, rules: &mut RuleSet) -> Result<(), anyhow::Error> {
        for layer in &self.layers {
            for spec in &layer.file.rules {
                let line = file::line_of(&layer.text, spec.span().start);
                let origin = format!("{}:{line}", layer.shown);
                rules.add_user_rules(&origin, vec![spec.get_ref().clone()])?;
            }
            for entry in &layer.file.services {
                let line = file::line_of(&layer.text, entry.span().start);
                let origin = format!("{}:{line}", layer.shown);
                rules.add_user_service(&origin, entry.get_ref())?;
            }
        }
        let unknown = |layer: &Layer, id: &Spanned<String>, key: &str| {
            let mut e = ConfigError::at(
                &layer.shown,
                &layer.text,
                Some(id.span()),
                format!(
                    "no rule has the id '{}' (see `leakhound rules list`)",
                    id.get_ref()
                ),
            );
            e.key = Some(key.to_string());
            e
        };
        for layer in &self.layers {
            for (id, severity) in &layer.file.severity {
                if !rules.set_severity(id.get_ref(), *severity) {
                    return Err(unknown(layer, id, "severity").into());
                }
            }
            for allowlist in &layer.file.allowlist {
                if let Some(id) = allowlist
                    .rules
                    .iter()
                    .find(|id| rules.find(id.get_ref()).is_none())
                {
                    return Err(unknown(layer, id, "allowlist.rules").into());
                }
            }
        }
        // Every id is checked before any rule goes: two files may disable the same rule.
        let disabled: Vec<(&Layer, &Spanned<String>)> = self
            .layers
            .iter()
            .flat_map(|l| l.file.disabled_rules.iter().map(move |id| (l, id)))
            .collect();
        if let Some((layer, id)) = disabled
            .iter()
            .find(|(_, id)| rules.find(id.get_ref()).is_none())
        {
            return Err(unknown(layer, id, "disabled_rules").into());
        }
        rules.disable(disabled.iter().map(|(_, id)| id.get_ref().as_str()));
        Ok(())
    }

    /// The last value a configuration sets, searching from the last file back.
    fn last<T>(&self, pick: impl Fn(&ConfigFile) -> Option<T>) -> Option<T> {
        self.layers.iter().rev().find_map(|l| pick(&l.file))
    }

    /// The history scan cache's directory, if a configuration enables it (`scan.cache`): the
    /// platform's cache directory for `true`, a directory relative to the configuration's.
    pub fn history_cache(&self) -> Option<PathBuf> {
        self.layers.iter().rev().find_map(|layer| {
            Some(match layer.file.scan.cache.as_ref()? {
                file::CacheSetting::Enabled(false) => None,
                file::CacheSetting::Enabled(true) => crate::scan::cache::default_dir(),
                file::CacheSetting::Dir(dir) => Some(layer.file_dir.join(dir)),
            })
        })?
    }

    /// Whether a discovered file (not `--config` or `LEAKHOUND_CONFIG`) adds, disables or
    /// re-rates rules, or sets a limit that changes what a scan finds.
    pub fn discovered_changes_findings(&self) -> bool {
        self.layers.iter().filter(|l| l.discovered).any(|l| {
            let (f, s) = (&l.file, &l.file.scan);
            !f.rules.is_empty()
                || !f.services.is_empty()
                || !f.disabled_rules.is_empty()
                || !f.severity.is_empty()
                || s.max_file_size.is_some()
                || s.decode_depth.is_some()
                || s.archives.is_some()
                || s.max_archive_depth.is_some()
                || s.max_archive_bytes.is_some()
        })
    }

    /// `max_file_size`, if a configuration sets it.
    pub fn max_file_size(&self) -> Option<u64> {
        self.last(|f| f.scan.max_file_size.as_ref().and_then(|s| size_of(s).ok()))
    }

    /// `archives`, if a configuration sets it.
    pub fn archives(&self) -> Option<bool> {
        self.last(|f| f.scan.archives)
    }

    /// `max_archive_depth`, if a configuration sets it.
    pub fn max_archive_depth(&self) -> Option<usize> {
        self.last(|f| f.scan.max_archive_depth)
    }

    /// `max_archive_bytes`, if a configuration sets it.
    pub fn max_archive_bytes(&self) -> Option<u64> {
        self.last(|f| {
            f.scan
                .max_archive_bytes
                .as_ref()
                .and_then(|s| size_of(s).ok())
        })
    }

    /// `decode_depth`, if a configuration sets it.
    pub fn decode_depth(&self) -> Option<usize> {
        self.last(|f| f.scan.decode_depth)
    }

    /// `fail_on`, if a configuration sets it.
    pub fn fail_on(&self) -> Option<Severity> {
        self.last(|f| f.scan.fail_on)
    }

    /// `min_severity`, if a configuration sets it.
    pub fn min_severity(&self) -> Option<Severity> {
        self.last(|f| f.scan.min_severity)
    }

    /// Whether every format should list suppressed findings.
    pub fn include_suppressed(&self) -> bool {
        self.layers.iter().any(|l| l.file.report.include_suppressed)
    }

    /// Whether SARIF should list suppressed findings.
    pub fn sarif_include_suppressed(&self) -> bool {
        self.layers
            .iter()
            .any(|l| l.file.report.sarif_include_suppressed || l.file.report.include_suppressed)
    }

    /// Inline markers honoured besides `leakhound:allow`.
    pub fn inline_markers(&self) -> Vec<String> {
        let mut markers: Vec<String> = Vec::new();
        for l in &self.layers {
            for m in &l.file.triage.inline_markers {
                let m = m.get_ref().trim().to_string();
                if !markers.contains(&m) {
                    markers.push(m);
                }
            }
        }
        markers
    }

    /// The ignore files the configurations name (resolved against their directories).
    pub fn ignore_files(&self) -> Vec<PathBuf> {
        self.layers
            .iter()
            .filter_map(|l| {
                l.file
                    .triage
                    .ignore_file
                    .as_ref()
                    .map(|f| l.file_dir.join(f))
            })
            .collect()
    }

    /// The directories of the discovered configuration files, where their ignore files are
    /// looked for by default.
    pub fn discovered_dirs(&self) -> Vec<PathBuf> {
        self.layers
            .iter()
            .filter(|l| l.discovered && l.file.triage.ignore_file.is_none())
            .map(|l| l.dir.clone())
            .collect()
    }

    /// The baselines the configurations name (resolved against their directories).
    pub fn baselines(&self) -> Vec<PathBuf> {
        self.layers
            .iter()
            .filter_map(|l| l.file.triage.baseline.as_ref().map(|f| l.file_dir.join(f)))
            .collect()
    }

    /// Takes the allowlists out (for the triage stage, which owns them).
    pub fn take_allowlists(&mut self) -> Vec<Allowlist> {
        std::mem::take(&mut self.allowlists)
    }
}

fn size_of(size: &Spanned<file::Size>) -> Result<u64, String> {
    match size.get_ref() {
        file::Size::Bytes(n) => Ok(*n),
        file::Size::Text(t) => crate::cli::parse_size(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_file_is_a_valid_configuration() {
        let config = Config::from_text("starter", STARTER, Path::new("/"));
        let config = config.unwrap_or_else(|e| panic!("{e}"));
        let mut rules = RuleSet::embedded().expect("rules");
        config.apply_to(&mut rules).expect("applies");
    }

    #[test]
    fn later_files_override_earlier_ones() {
        let mut config = Config::from_text(
            "a",
            "[scan]\ndecode_depth = 1\nfail_on = \"high\"\n",
            Path::new("/"),
        )
        .expect("valid");
        let b = Config::from_text(
            "b",
            "[scan]\ndecode_depth = 3\nmax_file_size = \"1K\"\n",
            Path::new("/"),
        )
        .expect("valid");
        config.layers.extend(b.layers);
        assert_eq!(config.decode_depth(), Some(3));
        assert_eq!(config.fail_on(), Some(Severity::High));
        assert_eq!(config.max_file_size(), Some(1024));
        assert_eq!(config.min_severity(), None);
    }

    #[test]
    fn the_scan_cache_setting() {
        let at = |text: &str| Config::from_text("c.toml", text, Path::new("/proj"));
        let config = at("[scan]\ncache = \".cache/lh\"\n").expect("valid");
        assert_eq!(
            config.history_cache(),
            Some(Path::new("/proj/.cache/lh").to_path_buf())
        );
        assert_eq!(
            at("[scan]\ncache = false\n")
                .expect("valid")
                .history_cache(),
            None
        );
        assert_eq!(at("").expect("valid").history_cache(), None);
        if crate::scan::cache::default_dir().is_some() {
            let on = at("[scan]\ncache = true\n").expect("valid").history_cache();
            assert!(on.is_some_and(|d| d.ends_with("leakhound")));
        }
        let e = at("[scan]\n\ncache = 3\n").unwrap_err().to_string();
        assert!(e.contains("c.toml:3") && e.contains("cache"), "{e}");
    }

    #[test]
    fn services_become_rules_and_bad_ones_name_the_line() {
        let mut rules = RuleSet::embedded().expect("rules");
        let text = "\n[[services]]\nid = \"intranet-geo\"\nname = \"Intranet Geo\"\nvalue = \"hex\"\nlength = 32\n";
        let config = Config::from_text("c.toml", text, Path::new("/")).expect("parses");
        config.apply_to(&mut rules).expect("applies");
        let rule = rules
            .find("intranet-geo-api-key")
            .expect("the service's rule");
        assert_eq!(rule.spec.name, "Intranet Geo API key");
        assert_eq!(rule.origin, "c.toml:2");

        let mut rules = RuleSet::embedded().expect("rules");
        let text = "\n\n[[services]]\nid = \"intranet-geo\"\nname = \"X\"\nvalue = \"hexx\"\n";
        let config = Config::from_text("c.toml", text, Path::new("/")).expect("parses");
        let e = config.apply_to(&mut rules).unwrap_err().to_string();
        assert!(e.contains("c.toml:3") && e.contains("hexx"), "{e}");
    }

    #[test]
    fn unknown_rule_ids_and_bad_values_are_errors_with_lines() {
        let mut rules = RuleSet::embedded().expect("rules");
        let config = Config::from_text(
            "c.toml",
            "\ndisabled_rules = [\"no-such-rule\"]\n",
            Path::new("/"),
        )
        .expect("parses");
        let e = config.apply_to(&mut rules).unwrap_err().to_string();
        assert!(e.contains("c.toml:2") && e.contains("no-such-rule"), "{e}");

        let config = Config::from_text("c.toml", "[severity]\nnope = \"low\"\n", Path::new("/"))
            .expect("parses");
        let e = config.apply_to(&mut rules).unwrap_err().to_string();
        assert!(e.contains("c.toml:2") && e.contains("nope"), "{e}");

        let e = Config::from_text(
            "c.toml",
            "[scan]\nmax_file_size = \"lots\"\n",
            Path::new("/"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("c.toml:2") && e.contains("scan.max_file_size"),
            "{e}"
        );

        let e = Config::from_text(
            "c.toml",
            "[[allowlist]]\nregexes = [\"(unclosed\"]\n",
            Path::new("/"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("c.toml:2") && e.contains("regex"), "{e}");
    }

    #[test]
    fn disabling_and_severity_change_the_rule_set() {
        let mut rules = RuleSet::embedded().expect("rules");
        let before = rules.len();
        let text = "disabled_rules = [\"generic-secret\"]\n[severity]\ngithub-pat = \"low\"\n";
        let config = Config::from_text("c.toml", text, Path::new("/")).expect("valid");
        config.apply_to(&mut rules).expect("applies");
        assert_eq!(rules.len(), before - 1);
        assert!(rules.find("generic-secret").is_none());
        assert_eq!(
            rules.find("github-pat").map(|r| r.spec.severity),
            Some(Severity::Low)
        );
    }

    #[test]
    fn discovery_finds_the_nearest_file_up_to_the_project_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = std::fs::canonicalize(dir.path()).expect("canonical");
        std::fs::create_dir_all(root.join("repo/.git")).expect("mkdir");
        std::fs::create_dir_all(root.join("repo/a/b")).expect("mkdir");
        std::fs::create_dir_all(root.join("repo/c")).expect("mkdir");
        // Above the project root: never used.
        std::fs::write(root.join(FILE_NAME), "").expect("write");
        assert!(discover(&[root.join("repo/a/b")]).is_empty());
        std::fs::write(root.join("repo").join(FILE_NAME), "").expect("write");
        std::fs::write(root.join("repo/a").join(FILE_NAME), "").expect("write");
        let found = discover(&[
            root.join("repo/a/b"),
            root.join("repo/c"),
            root.join("repo/a"),
        ]);
        assert_eq!(
            found,
            vec![
                root.join("repo/a").join(FILE_NAME),
                root.join("repo").join(FILE_NAME)
            ]
        );
        // Outside git, only the directory itself.
        std::fs::create_dir_all(root.join("plain/sub")).expect("mkdir");
        std::fs::write(root.join("plain").join(FILE_NAME), "").expect("write");
        assert!(discover(&[root.join("plain/sub")]).is_empty());
        assert_eq!(discover(&[root.join("plain")]).len(), 1);
    }
}
