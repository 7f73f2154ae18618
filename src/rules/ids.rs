//! The shape of a rule id, shared with the build script (which checks the named-service tables).

/// `github-pat-classic` yes; `GitHub_PAT`, `-x`, `a--b` no.
pub fn is_kebab_case(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_case() {
        assert!(is_kebab_case("github-pat-classic"));
        assert!(is_kebab_case("aws-access-key-id"));
        assert!(!is_kebab_case("GitHub-pat"));
        assert!(!is_kebab_case("a--b"));
        assert!(!is_kebab_case("-a"));
        assert!(!is_kebab_case("a_b"));
        assert!(!is_kebab_case(""));
    }
}
