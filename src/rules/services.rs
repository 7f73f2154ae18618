//! Named-service keys: one rule per entry of a table of services, as data.
//!
//! Hundreds of SaaS APIs issue keys with no prefix of their own: a 32-hex or 40-character value
//! is recognisable only by the service's name beside it (`ZEROBOUNCE_API_KEY=...`,
//! `"helpscoutToken": "..."`, `ScrapeOwl access key: ...`). Writing a regex for each would be
//! hundreds of copies of one idea, so `patterns/services/*.toml` lists the services (name, how
//! it is written in identifiers, the key's documented alphabet and length) and this module turns
//! each entry into an ordinary rule with the id `<service>-<secret>` (`zerobounce-api-key`):
//! stable, one per service, so that SARIF, `disabled_rules` and `[severity]` can name it.
//!
//! Every generated rule needs, in one identifier or a few words apart, the service's name and a
//! key word (key, token, secret, api, access, auth, password), then an assignment, then a value
//! of the service's shape that passes the entropy, placeholder and identifier filters. The names
//! are the rules' keywords, so the whole table costs the scan one prefilter pass, not one per
//! service.
//!
//! The build (`build.rs`) expands the embedded table; a user rule file may hold `[[services]]`
//! too. Input is a `toml::Value` and output the JSON form of a rule, because the build script
//! has no serde derive: the same code runs in both places.

use serde_json::{json, Value as Json};
use toml::Value as Toml;

/// The fields a `[[services]]` entry may have.
const FIELDS: &[&str] = &["id", "name", "names", "secret", "value", "length", "docs"];

/// The key's alphabet, as documented by the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alphabet {
    Hex,
    Alnum,
    /// `A-Za-z0-9`, `-` and `_`: the default where docs say nothing.
    Token,
    Base64,
    Uuid,
}

impl Alphabet {
    fn parse(name: &str) -> Option<Alphabet> {
        Some(match name {
            "hex" => Alphabet::Hex,
            "alnum" => Alphabet::Alnum,
            "token" => Alphabet::Token,
            "base64" => Alphabet::Base64,
            "uuid" => Alphabet::Uuid,
            _ => return None,
        })
    }

    /// The lengths used when the docs give none: long enough that a word or a short id is not
    /// taken for a key.
    fn default_length(self) -> (usize, usize) {
        match self {
            Alphabet::Hex => (32, 64),
            Alphabet::Alnum | Alphabet::Token => (20, 64),
            Alphabet::Base64 => (20, 88),
            Alphabet::Uuid => (36, 36),
        }
    }

    fn class(self) -> &'static str {
        match self {
            Alphabet::Hex => "[0-9A-Fa-f]",
            Alphabet::Alnum => "[A-Za-z0-9]",
            Alphabet::Token => "[A-Za-z0-9_-]",
            Alphabet::Base64 => "[A-Za-z0-9+/]",
            Alphabet::Uuid => "[0-9A-Fa-f]",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Alphabet::Hex => "hexadecimal",
            Alphabet::Alnum => "alphanumeric",
            Alphabet::Token => "letters, digits, '-' and '_'",
            Alphabet::Base64 => "base64",
            Alphabet::Uuid => "a UUID",
        }
    }

    /// Minimum Shannon entropy in bits per byte: a random value of the shape is well above it,
    /// a repeated or counted placeholder (`aaaa...`, `0123...`) below.
    /// A value of `min_length` can only reach log2(length) bits, so short keys get a lower floor.
    fn entropy(self, min_length: usize) -> f64 {
        let floor: f64 = match self {
            Alphabet::Hex | Alphabet::Uuid => 3.0,
            Alphabet::Alnum | Alphabet::Token | Alphabet::Base64 => 3.3,
        };
        let reachable = (min_length as f64).log2() - 1.0;
        (floor.min(reachable) * 10.0).round() / 10.0
    }
}

/// One validated entry of the table.
#[derive(Debug, Clone)]
pub struct Service {
    id: String,
    name: String,
    /// Each name as its words (`["zero", "bounce"]`), lowercase.
    names: Vec<Vec<String>>,
    secret: String,
    alphabet: Alphabet,
    length: (usize, usize),
    /// Whether the table gave the length (else it is the alphabet's default).
    documented_length: bool,
    docs: Option<String>,
    category: String,
}

