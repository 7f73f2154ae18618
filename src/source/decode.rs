//! Turning raw bytes into text the engine can scan: binary detection and UTF-16 transcoding.
//!
//! Bytes that are not valid UTF-8 are still scanned as they are (secrets are ASCII); only
//! content with a NUL byte near its start is binary, unless a UTF-16 byte-order mark says it is
//! UTF-16 text, which is transcoded to UTF-8 so that line and column numbers stay right.

use std::borrow::Cow;

/// How many leading bytes are looked at for a NUL (what git and ripgrep do, roughly).
const BINARY_SNIFF_LEN: usize = 8 * 1024;

/// The scannable text of `data`, or `None` if it is binary.
pub fn text_of(data: &[u8]) -> Option<Cow<'_, [u8]>> {
    if let Some(rest) = data.strip_prefix(b"\xff\xfe") {
        return Some(Cow::Owned(from_utf16(rest, u16::from_le_bytes)));
    }
    if let Some(rest) = data.strip_prefix(b"\xfe\xff") {
        return Some(Cow::Owned(from_utf16(rest, u16::from_be_bytes)));
    }
    let sniff = &data[..data.len().min(BINARY_SNIFF_LEN)];
    if memchr::memchr(0, sniff).is_some() {
        return None;
    }
    Some(Cow::Borrowed(data))
}

fn from_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Vec<u8> {
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let text: String = char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    text.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(text_of(b"hello\n"), Some(Cow::Borrowed(_))));
        assert!(matches!(
            text_of(b"caf\xe9 latin-1"),
            Some(Cow::Borrowed(_))
        ));
    }

    #[test]
    fn nul_means_binary() {
        assert!(text_of(b"\x7fELF\x02\x01\x01\x00rest").is_none());
    }

    #[test]
    fn utf16_is_transcoded() {
        let mut le = vec![0xff, 0xfe];
        le.extend("a=b\r\nTOKEN=x".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(text_of(&le).unwrap().as_ref(), b"a=b\r\nTOKEN=x");
        let mut be = vec![0xfe, 0xff];
        be.extend("hi".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(text_of(&be).unwrap().as_ref(), b"hi");
    }
}
