//! Sources: where the bytes to scan come from, and what could not be read.
//!
//! A source yields content plus the path it is known by; it knows nothing of rules or reports.
//! Anything it cannot hand over (unreadable, too large, binary) becomes a [`Skipped`] with its
//! reason, so that the summary and the reports can say what was not scanned and why.

pub mod archive;
pub mod decode;
pub mod fs;
pub mod git;
pub mod git_history;
pub mod loose;
pub mod mapped;
pub mod objects;
pub mod staged;

use std::ops::Deref;

use serde::Serialize;

/// Bytes of one file: read into a caller's buffer, or memory-mapped when large.
#[derive(Debug)]
pub enum Contents<'b> {
    /// `cut`: fewer bytes came than the file's size said when it was opened.
    Read {
        bytes: &'b [u8],
        cut: bool,
    },
    Mapped(mapped::GuardedMap),
}

impl Contents<'_> {
    /// Whether the file was cut short while it was read (a mapped file's missing end reads as
    /// zeros; a read one is simply shorter): asked after the scan, to say so.
    pub fn was_cut(&self) -> bool {
        match self {
            Contents::Read { cut, .. } => *cut,
            Contents::Mapped(m) => m.was_cut(),
        }
    }
}

impl Deref for Contents<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Contents::Read { bytes, .. } => bytes,
            Contents::Mapped(m) => m,
        }
    }
}

/// Why something was not scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum SkipReason {
    /// Looks binary (a NUL byte near the start, and no UTF-16 byte-order mark).
    Binary,
    /// Larger than `--max-file-size`.
    TooLarge { size: u64, limit: u64 },
    /// The OS refused to read it; `error` is the OS error, never file content.
    Unreadable { error: String },
    /// The directory walk could not enter or list it.
    WalkError { error: String },
    /// A git object the repository does not have (a partial clone, or a damaged one).
    MissingObject { object: String },
    /// A git object that could not be read or parsed; `error` is libgit2's message.
    CorruptObject { object: String, error: String },
    /// A submodule: its content lives in another repository, which has to be scanned on its own.
    Submodule { commit: String },
    /// A shallow clone: the parents of `commit` were not fetched, so the history before it was
    /// not scanned (and what the commit holds is attributed to it).
    ShallowHistory { commit: String },
    /// A limit against hostile archives was hit (depth, bytes, members, compression ratio,
    /// overlapping zip entries); `limit` says which. The rest of the scan goes on.
    ArchiveLimit { limit: String },
    /// An archive or member that is damaged, truncated, or in a format or compression method
    /// that cannot be read; `error` is the decoder's message, never content.
    CorruptArchive { error: String },
    /// An encrypted archive member: its content cannot be read without the password.
    Encrypted,
    /// Given to `release` as an artifact: scanned as such, not again as part of the tree.
    Artifact,
    /// A configuration's allowlist names the path (a directory: all below it), so it was not
    /// walked; `by` names the allowlist.
    Allowlisted { by: String },
    /// Not a regular file: a FIFO, a socket or a device (reading one could block or never end),
    /// or a symbolic link that is not followed (without `--follow`); `kind` says which.
    NotRegular { kind: String },
    /// The file shrank while it was being read: what was there was scanned, the rest was gone.
    ChangedWhileRead,
}

impl SkipReason {
    /// A short, stable label for summaries: `binary`, `too-large`, `unreadable`, `walk-error`,
    /// `missing-object`, `corrupt-object`, `submodule`, `shallow-history`, `allowlisted`,
    /// `archive-limit`, `corrupt-archive`, `encrypted`, `artifact`, `not-regular`,
    /// `changed-while-read`.
    pub fn label(&self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge { .. } => "too-large",
            SkipReason::Unreadable { .. } => "unreadable",
            SkipReason::WalkError { .. } => "walk-error",
            SkipReason::MissingObject { .. } => "missing-object",
            SkipReason::CorruptObject { .. } => "corrupt-object",
            SkipReason::Submodule { .. } => "submodule",
            SkipReason::ShallowHistory { .. } => "shallow-history",
            SkipReason::Allowlisted { .. } => "allowlisted",
            SkipReason::Artifact => "artifact",
            SkipReason::ArchiveLimit { .. } => "archive-limit",
            SkipReason::CorruptArchive { .. } => "corrupt-archive",
            SkipReason::Encrypted => "encrypted",
            SkipReason::NotRegular { .. } => "not-regular",
            SkipReason::ChangedWhileRead => "changed-while-read",
        }
    }

    /// Is this a skip that people asked for (binary files, allowlisted paths), which reports
    /// count rather than list?
    pub fn is_expected(&self) -> bool {
        match self {
            SkipReason::Binary | SkipReason::Allowlisted { .. } | SkipReason::Artifact => true,
            // A link left alone is what was asked (no `--follow`); a FIFO in a tree is not.
            SkipReason::NotRegular { kind } => kind == SYMLINK,
            _ => false,
        }
    }

    /// Does this say that part of a git repository could not be read? (The summary names each.)
    pub fn is_git_damage(&self) -> bool {
        matches!(
            self,
            SkipReason::MissingObject { .. }
                | SkipReason::CorruptObject { .. }
                | SkipReason::ShallowHistory { .. }
        )
    }

    /// A sentence for people.
    pub fn describe(&self) -> String {
        match self {
            SkipReason::Binary => "binary file".to_string(),
            SkipReason::TooLarge { size, limit } => {
                format!("{size} bytes, over the size limit of {limit} bytes")
            }
            SkipReason::Unreadable { error } => format!("unreadable: {error}"),
            SkipReason::WalkError { error } => format!("could not be walked: {error}"),
            SkipReason::MissingObject { object } => {
                format!("git object {object} is missing (partial or damaged clone)")
            }
            SkipReason::CorruptObject { object, error } => {
                format!("git object {object} could not be read: {error}")
            }
            SkipReason::Submodule { commit } => {
                format!("submodule at commit {commit}; scan its repository on its own")
            }
            SkipReason::ShallowHistory { commit } => format!(
                "history is cut: shallow clone, the parents of commit {commit} were not fetched"
            ),
            SkipReason::Allowlisted { by } => format!("allowlisted by {by}"),
            SkipReason::Artifact => "scanned as a release artifact".to_string(),
            SkipReason::ArchiveLimit { limit } => format!("archive not opened further: {limit}"),
            SkipReason::CorruptArchive { error } => {
                format!("damaged or unreadable archive: {error}")
            }
            SkipReason::Encrypted => "encrypted archive member".to_string(),
            SkipReason::NotRegular { kind } => format!("not a regular file: {kind}"),
            SkipReason::ChangedWhileRead => {
                "cut short by another process while it was read: the rest was not scanned"
                    .to_string()
            }
        }
    }
}

/// [`SkipReason::NotRegular`]'s kind for a symbolic link that is not followed.
pub const SYMLINK: &str = "symbolic link (not followed)";

/// Something that was not scanned, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub path: String,
    #[serde(flatten)]
    pub reason: SkipReason,
}
