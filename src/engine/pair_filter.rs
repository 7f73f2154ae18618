//! A fast multi-literal search for hundreds of case-insensitive keywords.
//!
//! Aho-Corasick walks one automaton state per input byte; over some 800 keywords and
//! case-insensitively that costs about 3 ns a byte, more than everything else a scan does.
//! This is a shift-or filter in the manner of Hyperscan's FDR instead:
//!
//! - every byte maps to a class (letters case-folded, digits and the punctuation that keywords
//!   use each their own, every other byte one class), and every two adjacent bytes to a pair of
//!   classes, a number below 4096;
//! - each keyword's first (at most) [`MAX_PREFIX`] bytes is its *prefix*, and keywords are
//!   spread over 8 buckets, one prefix length to a bucket;
//! - a table gives, for each pair of classes, a 64-bit mask: for each bucket (bit) and for each
//!   distance from the end of a prefix (byte lane), whether some prefix of the bucket has that
//!   pair there. Shifting and OR-ing these masks along the input leaves a bucket's bit clear in
//!   the top lane exactly where every pair of some prefix of the bucket lines up;
//! - only there is anything verified: the prefix is looked up in a hash table and each keyword
//!   with that prefix compared, ignoring ASCII case.
//!
//! The filter never misses a keyword (the classes and the masks only ever over-approximate), it
//! reports every occurrence, overlapping ones included, and it is built in microseconds.

use std::ops::Range;

/// The longest prefix the shift-or part checks: 8 bytes are 7 pairs, which fit in the 8 lanes
/// of a `u64` with the top lane to read the result from.
const MAX_PREFIX: usize = 8;
/// Bits per byte class.
const CLASS_BITS: u32 = 6;
/// The class of bytes that occur in no keyword: a pair with one can never be part of a match.
const CLASS_NONE: u8 = 0;
/// The class shared by keyword bytes beyond the classes available (a collision only costs a
/// useless verification).
const CLASS_OVERFLOW: u8 = (1 << CLASS_BITS) - 1;
const BUCKETS: usize = 8;

/// The keyword search; see the module documentation.
#[derive(Debug, Clone)]
pub struct PairFilter {
    class: [u8; 256],
    /// Indexed by `class(a) << CLASS_BITS | class(b)` for adjacent bytes `a b`.
    masks: Box<[u64]>,
    /// Prefix length of each bucket's keywords (0: bucket unused).
    bucket_prefix: [u8; BUCKETS],
    table: PrefixTable,
    keywords: Vec<Box<[u8]>>,
    /// Whether this processor has the AVX-512 instructions of [`avx512`].
    simd: bool,
}

impl PairFilter {
    /// A filter over `keywords` (matched ignoring ASCII case), or `None` if one is shorter than
    /// two bytes (a single byte is no pair).
    pub fn new<K: AsRef<[u8]>>(keywords: &[K]) -> Option<PairFilter> {
        let keywords: Vec<Box<[u8]>> = keywords
            .iter()
            .map(|k| k.as_ref().to_ascii_lowercase().into_boxed_slice())
            .collect();
        if keywords.iter().any(|k| k.len() < 2) {
            return None;
        }
        let class = byte_classes(&keywords);
        let buckets = assign_buckets(&keywords);
        let mut bucket_prefix = [0u8; BUCKETS];
        // A clear bit means "allowed"; lanes beyond a bucket's prefix are left clear (anything
        // goes there), so only the pairs of a prefix constrain its bucket.
        let mut masks = vec![0u64; 1 << (2 * CLASS_BITS)].into_boxed_slice();
        for (bucket, members) in buckets.iter().enumerate() {
            let Some(&first) = members.first() else {
                // An empty bucket must never be a candidate.
                for mask in masks.iter_mut() {
                    *mask |= 1u64 << (56 + bucket);
                }
                continue;
            };
            let prefix_len = keywords[first].len().min(MAX_PREFIX);
            bucket_prefix[bucket] = prefix_len as u8;
            let pairs = prefix_len - 1;
            // Lane 7 - m holds the pair that ends m bytes before the prefix's last byte.
            for m in 0..pairs {
                let lane = 7 - m;
                let bit = 1u64 << (lane * 8 + bucket);
                for mask in masks.iter_mut() {
                    *mask |= bit;
                }
                for &k in members {
                    let prefix = &keywords[k][..prefix_len];
                    let end = prefix_len - 1 - m;
                    let pair = pair_index(&class, prefix[end - 1], prefix[end]);
                    masks[pair] &= !bit;
                }
            }
        }
        let mut entries = Vec::with_capacity(keywords.len());
        for (bucket, members) in buckets.iter().enumerate() {
            for &k in members {
                let prefix_len = bucket_prefix[bucket] as usize;
                let whole = keywords[k].len() == prefix_len;
                entries.push((bucket, pack(&keywords[k][..prefix_len]), k as u32, whole));
            }
        }
        let table = PrefixTable::new(entries);
        // The vector pass gives every byte from 0x80 up the class of bytes in no keyword.
        let simd = avx512::available() && keywords.iter().all(|k| k.is_ascii());
        Some(PairFilter {
            class,
            masks,
            bucket_prefix,
            table,
            keywords,
            simd,
        })
    }

