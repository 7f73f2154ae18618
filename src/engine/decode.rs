//! Encoded values: finding base64 and percent-encoded strings worth decoding, and decoding them.
//!
//! A secret can hide inside an encoded value: a Kubernetes Secret's `data:` entries, a
//! base64-wrapped `.env` file in CI configuration, a percent-encoded webhook URL in a query
//! string. This module finds candidate spans cheaply (value positions only: after `"`, `'`, `=`,
//! `:` or `>`), decodes them, and keeps only decodings that are text. The engine scans what is
//! decoded and reports matches at the encoded span.

use std::ops::Range;

use base64::Engine as _;

/// How a value was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Encoding {
    Base64,
    Percent,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::Percent => "percent",
        }
    }
}

/// An encoded value in the haystack. The key it is assigned to, if any, is [`key_before`] its
/// start; it is looked up only for the few values that decode to text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub span: Range<usize>,
    pub encoding: Encoding,
}

/// Base64 shorter than this encodes fewer than 12 bytes: too short for most secrets, and
/// identifiers of that length are everywhere.
const MIN_BASE64_LEN: usize = 16;
/// Longer values are blobs (images, archives, key material), not wrapped secrets.
const MAX_BASE64_LEN: usize = 64 * 1024;
/// Decoded text must be at least this printable (ratio) to be scanned.
const MIN_PRINTABLE: f64 = 0.95;

/// Every base64 and percent-encoded value in `haystack` worth decoding: the base64 ones, then
/// the percent-encoded ones, each in order.
pub fn candidates(haystack: &[u8]) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut percent = Vec::new();
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vbmi")
    {
        // SAFETY: the processor has AVX-512BW and VBMI (checked just above).
        unsafe { find_encoded_avx512(haystack, &mut out, &mut percent) };
        out.append(&mut percent);
        return out;
    }
    find_base64_with(haystack, &mut out, block_mask, None);
    find_percent(haystack, &mut percent);
    out.append(&mut percent);
    out
}

const fn base64_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'-' || b == b'_';
        i += 1;
    }
    t
}

static BASE64_BYTE: [bool; 256] = base64_table();

/// Runs of base64 characters (standard or URL-safe, with `=` padding) that stand where a value
/// stands: right after a quote, `=`, `:` or `>` (spaces allowed after `:`/`=`).
///
/// The input is classified 64 bytes at a time into a bit mask (a loop the compiler turns into
/// vector compares); a few shifts of the mask find where runs of at least [`MIN_BASE64_LEN`]
/// begin, and only those starts are looked at byte by byte. Source text has few such runs, so
/// this costs a fraction of a nanosecond per byte.
///
/// Where the classification also marks `%` (`percent` is `Some`), the percent-encoded tokens are
/// found in the same pass, from the marked bytes, instead of by a search of their own.
#[inline(always)]
fn find_base64_with(
    h: &[u8],
    out: &mut Vec<Candidate>,
    block_mask: impl Fn(&[u8], usize) -> Masks,
    mut percent: Option<&mut Vec<Candidate>>,
) {
    // Where the next `%` worth looking at may be (past the last token measured).
    let mut percent_from = 0;
    let mut current = block_mask(h, 0);
    // Whether the byte before the current block is a base64 byte, or may stand before a value.
    let mut carry = 0u64;
    let mut carry_before_value = 1u64;
    let mut base = 0;
    while base < h.len() {
        let next = block_mask(h, base + 64);
        let window = current.base64 as u128 | (next.base64 as u128) << 64;
        // Bit i: bytes i..i + 16 are all base64 bytes.
        let mut long = window;
        long &= long >> 1;
        long &= long >> 2;
        long &= long >> 4;
        long &= long >> 8;
        let mut starts = long as u64
            & !(current.base64 << 1 | carry)
            & (current.before_value << 1 | carry_before_value);
        while starts != 0 {
            let offset = starts.trailing_zeros() as usize;
            starts &= starts - 1;
            // The run's length, as far as this block and the next tell.
            let known = (window >> offset).trailing_ones() as usize;
            consider_base64_run(h, base + offset, known, out);
        }
        if let Some(percent) = percent.as_deref_mut() {
            let mut signs = current.percent;
            while signs != 0 {
                let p = base + signs.trailing_zeros() as usize;
                signs &= signs - 1;
                if p >= percent_from {
                    percent_from = consider_percent(h, p, percent);
                }
            }
        }
        carry = current.base64 >> 63;
        carry_before_value = current.before_value >> 63;
        current = next;
        base += 64;
    }
}

