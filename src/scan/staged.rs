//! Scanning staged changes (the pre-commit hook): each staged blob through the engine, keeping
//! only the findings that touch a line the change adds or modifies.
//!
//! A secret that was already committed is the history scan's business, not the hook's: blocking
//! every commit to a file because of an old secret elsewhere in it would teach people to bypass
//! the hook.

use rayon::prelude::*;

use super::{archive_to_open, scan_archive, scan_bytes, Stats, Tally};
use crate::engine::Engine;
use crate::finding::Finding;
use crate::source::archive::Limits;
use crate::source::decode;
use crate::source::git_history::{read_blob, BlobReader};
use crate::source::staged::{added_lines, StagedChanges, StagedFile};
use crate::source::SkipReason;

/// Scans the staged files of `changes`, reading blobs through `reader`. A staged archive is
/// opened (with `archives`) and every finding in it counts as new: its lines are not the diff's.
pub fn scan_staged(
    engine: &Engine,
    changes: &StagedChanges,
    reader: &BlobReader,
    archives: Option<&Limits>,
) -> (Vec<Finding>, Stats) {
    let tally = Tally::new(changes.skipped.clone());
    let mut findings: Vec<Finding> = changes
        .files
        .par_iter()
        .flat_map_iter(|file| {
            let outcome = reader
                .with_odb(|odb| scan_file(engine, odb, file, reader.max_size(), archives, &tally))
                .and_then(|r| r);
            match outcome {
                Ok((found, len)) => {
                    if let Some(len) = len {
                        tally.scanned(len);
                    }
                    found
                }
                Err(reason) => {
                    tally.skip(file.path.clone(), reason);
                    Vec::new()
                }
            }
        })
        .collect();
    tally.finish(&mut findings, None)
}

/// The findings on new lines of one staged file, and its size (`None` for an archive, whose
/// members were counted one by one).
fn scan_file(
    engine: &Engine,
    odb: &git2::Odb<'_>,
    file: &StagedFile,
    max_size: u64,
    archives: Option<&Limits>,
    tally: &Tally,
) -> Result<(Vec<Finding>, Option<u64>), SkipReason> {
    let new = read_blob(odb, file.blob, max_size)?;
    if let Some(limits) = archive_to_open(archives, new.data()) {
        return Ok((
            scan_archive(engine, &file.path, new.data(), limits, tally),
            None,
        ));
    }
    let text = decode::text_of(new.data()).ok_or(SkipReason::Binary)?;
    let found = scan_bytes(engine, &file.path, &text);
    if found.is_empty() {
        return Ok((found, Some(new.len() as u64)));
    }
    // The old version is read only when there is something to place; an unreadable or binary
    // old version counts as empty, so every line is new.
    let old = file
        .old_blob
        .and_then(|id| read_blob(odb, id, max_size).ok());
    let old_text = old
        .as_ref()
        .and_then(|o| decode::text_of(o.data()))
        .unwrap_or_default();
    let added = added_lines(&old_text, &text).map_err(|e| SkipReason::CorruptObject {
        object: file.blob.to_string(),
        error: e.message().to_string(),
    })?;
    let on_new_lines = found
        .into_iter()
        .filter(|f| {
            added
                .iter()
                .any(|r| *r.start() <= f.end_line && f.line <= *r.end())
        })
        .collect();
    Ok((on_new_lines, Some(new.len() as u64)))
}