    /// Calls `on_hit(keyword, range)` for every occurrence of every keyword, in order of the
    /// end of the keyword's prefix.
    #[inline]
    pub fn for_each_match(&self, haystack: &[u8], mut on_hit: impl FnMut(usize, Range<usize>)) {
        if haystack.len() < 2 {
            return;
        }
        // Pair `p` is bytes `p` and `p + 1`; its mask says, lane by lane, which buckets allow it
        // at each distance from a prefix's end. Blocks of 8 pairs are combined without a chain
        // of dependent shifts: each mask is shifted into place in a 128-bit accumulator whose
        // high half holds this block's results (byte 7 - j for pair j) and whose low half
        // spills into the next block. "Everything allowed" before the input over-approximates
        // at the very start, where the verification rejects prefixes that begin before it.
        let pairs = haystack.len() - 1;
        let mut spill = 0u64;
        let mut block = 0;
        if self.simd {
            block = avx512::blocks(self, haystack, &mut spill, &mut |block, results| {
                self.verify_block(haystack, block, results, &mut on_hit)
            });
        }
        while block + 8 <= pairs {
            let bytes = &haystack[block..block + 9];
            let mut acc = 0u128;
            for j in 0..8 {
                let mask = self.masks[pair_index(&self.class, bytes[j], bytes[j + 1])];
                acc |= ((mask as u128) << 64) >> (8 * j);
            }
            let results = (acc >> 64) as u64 | spill;
            spill = acc as u64;
            if results != u64::MAX {
                self.verify_block(haystack, block, results, &mut on_hit);
            }
            block += 8;
        }
        // The tail, one pair at a time, carrying on from the spill.
        let mut acc = (spill as u128) << 64;
        for pair in block..pairs {
            let mask = self.masks[pair_index(&self.class, haystack[pair], haystack[pair + 1])];
            let j = pair - block;
            acc |= ((mask as u128) << 64) >> (8 * j);
        }
        let results = (acc >> 64) as u64 | (u64::MAX >> (8 * (pairs - block)));
        if results != u64::MAX {
            self.verify_block(haystack, block, results, &mut on_hit);
        }
    }

    /// Verifies every pair of a block whose result byte has a bucket bit clear.
    #[cold]
    fn verify_block(
        &self,
        haystack: &[u8],
        block: usize,
        results: u64,
        on_hit: &mut impl FnMut(usize, Range<usize>),
    ) {
        for j in 0..8 {
            let candidates = !(results >> (8 * (7 - j))) as u8;
            if candidates != 0 {
                // Pair `block + j` ends at byte `block + j + 1`.
                self.verify(haystack, block + j + 1, candidates, on_hit);
            }
        }
    }

