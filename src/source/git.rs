//! Git repositories as a source: opening one, choosing the commits to scan, and what a commit is
//! known by in a report (id, author, date).
//!
//! It does not read blobs or walk trees (that is [`super::git_history`] and [`super::staged`]),
//! and knows nothing of rules. Errors that make a scan impossible (not a repository, a revision
//! that does not exist) are `anyhow` errors with context; a damaged ref is a [`Skipped`] and the
//! scan goes on.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use git2::{ErrorCode, Oid, Repository, Revwalk, Sort};

use super::{loose, SkipReason, Skipped};

/// Opens the repository at `path`, or the one that contains it.
pub fn open(path: &Path) -> Result<Repository> {
    // libgit2 re-hashes every object it reads by default (with collision-detecting SHA-1); zlib's
    // own checksum already catches damaged data, and hashing every blob again would cost more
    // than scanning it.
    git2::opts::strict_hash_verification(false);
    // libgit2's object cache keeps up to 256 MB of commits and trees that a scan reads once
    // (the tree walk keeps the few it reads again itself).
    git2::opts::enable_caching(false);
    std::fs::metadata(path).with_context(|| format!("cannot open {}", path.display()))?;
    match Repository::discover(path) {
        Ok(repo) => {
            loose::guard(&repo).with_context(|| {
                format!(
                    "cannot read the objects of the repository at {}",
                    path.display()
                )
            })?;
            Ok(repo)
        }
        Err(e) if e.code() == ErrorCode::NotFound => {
            bail!(
                "{} is not in a git repository (nor is any parent directory)",
                path.display()
            )
        }
        // libgit2 1.9 is built for SHA-1 ids only (its SHA-256 support is experimental, and
        // the tree walk reads 20-byte ids): such a repository is refused, never half-read.
        Err(e) if e.message().contains("object format") => bail!(
            "the repository at {} uses SHA-256 object ids (extensions.objectFormat), which \
             leakhound cannot read yet: only SHA-1 repositories are supported",
            path.display()
        ),
        Err(e) => bail!(
            "cannot open the repository at {}: {}",
            path.display(),
            e.message()
        ),
    }
}

/// Opens another handle on the repository whose git directory is `git_dir` (one per thread:
/// a handle is not `Sync`), reading loose objects as [`open`] does.
pub fn open_git_dir(git_dir: &Path) -> Result<Repository, git2::Error> {
    let repo = Repository::open(git_dir)?;
    loose::guard(&repo)?;
    Ok(repo)
}

/// The directory report paths are relative to: the work tree, or the git directory of a bare
/// repository.
pub fn root_dir(repo: &Repository) -> PathBuf {
    let dir = repo.workdir().unwrap_or_else(|| repo.path());
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// The branch HEAD names when it has no commit yet (a new repository, an orphan branch).
pub fn unborn_branch(repo: &Repository) -> Option<String> {
    match repo.head() {
        Err(e) if e.code() == ErrorCode::UnbornBranch => {
            let head = repo.find_reference("HEAD").ok()?;
            let target = head.symbolic_target_bytes()?;
            Some(String::from_utf8_lossy(target).into_owned())
        }
        _ => None,
    }
}

/// The latest release tag before HEAD: of the tags on commits reachable from HEAD (HEAD's own
/// left out: that is the release being made), the one on the nearest commit, walking back from
/// HEAD in topological order; of several tags on one commit, the greatest name. `None` when
/// there is no such tag, or no commit yet.
pub fn previous_release_tag(repo: &Repository) -> Result<Option<String>> {
    let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) else {
        return Ok(None);
    };
    let mut tags_at: std::collections::HashMap<git2::Oid, Vec<String>> = Default::default();
    let refs = repo
        .references_glob("refs/tags/*")
        .context("cannot list the tags")?;
    for r in refs.flatten() {
        let Ok(commit) = r.peel_to_commit() else {
            continue;
        };
        let name = String::from_utf8_lossy(r.name_bytes());
        let name = name.strip_prefix("refs/tags/").unwrap_or(&name).to_string();
        tags_at.entry(commit.id()).or_default().push(name);
    }
    if tags_at.is_empty() {
        return Ok(None);
    }
    let mut walk = repo.revwalk().context("cannot walk the history")?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)
        .context("cannot sort the history")?;
    walk.push(head.id()).context("cannot walk from HEAD")?;
    for oid in walk {
        let oid = oid.map_err(walk_error)?;
        if oid == head.id() {
            continue;
        }
        if let Some(names) = tags_at.get(&oid) {
            return Ok(names.iter().max().cloned());
        }
    }
    Ok(None)
}

