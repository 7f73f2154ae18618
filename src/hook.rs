//! The git pre-commit hook: where it goes, what it says, and recognising the one leakhound wrote.
//!
//! The hook is a small `sh` script that runs `leakhound scan --staged` with the absolute path of
//! the binary that installed it (falling back to `leakhound` on `PATH` if that file is gone), so
//! it works from GUIs and IDEs whose `PATH` differs from the shell's. A marker line identifies our
//! script: `install` never replaces someone else's hook without `--force` (and then keeps it
//! beside ours), and `uninstall` removes only ours.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use git2::Repository;

/// The line that marks a hook as leakhound's.
pub const MARKER: &str = "# leakhound-managed-hook";
/// Where `install --force` keeps the hook it replaced.
const BACKUP_NAME: &str = "pre-commit.before-leakhound";

/// What `install` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    /// Wrote a new hook.
    New(PathBuf),
    /// Rewrote leakhound's own hook.
    Updated(PathBuf),
    /// Replaced another hook, which was moved to the second path.
    Replaced(PathBuf, PathBuf),
}

/// What `uninstall` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uninstalled {
    Removed(PathBuf),
    /// Removed ours and put back the hook `install --force` had set aside.
    Restored(PathBuf),
    /// There was no hook.
    NotInstalled(PathBuf),
}

/// The repository's hooks directory: `core.hooksPath` when set (relative to the work tree, as
/// git reads it), else `hooks` in the (common) git directory.
pub fn hooks_dir(repo: &Repository) -> Result<PathBuf> {
    let config = repo
        .config()
        .context("cannot read the repository's config")?;
    match config.get_path("core.hooksPath") {
        Ok(dir) if dir.is_absolute() => Ok(dir),
        Ok(dir) => Ok(repo.workdir().unwrap_or_else(|| repo.path()).join(dir)),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(repo.commondir().join("hooks")),
        Err(e) => Err(e).context("cannot read core.hooksPath"),
    }
}

/// Writes the pre-commit hook. `binary` is the leakhound the hook should run.
pub fn install(repo: &Repository, binary: Option<&Path>, force: bool) -> Result<Installed> {
    let dir = hooks_dir(repo)?;
    let hook = dir.join("pre-commit");
    let outcome = match std::fs::read(&hook) {
        Ok(existing) if is_ours(&existing) => Installed::Updated(hook.clone()),
        Ok(_) if !force => bail!(
            "{} exists and was not written by leakhound; use --force to replace it (it will be \
             kept as {BACKUP_NAME})",
            hook.display()
        ),
        Ok(_) => {
            let backup = dir.join(BACKUP_NAME);
            std::fs::rename(&hook, &backup)
                .with_context(|| format!("cannot move {} aside", hook.display()))?;
            Installed::Replaced(hook.clone(), backup)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Installed::New(hook.clone()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", hook.display())),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(&hook, script(binary))
        .with_context(|| format!("cannot write {}", hook.display()))?;
    make_executable(&hook)?;
    Ok(outcome)
}

/// Removes leakhound's pre-commit hook; refuses to touch anyone else's.
pub fn uninstall(repo: &Repository) -> Result<Uninstalled> {
    let dir = hooks_dir(repo)?;
    let hook = dir.join("pre-commit");
    match std::fs::read(&hook) {
        Ok(existing) if is_ours(&existing) => {}
        Ok(_) => bail!(
            "{} was not written by leakhound; leaving it alone",
            hook.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Uninstalled::NotInstalled(hook))
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", hook.display())),
    }
    let backup = dir.join(BACKUP_NAME);
    if backup.exists() {
        std::fs::rename(&backup, &hook)
            .with_context(|| format!("cannot put {} back", backup.display()))?;
        return Ok(Uninstalled::Restored(hook));
    }
    std::fs::remove_file(&hook).with_context(|| format!("cannot remove {}", hook.display()))?;
    Ok(Uninstalled::Removed(hook))
}

fn is_ours(script: &[u8]) -> bool {
    String::from_utf8_lossy(script)
        .lines()
        .any(|l| l.trim_end() == MARKER)
}

/// The hook script, running `binary` (or `leakhound` on `PATH`).
pub fn script(binary: Option<&Path>) -> String {
    let binary = binary
        .map(|b| shell_quote(&b.to_string_lossy()))
        .unwrap_or_else(|| "leakhound".to_string());
    format!(
        r#"#!/bin/sh
{MARKER}
# Written by `leakhound hook install`; `leakhound hook uninstall` removes it.
# Stops a commit that adds a secret: runs `leakhound scan --staged`, which reports only
# secrets on lines the commit adds or changes.
installed={binary}
leakhound=$installed
if [ ! -x "$leakhound" ]; then
    leakhound=$(command -v leakhound) || {{
        echo "leakhound pre-commit hook: leakhound is neither at $installed nor on PATH, so this commit was not checked." >&2
        echo "Install leakhound, or commit without the check with: git commit --no-verify" >&2
        exit 1
    }}
fi
"$leakhound" scan --staged --quiet >&2
status=$?
if [ "$status" -eq 1 ]; then
    echo >&2
    echo "leakhound: this commit adds the secret(s) above (shown redacted), so it was stopped." >&2
    echo "Remove them from the staged changes (git add), and rotate any that is real." >&2
    echo "If it is not a secret, commit anyway with: git commit --no-verify" >&2
    exit 1
elif [ "$status" -ne 0 ]; then
    echo "leakhound: the staged changes could not be scanned (exit $status), so the commit was stopped." >&2
    echo "Commit without the check with: git commit --no-verify" >&2
    exit "$status"
fi
"#
    )
}

/// `'...'` for `sh`, with embedded single quotes spliced in.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_is_marked_and_quotes_the_binary() {
        let s = script(Some(Path::new("/opt/it's here/leakhound")));
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(is_ours(s.as_bytes()));
        assert!(s.contains(r"installed='/opt/it'\''s here/leakhound'"));
        assert!(s.contains("git commit --no-verify"));
        assert!(script(None).contains("installed=leakhound\n"));
        assert!(!is_ours(b"#!/bin/sh\nexec husky\n"));
    }
}
