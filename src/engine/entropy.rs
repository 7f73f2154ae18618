//! Shannon entropy of a candidate secret, the cheapest test of "random enough to be a key".

/// Bits of entropy per byte of `data` (0 for empty input, at most 8).
pub fn shannon(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let len = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::shannon;

    #[test]
    fn uniform_and_random() {
        assert_eq!(shannon(b""), 0.0);
        assert_eq!(shannon(b"aaaaaaaa"), 0.0);
        assert!((shannon(b"abab") - 1.0).abs() < 1e-9);
        assert!((shannon(b"0123456789abcdef") - 4.0).abs() < 1e-9);
        assert!(shannon(b"wJalrXUtnFEMI/K7MDENG/bPxRfiCY") > 4.0);
    }
}