/// The key words of which the identifier must hold one (besides the service's name). Words
/// before them (`ACCESS_`, `SECRET_`, `api_`) are taken by the gap between the name and the key
/// word, or precede the match.
///
/// `api` and `access` alone are not among them: `api` occurs every few hundred bytes of some
/// code (aws-sdk-go), and each key word opens a search for the names around it. `API key` and
/// `access token` still count, by their `key` and `token`.
const KEY_WORDS: &str = r"key|token|secret|auth|password|passwd|pwd|credentials?";

/// The shortest key a table may describe. The prefilter opens a search for names only before a
/// value at least this long, with a digit in it (the rules' allowlist drops values without one).
pub const MIN_LENGTH: usize = 12;

/// The most bytes between a name and the key word after it (`_API_` in `ZEROBOUNCE_API_KEY`).
/// With [`GAP_AFTER_KEY_WORD`], it must stay below the prefilter's `NEAR`: the names are searched
/// only that close to a key word.
pub const GAP_AFTER_NAME: usize = 20;
/// The most bytes between a key word and the name after it, less one separator (`API_KEY_X`).
pub const GAP_AFTER_KEY_WORD: usize = 12;

/// What may follow the key word inside the identifier (`_KEY`, `_PROD`, `V2`).
const SUFFIXES: &str = r"(?:[_.-]?(?:key|token|secret|str|string|value|prod|production|live|test|sandbox|dev|staging|v[0-9]|[0-9]{1,2})){0,2}";

/// From the end of an identifier to the start of its value: a closing quote or bracket, then
/// `=`, `:`, `:=`, `=>`, `?=`, `,` or `(` (or only blanks, for CLI flags and prose), then an
/// opening quote.
const ASSIGNMENT: &str =
    r#"(?:\\?["'`])?\]?(?:[\x20\t]*(?:=>|:=|\?=|[=:,(])[\x20\t]*|[\x20\t]+)(?:\\?["'`])?"#;

