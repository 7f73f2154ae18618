#!/usr/bin/env bash
# History scan and pre-commit hook latency on a generated repository (warm page cache).
#
#   bash benches/history.sh [SIZE_MB] [COMMITS]        # default: 50 MB, 300 churn commits
#
# 1. `leakhound git` over the whole history: wall time of 3 runs, peak RSS, and the synthetic
#    corpus scorer's recall (overall and for secrets that exist only in history) and decoys hit.
# 2. The hook: a commit touching 4 files in that repository; `leakhound scan --staged` end to end
#    (process start to exit), and `git commit` with the hook installed against `--no-verify`.
#
# Needs ../shared/corpus (generator and scorer); skips cleanly without it. Not part of CI.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=$here/../shared
size=${1:-50}
commits=${2:-300}
repo=/tmp/leakhound-bench-g${size}-c${commits}
[ -f "$shared/corpus/gen_corpus.py" ] || { echo "history.sh: $shared/corpus missing; skipping"; exit 0; }
command -v git >/dev/null || { echo "history.sh: git not found; skipping"; exit 0; }
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid
if [ ! -d "$repo/.git" ]; then
  echo "generating $repo ..."
  python3 "$shared/corpus/gen_corpus.py" --out "$repo" --size-mb "$size" --git --commits "$commits" --force >/dev/null
fi
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
lh=$here/target/release/leakhound
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }

echo "repository: $repo ($(git -C "$repo" rev-list --all | wc -l) commits, $(du -sh "$repo/.git" | cut -f1) .git)"
"$lh" git "$repo" -q -f json -o "$out/history.json" || true   # warm the page cache
for i in 1 2 3; do
  s=$(now); "$lh" git "$repo" -q -f json -o "$out/history.json" || true; e=$(now)
  echo "leakhound git, run $i: $(ms "$s" "$e") ms"
done
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f "peak RSS: %M KB" "$lh" git "$repo" -q -f json -o /dev/null 2>&1 | tail -1 || true
fi
"$lh" git "$repo" -f json -o /dev/null 2>&1 | head -1 || true
python3 "$shared/corpus/score_synthetic.py" --truth "$repo.truth.jsonl" --root "$repo" "$out/history.json" \
  | grep -E "^findings=|history-only"

# The hook: a throwaway clone with 4 files changed and staged.
work=$out/hook
git clone -q "$repo" "$work"
for f in $(git -C "$work" ls-files | grep -E '\.(py|yaml|env|sh)$' | head -4); do
  printf 'retries = 3\ntimeout = 30\n' >> "$work/$f"
done
git -C "$work" add -A
times=()
for i in $(seq 1 21); do
  s=$(now); (cd "$work" && "$lh" scan --staged -q) || true; e=$(now)
  times+=($(( (e - s) / 1000 )))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "scan --staged, 4 files staged in a $(git -C "$work" ls-files | wc -l)-file repository:" \
  "median $(echo "$sorted" | sed -n 11p) us, max $(echo "$sorted" | tail -1) us (21 runs, process start to exit)"
(cd "$work" && "$lh" hook install >/dev/null)
commit_ms() {
  local s e; s=$(now)
  git -C "$work" commit -q "$@" -m bench >/dev/null 2>&1 || true
  e=$(now); git -C "$work" reset -q --soft HEAD~1
  ms "$s" "$e"
}
echo "git commit with the hook: $(commit_ms) ms; with --no-verify: $(commit_ms --no-verify) ms"