/// Which commits to scan.
#[derive(Debug, Clone, Default)]
pub struct CommitSelection {
    /// Start from these revisions (branch, tag, remote branch, commit id...); empty means every
    /// ref (branches, tags, remote branches, every stash entry) and HEAD.
    pub refs: Vec<String>,
    /// Leave out what is reachable from this revision (`--since v1.4.0`).
    pub since: Option<String>,
    /// `A..B`: what is reachable from B but not from A (either side defaults to HEAD).
    pub range: Option<String>,
}

/// The commits chosen, parents before children.
#[derive(Debug, Default)]
pub struct SelectedCommits {
    pub commits: Vec<Oid>,
    /// The annotated tags whose messages belong to the selection: those of selected commits
    /// (and, when every ref is scanned, tags of trees and blobs too), each once.
    pub tags: Vec<AnnotatedTag>,
    /// Refs that could not be followed, and where a shallow clone cuts the history.
    pub skipped: Vec<Skipped>,
}

/// An annotated tag, as a report names it, with its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotatedTag {
    pub id: Oid,
    /// As the tag object records it (the ref's name when it records none).
    pub name: String,
    /// The commit it tags (through the tags it tags, if any); `None` for a tag of a tree or a
    /// blob.
    pub commit: Option<Oid>,
    pub tagger: String,
    pub email: String,
    /// When it was tagged, RFC 3339 (empty when the tag records no tagger).
    pub date: String,
    /// The message, without the signature block of a signed tag.
    pub message: Vec<u8>,
}

/// Lists the selected commits in topological order, parents first; commits that are not
/// ancestors of each other come in commit-time order. "The commit that first introduced" a blob
/// means the first in this order.
pub fn select_commits(repo: &Repository, selection: &CommitSelection) -> Result<SelectedCommits> {
    let mut walk = new_walk(repo)?;
    let mut skipped = Vec::new();
    let mut hidden = Vec::new();
    if let Some(range) = &selection.range {
        let (from, to) = parse_range(range)?;
        walk.push(resolve(repo, to)?)
            .with_context(|| format!("cannot walk from {to}"))?;
        hidden.push((from, resolve(repo, from)?));
    } else {
        if selection.refs.is_empty() {
            push_every_ref(repo, &mut walk, &mut skipped)?;
        } else {
            for r in &selection.refs {
                walk.push(resolve(repo, r)?)
                    .with_context(|| format!("cannot walk from {r}"))?;
            }
        }
        if let Some(since) = &selection.since {
            hidden.push((since.as_str(), resolve(repo, since)?));
        }
    }
    for (name, oid) in &hidden {
        walk.hide(*oid)
            .with_context(|| format!("cannot leave out {name}"))?;
    }
    let mut commits = Vec::new();
    for oid in walk {
        commits.push(oid.map_err(walk_error)?);
    }
    let hidden: Vec<Oid> = hidden.into_iter().map(|(_, oid)| oid).collect();
    add_grafted_history(repo, &mut commits, &hidden, &mut skipped)?;
    skipped.extend(shallow_boundary(repo, &commits));
    let every_ref =
        selection.refs.is_empty() && selection.since.is_none() && selection.range.is_none();
    let tags = annotated_tags(
        repo,
        &commits.iter().copied().collect(),
        every_ref,
        &mut skipped,
    )?;
    Ok(SelectedCommits {
        commits,
        tags,
        skipped,
    })
}

/// How many tags of tags are followed before giving up (git itself stops at a handful).
const TAG_DEPTH: usize = 32;