/// Base64 and percent-encoded candidates in one pass, with the AVX-512 classification
/// compiled into the loop.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
unsafe fn find_encoded_avx512(h: &[u8], base64: &mut Vec<Candidate>, percent: &mut Vec<Candidate>) {
    let classify = |h: &[u8], from: usize| match h.get(from..from + 64) {
        // SAFETY: this function runs only where the processor has AVX-512BW and VBMI.
        Some(block) => unsafe { block_mask_avx512(block) },
        None => tail_mask(h, from),
    };
    find_base64_with(h, base64, classify, Some(percent));
}

/// What a block of 64 bytes holds, a bit per byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Masks {
    /// Base64 bytes.
    base64: u64,
    /// Bytes that may come right before a value: quotes, `>`, `=`, `:`, a space after one of
    /// those or after another space. (A superset: every byte, where only the scalar
    /// classification is at hand; [`in_value_position`] decides.)
    before_value: u64,
    /// `%` signs (none, where only the scalar classification is at hand: a search of its own
    /// finds the percent-encoded tokens then).
    percent: u64,
}

/// The masks of the 64 bytes from `from` (bytes past the end are not base64).
#[inline]
fn block_mask(h: &[u8], from: usize) -> Masks {
    match h.get(from..from + 64) {
        Some(block) => {
            let mut mask = 0u64;
            for (i, chunk) in block.chunks_exact(16).enumerate() {
                mask |= (chunk_mask(chunk.try_into().unwrap_or(&[0; 16])) as u64) << (16 * i);
            }
            Masks {
                base64: mask,
                before_value: u64::MAX,
                percent: 0,
            }
        }
        None => tail_mask(h, from),
    }
}

/// The masks of the fewer than 64 bytes from `from` to the end.
#[inline(never)]
fn tail_mask(h: &[u8], from: usize) -> Masks {
    let rest = h.get(from..).unwrap_or(&[]);
    let mask_of = |is: &dyn Fn(u8) -> bool| {
        rest.iter()
            .enumerate()
            .fold(0, |mask, (i, &b)| mask | (is(b) as u64) << i)
    };
    Masks {
        base64: mask_of(&is_base64_byte),
        before_value: u64::MAX,
        percent: mask_of(&|b| b == b'%'),
    }
}

/// For each ASCII byte, bit 0: a base64 byte; bit 1: a quote, backtick or `>`, which a value
/// may follow; bit 2: `%`; bit 3: `=` or `:`, which a value may follow after spaces; bit 4: a
/// space; bit 5: a tab or line end (which may come between `>` and a value).
const fn ascii_classes() -> [u8; 128] {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        t[i] = BASE64_BYTE[i] as u8;
        match i as u8 {
            b'"' | b'\'' | b'>' | b'`' => t[i] |= 2,
            b'=' | b':' => t[i] |= 8,
            b' ' => t[i] |= 16,
            b'\t' | b'\n' | b'\r' => t[i] |= 32,
            _ => {}
        }
        if i as u8 == b'%' {
            t[i] |= 4;
        }
        i += 1;
    }
    t
}

static ASCII_CLASSES: [u8; 128] = ascii_classes();

/// The masks of a 64-byte block: one table permute gives each byte its class bits (bytes from
/// 0x80 up are neither), two tests spread them into masks.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
unsafe fn block_mask_avx512(block: &[u8]) -> Masks {
    use std::arch::x86_64::*;

    debug_assert!(block.len() >= 64);
    // SAFETY: the caller hands over at least 64 bytes; the table has 128.
    let (bytes, low, high) = unsafe {
        (
            _mm512_loadu_si512(block.as_ptr().cast()),
            _mm512_loadu_si512(ASCII_CLASSES.as_ptr().cast()),
            _mm512_loadu_si512(ASCII_CLASSES.as_ptr().add(64).cast()),
        )
    };
    let ascii = !_mm512_movepi8_mask(bytes);
    let classes = _mm512_maskz_permutex2var_epi8(ascii, low, bytes, high);
    let class = |bit: i8| _mm512_test_epi8_mask(classes, _mm512_set1_epi8(bit));
    let (quote, assign, space) = (class(2), class(8), class(16));
    // A space counts only after `=`, `:` or another space: one after a word starts no value
    // (the first byte of the block is given the benefit of the doubt; `in_value_position`
    // checks every start anyway). Any white space counts after `>` or more white space: an
    // XML element's value may sit on a line of its own.
    let spaced = space & ((space | assign) << 1 | 1);
    let white = space | class(32);
    let indented = white & ((white | quote) << 1 | 1);
    Masks {
        base64: class(1),
        before_value: quote | assign | spaced | indented,
        percent: class(4),
    }
}

