//! Shards of a scan: a deterministic partition that N independent workers of a scheduler cover
//! exactly once, whatever order they run in.
//!
//! Many repositories are split by repository name. One large history is split by path: a
//! finding is one secret at one path, however many versions of the file have it (see
//! [`super::history`]), so a shard that owns a path sees every version of it and reports its
//! findings whole: the earliest commit, the line there, the count of blobs. The shards' reports
//! then merge into exactly the report of one run. Every count is split too: a blob counts in
//! the shard of the path it is known by, a commit (and its message) in the shard of its id, a
//! tag in the shard of its name, so summing the shards' summaries gives the whole scan's. A
//! blob copied to paths of several shards is read by each of them.

use sha2::{Digest, Sha256};

/// Shard `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Whether the item named `name` (a path, a commit id, a tag or repository name) is this
    /// shard's.
    pub fn owns(&self, name: &str) -> bool {
        shard_of(name, self.count) == self.index
    }
}

/// Whether `shard` (if any: none is the whole scan) owns `name`.
pub fn owns(shard: Option<Shard>, name: &str) -> bool {
    shard.is_none_or(|s| s.owns(name))
}

/// The shard (of `n`) that the item named `name` belongs to: the first 8 bytes of its SHA-256,
/// modulo `n`. An item keeps its shard when others are added.
pub fn shard_of(name: &str, n: u64) -> u64 {
    let digest = Sha256::digest(name.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % n.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_every_name_once() {
        let names: Vec<String> = (0..2000).map(|i| format!("src/module_{i}.rs")).collect();
        let shards: Vec<Shard> = (0..4).map(|index| Shard { index, count: 4 }).collect();
        for name in &names {
            let owners = shards.iter().filter(|s| s.owns(name)).count();
            assert_eq!(owners, 1, "{name}");
        }
        // Spread evenly enough that no worker gets most of the work.
        for s in &shards {
            let share = names.iter().filter(|n| s.owns(n)).count();
            assert!((400..600).contains(&share), "shard {}: {share}", s.index);
        }
        assert!(owns(None, "anything"));
    }
}
