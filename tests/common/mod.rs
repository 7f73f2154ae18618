//! What the end-to-end tests share: generated fake secrets.

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
        .env_remove("NO_COLOR")
        .env_remove("LEAKHOUND_CONFIG")
        .env_remove("GIT_INDEX_FILE")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().expect("exits normally"),
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
