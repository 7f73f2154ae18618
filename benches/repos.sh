#!/usr/bin/env bash
# Scans of many repositories: repositories per second, in one process and in 4 shards, cold and
# with the scan cache warm.
#
#   bash benches/repos.sh [REPOS] [SIZE_MB] [COMMITS]    # default: 200 repositories, 0.3 MB, 8 commits
#
# Builds REPOS repositories under /tmp with the shared corpus generator (each with its own seed;
# every tenth is a clone of the one before, as forks are), then times:
#   1. leakhound git DIR --discover, one process (median of 3);
#   2. the same as 4 shards run side by side (--shard K/4) and leakhound merge, checking that the
#      merged report equals the single run's;
#   3. both again with --cache (a second run, nothing new).
# Needs ../shared/corpus; skips cleanly without it. Not part of CI.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=$here/../shared
count=${1:-200}
size=${2:-0.3}
commits=${3:-8}
org=/tmp/leakhound-bench-repos-${count}-${size}-${commits}
[ -f "$shared/corpus/gen_corpus.py" ] || { echo "repos.sh: $shared/corpus missing; skipping"; exit 0; }
command -v git >/dev/null || { echo "repos.sh: git not found; skipping"; exit 0; }
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid
if [ ! -f "$org/.complete" ]; then
  echo "generating $count repositories under $org ..."
  rm -rf "$org" && mkdir -p "$org"
  for i in $(seq 1 "$count"); do
    name=$(printf 'repo-%04d' "$i")
    if [ $((i % 10)) -eq 0 ]; then
      git clone --quiet "$org/$(printf 'repo-%04d' $((i - 1)))" "$org/$name"
    else
      python3 "$shared/corpus/gen_corpus.py" --out "$org/$name" --size-mb "$size" --seed "$i" \
        --git --commits "$commits" --no-stress --force >/dev/null
    fi
  done
  touch "$org/.complete"
fi
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
lh=$here/target/release/leakhound
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
now() { date +%s%N; }
rate() { awk -v n="$count" -v ns="$1" 'BEGIN { printf "%.2f s, %.0f repositories/s", ns / 1e9, n / (ns / 1e9) }'; }
median() { sort -n | sed -n 2p; }

single() {  # $1: extra flags
  local s e
  s=$(now); "$lh" git "$org" --discover -q $1 -f json-report -o "$out/whole.json" || [ $? -eq 1 ]; e=$(now)
  echo $((e - s))
}
sharded() {  # $1: extra flags (a cache directory per shard gets the shard number appended)
  local s e k
  s=$(now)
  for k in 0 1 2 3; do
    flags=${1:+$1-$k}
    "$lh" git "$org" --discover --shard "$k/4" -q $flags -f json-report -o "$out/shard-$k.json" &
  done
  wait || true
  "$lh" merge "$out"/shard-*.json -o "$out/merged.json" || [ $? -eq 1 ]
  e=$(now)
  echo $((e - s))
}
same() {
  python3 - "$out/whole.json" "$out/merged.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for r in (a, b):
    r["summary"].pop("elapsed_ms", None)
print("merged report equals the single run" if a == b else "MERGED REPORT DIFFERS")
PY
}

echo "$count repositories, $(du -sh "$org" | cut -f1), $(nproc) cores"
single "" >/dev/null   # warm the page cache
t=$( (single ""; single ""; single "") | median ); echo "one process, cold:      $(rate "$t")"
t=$( (sharded ""; sharded ""; sharded "") | median ); echo "4 shards + merge, cold: $(rate "$t")"; same
rm -rf "$out/cache"*
single "--cache $out/cache" >/dev/null
t=$( (single "--cache $out/cache"; single "--cache $out/cache"; single "--cache $out/cache") | median )
echo "one process, warm cache:      $(rate "$t")"
sharded "--cache $out/cache" >/dev/null
t=$( (sharded "--cache $out/cache"; sharded "--cache $out/cache"; sharded "--cache $out/cache") | median )
echo "4 shards + merge, warm cache: $(rate "$t")"; same
