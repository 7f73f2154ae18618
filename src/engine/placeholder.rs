//! The built-in placeholder filter: values that sit where a secret goes but are not one.
//!
//! Templating and variable references (`${DB_PASSWORD}`, `{{ token }}`, `%(pw)s`, `<password>`),
//! environment lookups in code (`os.environ[...]`, `process.env.X`), masks (`********`,
//! `xxxxxxxx`, `sk_live_XXXXXXXX...`), documentation values (`AKIAIOSFODNN7EXAMPLE`) and the
//! handful of words people type instead of a secret (`changeme`, `your-token-here`).
//! It applies to every rule unless the rule sets `filter_placeholders = false`.

/// Prefixes of references to a value kept elsewhere.
const REFERENCE_PREFIXES: &[&str] = &[
    "${",
    "{{",
    "$(",
    "%(",
    "#{",
    "@{",
    "{%",
    "<%",
    "[[",
    "os.environ",
    "os.getenv",
    "process.env",
    "import.meta.env",
    "system.getenv",
    "env(",
    "env.",
    "env[",
    "getenv(",
    "var.",
    "local.",
    "secrets.",
    "vault:",
    "ssm:",
    "arn:aws:secretsmanager",
    "$env:",
    "%env",
    "!ref",
    "!sub",
    "!secret",
    "settings.",
    "config.",
    "params.",
    "args.",
    "options.",
    "opts.",
    "this.",
    "self.",
];

/// Substrings (compared lowercase) that only placeholders and documentation contain.
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "placeholder",
    "your_",
    "your-",
    "yourpass",
    "yourtoken",
    "yourkey",
    "yoursecret",
    "redacted",
    "replace_me",
    "replaceme",
    "replace-me",
    "replace_with",
    "dummy",
    "fake_",
    "fake-",
    "insert_",
    "insert-",
    "enter_your",
    "enter-your",
    "put_your",
    "xxxx",
    "notreal",
    "not_real",
    "not-a-real",
    "not_a_real",
    "12345678",
    "abcdefgh",
    // Counting, as documentation samples do (`abcd1234defg5678`, `a1b2c3d4567890ab`,
    // `1a2b3c4d-5e6f-...`): six in a row is a few chances in a million in a random hex token.
    "123456",
    "234567",
    "345678",
    "456789",
    "567890",
    "abcdef",
    "a1b2c3",
    "1a2b3c",
    "<",
    "...",
    "\u{2026}",
];

/// Whole values (compared lowercase, `-` read as `_`) that stand in for a secret.
const PLACEHOLDER_VALUES: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "secret",
    "token",
    "apikey",
    "api_key",
    "key",
    "test",
    "testing",
    "test123",
    "testpass",
    "testpassword",
    "none",
    "null",
    "nil",
    "undefined",
    "true",
    "false",
    "admin",
    "root",
    "guest",
    "default",
    "empty",
    "string",
    "value",
    "foo",
    "bar",
    "foobar",
    "baz",
    "required",
    "optional",
    "123456",
    "qwerty",
    "abc123",
    "letmein",
    "secret123",
    "password1",
    "password123",
    "p@ssw0rd",
    "passw0rd",
    "s3cr3t",
    "community",
    "community_string",
    "snmp_community",
    "your_community",
    "mypassword",
    "mysecret",
    "mytoken",
    "sometoken",
    "somesecret",
    "somepassword",
    "tbd",
    "todo",
    "fixme",
    "n/a",
];

/// One search for all of [`PLACEHOLDER_WORDS`], built on first use: a search per word (a
/// memmem searcher built per call) was 1-2% of a scan of the corpus, where thousands of
/// candidate values are checked.
fn placeholder_words() -> &'static aho_corasick::AhoCorasick {
    static WORDS: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        aho_corasick::AhoCorasick::new(PLACEHOLDER_WORDS)
            .unwrap_or_else(|e| unreachable!("fixed placeholder words always build: {e}"))
    })
}