    /// Checks the buckets in `candidates` for a prefix ending at `end` (inclusive).
    #[inline]
    fn verify(
        &self,
        haystack: &[u8],
        end: usize,
        mut candidates: u8,
        on_hit: &mut impl FnMut(usize, Range<usize>),
    ) {
        while candidates != 0 {
            let bucket = candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            let prefix_len = self.bucket_prefix[bucket] as usize;
            let Some(start) = (end + 1).checked_sub(prefix_len) else {
                continue;
            };
            let key = pack_ending_at(haystack, end, prefix_len);
            let Some(slot) = self.table.get(bucket, key) else {
                continue;
            };
            // A keyword no longer than the prefix is the prefix: found.
            for &k in self.table.whole(slot) {
                on_hit(k as usize, start..start + prefix_len);
            }
            for &k in self.table.longer(slot) {
                let keyword = &self.keywords[k as usize];
                if let Some(found) = haystack.get(start..start + keyword.len()) {
                    if found.eq_ignore_ascii_case(keyword) {
                        on_hit(k as usize, start..start + keyword.len());
                    }
                }
            }
        }
    }
}

#[inline]
fn pair_index(class: &[u8; 256], a: u8, b: u8) -> usize {
    (class[a as usize] as usize) << CLASS_BITS | class[b as usize] as usize
}

/// The `len` bytes (at most 8) that end at `end` (inclusive), as [`pack`] gives them: one
/// unaligned load and a case fold of all eight lanes at once where 8 bytes end there.
#[inline]
fn pack_ending_at(haystack: &[u8], end: usize, len: usize) -> u64 {
    let Some(word) = end
        .checked_sub(7)
        .and_then(|start| haystack.get(start..=end))
        .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
    else {
        return pack(&haystack[end + 1 - len..=end]);
    };
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const HIGH: u64 = !LOW7;
    let word = u64::from_be_bytes(word);
    // Bytes 'A'..='Z' get 0x20 added (their high bit clear, at least 'A', at most 'Z').
    let low = word & LOW7;
    let at_least_a = low.wrapping_add(0x3F3F_3F3F_3F3F_3F3F) & HIGH;
    let past_z = low.wrapping_add(0x2525_2525_2525_2525) & HIGH;
    let upper = at_least_a & !past_z & !word & HIGH;
    let folded = word | upper >> 2;
    if len == 8 {
        folded
    } else {
        folded & (u64::MAX >> (64 - 8 * len))
    }
}

/// Up to 8 bytes, case-folded, as one number.
#[inline]
fn pack(bytes: &[u8]) -> u64 {
    let mut key = 0u64;
    for &b in bytes {
        key = key << 8 | b.to_ascii_lowercase() as u64;
    }
    key
}

/// Letters (either case) 1–26, digits 27–36, then each other byte that occurs in a keyword its
/// own class while classes last; bytes in no keyword are [`CLASS_NONE`].
fn byte_classes(keywords: &[Box<[u8]>]) -> [u8; 256] {
    let mut used = [false; 256];
    for keyword in keywords {
        for &b in keyword.iter() {
            used[b as usize] = true;
        }
    }
    let mut class = [CLASS_NONE; 256];
    let mut next = 1u8;
    for b in b'a'..=b'z' {
        class[b as usize] = next;
        class[b.to_ascii_uppercase() as usize] = next;
        next += 1;
    }
    for b in b'0'..=b'9' {
        class[b as usize] = next;
        next += 1;
    }
    for b in 0..=255u8 {
        if used[b as usize] && class[b as usize] == CLASS_NONE {
            class[b as usize] = next.min(CLASS_OVERFLOW);
            if next < CLASS_OVERFLOW {
                next += 1;
            }
        }
    }
    class
}

/// Groups keywords by prefix length, one group to a bucket, and gives the spare buckets to the
/// largest groups (split in sorted order, so that similar prefixes share a bucket and its masks
/// stay selective).
fn assign_buckets(keywords: &[Box<[u8]>]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); MAX_PREFIX + 1];
    for (k, keyword) in keywords.iter().enumerate() {
        groups[keyword.len().min(MAX_PREFIX)].push(k);
    }
    groups.retain(|g| !g.is_empty());
    // Prefix lengths are at most MAX_PREFIX - 1 = 7 distinct values, so every group gets one.
    let mut shares = vec![1usize; groups.len()];
    for _ in groups.len()..BUCKETS {
        let Some(largest) = (0..groups.len()).max_by_key(|&g| groups[g].len() / shares[g]) else {
            break;
        };
        shares[largest] += 1;
    }
    let mut buckets = Vec::with_capacity(BUCKETS);
    for (mut group, share) in groups.into_iter().zip(shares) {
        group.sort_by(|&a, &b| keywords[a].cmp(&keywords[b]));
        let per_bucket = group.len().div_ceil(share);
        for chunk in group.chunks(per_bucket.max(1)) {
            buckets.push(chunk.to_vec());
        }
    }
    buckets.resize(BUCKETS, Vec::new());
    buckets
}