/// One bit per byte of a 16-byte chunk: SSE2 compares (every x86_64 has them).
#[cfg(target_arch = "x86_64")]
#[inline]
fn chunk_mask(chunk: &[u8; 16]) -> u16 {
    // SAFETY: SSE2 is part of the x86_64 baseline, so every x86_64 processor has it; the
    // function reads nothing but its argument.
    unsafe { chunk_mask_sse2(chunk) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn chunk_mask_sse2(chunk: &[u8; 16]) -> u16 {
    use std::arch::x86_64::*;

    let (low, high) = chunk.split_at(8);
    let word = |half: &[u8]| i64::from_le_bytes(half.try_into().unwrap_or([0; 8]));
    let bytes = _mm_set_epi64x(word(high), word(low));
    let splat = |b: u8| _mm_set1_epi8(b as i8);
    // `x - lo` as an unsigned byte is at most `hi - lo` exactly when lo <= x <= hi.
    let in_range = |x: __m128i, lo: u8, hi: u8| {
        let offset = _mm_sub_epi8(x, splat(lo));
        _mm_cmpeq_epi8(_mm_min_epu8(offset, splat(hi - lo)), offset)
    };
    let letter = in_range(_mm_or_si128(bytes, splat(0x20)), b'a', b'z');
    let digit = in_range(bytes, b'0', b'9');
    let eq = |b: u8| _mm_cmpeq_epi8(bytes, splat(b));
    let symbol = _mm_or_si128(
        _mm_or_si128(eq(b'+'), eq(b'/')),
        _mm_or_si128(eq(b'-'), eq(b'_')),
    );
    let all = _mm_or_si128(_mm_or_si128(letter, digit), symbol);
    _mm_movemask_epi8(all) as u16
}

/// One bit per byte of a 16-byte chunk.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn chunk_mask(chunk: &[u8; 16]) -> u16 {
    let mut mask = 0u16;
    for (i, &b) in chunk.iter().enumerate() {
        mask |= (is_base64_byte(b) as u16) << i;
    }
    mask
}

#[inline(always)]
fn is_base64_byte(b: u8) -> bool {
    BASE64_BYTE[b as usize]
}

/// A run of at least [`MIN_BASE64_LEN`] base64 bytes begins at `start`, of which the first
/// `known` are known to be base64: keep it if it is a value that may be encoded.
fn consider_base64_run(h: &[u8], start: usize, known: usize, out: &mut Vec<Candidate>) {
    // Most long runs in source code are identifiers and paths, not values: look behind first.
    if !in_value_position(h, start) {
        return;
    }
    let mut run_end = start + known.max(MIN_BASE64_LEN);
    while run_end < h.len() && is_base64_byte(h[run_end]) {
        run_end += 1;
    }
    let mut end = run_end;
    while end < h.len() && h[end] == b'=' && end - run_end < 2 {
        end += 1;
    }
    let len = run_end - start;
    if (MIN_BASE64_LEN..=MAX_BASE64_LEN).contains(&len)
        && ends_value(h, end)
        && looks_like_base64(&h[start..run_end])
    {
        out.push(Candidate {
            span: start..end,
            encoding: Encoding::Base64,
        });
    }
}

/// Right after a quote, `>` or backtick, after `=`/`:` and optional spaces, or after `>` and
/// white space (`<secret>\n    cGFzcw==\n</secret>`).
fn in_value_position(h: &[u8], start: usize) -> bool {
    let back_over = |set: &[u8]| {
        let mut j = start;
        while j > 0 && set.contains(&h[j - 1]) {
            j -= 1;
        }
        j
    };
    let j = back_over(b" ");
    match j.checked_sub(1).map(|k| h[k]) {
        Some(b'"' | b'\'' | b'>' | b'`') if j == start => true,
        Some(b'=' | b':') => true,
        _ => {
            let j = back_over(b" \t\r\n");
            j < start && j > 0 && h[j - 1] == b'>'
        }
    }
}

/// Mixed character classes: plain words and hex digests are not worth decoding.
fn looks_like_base64(s: &[u8]) -> bool {
    let upper = s.iter().any(u8::is_ascii_uppercase);
    let lower = s.iter().any(u8::is_ascii_lowercase);
    let digit = s.iter().any(u8::is_ascii_digit);
    upper && lower && (digit || s.len() >= 24)
}

fn ends_value(h: &[u8], end: usize) -> bool {
    matches!(
        h.get(end),
        None | Some(
            b'"' | b'\'' | b'`' | b'<' | b',' | b';' | b'\n' | b'\r' | b' ' | b'\t' | b'}' | b')'
        )
    )
}

/// The key a value starting at `value_start` is assigned to (`password` in
/// `password: cGFzcw==`), if any: `name: `, `name=`, `"name": "`, `<name>`. The decoded value is
/// scanned in that context, so that name-based rules still apply.
pub fn key_before(h: &[u8], value_start: usize) -> Option<Range<usize>> {
    let line_start = memchr::memrchr(b'\n', &h[..value_start]).map_or(0, |i| i + 1);
    let before = &h[line_start..value_start];
    let mut j = before.len();
    let skip = |j: &mut usize, set: &[u8]| {
        while *j > 0 && set.contains(&before[*j - 1]) {
            *j -= 1;
        }
    };
    skip(&mut j, b" \t\"'`>");
    if j == 0 || !matches!(before[j - 1], b':' | b'=') {
        return None;
    }
    j -= 1;
    skip(&mut j, b" \t\"'");
    let end = j;
    while j > 0 && (before[j - 1].is_ascii_alphanumeric() || b"_.-".contains(&before[j - 1])) {
        j -= 1;
    }
    (j < end).then(|| line_start + j..line_start + end)
}

/// Tokens with at least two `%XX` escapes (a percent-encoded URL or value).
fn find_percent(h: &[u8], out: &mut Vec<Candidate>) {
    let mut from = 0;
    while let Some(p) = memchr::memchr(b'%', &h[from..]).map(|p| from + p) {
        from = consider_percent(h, p, out);
    }
}

/// Keeps the token around the `%` at `p` if it is percent-encoded; returns where the next `%`
/// worth looking at may be (a token is measured once, from its first escape).
fn consider_percent(h: &[u8], p: usize, out: &mut Vec<Candidate>) -> usize {
    let is_escape = |p: usize| {
        h.get(p + 1..p + 3)
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    };
    // Format strings (`%s`, `%d`) are the usual `%` in code: only an escape starts a token
    // worth measuring.
    if !is_escape(p) {
        return p + 1;
    }
    let start = token_start(h, p);
    let end = token_end(h, p);
    let token = &h[start..end];
    let escapes = token
        .windows(3)
        .filter(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
        .count();
    if escapes >= 2 && token.len() >= MIN_BASE64_LEN {
        out.push(Candidate {
            span: start..end,
            encoding: Encoding::Percent,
        });
    }
    end.max(p + 1)
}

fn is_token_byte(b: u8) -> bool {
    !(b.is_ascii_whitespace() || b"\"'`<>(){}[],;".contains(&b))
}

fn token_start(h: &[u8], mut i: usize) -> usize {
    while i > 0 && is_token_byte(h[i - 1]) {
        i -= 1;
    }
    i
}

fn token_end(h: &[u8], mut i: usize) -> usize {
    while i < h.len() && is_token_byte(h[i]) {
        i += 1;
    }
    i
}

/// Decodes a candidate into `decoded` (emptied first) and says whether the result is text
/// worth scanning. Almost no base64-looking value in source code is (a few in 10,000 are), so
/// the buffer is the caller's, kept from one candidate to the next.
pub fn decode_into(encoding: Encoding, encoded: &[u8], decoded: &mut Vec<u8>) -> bool {
    decoded.clear();
    let ok = match encoding {
        Encoding::Base64 => decode_base64(encoded, decoded),
        Encoding::Percent => {
            decoded.extend(percent_encoding::percent_decode(encoded));
            true
        }
    };
    ok && decoded.len() >= 6 && decoded[..] != *encoded && is_text(decoded)
}

fn decode_base64(encoded: &[u8], decoded: &mut Vec<u8>) -> bool {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let trimmed = encoded
        .strip_suffix(b"==")
        .or_else(|| encoded.strip_suffix(b"="))
        .unwrap_or(encoded);
    let url_safe = trimmed.iter().any(|&b| b == b'-' || b == b'_');
    let engine = match (url_safe, trimmed.len() == encoded.len()) {
        (false, true) => &STANDARD_NO_PAD,
        (false, false) => &STANDARD,
        (true, true) => &URL_SAFE_NO_PAD,
        (true, false) => &URL_SAFE,
    };
    engine.decode_vec(encoded, decoded).is_ok()
}

/// Printable ASCII and common whitespace, or valid UTF-8 text.
fn is_text(data: &[u8]) -> bool {
    let printable = data
        .iter()
        .filter(|&&b| (0x20..0x7f).contains(&b) || b == b'\n' || b == b'\r' || b == b'\t')
        .count();
    printable as f64 >= data.len() as f64 * MIN_PRINTABLE
        || (std::str::from_utf8(data).is_ok() && !data.contains(&0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes a candidate; `None` unless the result is text worth scanning.
    fn decode(encoding: Encoding, encoded: &[u8]) -> Option<Vec<u8>> {
        let mut decoded = Vec::new();
        decode_into(encoding, encoded, &mut decoded).then_some(decoded)
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn finds_base64_values_with_their_keys() {
        let text = format!(
            "data:\n  password: {}\n  user: {}\n",
            b64("S3cr3t-P4ss!w0rd"),
            b64("admin")
        );
        let c = candidates(text.as_bytes());
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(&text[c[0].span.clone()], b64("S3cr3t-P4ss!w0rd"));
        let name = key_before(text.as_bytes(), c[0].span.start).unwrap();
        assert_eq!(&text[name], "password");
        let decoded = decode(c[0].encoding, text[c[0].span.clone()].as_bytes()).unwrap();
        assert_eq!(decoded, b"S3cr3t-P4ss!w0rd");
    }

    #[test]
    fn json_and_xml_values() {
        let v = b64("token=ghp_abcdefghijklmnopqrstuvwxyz0123456789");
        for text in [
            format!("{{\"blob\": \"{v}\"}}"),
            format!("<value>{v}</value>"),
            format!("<config>\n  <value>\n    {v}\n  </value>\n</config>"),
            format!("<value>\r\n\t{v}\r\n</value>"),
        ] {
            let c = candidates(text.as_bytes());
            assert_eq!(c.len(), 1, "{text}");
            assert_eq!(&text[c[0].span.clone()], v);
        }
        // Indented code is not a value.
        let code = format!("fn f() {{\n    {v}\n}}\nlet x = 1;\n    {v}\n");
        assert!(candidates(code.as_bytes()).is_empty(), "{code}");
    }

    #[test]
    fn identifiers_digests_and_binary_are_left_alone() {
        let text =
            "fn get_user_profile_data(x) {}\nsha: 3f786850e387550fdab836ed7e6dc881de23001b\n";
        assert!(candidates(text.as_bytes()).is_empty());
        let png = base64::engine::general_purpose::STANDARD.encode([
            0x89u8, b'P', b'N', b'G', 0, 1, 2, 3, 255, 254, 0, 0, 7, 8, 9, 10,
        ]);
        assert!(decode(Encoding::Base64, png.as_bytes()).is_none());
    }

    #[test]
    fn percent_encoded_urls() {
        let text = "url=https%3A%2F%2Fhooks.example.invalid%2Fservices%2FT000&x=1";
        let c = candidates(text.as_bytes());
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].encoding, Encoding::Percent);
        let d = decode(Encoding::Percent, text[c[0].span.clone()].as_bytes()).unwrap();
        assert!(String::from_utf8(d)
            .unwrap()
            .contains("https://hooks.example.invalid/services/T000"));
    }

    #[test]
    fn url_safe_and_unpadded() {
        let raw = "a?b>c~d?e>f~g?h>i~j?k";
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        assert!(url.contains('-') || url.contains('_'));
        assert_eq!(
            decode(Encoding::Base64, url.as_bytes()).unwrap(),
            raw.as_bytes()
        );
    }

    #[test]
    fn runs_across_block_boundaries_and_at_the_edges() {
        let value = b64("S3cr3t-P4ss!w0rd-and-more");
        for pad in [0usize, 1, 40, 50, 63, 64, 65, 100, 127, 128] {
            let text = format!("{}x=\"{value}\"", " ".repeat(pad));
            let c = candidates(text.as_bytes());
            assert_eq!(c.len(), 1, "pad {pad}");
            assert_eq!(&text[c[0].span.clone()], value, "pad {pad}");
            let text = format!("{}={value}", "y".repeat(pad));
            let c = candidates(text.as_bytes());
            assert!(c.len() <= 1, "pad {pad}");
        }
        // A run of exactly 16 at the very end, and one of 15 (too short).
        assert_eq!(candidates(b"k: aB3dEf7hIj1lMn0p").len(), 1);
        assert!(candidates(b"k: aB3dEf7hIj1lMn0").is_empty());
    }

    #[test]
    fn chunk_mask_agrees_with_the_byte_table() {
        // The 16-byte path, used where there is no AVX-512.
        for start in (0..=240u8).step_by(16) {
            let chunk: [u8; 16] = std::array::from_fn(|i| start + i as u8);
            let mask = chunk_mask(&chunk);
            for (i, &b) in chunk.iter().enumerate() {
                assert_eq!(mask >> i & 1 == 1, BASE64_BYTE[b as usize], "byte {b}");
            }
        }
    }

    #[test]
    fn vector_and_scalar_candidate_searches_agree() {
        // Values after quotes, `=`, `:` and runs of spaces, and percent-encoded tokens, crossing
        // 64-byte blocks at every offset; the scalar search checks each run's position byte by
        // byte and finds `%` with a search of its own.
        let pieces: [&[u8]; 22] = [
            b"%2F",
            b"%s",
            b"%41%42",
            b"a%2Fb%3Dc/d%20efg",
            "\u{e9}".as_bytes(),
            b"\xff\x80",
            b"=",
            b":",
            b" ",
            b"    ",
            b"\"",
            b"'",
            b">",
            b"`",
            b"key",
            b"::",
            b"\n",
            b"x ",
            b"aB3dEf7hIj1lMn0p",
            b"aB3dEf7hIj1lMn0",
            b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldY",
            b"c2VjcmV0LXZhbHVlLTEyMzQ1Njc4OTA=",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let (mut found, mut percent) = (0, 0);
        for _ in 0..200 {
            let mut text = Vec::new();
            while text.len() < 700 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.extend_from_slice(pieces[(state % pieces.len() as u64) as usize]);
            }
            let vector = candidates(&text);
            let mut scalar = Vec::new();
            find_base64_with(&text, &mut scalar, block_mask, None);
            find_percent(&text, &mut scalar);
            assert_eq!(vector, scalar, "{}", String::from_utf8_lossy(&text));
            found += vector.len();
            percent += vector
                .iter()
                .filter(|c| c.encoding == Encoding::Percent)
                .count();
        }
        assert!(found > 1000, "{found}");
        assert!(percent > 100, "{percent}");
    }

    #[test]
    fn block_mask_agrees_with_the_byte_table() {
        let all: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
        for from in [0usize, 1, 7, 64, 100, 200, 448, 500] {
            let masks = block_mask(&all, from);
            for i in 0..64 {
                let expected = all.get(from + i).is_some_and(|&b| BASE64_BYTE[b as usize]);
                assert_eq!(masks.base64 >> i & 1 == 1, expected, "byte at {}", from + i);
                // A superset of the bytes a value can follow.
                if all.get(from + i).is_some_and(|b| b"\"'>`=: ".contains(b)) {
                    assert_eq!(masks.before_value >> i & 1, 1, "byte at {}", from + i);
                }
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn vector_block_mask_classifies_every_byte() {
        if !(std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vbmi"))
        {
            eprintln!("skipped: this processor has no AVX-512 VBMI");
            return;
        }
        // Every byte once, then spaces after a word, after `=`, after `:` and after a space,
        // and white space after `>` and after white space.
        let mut all: Vec<u8> = (0..=255u8).collect();
        all.extend_from_slice(b"ab c= d: e  f \"g'h>i`j<k>\n\t l>\r\nm\tn");
        all.resize(all.len().next_multiple_of(64), b'x');
        for block in all.chunks(64) {
            // SAFETY: the features were checked above; each chunk has 64 bytes.
            let masks = unsafe { block_mask_avx512(block) };
            for (i, &b) in block.iter().enumerate() {
                assert_eq!(
                    masks.base64 >> i & 1 == 1,
                    BASE64_BYTE[b as usize],
                    "byte {b}"
                );
                // A space counts after `=`, `:`, a space or at the block's start; any white
                // space after white space, a quote or `>`.
                let white_before = |i: usize| i == 0 || b" \t\r\n\"'>`".contains(&block[i - 1]);
                let before = match b {
                    b' ' => white_before(i) || b"=:".contains(&block[i - 1]),
                    b'\t' | b'\r' | b'\n' => white_before(i),
                    _ => b"\"'>`=:".contains(&b),
                };
                assert_eq!(masks.before_value >> i & 1 == 1, before, "byte {b} at {i}");
            }
        }
    }

    mod properties {
        use super::super::*;
        use base64::engine::general_purpose::{
            STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD,
        };
        use proptest::prelude::*;

        /// Text that decoding keeps: printable ASCII and the usual white space.
        fn text() -> impl Strategy<Value = String> {
            "[ -~\t\n]{6,80}"
        }

        proptest! {
            #[test]
            fn base64_of_any_bytes_decodes_to_them(
                bytes in prop::collection::vec(any::<u8>(), 0..200),
                alphabet in 0usize..4,
            ) {
                let engine = [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD][alphabet];
                let encoded = engine.encode(&bytes);
                let mut decoded = Vec::new();
                prop_assert!(decode_base64(encoded.as_bytes(), &mut decoded), "{encoded}");
                prop_assert_eq!(&decoded, &bytes);
                // What decode_into keeps, it keeps whole.
                if decode_into(Encoding::Base64, encoded.as_bytes(), &mut decoded) {
                    prop_assert_eq!(&decoded, &bytes);
                }
            }

            #[test]
            fn base64_of_text_is_kept_and_decoded(text in text(), alphabet in 0usize..4) {
                let engine = [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD][alphabet];
                let encoded = engine.encode(&text);
                let mut decoded = Vec::new();
                prop_assert!(decode_into(Encoding::Base64, encoded.as_bytes(), &mut decoded));
                prop_assert_eq!(decoded, text.as_bytes());
            }

            #[test]
            fn percent_encoding_of_any_bytes_decodes_to_them(
                bytes in prop::collection::vec(any::<u8>(), 0..200),
            ) {
                let encoded: String =
                    percent_encoding::percent_encode(&bytes, percent_encoding::NON_ALPHANUMERIC)
                        .collect();
                let mut decoded = Vec::new();
                if decode_into(Encoding::Percent, encoded.as_bytes(), &mut decoded) {
                    prop_assert_eq!(&decoded, &bytes);
                }
                // Text is kept, unless encoding changed nothing.
                if bytes.len() >= 6 && encoded.as_bytes() != bytes && is_text(&bytes) {
                    prop_assert!(decode_into(Encoding::Percent, encoded.as_bytes(), &mut decoded));
                    prop_assert_eq!(&decoded, &bytes);
                }
            }

            /// A fuzz harness: arbitrary bytes, and bytes made of what encoded values are made of.
            #[test]
            fn any_bytes_give_candidates_in_bounds_and_never_panic(
                bytes in prop_oneof![
                    prop::collection::vec(any::<u8>(), 0..400),
                    prop::collection::vec(prop::sample::select(&b"aZ09+/-_=%2F: \"'>`\n"[..]), 0..400),
                ],
                at in any::<prop::sample::Index>(),
            ) {
                let found = candidates(&bytes);
                let mut scalar = Vec::new();
                find_base64_with(&bytes, &mut scalar, block_mask, None);
                find_percent(&bytes, &mut scalar);
                prop_assert_eq!(&found, &scalar);
                for pair in found.windows(2) {
                    if pair[0].encoding == pair[1].encoding {
                        prop_assert!(pair[0].span.end <= pair[1].span.start, "{:?}", pair);
                    }
                }
                let mut decoded = Vec::new();
                for c in &found {
                    prop_assert!(c.span.start < c.span.end && c.span.end <= bytes.len());
                    decode_into(c.encoding, &bytes[c.span.clone()], &mut decoded);
                }
                decode_into(Encoding::Base64, &bytes, &mut decoded);
                decode_into(Encoding::Percent, &bytes, &mut decoded);
                let at = at.index(bytes.len() + 1);
                if let Some(key) = key_before(&bytes, at) {
                    let line_start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
                    prop_assert!(line_start <= key.start && key.start < key.end && key.end < at);
                }
            }

            #[test]
            fn an_encoded_value_after_a_key_is_a_candidate(
                text in text(),
                key in "[a-z_]{1,12}",
                operator in prop::sample::select(&[": ", "=", " = \"", ">", ": '"][..]),
            ) {
                let encoded = STANDARD.encode(&text);
                let run = encoded.trim_end_matches('=');
                let line = format!("{key}{operator}{encoded}\n");
                let found = candidates(line.as_bytes());
                let start = key.len() + operator.len();
                let expected = Candidate { span: start..start + encoded.len(), encoding: Encoding::Base64 };
                let worth = run.len() >= MIN_BASE64_LEN && looks_like_base64(run.as_bytes());
                prop_assert_eq!(found.contains(&expected), worth, "{:?}", found);
                // The key is the name before `:` or `=` (not an XML element's: `<name>` has none).
                if worth && operator != ">" {
                    prop_assert_eq!(key_before(line.as_bytes(), start), Some(0..key.len()));
                }
            }
        }
    }

    /// The engine looks through as many layers of encoding as it is told to, and no more.
    mod depth {
        use base64::Engine as _;
        use proptest::prelude::*;

        use crate::engine::{Encoding, Engine, EngineOptions};
        use crate::rules::RuleSet;
        use crate::test_support::DEMO_RULE;

        /// Engines over the demo rule that decode 0 to 3 layers.
        fn engines() -> &'static [Engine] {
            static ENGINES: std::sync::OnceLock<Vec<Engine>> = std::sync::OnceLock::new();
            ENGINES.get_or_init(|| {
                (0..4)
                    .map(|decode_depth| {
                        let mut rules = RuleSet::default();
                        rules
                            .add_toml("demo.toml", DEMO_RULE, true)
                            .expect("demo rule");
                        let options = EngineOptions {
                            decode_depth,
                            ..EngineOptions::default()
                        };
                        Engine::with_options(rules, options).expect("engine")
                    })
                    .collect()
            })
        }

        proptest! {
            #[test]
            fn a_secret_is_found_through_at_most_the_decode_depth(
                token in "[a-z0-9]{8}",
                layers in prop::collection::vec(any::<bool>(), 0..4),
                depth in 0usize..4,
            ) {
                let secret = format!("demo_{token}");
                let mut text = format!("t = {secret}");
                // Each layer is a value after a key: base64, or percent-encoded (`true`).
                for &percent in &layers {
                    let encoded = if percent {
                        percent_encoding::percent_encode(
                            text.as_bytes(),
                            percent_encoding::NON_ALPHANUMERIC,
                        )
                        .to_string()
                    } else {
                        base64::engine::general_purpose::STANDARD.encode(&text)
                    };
                    text = format!("v: {encoded}");
                }
                let found = engines()[depth].scan(text.as_bytes());
                if layers.len() > depth {
                    prop_assert!(found.is_empty(), "{:?}", found);
                } else {
                    prop_assert_eq!(found.len(), 1, "{:?}", found);
                    let m = &found[0];
                    match (&m.decoded, layers.last()) {
                        (None, None) => prop_assert_eq!(&text.as_bytes()[m.secret.clone()], secret.as_bytes()),
                        (Some((value, encoding)), Some(&percent)) => {
                            prop_assert_eq!(&value[..], secret.as_bytes());
                            let outer = if percent { Encoding::Percent } else { Encoding::Base64 };
                            prop_assert_eq!(*encoding, outer);
                            prop_assert_eq!(m.secret.clone(), 3..text.len());
                        }
                        other => prop_assert!(false, "{:?}", other),
                    }
                }
            }
        }
    }
}