/// Is `secret` a placeholder rather than a real value?
pub fn is_placeholder(secret: &[u8]) -> bool {
    let lower = secret.to_ascii_lowercase();
    let lower = lower.trim_ascii();
    if lower.is_empty() {
        return true;
    }
    if REFERENCE_PREFIXES
        .iter()
        .any(|p| lower.starts_with(p.as_bytes()))
    {
        return true;
    }
    if is_shell_variable(lower)
        || is_wrapped(lower)
        || has_format_slot(lower)
        || is_named_slot(lower)
    {
        return true;
    }
    if placeholder_words().is_match(lower) {
        return true;
    }
    let normalized: Vec<u8> = lower
        .iter()
        .map(|&b| if b == b'-' { b'_' } else { b })
        .collect();
    if PLACEHOLDER_VALUES
        .iter()
        .any(|v| v.as_bytes() == normalized.as_slice())
    {
        return true;
    }
    is_mask(secret) || is_counting(lower) || is_base64_of_prose(secret.trim_ascii())
}

/// Counting in steps of one for three quarters of the value or more, in runs of four or more
/// (`abcd1234defg5678`, `1234abcd5678efgh`): documentation samples. In a random token such a
/// run turns up a few times in a hundred thousand values, and covers a handful of bytes.
fn is_counting(lower: &[u8]) -> bool {
    if lower.len() < 12 {
        return false;
    }
    let counted: usize = lower
        .chunk_by(|a, b| {
            a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric() && b.wrapping_sub(*a) == 1
        })
        .map(<[u8]>::len)
        .filter(|&n| n >= 4)
        .sum();
    counted * 4 >= lower.len() * 3
}

/// Base64 of a sentence (`dGhpcyBpcyBub3QgYSByZWFsIHZhbHVl`, "this is not a real value"): test
/// data that looks random until decoded. A key decodes to random bytes, and credentials that
/// are text (`user:password`, JSON) have punctuation: only letters, spaces and a few marks with
/// at least two spaces read as prose.
fn is_base64_of_prose(s: &[u8]) -> bool {
    use base64::Engine as _;
    if s.len() < 16 {
        return false;
    }
    let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(
            s.strip_suffix(b"==")
                .or_else(|| s.strip_suffix(b"="))
                .unwrap_or(s),
        )
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s));
    let Ok(text) = decoded else {
        return false;
    };
    text.iter().filter(|&&b| b == b' ').count() >= 2
        && text
            .iter()
            .all(|&b| b.is_ascii_alphabetic() || b" ,.'!?-".contains(&b))
}

/// A format string's slot inside the value: `{}`, `{0}`, `{:>8}` (Rust, Python, C#): the
/// literal is a template that is filled in at run time (`format!("password = \"x{}\"", pw)`),
/// not a secret.
fn has_format_slot(s: &[u8]) -> bool {
    memchr::memchr_iter(b'{', s).any(|i| {
        let rest = &s[i + 1..];
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        matches!(rest.get(digits), Some(b'}')) || (digits == 0 && rest.first() == Some(&b':'))
    })
}

/// A value that is one named slot of a format string or f-string: `{password}`,
/// `{body[:18]}`, `{cfg['db']}`, `{pw!r}` (Python, C#, Rust): the real value is filled in at
/// run time. Only a whole value counts, so a password with `{word}` inside is still reported.
fn is_named_slot(s: &[u8]) -> bool {
    const EXPRESSION: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_.[]:'\"!->^+ ";
    match s {
        [b'{', first, inner @ .., b'}'] => {
            (first.is_ascii_lowercase() || *first == b'_')
                && inner.iter().all(|b| EXPRESSION.contains(b))
        }
        _ => false,
    }
}