/// Open-addressing table from (bucket, packed prefix) to the keywords with that prefix, in
/// flat arrays (it is read at every candidate: one slot, then one run of keyword numbers).
#[derive(Debug, Clone)]
struct PrefixTable {
    slots: Box<[Slot]>,
    /// Each slot's keywords, those that are the whole prefix first.
    members: Box<[u32]>,
    mask: usize,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    prefix: u64,
    /// [`Slot::EMPTY`] for a free slot.
    bucket: u32,
    /// `members[first..first + whole]` are as long as the prefix, the rest up to `end` longer.
    first: u32,
    whole: u32,
    end: u32,
}

impl Slot {
    const EMPTY: u32 = u32::MAX;
}

impl PrefixTable {
    /// The table of `(bucket, prefix, keyword, whole)` entries, `whole` when the keyword is
    /// its prefix.
    fn new(entries: Vec<(usize, u64, u32, bool)>) -> PrefixTable {
        let size = (entries.len() * 2).next_power_of_two().max(16);
        let mask = size - 1;
        let empty = Slot {
            prefix: 0,
            bucket: Slot::EMPTY,
            first: 0,
            whole: 0,
            end: 0,
        };
        let mut slots = vec![empty; size];
        // Each slot's keywords (whole ones marked), gathered before they are laid out flat.
        let mut lists: Vec<Vec<(bool, u32)>> = vec![Vec::new(); size];
        for (bucket, prefix, keyword, whole) in entries {
            let mut index = slot_of(bucket, prefix, mask);
            loop {
                let slot = &mut slots[index];
                if slot.bucket == Slot::EMPTY {
                    slot.bucket = bucket as u32;
                    slot.prefix = prefix;
                } else if slot.bucket != bucket as u32 || slot.prefix != prefix {
                    index = (index + 1) & mask;
                    continue;
                }
                // Whole keywords sort first.
                lists[index].push((!whole, keyword));
                break;
            }
        }
        let mut members = Vec::new();
        for (slot, list) in slots.iter_mut().zip(&mut lists) {
            list.sort_unstable();
            slot.first = members.len() as u32;
            slot.whole = list.iter().filter(|(longer, _)| !longer).count() as u32;
            members.extend(list.iter().map(|&(_, k)| k));
            slot.end = members.len() as u32;
        }
        PrefixTable {
            slots: slots.into_boxed_slice(),
            members: members.into_boxed_slice(),
            mask,
        }
    }

    #[inline]
    fn get(&self, bucket: usize, prefix: u64) -> Option<&Slot> {
        let mut index = slot_of(bucket, prefix, self.mask);
        loop {
            let slot = &self.slots[index];
            if slot.bucket == bucket as u32 && slot.prefix == prefix {
                return Some(slot);
            }
            if slot.bucket == Slot::EMPTY {
                return None;
            }
            index = (index + 1) & self.mask;
        }
    }

    /// The slot's keywords that are its whole prefix.
    #[inline]
    fn whole(&self, slot: &Slot) -> &[u32] {
        &self.members[slot.first as usize..(slot.first + slot.whole) as usize]
    }

    /// The slot's keywords that go on past its prefix.
    #[inline]
    fn longer(&self, slot: &Slot) -> &[u32] {
        &self.members[(slot.first + slot.whole) as usize..slot.end as usize]
    }
}

#[inline]
fn slot_of(bucket: usize, prefix: u64, mask: usize) -> usize {
    let mixed = (prefix ^ bucket as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> 40) as usize & mask
}