impl Service {
    /// Reads one `[[services]]` entry of `category` (the file's stem).
    pub fn from_toml(entry: &Toml, category: &str) -> Result<Service, String> {
        let table = entry
            .as_table()
            .ok_or("each [[services]] entry must be a table")?;
        let id = string_field(entry, "id")?.ok_or("id is missing")?;
        let fail = |message: String| format!("service '{id}': {message}");
        if let Some(unknown) = table.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(fail(format!(
                "unknown field '{unknown}' (known: {})",
                FIELDS.join(", ")
            )));
        }
        if !super::ids::is_kebab_case(&id) {
            return Err(fail("id must be kebab-case".into()));
        }
        let name = string_field(entry, "name")
            .map_err(&fail)?
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| fail("name is missing".into()))?;
        let written: Vec<String> = match entry.get("names") {
            None => vec![id.replace('-', " ")],
            Some(Toml::Array(names)) => names
                .iter()
                .map(|n| n.as_str().map(str::to_string))
                .collect::<Option<_>>()
                .ok_or_else(|| fail("names must be a list of strings".into()))?,
            Some(_) => return Err(fail("names must be a list of strings".into())),
        };
        if written.is_empty() {
            return Err(fail("names must not be empty".into()));
        }
        let mut names = Vec::new();
        for n in &written {
            let words: Vec<String> = n.split_whitespace().map(str::to_string).collect();
            let compact: String = words.concat();
            if compact.len() < 5
                || !compact
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            {
                return Err(fail(format!(
                    "name {n:?} must be lowercase letters and digits (a space for an optional \
                     separator), at least 5 of them"
                )));
            }
            names.push(words);
        }
        let secret = string_field(entry, "secret")
            .map_err(&fail)?
            .unwrap_or_else(|| "API key".to_string());
        if slug(&secret).is_empty() {
            return Err(fail("secret must name the value, e.g. \"API key\"".into()));
        }
        let alphabet = match string_field(entry, "value").map_err(&fail)? {
            None => Alphabet::Token,
            Some(v) => Alphabet::parse(&v).ok_or_else(|| {
                fail(format!(
                    "value {v:?} is not one of hex, alnum, token, base64, uuid"
                ))
            })?,
        };
        let length = match entry.get("length") {
            _ if alphabet == Alphabet::Uuid => (36, 36),
            None => {
                let (min, max) = alphabet.default_length();
                (min as i64, max as i64)
            }
            Some(Toml::Integer(n)) => (*n, *n),
            Some(Toml::Array(pair)) => match pair.as_slice() {
                [Toml::Integer(min), Toml::Integer(max)] => (*min, *max),
                _ => return Err(fail("length must be N or [MIN, MAX]".into())),
            },
            Some(_) => return Err(fail("length must be N or [MIN, MAX]".into())),
        };
        let length = match (usize::try_from(length.0), usize::try_from(length.1)) {
            (Ok(min), Ok(max)) if (MIN_LENGTH..=256).contains(&min) && min <= max && max <= 256 => {
                (min, max)
            }
            _ => {
                return Err(fail(
                    "length must be between 12 and 256, and MIN <= MAX".into(),
                ))
            }
        };
        let docs = string_field(entry, "docs").map_err(&fail)?;
        Ok(Service {
            id,
            name,
            names,
            secret,
            alphabet,
            length,
            documented_length: entry.get("length").is_some() || alphabet == Alphabet::Uuid,
            docs,
            category: category.to_string(),
        })
    }

    /// The generated rule's id: `zerobounce-api-key`.
    pub fn rule_id(&self) -> String {
        format!("{}-{}", self.id, slug(&self.secret))
    }

    /// The regex of the rule: the name and a key word in one identifier, either order, then
    /// an assignment and the value.
    fn regex(&self) -> String {
        let separator = r"[_.\x20-]?";
        let name = self
            .names
            .iter()
            .map(|words| words.join(separator))
            .collect::<Vec<_>>()
            .join("|");
        // The name starts a word: after a byte that is not a letter, or capitalised after a
        // small letter (`myZeroBounceKey`). `pcloud` is not in `upcloud`, `ipapi` not in
        // `aftershipApiKey`.
        let capitalised = self
            .names
            .iter()
            .map(|words| {
                let joined = words.join(separator);
                let (first, rest) = joined.split_at(1);
                format!("{}(?i:{rest})", first.to_ascii_uppercase())
            })
            .collect::<Vec<_>>()
            .join("|");
        let name_at_start = format!("(?:(?:^|[^A-Za-z])(?i:{name})|[a-z](?:{capitalised}))");
        // The provider's own words for the value count as a key word too (`access grant`),
        // where one of them is long enough to be a near word.
        let key_words = if self.own_words().is_empty() {
            format!("(?i:{KEY_WORDS})")
        } else {
            let phrase = slug(&self.secret)
                .split('-')
                .collect::<Vec<_>>()
                .join(separator);
            format!("(?i:{KEY_WORDS}|{phrase})")
        };
        let value = match self.alphabet {
            Alphabet::Uuid => {
                "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
                    .to_string()
            }
            Alphabet::Base64 => format!(
                "[A-Za-z0-9+/]{{{},{}}}={{0,2}}",
                self.length.0, self.length.1
            ),
            other => {
                let (min, max) = self.length;
                if min == max {
                    format!("{}{{{min}}}", other.class())
                } else {
                    format!("{}{{{min},{max}}}", other.class())
                }
            }
        };
        format!(
            r#"(?:{name_at_start}[A-Za-z0-9_.\x20'"()\[\]-]{{0,{GAP_AFTER_NAME}}}?{key_words}|{key_words}[A-Za-z0-9_.-]{{0,{GAP_AFTER_KEY_WORD}}}?[_.-](?i:{name})){SUFFIXES_CI}{ASSIGNMENT}(?P<secret>{value})(?:[^A-Za-z0-9_+/=-]|$)"#,
            SUFFIXES_CI = format_args!("(?i:{SUFFIXES})"),
        )
    }

    /// The provider's words for the value (`access`, `grant`) of three letters or more, as near
    /// words must be.
    fn own_words(&self) -> Vec<String> {
        slug(&self.secret)
            .split('-')
            .filter(|w| w.len() >= 3)
            .map(str::to_string)
            .collect()
    }

    /// The words of which every match holds one beside the name (within the regex's gaps,
    /// well inside [`crate::engine::NEAR`] bytes): the key words and the provider's own. The
    /// prefilter searches the names only near them.
    fn near_words(&self) -> Vec<String> {
        let key_words = KEY_WORDS.split('|').map(|w| w.trim_end_matches("s?"));
        // A phrase that holds a key word (`client secret`, `app key`) needs no near word of its
        // own, and `client` or `app` would open a search at every other line.
        let phrase = slug(&self.secret);
        let own = if key_words.clone().any(|w| phrase.contains(w)) {
            Vec::new()
        } else {
            self.own_words()
        };
        let mut words: Vec<String> = key_words.map(str::to_string).chain(own).collect();
        words.sort();
        words.dedup();
        words
    }

    /// The prefilter's keywords: every name with each separator a scan may meet.
    fn keywords(&self) -> Vec<String> {
        let mut keywords = Vec::new();
        for words in &self.names {
            // Identifiers join words with nothing, `_` or `-`. (`.` and a space would be two
            // more keywords for every name of two words, searched around every key word.)
            let separators = ["", "_", "-"];
            let mut variants = vec![words[0].clone()];
            for word in &words[1..] {
                variants = variants
                    .iter()
                    .flat_map(|v| separators.iter().map(move |s| format!("{v}{s}{word}")))
                    .collect();
            }
            keywords.extend(variants);
        }
        keywords.sort();
        keywords.dedup();
        keywords
    }

    /// A value of the service's shape, the same on every build (seeded by the id).
    fn sample_value(&self, salt: u64) -> String {
        let mut state = self.id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        }) ^ salt;
        let mut next = move || {
            // splitmix64
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let alphabet: &[u8] = match self.alphabet {
            Alphabet::Hex | Alphabet::Uuid => b"0123456789abcdef",
            Alphabet::Alnum => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            Alphabet::Token => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
            Alphabet::Base64 => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        };
        let len = match self.alphabet {
            Alphabet::Uuid => 32,
            _ => 32.clamp(self.length.0, self.length.1),
        };
        loop {
            let mut value: String = (0..len)
                .map(|_| char::from(alphabet[(next() % alphabet.len() as u64) as usize]))
                .collect();
            // A sample must read as a key: letters and digits both (a digit in every six
            // characters, so that it never reads as words), no '-' or '_' at the ends.
            let digits = value.bytes().filter(u8::is_ascii_digit).count() >= len / 6;
            let letters = value.bytes().any(|b| b.is_ascii_alphabetic());
            let ends = |b: u8| b.is_ascii_alphanumeric();
            if !(digits && letters && ends(value.as_bytes()[0]) && ends(value.as_bytes()[len - 1]))
            {
                continue;
            }
            if self.alphabet == Alphabet::Uuid {
                for at in [8, 13, 18, 23] {
                    value.insert(at, '-');
                }
            }
            return value;
        }
    }

    /// The rule, as the JSON of a `[[rules]]` entry.
    pub fn to_rule(&self) -> Json {
        let display = self.names[0].concat();
        let upper = self.names[0].join("_").to_ascii_uppercase();
        let camel = camel_case(&self.names[0], false);
        let secret_upper = slug(&self.secret).replace('-', "_").to_ascii_uppercase();
        let secret_camel = camel_case(
            &slug(&self.secret)
                .split('-')
                .map(str::to_string)
                .collect::<Vec<_>>(),
            true,
        );
        let value = self.sample_value(1);
        let other = self.sample_value(2);
        let (min, max) = self.length;
        let shape = if self.alphabet == Alphabet::Uuid {
            "a UUID".to_string()
        } else if min == max {
            format!("{min} characters, {}", self.alphabet.describe())
        } else {
            format!("{min} to {max} characters, {}", self.alphabet.describe())
        };
        let wrong_shape = if self.alphabet == Alphabet::Uuid {
            value.replace('-', "")
        } else if min > 12 {
            value[..min - 1].to_string()
        } else {
            value.clone() + &"Z".repeat(max + 1 - value.len())
        };
        // Where the docs give no length, the value might be a name in code
        // (`zerobounce_key = getZeroBounceKeyFromEnv`); a documented shape is evidence enough.
        let filtered = !self.documented_length
            && matches!(
                self.alphabet,
                Alphabet::Alnum | Alphabet::Token | Alphabet::Base64
            );
        json!({
            "id": self.rule_id(),
            "name": format!("{} {}", self.name, self.secret),
            "description": format!(
                "A {} {} ({shape}). The key has no prefix of its own: it is recognised by the \
                 service's name beside it, in the same identifier or a few words away.",
                self.name, self.secret
            ),
            "severity": "medium",
            "keywords": self.keywords(),
            "near_words": self.near_words(),
            "regex": self.regex(),
            "entropy": self.alphabet.entropy(self.length.0),
            "window_before": 48,
            "filter_identifiers": filtered,
            "allowlist": {
                // A key holds letters and digits both; all of one kind is a word, a name or a number.
                "regexes": ["^[^0-9]+$", "^[^A-Za-z]+$"],
            },
            // Without the provider's page, the weakness itself: a hard-coded credential.
            "references": [self.docs.as_deref().unwrap_or("https://cwe.mitre.org/data/definitions/798.html")],
            "remediation": format!(
                "Revoke the {} in your {} account and issue a new one, then load it at run time \
                 from the environment or a secret store.",
                self.secret, self.name
            ),
            "tags": ["named-service", self.category.as_str()],
            "examples": [
                format!("{upper}_{secret_upper}={value}"),
                format!("  \"{camel}{secret_camel}\": \"{other}\","),
                format!("{display} {}: {value}", self.secret),
            ],
            "negative_examples": [
                format!("{upper}_{secret_upper}=your-{}-here", slug(&self.secret)),
                format!("{secret_upper}={value}"),
                format!("{upper}_{secret_upper}_ID = \"{value}\""),
                format!("{upper}_{secret_upper}: \"{wrong_shape}\""),
                format!("{display} {}: ${{{upper}_{secret_upper}}}", self.secret),
            ],
        })
    }
}