/// `$DB_PASSWORD`, `$password`.
fn is_shell_variable(s: &[u8]) -> bool {
    s.len() > 1
        && s[0] == b'$'
        && s[1..]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `<token>`, `[password]`, `__TOKEN__`, `@PASSWORD@`, `%PASSWORD%`.
fn is_wrapped(s: &[u8]) -> bool {
    let (first, last) = match (s.first(), s.last()) {
        (Some(&f), Some(&l)) if s.len() >= 3 => (f, l),
        _ => return false,
    };
    matches!(
        (first, last),
        (b'<', b'>') | (b'[', b']') | (b'@', b'@') | (b'%', b'%')
    ) || (s.starts_with(b"__") && s.ends_with(b"__"))
}

/// Masked or filler values: mostly one repeated character (`********`, `sk_live_XXXX...`,
/// `xoxb-000000000000-...`), or too few distinct characters to be random.
fn is_mask(s: &[u8]) -> bool {
    if s.iter().all(|&b| b == b'*') {
        // `https://***:***@proxy`, however short.
        return true;
    }
    let in_long_runs = runs(s).filter(|&n| n >= 4).sum::<usize>();
    if in_long_runs * 2 > s.len() {
        return true;
    }
    let mut seen = [false; 256];
    let mut distinct = 0;
    for &b in s {
        if !seen[b as usize] {
            seen[b as usize] = true;
            distinct += 1;
        }
    }
    s.len() >= 6 && distinct <= 2
}

/// Lengths of the runs of one repeated byte.
fn runs(s: &[u8]) -> impl Iterator<Item = usize> + '_ {
    s.chunk_by(|a, b| a == b).map(<[u8]>::len)
}

/// Does `value` read like a name in code (`X509RequestInheritOptions`, `_bindgen_ty_7`,
/// `&derived_key`, `Curve25519SeedBin`) rather than a random secret (`Hs5Lm8Qw2Vt6Zp`)?
/// Either snake_case (lowercase letters, digits and underscores, at least one underscore), or
/// made of words: long runs between case changes and digits (random tokens change class every
/// character or two) with vowels among the lowercase letters at least as often as random letters have them (~19%).
pub fn looks_like_identifier(value: &[u8]) -> bool {
    let value = value
        .strip_prefix(b"&")
        .or_else(|| value.strip_prefix(b"*"))
        .unwrap_or(value);
    if value.is_empty()
        || value[0].is_ascii_digit()
        || !value
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return false;
    }
    let letters = value.iter().filter(|b| b.is_ascii_alphabetic()).count();
    if letters == 0 {
        return false;
    }
    if value.contains(&b'_') && !value.iter().any(u8::is_ascii_uppercase) {
        return true;
    }
    let mut segments = 0usize;
    let mut chars = 0usize;
    let mut prev: Option<u8> = None;
    for &b in value {
        if b == b'_' {
            prev = None;
            continue;
        }
        chars += 1;
        let boundary = match prev {
            None => true,
            Some(p) => {
                (p.is_ascii_digit() != b.is_ascii_digit())
                    || (p.is_ascii_lowercase() && b.is_ascii_uppercase())
            }
        };
        segments += usize::from(boundary);
        prev = Some(b);
    }
    // Vowels among lowercase letters: acronyms (`CF`, `NCrypt`) have none, words do.
    let lower = value.iter().filter(|b| b.is_ascii_lowercase()).count();
    let vowels = value.iter().filter(|b| b"aeiou".contains(b)).count();
    lower >= 3 && chars as f64 / segments as f64 >= 3.5 && vowels as f64 / lower as f64 >= 0.2
}

#[cfg(test)]
mod tests {
    use super::{is_placeholder, looks_like_identifier};

