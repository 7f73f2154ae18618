//! Deterministic generated source text for the benchmarks (no files needed, no randomness
//! crate: a small xorshift generator keeps every run identical).

pub struct Gen(u64);

impl Gen {
    pub fn new(seed: u64) -> Gen {
        Gen(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    fn token(&mut self, len: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| A[(self.next() % A.len() as u64) as usize] as char)
            .collect()
    }

    /// One line of plausible code or configuration.
    fn line(&mut self) -> String {
        const WORDS: &[&str] = &[
            "config", "handler", "request", "response", "buffer", "client", "server", "value",
            "index", "result", "context", "options", "builder", "session", "cache", "record",
            "stream", "parser", "token", "key",
        ];
        let (a, b, c) = (self.pick(WORDS), self.pick(WORDS), self.pick(WORDS));
        match self.next() % 6 {
            0 => format!("    let {a}_{b} = {c}.get(\"{a}\").unwrap_or_default();"),
            1 => format!("def {a}_{b}(self, {c}):  # {a} the {b} from {c}"),
            2 => format!("{a}.{b}.{c}={}", self.next() % 10_000),
            3 => format!("  \"{a}{b}\": \"{c}-{}\",", self.next() % 100),
            4 => format!("// {a} {b} {c}: see https://docs.internal/{a}/{b}"),
            _ => format!("    if {a} == nil {{ return fmt.Errorf(\"{b} {c}: %w\", err) }}"),
        }
    }

    /// A secret line of one of a few kinds.
    fn secret(&mut self) -> String {
        match self.next() % 4 {
            0 => format!("GITHUB_TOKEN=ghp_{}", self.token(36)),
            1 => format!("password = \"{}!{}\"", self.token(10), self.token(6)),
            2 => format!(
                "aws_access_key_id = AKIA{}",
                self.token(16)
                    .to_uppercase()
                    .replace(['0', '1', '8', '9'], "Q")
            ),
            _ => format!(
                "slack: xoxb-{}-{}-{}",
                self.next() % 1_000_000_000_000,
                self.next() % 1_000_000_000_000,
                self.token(24)
            ),
        }
    }

    /// About `bytes` of text with one secret every `secret_every` bytes on average.
    pub fn text(&mut self, bytes: usize, secret_every: usize) -> Vec<u8> {
        let mut out = String::with_capacity(bytes + 200);
        let mut next_secret = secret_every;
        while out.len() < bytes {
            if out.len() >= next_secret {
                out.push_str(&self.secret());
                next_secret += secret_every;
            } else {
                out.push_str(&self.line());
            }
            out.push('\n');
        }
        out.into_bytes()
    }
}