/// The shift-or pass 64 pairs at a time with AVX-512: byte classes by a table permute, the
/// masks by gathers, and each group of 8 masks lined up by one byte permute (with the group
/// before it) and OR-ed across lanes. About 1.3 times as fast as the scalar loop where the
/// processor has it (0.68 against 0.9 ns a byte on the corpus); the same results.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::PairFilter;

    pub fn available() -> bool {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vbmi")
    }

    /// Runs the shift-or over every whole chunk of 64 pairs from the start of `haystack`,
    /// calling `on_block(block, results)` like the scalar loop does, and returns the first
    /// block it did not do (with `spill` carried on).
    pub fn blocks(
        filter: &PairFilter,
        haystack: &[u8],
        spill: &mut u64,
        on_block: &mut impl FnMut(usize, u64),
    ) -> usize {
        debug_assert!(available());
        // SAFETY: `filter.simd` is set only where `available()` said the features are there.
        unsafe { blocks_avx512(filter, haystack, spill, on_block) }
    }

    /// Byte `8m + 7 - p` of the permuted pair: the contribution to pair `p` of the mask of the
    /// pair `m` before it (lane `7 - m`), from this group or from the previous one. A constant:
    /// the gated search calls the filter on thousands of short regions.
    const ORDER: [u8; 64] = {
        let mut order = [0u8; 64];
        let mut m = 0;
        while m < 8 {
            let mut p = 0;
            while p < 8 {
                let source = if p >= m {
                    64 + 8 * (p - m) + (7 - m)
                } else {
                    8 * (8 + p - m) + (7 - m)
                };
                order[8 * m + 7 - p] = source as u8;
                p += 1;
            }
            m += 1;
        }
        order
    };

    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    unsafe fn blocks_avx512(
        filter: &PairFilter,
        haystack: &[u8],
        spill: &mut u64,
        on_block: &mut impl FnMut(usize, u64),
    ) -> usize {
        // SAFETY (whole function): every load reads 64 bytes at `chunk` or `chunk + 1`, and the
        // loop runs only while `chunk + 65 <= haystack.len()`; the class table has 256 bytes
        // (the two 64-byte loads read its first 128); gathers index `masks`, whose length is
        // 4096, with 12-bit indexes (two 6-bit classes).
        let classes_low = _mm512_loadu_si512(filter.class.as_ptr().cast());
        let classes_high = _mm512_loadu_si512(filter.class.as_ptr().add(64).cast());
        let masks = filter.masks.as_ptr().cast::<i64>();
        let order = _mm512_loadu_si512(ORDER.as_ptr().cast());
        let shift_low = _mm512_set_epi64(8, 16, 24, 32, 40, 48, 56, 64);
        // Nothing before the input: "everything allowed", as in the scalar loop.
        debug_assert_eq!(*spill, 0);
        let mut previous = _mm512_setzero_si512();
        let class_of = |bytes: __m512i| {
            // Bytes from 0x80 up occur in no keyword (keywords are ASCII): class 0.
            let ascii = !_mm512_movepi8_mask(bytes);
            _mm512_maskz_permutex2var_epi8(ascii, classes_low, bytes, classes_high)
        };
        let mut chunk = 0;
        let mut lined_up = [_mm512_setzero_si512(); 8];
        while chunk + 65 <= haystack.len() {
            let first = class_of(_mm512_loadu_si512(haystack.as_ptr().add(chunk).cast()));
            let second = class_of(_mm512_loadu_si512(haystack.as_ptr().add(chunk + 1).cast()));
            for half in 0..2 {
                let (a, b) = if half == 0 {
                    (
                        _mm512_castsi512_si256(first),
                        _mm512_castsi512_si256(second),
                    )
                } else {
                    (
                        _mm512_extracti64x4_epi64::<1>(first),
                        _mm512_extracti64x4_epi64::<1>(second),
                    )
                };
                let index = _mm512_or_si512(
                    _mm512_slli_epi16::<6>(_mm512_cvtepu8_epi16(a)),
                    _mm512_cvtepu8_epi16(b),
                );
                let groups = [
                    _mm512_extracti32x4_epi32::<0>(index),
                    _mm512_extracti32x4_epi32::<1>(index),
                    _mm512_extracti32x4_epi32::<2>(index),
                    _mm512_extracti32x4_epi32::<3>(index),
                ];
                for (g, group) in groups.into_iter().enumerate() {
                    let pair_masks =
                        _mm512_i32gather_epi64::<8>(_mm256_cvtepu16_epi32(group), masks);
                    lined_up[4 * half + g] = _mm512_permutex2var_epi8(previous, order, pair_masks);
                    previous = pair_masks;
                }
            }
            // Each block's results are the OR of its vector's eight lanes; the eight blocks
            // are reduced together, lane `i` of `results` for block `i`.
            let results = or_lanes(&lined_up);
            let pending = _mm512_cmpneq_epi64_mask(results, _mm512_set1_epi64(-1));
            if pending != 0 {
                let mut each = [0u64; 8];
                _mm512_storeu_si512(each.as_mut_ptr().cast(), results);
                for (i, &results) in each.iter().enumerate() {
                    if pending & (1 << i) != 0 {
                        on_block(chunk + 8 * i, results);
                    }
                }
            }
            chunk += 64;
        }
        // What the last group passes on to the scalar loop.
        *spill = _mm512_reduce_or_epi64(_mm512_sllv_epi64(previous, shift_low)) as u64;
        chunk
    }

    /// Lane `i` of the result: the OR of the eight lanes of `v[i]`. A transposing tree of
    /// unpacks and 128-bit shuffles, a third of the work of eight separate reductions.
    #[target_feature(enable = "avx512f")]
    fn or_lanes(v: &[__m512i; 8]) -> __m512i {
        // Within each 128-bit block: (v[2k] lanes 2b + 2b+1, v[2k+1] lanes 2b + 2b+1).
        let pairs = |a: __m512i, b: __m512i| {
            _mm512_or_si512(_mm512_unpacklo_epi64(a, b), _mm512_unpackhi_epi64(a, b))
        };
        // Blocks 0 and 1 OR-ed, and blocks 2 and 3, of each input: two blocks from each.
        let blocks = |a: __m512i, b: __m512i| {
            _mm512_or_si512(
                _mm512_shuffle_i64x2::<0b10_00_10_00>(a, b),
                _mm512_shuffle_i64x2::<0b11_01_11_01>(a, b),
            )
        };
        let p01 = pairs(v[0], v[1]);
        let p23 = pairs(v[2], v[3]);
        let p45 = pairs(v[4], v[5]);
        let p67 = pairs(v[6], v[7]);
        // Block k of `q0123`: (v[0], v[1]) for k = 0, 1 and (v[2], v[3]) for k = 2, 3, each
        // half of the lanes.
        let q0123 = blocks(p01, p23);
        let q4567 = blocks(p45, p67);
        blocks(q0123, q4567)
    }
}