/// The annotated tags that any ref leads to, each once, whose commit is `selected` (or, with
/// `every_ref`, that tag something other than a commit).
fn annotated_tags(
    repo: &Repository,
    selected: &HashSet<Oid>,
    every_ref: bool,
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<AnnotatedTag>> {
    let odb = repo.odb().context("cannot read the object database")?;
    let is = |oid: Oid, kind: git2::ObjectType| odb.read_header(oid).is_ok_and(|(_, k)| k == kind);
    let mut seen = HashSet::new();
    let mut tags = Vec::new();
    let references = repo.references().context("cannot list the refs")?;
    // A ref that cannot be read is reported by the walk, when it walks every ref.
    for reference in references.flatten() {
        let Some(mut target) = reference.target() else {
            continue;
        };
        let ref_name = String::from_utf8_lossy(reference.shorthand_bytes()).into_owned();
        // Peeled to the end, though a tag already seen through another ref is not taken again.
        let mut chain = Vec::new();
        let mut depth = 0;
        while depth < TAG_DEPTH && is(target, git2::ObjectType::Tag) {
            depth += 1;
            let first_time = seen.insert(target);
            match repo.find_tag(target) {
                Ok(tag) => {
                    if first_time {
                        chain.push(annotated_tag(&tag, &ref_name));
                    }
                    target = tag.target_id();
                }
                Err(e) => {
                    if first_time {
                        let object = format!("tag {target}");
                        let skip = super::git_history::object_skip(ref_name.clone(), &object, &e);
                        skipped.push(skip);
                    }
                    break;
                }
            }
        }
        let commit = is(target, git2::ObjectType::Commit).then_some(target);
        for mut tag in chain {
            let wanted = match commit {
                Some(c) => selected.contains(&c),
                None => every_ref,
            };
            if wanted {
                tag.commit = commit;
                tags.push(tag);
            }
        }
    }
    tags.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(tags)
}

/// What a report says of `tag`, reached through the ref `ref_name`.
fn annotated_tag(tag: &git2::Tag<'_>, ref_name: &str) -> AnnotatedTag {
    let name = match tag.name_bytes() {
        b"" => ref_name.to_string(),
        name => String::from_utf8_lossy(name).into_owned(),
    };
    let (tagger, email, date) = match tag.tagger() {
        Some(t) => (
            String::from_utf8_lossy(t.name_bytes()).into_owned(),
            String::from_utf8_lossy(t.email_bytes()).into_owned(),
            rfc3339(t.when().seconds(), t.when().offset_minutes()),
        ),
        None => Default::default(),
    };
    AnnotatedTag {
        id: tag.id(),
        name,
        commit: None,
        tagger,
        email,
        date,
        message: without_signature(tag.message_bytes().unwrap_or_default()).to_vec(),
    }
}

/// A signed tag's message ends in its signature (PGP, SSH or X.509), which is not a secret but
/// looks like a long base64 value: it is left out.
fn without_signature(message: &[u8]) -> &[u8] {
    const STARTS: [&[u8]; 3] = [
        b"-----BEGIN PGP SIGNATURE-----",
        b"-----BEGIN SSH SIGNATURE-----",
        b"-----BEGIN SIGNED MESSAGE-----",
    ];
    let mut at = 0;
    for line in message.split_inclusive(|&b| b == b'\n') {
        if STARTS.iter().any(|s| line.starts_with(s)) {
            return &message[..at];
        }
        at += line.len();
    }
    message
}

/// The commits reachable from HEAD, less what `hidden` reaches: with the commits a selection
/// left out as `hidden`, every selected commit that HEAD has is among them.
pub fn reachable_from_head(repo: &Repository, hidden: &[Oid]) -> HashSet<Oid> {
    let Some(head) = repo.head().ok().and_then(|h| h.target()) else {
        return HashSet::new();
    };
    let Ok(mut walk) = repo.revwalk() else {
        return HashSet::new();
    };
    if walk.push(head).is_err() {
        return HashSet::new();
    }
    for &h in hidden {
        let _ = walk.hide(h);
    }
    walk.map_while(Result::ok).collect()
}

/// A walk in the order [`select_commits`] promises.
fn new_walk(repo: &Repository) -> Result<Revwalk<'_>> {
    let mut walk = repo.revwalk().context("cannot walk the history")?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)
        .context("cannot sort the history")?;
    Ok(walk)
}

