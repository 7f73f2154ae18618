//! What the end-to-end tests share: generated fake secrets, running the binary and git, and
//! repositories built with the `git` command.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Output;

use tempfile::TempDir;

/// How long the binary may run in a test: far more than any test needs, so that a hang fails
/// the test instead of stalling the suite.
#[allow(dead_code)]
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// The paths of a `json-report`'s findings, in report order.
#[allow(dead_code)]
pub fn report_paths(report: &serde_json::Value) -> Vec<&str> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect()
}

/// Runs the shared corpus generator (`../shared/corpus/gen_corpus.py`) with `args` to write a
/// corpus at `out`, its ground truth at `out.truth.jsonl`. `None`, with a message naming
/// `what` is skipped, where the generator or `python3` is missing or fails.
#[allow(dead_code)]
pub fn generate_corpus(out: &Path, args: &[&str], what: &str) -> Option<PathBuf> {
    let generator = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/gen_corpus.py");
    if !generator.exists() {
        eprintln!("../shared/corpus/gen_corpus.py not found: {what} skipped");
        return None;
    }
    let truth = PathBuf::from(format!("{}.truth.jsonl", out.display()));
    let made = std::process::Command::new("python3")
        .arg(&generator)
        .arg("--out")
        .arg(out)
        .arg("--truth")
        .arg(&truth)
        .args(args)
        .output();
    match made {
        Ok(result) if result.status.success() => Some(truth),
        _ => {
            eprintln!("python3 could not run the corpus generator: {what} skipped");
            None
        }
    }
}

/// A fake GitHub token (`ghp_` + 36 alphanumerics) that differs per seed.
#[allow(dead_code)]
pub fn token(seed: u64) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let body: String = (0..36)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            A[(x % A.len() as u64) as usize] as char
        })
        .collect();
    format!("ghp_{body}")
}

/// Runs `git` in `dir` with no user or system configuration; panics if it fails.
#[allow(dead_code)]
pub fn git(dir: &std::path::Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env_remove("GIT_INDEX_FILE")
        .status()
        .expect("git runs")
        .success();
    assert!(ok, "git {args:?}");
}

/// Runs the binary in `dir` (no LEAKHOUND_CONFIG, no GIT_INDEX_FILE): its exit code, standard
/// output and standard error.
#[allow(dead_code)]
pub fn run(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = assert_cmd::Command::cargo_bin("leakhound")
        .expect("the binary is built")
        .timeout(TIMEOUT)
        .env_remove("NO_COLOR")
        .env_remove("LEAKHOUND_CONFIG")
        .env_remove("GIT_INDEX_FILE")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs");
    (
        out.status
            .code()
            .unwrap_or_else(|| panic!("leakhound {args:?} did not exit within {TIMEOUT:?}")),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs validate-sarif on `sarif` when the tool is there.
#[allow(dead_code)]
pub fn validate_sarif(dir: &std::path::Path, sarif: &str) {
    let validator =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/validate-sarif");
    if !validator.exists() {
        eprintln!(
            "validate-sarif not found at {}: skipped",
            validator.display()
        );
        return;
    }
    let path = dir.join("report.sarif.json");
    std::fs::write(&path, sarif).expect("write");
    let out = std::process::Command::new(&validator)
        .arg(&path)
        .output()
        .expect("validator runs");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("error=0 warning=0"),
        "{said}"
    );
    std::fs::remove_file(path).ok();
}

/// A repository in a temporary directory, driven by the `git` command with no user or system
/// configuration, and one second between commit dates.
#[allow(dead_code)]
pub struct Repo {
    pub dir: TempDir,
    pub clock: Cell<u64>,
}

#[allow(dead_code)]
impl Repo {
    /// A new repository whose branch is `main`.
    pub fn new() -> Repo {
        let repo = Repo::empty();
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// An empty temporary directory, for `git init` with other options or `git clone`.
    pub fn empty() -> Repo {
        Repo {
            dir: tempfile::tempdir().expect("temporary directory"),
            clock: Cell::new(1_700_000_000),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn git_command(&self, args: &[&str]) -> std::process::Command {
        let t = self.clock.get();
        let date = format!("{t} +0000");
        let mut cmd = std::process::Command::new("git");
        cmd.args(args)
            .current_dir(self.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Ada Tester")
            .env("GIT_AUTHOR_EMAIL", "ada@example.invalid")
            .env("GIT_COMMITTER_NAME", "Ada Tester")
            .env("GIT_COMMITTER_EMAIL", "ada@example.invalid")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_DIR");
        cmd
    }

    pub fn git_output(&self, args: &[&str]) -> Output {
        self.git_command(args).output().expect("git runs")
    }

    /// Runs git, which must succeed; its standard output, trimmed.
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.git_output(args);
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn write(&self, path: &str, content: &str) {
        let full = self.path().join(path);
        std::fs::create_dir_all(full.parent().expect("a parent")).expect("mkdir");
        std::fs::write(full, content).expect("write");
    }

    /// Stages everything and commits; the new commit's id.
    pub fn commit(&self, message: &str) -> String {
        self.clock.set(self.clock.get() + 1);
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--no-verify", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// The file of the loose object `id` (which may not exist), made writable so that a test
    /// can damage it.
    pub fn loose_object(&self, git_dir: &str, id: &str) -> PathBuf {
        let path = self
            .path()
            .join(git_dir)
            .join("objects")
            .join(&id[..2])
            .join(&id[2..]);
        if let Ok(meta) = std::fs::metadata(&path) {
            let mut perms = meta.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&path, perms).expect("chmod");
        }
        path
    }
}