/// Stands in for [`avx512`] where there is no x86_64.
#[cfg(not(target_arch = "x86_64"))]
mod avx512 {
    use super::PairFilter;

    pub fn available() -> bool {
        false
    }

    pub fn blocks(_: &PairFilter, _: &[u8], _: &mut u64, _: &mut impl FnMut(usize, u64)) -> usize {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use aho_corasick::{AhoCorasick, MatchKind};

    /// Every (keyword, range) the filter reports, sorted.
    fn filter_hits(keywords: &[&str], haystack: &[u8]) -> Vec<(usize, Range<usize>)> {
        let filter = PairFilter::new(keywords).expect("keywords of two bytes or more");
        let mut hits = Vec::new();
        filter.for_each_match(haystack, |k, r| hits.push((k, r)));
        hits.sort_by_key(|(k, r)| (r.start, r.end, *k));
        hits
    }

    /// What Aho-Corasick reports for the same keywords: the reference.
    fn reference_hits(keywords: &[&str], haystack: &[u8]) -> Vec<(usize, Range<usize>)> {
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(keywords)
            .expect("automaton");
        let mut hits: Vec<_> = automaton
            .find_overlapping_iter(haystack)
            .map(|m| (m.pattern().as_usize(), m.range()))
            .collect();
        hits.sort_by_key(|(k, r)| (r.start, r.end, *k));
        hits
    }

    #[test]
    fn a_packed_word_folds_case_as_a_byte_loop() {
        let bytes: Vec<u8> = (0..=255u8).chain(b"AZaz@[`{".iter().copied()).collect();
        for end in 0..bytes.len() {
            for len in 1..=MAX_PREFIX.min(end + 1) {
                assert_eq!(
                    pack_ending_at(&bytes, end, len),
                    pack(&bytes[end + 1 - len..=end]),
                    "{len} bytes ending at {end}"
                );
            }
        }
    }

    #[test]
    fn finds_keywords_anywhere_in_any_case() {
        let keywords = ["password", "ghp_", "snmp-server community", "key"];
        let haystack = b"Key=1 PASSWORD ghp_x\nSNMP-Server Community public\nkeykey";
        assert_eq!(
            filter_hits(&keywords, haystack),
            reference_hits(&keywords, haystack)
        );
        assert_eq!(filter_hits(&keywords, haystack).len(), 6);
    }

    #[test]
    fn keywords_at_the_edges_and_overlapping() {
        let keywords = ["abc", "bcd", "abcdefghij", "ab"];
        for haystack in [
            &b"abc"[..],
            b"ab",
            b"a",
            b"",
            b"xabcdefghij",
            b"abcdefghijabcdefghij",
            b"abcdefgh",
        ] {
            assert_eq!(
                filter_hits(&keywords, haystack),
                reference_hits(&keywords, haystack),
                "{:?}",
                String::from_utf8_lossy(haystack)
            );
        }
    }

    #[test]
    fn agrees_with_aho_corasick_on_random_text() {
        // A small xorshift generator keeps the test deterministic without a dependency.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"abcdeKEYPASSWORDtoken_-:= \n\"'$9";
        let keywords = [
            "key",
            "pass",
            "password",
            "token",
            "to_",
            "ke-",
            "pASs",
            "$9$",
            "word:",
            "sword",
            "tokentoken",
            "a b",
            "\"key\"",
            "keypass=",
            "ordto",
        ];
        for round in 0..200 {
            let len = (next() % 300) as usize + round % 3;
            let haystack: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            assert_eq!(
                filter_hits(&keywords, &haystack),
                reference_hits(&keywords, &haystack),
                "{:?}",
                String::from_utf8_lossy(&haystack)
            );
        }
    }

    #[test]
    fn vector_and_scalar_passes_agree() {
        if !avx512::available() {
            eprintln!("skipped: this processor has no AVX-512 VBMI");
            return;
        }
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz _-:=\n";
        let keywords = ["password", "ghp_", "snmp-server community", "key", "tok"];
        let mut text = Vec::new();
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for i in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match state % 23 {
                0 => text
                    .extend_from_slice(keywords[(state >> 8) as usize % keywords.len()].as_bytes()),
                1 => text.push(0xC3),
                2 => text.extend_from_slice(b"PASSword"),
                _ => text.push(ALPHABET[(state >> 16) as usize % ALPHABET.len()]),
            }
            if i % 997 == 0 {
                text.extend_from_slice(b"snmp-server community");
            }
        }
        let mut filter = PairFilter::new(&keywords).expect("filter");
        assert!(filter.simd);
        assert!(!PairFilter::new(&["caf\u{e9}"]).expect("filter").simd);
        for len in [0usize, 1, 64, 65, 66, 129, 1000, text.len()] {
            let haystack = &text[..len];
            filter.simd = true;
            let mut vector = Vec::new();
            filter.for_each_match(haystack, |k, r| vector.push((k, r)));
            filter.simd = false;
            let mut scalar = Vec::new();
            filter.for_each_match(haystack, |k, r| scalar.push((k, r)));
            assert_eq!(vector, scalar, "length {len}");
            if len == text.len() {
                assert!(vector.len() > 1000, "{} hits", vector.len());
            }
        }
    }

    #[test]
    fn one_keyword_leaves_the_other_buckets_silent() {
        let keywords = ["akia"];
        let haystack = vec![b'x'; 1000];
        assert!(filter_hits(&keywords, &haystack).is_empty());
    }

    #[test]
    fn bytes_outside_ascii_are_compared_exactly() {
        let keywords = ["caf\u{e9}", "\u{c9}t\u{e9}"];
        let haystack = "CAF\u{e9} caf\u{c9} \u{c9}T\u{e9}".as_bytes();
        assert_eq!(
            filter_hits(&keywords, haystack),
            reference_hits(&keywords, haystack)
        );
    }

    #[test]
    fn single_byte_keywords_are_refused() {
        assert!(PairFilter::new(&["a", "abc"]).is_none());
    }
}