/// libgit2 applies `info/grafts`, so a graft that gives a commit other parents (or none) would
/// hide the history it really has. The parents each selected grafted commit records are walked
/// too (what `hidden` can reach left out, as for the main walk), and put before the commits
/// already selected: they are their ancestors. A recorded parent the repository lacks cuts the
/// history there, and is said.
fn add_grafted_history(
    repo: &Repository,
    commits: &mut Vec<Oid>,
    hidden: &[Oid],
    skipped: &mut Vec<Skipped>,
) -> Result<()> {
    let grafted = grafted_commits(repo);
    if grafted.is_empty() {
        return Ok(());
    }
    let odb = repo.odb().context("cannot read the object database")?;
    let mut selected: HashSet<Oid> = commits.iter().copied().collect();
    let mut pending: Vec<Oid> = commits
        .iter()
        .filter(|c| grafted.contains(c))
        .copied()
        .collect();
    while let Some(commit) = pending.pop() {
        let parents = match recorded_parents(&odb, commit) {
            Ok(parents) => parents,
            Err(e) => {
                let object = format!("commit {commit}");
                skipped.push(super::git_history::object_skip(String::new(), &object, &e));
                continue;
            }
        };
        let mut walk = new_walk(repo)?;
        let mut pushed = false;
        for parent in parents.into_iter().filter(|p| !selected.contains(p)) {
            if odb.exists(parent) {
                walk.push(parent).map_err(walk_error)?;
                pushed = true;
            } else {
                skipped.push(Skipped {
                    path: String::new(),
                    reason: SkipReason::MissingObject {
                        object: format!("commit {parent} (a grafted commit's parent)"),
                    },
                });
            }
        }
        if !pushed {
            continue;
        }
        for &h in hidden.iter().chain(commits.iter()) {
            walk.hide(h).map_err(walk_error)?;
        }
        let mut earlier = Vec::new();
        for oid in walk {
            let oid = oid.map_err(walk_error)?;
            if selected.insert(oid) {
                if grafted.contains(&oid) {
                    pending.push(oid);
                }
                earlier.push(oid);
            }
        }
        commits.splice(0..0, earlier);
    }
    Ok(())
}

/// The commits `info/grafts` gives other parents.
fn grafted_commits(repo: &Repository) -> HashSet<Oid> {
    let Ok(text) = std::fs::read_to_string(repo.commondir().join("info/grafts")) else {
        return HashSet::new();
    };
    text.lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter_map(|id| Oid::from_str(id).ok())
        .collect()
}

/// The parents a commit object records (grafts do not apply to the raw object).
fn recorded_parents(odb: &git2::Odb<'_>, commit: Oid) -> Result<Vec<Oid>, git2::Error> {
    let object = odb.read(commit)?;
    let mut parents = Vec::new();
    for line in object.data().split(|&b| b == b'\n') {
        if line.is_empty() {
            break;
        }
        if let Some(id) = line
            .strip_prefix(b"parent ")
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| Oid::from_str(hex).ok())
        {
            parents.push(id);
        }
    }
    Ok(parents)
}

/// A commit the walk could not read stops it: what came before the commit cannot be known.
/// (libgit2's message names the object, and says why.)
fn walk_error(e: git2::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "cannot walk the history (a commit is missing or damaged): {}",
        e.message()
    )
}

/// `A..B` → (A, B), an empty side meaning HEAD.
fn parse_range(range: &str) -> Result<(&str, &str)> {
    if range.contains("...") {
        bail!(
            "--range takes A..B (commits reachable from B but not from A); A...B is not supported"
        );
    }
    let Some((from, to)) = range.split_once("..") else {
        bail!("--range takes A..B, for example v1.0.0..main; got '{range}'");
    };
    Ok((or_head(from), or_head(to)))
}

fn or_head(side: &str) -> &str {
    if side.is_empty() {
        "HEAD"
    } else {
        side
    }
}

/// The commit a revision names (`main`, `v1.0`, `origin/dev`, `HEAD~3`, an id...).
fn resolve(repo: &Repository, rev: &str) -> Result<Oid> {
    let object = repo
        .revparse_single(rev)
        .with_context(|| format!("no revision '{rev}' in this repository"))?;
    let commit = object
        .peel_to_commit()
        .with_context(|| format!("'{rev}' does not name a commit"))?;
    Ok(commit.id())
}

