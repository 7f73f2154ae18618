#!/usr/bin/env bash
# Side-by-side: leakhound and the peer scanners on the synthetic corpus (and optionally a real
# tree), warm page cache, wall time and recall. Not part of CI (it takes minutes).
#
#   bash benches/compare.sh [SIZE_MB] [REAL_TREE]
#
# Needs ../shared/corpus (generator and scorer); peers come from ../shared/peers/install.sh
# (~/.peers/bin) and are skipped when missing.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=$here/../shared
size=${1:-100}
real=${2:-}
corpus=/tmp/leakhound-bench-c$size
[ -f "$shared/corpus/gen_corpus.py" ] || { echo "compare.sh: $shared/corpus missing; skipping"; exit 0; }
[ -d "$corpus" ] || python3 "$shared/corpus/gen_corpus.py" --out "$corpus" --size-mb "$size" >/dev/null
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
lh=$here/target/release/leakhound
out=$(mktemp -d)
timeit() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); echo "$e - $s" | bc; }

echo "corpus: $corpus ($(du -sh "$corpus" | cut -f1))"
"$lh" scan "$corpus" -q -f sarif -o "$out/lh.sarif" || true   # warm the page cache
for i in 1 2 3; do echo "leakhound run $i: $(timeit "$lh" scan "$corpus" -q -f sarif -o "$out/lh.sarif") s"; done
python3 "$shared/corpus/score_synthetic.py" --truth "$corpus.truth.jsonl" --root "$corpus" "$out/lh.sarif" | head -1

peers=$HOME/.peers/bin
if [ -x "$peers/kingfisher" ]; then
  echo "kingfisher: $(timeit "$peers/kingfisher" scan "$corpus" --format sarif --output "$out/kf.sarif" --no-validate) s"
fi
if [ -x "$peers/gitleaks" ]; then
  echo "gitleaks: $(timeit "$peers/gitleaks" dir "$corpus" -f sarif -r "$out/gl.sarif") s"
  [ -f "$out/gl.sarif" ] && python3 "$shared/corpus/score_synthetic.py" --truth "$corpus.truth.jsonl" --root "$corpus" "$out/gl.sarif" | head -1
fi
if [ -x "$peers/noseyparker" ]; then
  echo "noseyparker: $(timeit "$peers/noseyparker" scan --datastore "$out/np" "$corpus") s"
fi
if [ -n "$real" ] && [ -d "$real" ]; then
  echo "real tree: $real ($(du -sh "$real" | cut -f1))"
  "$lh" scan "$real" -q -f json -o /dev/null || true
  for i in 1 2 3; do "$lh" scan "$real" -f json -o /dev/null 2>&1 | head -1; done
fi
