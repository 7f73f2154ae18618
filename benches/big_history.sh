#!/usr/bin/env bash
# Cold and incremental history scans of a git/git-sized history, side by side with Kingfisher.
#
#   bash benches/big_history.sh [ROUNDS] [-- GENERATOR ARGS]   # default: 3 rounds
#
# Builds the history with benches/big_history.py (once; about 5 minutes with the defaults, far
# longer with --file-lines 300,1500), then per round, interleaved so that the page cache and
# the machine's drift are the same for both:
#   1. leakhound git --no-cache (cold): wall time and peak RSS;
#   2. Kingfisher 2.x, --git-history full --no-validate, when ~/.peers/bin/kingfisher exists
#      (bash ../shared/peers/install.sh installs it);
# then, once, the incremental case: a scan that fills a cache, one new commit, and the scan
# with the cache again (3 runs), checked to report what a cold scan of the same history does.
# Not part of CI.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3}
shift || true
[ "${1:-}" = "--" ] && shift
gen_args=("$@")
name=$(printf '%s' "${gen_args[*]:-default}" | tr -c 'A-Za-z0-9' '_')
repo=/tmp/leakhound-bench-big-$name
command -v git >/dev/null || { echo "big_history.sh: git not found; skipping"; exit 0; }
command -v python3 >/dev/null || { echo "big_history.sh: python3 not found; skipping"; exit 0; }
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
if [ ! -f "$repo/.complete" ]; then
  rm -rf "$repo"
  echo "generating $repo ..."
  python3 "$here/benches/big_history.py" "$repo" "${gen_args[@]}"
  touch "$repo/.complete"
fi
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
lh=$here/target/release/leakhound
kf=$HOME/.peers/bin/kingfisher
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
timed() { /usr/bin/time -f "%e s, %M KB peak RSS" "$@" 2>&1 >/dev/null | tail -1; }

echo "repository: $repo ($(git -C "$repo" rev-list --all | wc -l) commits, $(du -sh "$repo/.git" | cut -f1) .git)"
"$lh" git "$repo" --no-cache -q -f json -o /dev/null || true   # warm the page cache
for i in $(seq 1 "$rounds"); do
  echo "round $i: leakhound cold: $(timed "$lh" git "$repo" --no-cache -q -f json -o "$out/cold.json")"
  if [ -x "$kf" ]; then
    echo "round $i: kingfisher:     $(timed "$kf" scan "$repo" --git-history full --no-validate \
      --no-update-check --format json -o "$out/kf.json")"
  fi
done

# One new commit on a copy, scanned with the cache filled by the scan before it.
work=$out/work
git clone -q --bare "$repo" "$work"
"$lh" git "$work" --cache "$out/cache" -q -f json -o /dev/null || true
blob=$(echo "int one_more = 1;" | git -C "$work" hash-object -w --stdin)
GIT_INDEX_FILE=$out/index git -C "$work" read-tree main
GIT_INDEX_FILE=$out/index git -C "$work" update-index --add --cacheinfo "100644,$blob,builtin/one_more.c"
tree=$(GIT_INDEX_FILE=$out/index git -C "$work" write-tree)
commit=$(echo "one more" | git -C "$work" -c user.name=b -c user.email=b@example.invalid \
  commit-tree "$tree" -p main)
git -C "$work" update-ref refs/heads/main "$commit"
for i in 1 2 3; do
  echo "one new commit, with the cache, run $i: $(timed "$lh" git "$work" --cache "$out/cache" -q -f json -o "$out/warm.json")"
done
"$lh" git "$work" --no-cache -q -f json -o "$out/cold2.json" || true
if cmp -s "$out/warm.json" "$out/cold2.json"; then
  echo "with the cache: the same report as a cold scan ($(grep -c '"rule_id"' "$out/warm.json") findings)"
else
  echo "with the cache: THE REPORT DIFFERS from a cold scan"; exit 1
fi