    #[test]
    fn base64_of_a_sentence_is_a_placeholder() {
        // "this is not a real value", "keep it secret"
        assert!(is_placeholder(b"dGhpcyBpcyBub3QgYSByZWFsIHZhbHVl"));
        assert!(is_placeholder(b"a2VlcCBpdCBzZWNyZXQgcGxlYXNl"));
        // Random bytes, and text credentials, are not.
        assert!(!is_placeholder(b"Qk8vT1pXc0tmN2dIdjJyYQ"));
        assert!(!is_placeholder(b"YWxhZGRpbjpvcGVuc2VzYW1lMTIz")); // aladdin:opensesame123
    }

    #[test]
    fn identifiers_versus_random_tokens() {
        for id in [
            "X509RequestInheritOptions",
            "_bindgen_ty_7",
            "MI_UserCredentials_0",
            "Curve25519SeedBin",
            "&derived_key",
            "x25519_generate_private_key",
            "vld1q_u64",
            "passwordField",
            "CFStringRef",
            "BCryptDestroySecretFn",
        ] {
            assert!(looks_like_identifier(id.as_bytes()), "{id}");
        }
        for token in [
            "Hs5Lm8Qw2Vt6Zp",
            "q8Zr7TmW2vLx9KpN4dRs",
            "n7Wq2Zr5Xv8Lm4Tk",
            "Zq8!vR2#pLm9xT4w",
            "Bucket#cache2024!",
            "b7Rk2Qz9Xv4Lm8Tn3Wp6",
            "StSboe9nqzhdbJoHXN",
            "kJCYKoMYPyl53M0ijirprDWzwf032Qq",
            "Post$offset822$",
        ] {
            assert!(!looks_like_identifier(token.as_bytes()), "{token}");
        }
    }

    #[test]
    fn placeholders() {
        for p in [
            "changeme",
            "CHANGEME",
            "change_me",
            "<password>",
            "<your-password-here>",
            "YOUR_PASSWORD_HERE",
            "********",
            "xxxxxxxx",
            "REPLACE_ME",
            "${DB_PASSWORD}",
            "{{ vault_db_password }}",
            "%(DB_PASSWORD)s",
            "$(DB_PASSWORD)",
            "<REDACTED>",
            "$DB_PASSWORD",
            "os.environ['X']",
            "process.env.TOKEN",
            "AKIAIOSFODNN7EXAMPLE",
            "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "sk_live_XXXXXXXXXXXXXXXXXXXXXXXX",
            "xoxb-000000000000-0000000000000-xxxxxxxxxxxxxxxxxxxxxxxx",
            "COMMUNITY",
            "<community-string>",
            "YOUR_COMMUNITY",
            "__TOKEN__",
            "password",
            "test",
            "",
            "AIzaXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            "var.db_password",
            "abababab",
            "Zq{}x!Vr8{}",
            "s3cr3t{0}",
            "Pw{:>8}x",
            "{body[:18]}",
            "{password}",
            "{cfg['db']}",
            "{pw!r}",
            "***",
            "abcd1234defg5678",
            "1234ABCD5678efgh",
        ] {
            assert!(
                is_placeholder(p.as_bytes()),
                "{p:?} should be a placeholder"
            );
        }
    }

    #[test]
    fn real_looking_values_pass() {
        for s in [
            "Zq8!vR2#pLm9xT4w",
            "Bucket#cache2024!",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYz9K3LmQ1s2",
            "ghp_R4nd0mB0dyW1thD1g1tsAndL3tters0123",
            "Data.data10?",
            "nms-ro512!",
            "s3cretSauce99",
            "public",
            "private",
            "a{b}c{d}e9",
            "Kx{7Q!m2z",
            "{Xk9#mQ2$vL}",
            "pre{fix}Q7!x",
            "ghp_R4nd0mB0dyW1thD1g1tsAndL3tters0123",
            "Tq8Wm3Zx6Lp2Vr",
            "0x123pK5_VBqv.UQ3kJ4123_",
        ] {
            assert!(
                !is_placeholder(s.as_bytes()),
                "{s:?} should not be a placeholder"
            );
        }
    }
}
