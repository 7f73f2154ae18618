//! The git hooks: where they go, what they say, and recognising the ones leakhound wrote.
//!
//! Each hook is a small `sh` script that runs leakhound with the absolute path of the binary
//! that installed it (falling back to `leakhound` on `PATH` if that file is gone), so it works
//! from GUIs and IDEs whose `PATH` differs from the shell's. The pre-commit hook runs
//! `leakhound scan --staged`; the pre-push hook runs `leakhound release` for a pushed tag and
//! `leakhound git` over the pushed commits otherwise. A marker line identifies our scripts:
//! `install` never replaces someone else's hook without `--force` (and then keeps it beside
//! ours), and `uninstall` removes only ours.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use git2::Repository;

/// The line that marks a hook as leakhound's.
pub const MARKER: &str = "# leakhound-managed-hook";
/// Which hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookKind {
    /// Before each commit: the staged changes.
    PreCommit,
    /// Before each push: a release scan for a tag, the pushed commits for a branch.
    PrePush,
}

impl HookKind {
    /// The hook's file name in the hooks directory.
    pub fn file_name(self) -> &'static str {
        match self {
            HookKind::PreCommit => "pre-commit",
            HookKind::PrePush => "pre-push",
        }
    }

    /// Where `install --force` keeps the hook it replaced.
    fn backup_name(self) -> String {
        format!("{}.before-leakhound", self.file_name())
    }
}

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