/// Expands a file's `[[services]]` into `[[rules]]` entries (JSON), failing on the first bad
/// entry or on an id given twice.
pub fn expand(file: &Toml, category: &str) -> Result<Vec<Json>, String> {
    let entries = match file.get("services") {
        None => return Ok(Vec::new()),
        Some(Toml::Array(entries)) => entries,
        Some(_) => return Err("services must be a list of [[services]] tables".into()),
    };
    let mut seen = std::collections::HashSet::new();
    let mut rules = Vec::with_capacity(entries.len());
    for entry in entries {
        let service = Service::from_toml(entry, category)?;
        if !seen.insert(service.rule_id()) {
            return Err(format!("service '{}' is listed twice", service.id));
        }
        rules.push(service.to_rule());
    }
    Ok(rules)
}

fn string_field(entry: &Toml, key: &str) -> Result<Option<String>, String> {
    match entry.get(key) {
        None => Ok(None),
        Some(Toml::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{key} must be a string")),
    }
}

/// `"API key"` → `api-key`.
fn slug(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// `["zero", "bounce"]` → `zeroBounce` (or `ZeroBounce` with `upper_first`).
fn camel_case(words: &[String], upper_first: bool) -> String {
    let mut out = String::new();
    for (i, word) in words.iter().enumerate() {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            if i > 0 || upper_first {
                out.extend(first.to_uppercase());
            } else {
                out.push(first);
            }
            out.push_str(chars.as_str());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(text: &str) -> Result<Service, String> {
        let value: Toml = toml::from_str(text).map_err(|e| e.to_string())?;
        Service::from_toml(&value, "test")
    }

    fn regex_of(text: &str) -> regex::Regex {
        let s = service(text).expect("valid service");
        regex::Regex::new(&s.regex()).expect("regex compiles")
    }

    fn secret_in(re: &regex::Regex, text: &str) -> Option<String> {
        re.captures(text)
            .and_then(|c| c.name("secret"))
            .map(|m| m.as_str().to_string())
    }

    const ZEROBOUNCE: &str = r#"
id = "zerobounce"
name = "ZeroBounce"
names = ["zerobounce", "zero bounce"]
value = "hex"
length = 32
"#;

    #[test]
    fn name_and_key_word_in_either_order_and_many_syntaxes() {
        let re = regex_of(ZEROBOUNCE);
        let key = "5f1c2d3e4b5a69788796a5b4c3d2e1f0";
        for text in [
            format!("ZEROBOUNCE_API_KEY={key}"),
            format!("export ZERO_BOUNCE_KEY=\"{key}\""),
            format!("  \"zeroBounceApiKey\": \"{key}\","),
            format!("zerobounce:\n  # no\nZeroBounce API key: {key}"),
            format!("API_KEY_ZEROBOUNCE = '{key}'"),
            format!("client = ZeroBounce(api_key=\"{key}\")"),
            format!("--zerobounce-token {key}"),
            format!("ZEROBOUNCE_API_KEY_PROD ?= {key}"),
            format!("$config['zerobounce']['apikey'] = '{key}';"),
            format!("myZeroBounceApiKey = \"{key}\""),
        ] {
            assert_eq!(secret_in(&re, &text).as_deref(), Some(key), "{text}");
        }
    }

    #[test]
    fn needs_the_name_a_key_word_and_the_shape() {
        let re = regex_of(ZEROBOUNCE);
        let key = "5f1c2d3e4b5a69788796a5b4c3d2e1f0";
        for text in [
            format!("API_KEY={key}"),
            format!("ZEROBOUNCE_URL={key}"),
            format!("ZEROBOUNCE_API_KEY_ID={key}"),
            format!("ZEROBOUNCE_API_KEY={key}ab"),
            format!("ZEROBOUNCE_API_KEY={}", &key[..31]),
            "ZEROBOUNCE_API_KEY=${ZEROBOUNCE_API_KEY}".to_string(),
            format!("NOTZEROBOUNCE_API_KEY={key}"),
            format!("notzerobounceApiKey = \"{key}\""),
        ] {
            assert_eq!(secret_in(&re, &text), None, "{text}");
        }
    }

    #[test]
    fn keywords_cover_every_separator() {
        let s = service(ZEROBOUNCE).expect("valid");
        let keywords = s.keywords();
        for k in ["zerobounce", "zero_bounce", "zero-bounce"] {
            assert!(keywords.iter().any(|w| w == k), "{k} in {keywords:?}");
        }
    }

    #[test]
    fn the_rule_id_and_name_come_from_the_table() {
        let s = service(ZEROBOUNCE).expect("valid");
        let rule = s.to_rule();
        assert_eq!(rule["id"], "zerobounce-api-key");
        assert_eq!(rule["name"], "ZeroBounce API key");
        let spec: crate::rules::RuleSpec =
            serde_json::from_value(rule).expect("a generated rule is a valid rule");
        spec.validate().expect("a generated rule passes validation");
    }

    #[test]
    fn samples_are_stable_and_of_the_shape() {
        let s = service(ZEROBOUNCE).expect("valid");
        assert_eq!(s.sample_value(1), s.sample_value(1));
        assert_ne!(s.sample_value(1), s.sample_value(2));
        let uuid = service("id = \"acme-geo\"\nname = \"Acme\"\nvalue = \"uuid\"").expect("valid");
        let v = uuid.sample_value(1);
        assert_eq!(v.len(), 36);
        assert_eq!(v.matches('-').count(), 4);
    }

    #[test]
    fn bad_entries_are_errors_naming_the_service() {
        for (text, needle) in [
            ("name = \"X\"", "id is missing"),
            ("id = \"Bad_Id\"\nname = \"X\"", "kebab-case"),
            ("id = \"acme\"\nname = \"Acme\"", "at least 5"),
            (
                "id = \"acmecorp\"\nname = \"A\"\nnames = [\"Acme\"]",
                "lowercase",
            ),
            ("id = \"acmecorp\"\nname = \"A\"\nvalue = \"hexx\"", "hexx"),
            ("id = \"acmecorp\"\nname = \"A\"\nlength = 4", "between 12"),
            (
                "id = \"acmecorp\"\nname = \"A\"\ncolour = 4",
                "unknown field 'colour'",
            ),
        ] {
            let err = service(text).expect_err(text);
            assert!(err.contains(needle), "{err:?} should mention {needle:?}");
        }
    }

    #[test]
    fn a_service_listed_twice_is_an_error() {
        let file: Toml = toml::from_str(&format!(
            "[[services]]{ZEROBOUNCE}\n[[services]]{ZEROBOUNCE}"
        ))
        .expect("toml");
        let err = expand(&file, "test").expect_err("duplicate");
        assert!(err.contains("listed twice"), "{err}");
    }
}
