//! Embeds every `patterns/*.toml` file in the binary, so that adding a provider is adding a file.
//!
//! Each file is converted to JSON here, at build time: JSON parses several times faster than
//! TOML, which keeps start-up small for the pre-commit hook. A malformed pattern file fails the
//! build with its name.
use std::{env, fs, path::Path};

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("patterns");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let mut out = String::from(
        "/// Every embedded rule file: (file name, the file as JSON).\npub static EMBEDDED: &[(&str, &str)] = &[\n",
    );
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
        let value: toml::Value = toml::from_str(&text)
            .unwrap_or_else(|e| panic!("patterns/{name} is not valid TOML: {e}"));
        let json = serde_json::to_string(&value).expect("TOML values convert to JSON");
        let dest = Path::new(&out_dir).join(format!("{name}.json"));
        fs::write(&dest, json).expect("OUT_DIR is writable");
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            dest.display().to_string()
        ));
    }
    out.push_str("];\n");
    fs::write(Path::new(&out_dir).join("patterns.rs"), out).expect("OUT_DIR is writable");
}