/// Every ref that leads to a commit, HEAD (which may be detached), and every stash entry (only
/// the newest is a ref; the others live in the stash's reflog).
fn push_every_ref(
    repo: &Repository,
    walk: &mut Revwalk<'_>,
    skipped: &mut Vec<Skipped>,
) -> Result<()> {
    let references = repo.references().context("cannot list the refs")?;
    for reference in references {
        let reference = reference.context("cannot read a ref")?;
        let name = String::from_utf8_lossy(reference.name_bytes()).into_owned();
        match reference.peel(git2::ObjectType::Any) {
            // Tags of trees or blobs (rare) have no history to walk.
            Ok(object) => match object.peel_to_commit() {
                Ok(commit) => walk
                    .push(commit.id())
                    .with_context(|| format!("cannot walk from {name}"))?,
                Err(e) if e.code() == ErrorCode::InvalidSpec || e.code() == ErrorCode::Peel => {}
                Err(e) => skipped.push(broken_ref(&name, &e)),
            },
            Err(e) => skipped.push(broken_ref(&name, &e)),
        }
    }
    match repo.head() {
        Ok(head) => {
            if let Some(oid) = head.target() {
                walk.push(oid).context("cannot walk from HEAD")?;
            }
        }
        // An unborn branch (a repository with no commits yet) has no history.
        Err(e) if e.code() == ErrorCode::UnbornBranch || e.code() == ErrorCode::NotFound => {}
        Err(e) => skipped.push(broken_ref("HEAD", &e)),
    }
    if let Ok(reflog) = repo.reflog("refs/stash") {
        for entry in reflog.iter() {
            let oid = entry.id_new();
            if repo.find_commit(oid).is_ok() {
                walk.push(oid).context("cannot walk from a stash entry")?;
            }
        }
    }
    Ok(())
}

fn broken_ref(name: &str, e: &git2::Error) -> Skipped {
    Skipped {
        path: String::new(),
        reason: SkipReason::CorruptObject {
            object: format!("ref {name}"),
            error: e.message().to_string(),
        },
    }
}

/// The commits among `commits` whose parents a shallow clone did not fetch.
fn shallow_boundary(repo: &Repository, commits: &[Oid]) -> Vec<Skipped> {
    if !repo.is_shallow() {
        return Vec::new();
    }
    let listed = std::fs::read_to_string(repo.commondir().join("shallow")).unwrap_or_default();
    let selected: HashSet<&Oid> = commits.iter().collect();
    let mut cut: Vec<Skipped> = listed
        .lines()
        .filter_map(|line| Oid::from_str(line.trim()).ok())
        .filter(|oid| selected.contains(oid))
        .map(|oid| Skipped {
            path: String::new(),
            reason: SkipReason::ShallowHistory {
                commit: oid.to_string(),
            },
        })
        .collect();
    if cut.is_empty() {
        // Shallow, but the boundary is not among the selected commits or not listed: still say it.
        cut.push(Skipped {
            path: String::new(),
            reason: SkipReason::ShallowHistory {
                commit: "(unknown)".to_string(),
            },
        });
    }
    cut
}

/// What a report says about a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitMeta {
    pub id: String,
    pub author: String,
    pub email: String,
    /// Commit time, RFC 3339 with the committer's UTC offset.
    pub date: String,
}

/// Reads a commit's id, author and commit time.
pub fn commit_meta(repo: &Repository, oid: Oid) -> Result<CommitMeta, git2::Error> {
    let commit = repo.find_commit(oid)?;
    let author = commit.author();
    let time = commit.time();
    Ok(CommitMeta {
        id: oid.to_string(),
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        date: rfc3339(time.seconds(), time.offset_minutes()),
    })
}

/// Seconds since the Unix epoch plus a UTC offset in minutes → `2023-11-14T22:13:20+01:00`.
pub fn rfc3339(seconds: i64, offset_minutes: i32) -> String {
    let local = seconds + i64::from(offset_minutes) * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let zone = if offset_minutes == 0 {
        "Z".to_string()
    } else {
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let m = offset_minutes.unsigned_abs();
        format!("{sign}{:02}:{:02}", m / 60, m % 60)
    };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{zone}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc3339() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000, 0), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(1_700_000_000, 60), "2023-11-14T23:13:20+01:00");
        assert_eq!(rfc3339(1_700_000_000, -330), "2023-11-14T16:43:20-05:30");
        assert_eq!(rfc3339(951_782_400, 0), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1, 0), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn signatures_are_not_part_of_a_tag_message() {
        let signed = b"Release 1.0\n\ntoken here\n-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n";
        assert_eq!(without_signature(signed), b"Release 1.0\n\ntoken here\n");
        assert_eq!(without_signature(b"plain\n"), b"plain\n");
        assert_eq!(
            without_signature(b"-----BEGIN SSH SIGNATURE-----\nx\n"),
            b""
        );
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range("v1..main").unwrap(), ("v1", "main"));
        assert_eq!(parse_range("v1..").unwrap(), ("v1", "HEAD"));
        assert_eq!(parse_range("..dev").unwrap(), ("HEAD", "dev"));
        assert!(parse_range("a...b").is_err());
        assert!(parse_range("main").is_err());
    }
}