/// Writes the hook. `binary` is the leakhound the hook should run.
pub fn install(
    repo: &Repository,
    kind: HookKind,
    binary: Option<&Path>,
    force: bool,
) -> Result<Installed> {
    let dir = hooks_dir(repo)?;
    let hook = dir.join(kind.file_name());
    let backup_name = kind.backup_name();
    let outcome = match std::fs::read(&hook) {
        Ok(existing) if is_ours(&existing) => Installed::Updated(hook.clone()),
        Ok(_) if !force => bail!(
            "{} exists and was not written by leakhound; use --force to replace it (it will be \
             kept as {backup_name})",
            hook.display()
        ),
        Ok(_) => {
            let backup = dir.join(&backup_name);
            std::fs::rename(&hook, &backup)
                .with_context(|| format!("cannot move {} aside", hook.display()))?;
            Installed::Replaced(hook.clone(), backup)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Installed::New(hook.clone()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", hook.display())),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(&hook, script(kind, binary))
        .with_context(|| format!("cannot write {}", hook.display()))?;
    make_executable(&hook)?;
    Ok(outcome)
}

/// Removes leakhound's hook; refuses to touch anyone else's.
pub fn uninstall(repo: &Repository, kind: HookKind) -> Result<Uninstalled> {
    let dir = hooks_dir(repo)?;
    let hook = dir.join(kind.file_name());
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
    let backup = dir.join(kind.backup_name());
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
pub fn script(kind: HookKind, binary: Option<&Path>) -> String {
    let binary = binary
        .map(|b| shell_quote(&b.to_string_lossy()))
        .unwrap_or_else(|| "leakhound".to_string());
    match kind {
        HookKind::PreCommit => pre_commit_script(&binary),
        HookKind::PrePush => pre_push_script(&binary),
    }
}

fn pre_commit_script(binary: &str) -> String {
    let find = find_leakhound(binary, "pre-commit", "commit");
    format!(
        r#"#!/bin/sh
{MARKER}
# Written by `leakhound hook install`; `leakhound hook uninstall` removes it.
# Stops a commit that adds a secret: runs `leakhound scan --staged`, which reports only
# secrets on lines the commit adds or changes.
{find}
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

fn pre_push_script(binary: &str) -> String {
    let find = find_leakhound(binary, "pre-push", "push");
    format!(
        r#"#!/bin/sh
{MARKER}
# Written by `leakhound hook install --pre-push`; `leakhound hook uninstall --pre-push` removes it.
# Stops a push that would publish a secret. A pushed tag runs `leakhound release` (the working
# tree, the history since the previous release tag); a pushed branch runs `leakhound git` over
# the commits the remote does not have yet.
{find}
remote=$1
worst=0
while read -r local_ref local_sha remote_ref remote_sha; do
    # Deleting a remote ref publishes nothing.
    case $local_sha in *[!0]*) ;; *) continue ;; esac
    case $local_ref in
    refs/tags/*)
        if [ "$(git rev-parse "$local_sha^{{commit}}" 2>/dev/null)" = "$(git rev-parse HEAD 2>/dev/null)" ]; then
            "$leakhound" release --quiet >&2
        else
            # A tag on another commit: that commit's whole history.
            "$leakhound" git --ref "$local_sha" --quiet >&2
        fi
        ;;
    *)
        case $remote_sha in *[!0]*) known=yes ;; *) known=no ;; esac
        if [ "$known" = yes ] && git cat-file -e "$remote_sha^{{commit}}" 2>/dev/null; then
            "$leakhound" git --range "$remote_sha..$local_sha" --quiet >&2
        else
            # A new branch (or a rewritten one): the commits no branch of the remote has.
            first=$(git rev-list "$local_sha" --not --remotes="$remote" | tail -n 1)
            if [ -z "$first" ]; then
                true
            elif parent=$(git rev-parse -q --verify "$first^" 2>/dev/null); then
                "$leakhound" git --range "$parent..$local_sha" --quiet >&2
            else
                "$leakhound" git --ref "$local_sha" --quiet >&2
            fi
        fi
        ;;
    esac
    status=$?
    if [ "$status" -eq 1 ] && [ "$worst" -eq 0 ]; then
        worst=1
    elif [ "$status" -gt 1 ]; then
        worst=$status
    fi
done
if [ "$worst" -eq 1 ]; then
    echo >&2
    echo "leakhound: this push would publish the secret(s) above (shown redacted), so it was stopped." >&2
    echo "Rotate any that is real and remove it from the commits, or accept it (leakhound ignore add)." >&2
    echo "If it is not a secret, push anyway with: git push --no-verify" >&2
    exit 1
elif [ "$worst" -ne 0 ]; then
    echo "leakhound: the push could not be scanned (exit $worst), so it was stopped." >&2
    echo "Push without the check with: git push --no-verify" >&2
    exit "$worst"
fi
"#
    )
}

/// The lines that set `$leakhound`: the installing binary, else `leakhound` on `PATH`, else
/// the `action` (commit, push) is stopped with a way around.
fn find_leakhound(binary: &str, hook: &str, action: &str) -> String {
    format!(
        r#"installed={binary}
leakhound=$installed
if [ ! -x "$leakhound" ]; then
    leakhound=$(command -v leakhound) || {{
        echo "leakhound {hook} hook: leakhound is neither at $installed nor on PATH, so this {action} was not checked." >&2
        echo "Install leakhound, or {action} without the check with: git {action} --no-verify" >&2
        exit 1
    }}
fi"#
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
    fn the_scripts_are_marked_and_quote_the_binary() {
        for (kind, bypass) in [
            (HookKind::PreCommit, "git commit --no-verify"),
            (HookKind::PrePush, "git push --no-verify"),
        ] {
            let s = script(kind, Some(Path::new("/opt/it's here/leakhound")));
            assert!(s.starts_with("#!/bin/sh\n"));
            assert!(is_ours(s.as_bytes()));
            assert!(s.contains(r"installed='/opt/it'\''s here/leakhound'"));
            assert!(s.contains(bypass));
            assert!(script(kind, None).contains("installed=leakhound\n"));
        }
        assert!(!is_ours(b"#!/bin/sh\nexec husky\n"));
    }

    /// The pre-push script is valid `sh` (when `sh` is there to say so).
    #[test]
    fn the_pre_push_script_parses() {
        let Ok(out) = std::process::Command::new("sh")
            .arg("-n")
            .arg("-c")
            .arg(script(HookKind::PrePush, None))
            .output()
        else {
            eprintln!("no sh: skipped");
            return;
        };
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
