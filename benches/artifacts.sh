#!/usr/bin/env bash
# Archive scanning, side by side: a set of about 200 MB of release artifacts built here (wheels
# and sdists of real Python packages from PyPI, the .crate files of the local cargo registry, a
# `docker save`-style image tarball of the synthetic corpus, and a bundle nesting wheels two
# deep), scanned by leakhound, gitleaks and Kingfisher with archive extraction on, interleaved.
# Prints wall time, peak RSS, findings, and leakhound's MB/s of uncompressed content.
#
# Usage: bash benches/artifacts.sh [OUT_DIR] [RUNS]
#   peers from ../shared/peers/install.sh (~/.peers/bin); a missing peer is skipped with a note.
# Not part of CI: it downloads from PyPI and takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-/tmp/leakhound-artifacts}
runs=${2:-3}
set_dir=$out/set
peers=${PEERS:-$HOME/.peers/bin}

cargo build --release --quiet
leakhound=$PWD/target/release/leakhound

if [ ! -d "$set_dir" ]; then
  mkdir -p "$set_dir/pypi" "$set_dir/crates" "$out/work"
  # Real packages, wheels and sdists: the JSON API models of botocore expand a lot.
  for pkg in botocore==1.35.99 Django==5.1.4 SQLAlchemy==2.0.36 requests==2.32.3; do
    pip download -q --no-deps --only-binary :all: -d "$set_dir/pypi" "$pkg" ||
      echo "note: no wheel of $pkg downloaded"
    pip download -q --no-deps --no-binary :all: -d "$set_dir/pypi" "$pkg" ||
      echo "note: no sdist of $pkg downloaded"
  done
  cp ~/.cargo/registry/cache/*/*.crate "$set_dir/crates/" 2>/dev/null ||
    echo "note: no .crate files in the cargo registry cache"
  # A docker save tarball: manifest.json and one layer, a tar of the synthetic corpus.
  corpus=$out/work/corpus
  if [ -f ../shared/corpus/gen_corpus.py ]; then
    python3 ../shared/corpus/gen_corpus.py --out "$corpus" --size-mb 80 --seed 7 \
      --truth "$out/work/corpus.truth.jsonl" --force > /dev/null
    layer=$out/work/image/0123456789abcdef/layer.tar
    mkdir -p "$(dirname "$layer")"
    tar -C "$corpus" -cf "$layer" .
    printf '[{"Config":"config.json","RepoTags":["app:1.0"],"Layers":["0123456789abcdef/layer.tar"]}]\n' \
      > "$out/work/image/manifest.json"
    printf '{"architecture":"amd64","os":"linux"}\n' > "$out/work/image/config.json"
    tar -C "$out/work/image" -cf "$set_dir/app-image.tar" .
  else
    echo "note: ../shared/corpus/gen_corpus.py not found: no image tarball"
  fi
  # Nested two deep: a release bundle (tar.gz) of the wheels (zips).
  tar -C "$set_dir/pypi" -czf "$set_dir/release-bundle.tar.gz" $(cd "$set_dir/pypi" && ls *.whl)
fi
echo "artifact set: $(du -sh "$set_dir" | cut -f1) in $(find "$set_dir" -type f | wc -l) files"

# name|command...: each prints its report to /dev/null; the summary goes to the log.
commands=("leakhound|$leakhound scan $set_dir -f json -o $out/leakhound.json")
if [ -x "$peers/gitleaks" ]; then
  commands+=("gitleaks|$peers/gitleaks dir $set_dir --max-archive-depth 4 --no-banner --exit-code 0 -f json -r $out/gitleaks.json")
else
  echo "note: gitleaks not installed (bash ../shared/peers/install.sh): skipped"
fi
if [ -x "$peers/kingfisher" ]; then
  commands+=("kingfisher|$peers/kingfisher scan $set_dir --extraction-depth 4 --no-validate --no-update-check --format json --output $out/kingfisher.json")
else
  echo "note: kingfisher not installed (bash ../shared/peers/install.sh): skipped"
fi

declare -A times rss
for ((i = 0; i < runs; i++)); do
  for entry in "${commands[@]}"; do
    name=${entry%%|*}
    cmd=${entry#*|}
    /usr/bin/time -f "%e %M" -o "$out/time.$name" sh -c "$cmd" > /dev/null 2> "$out/log.$name" || true
    read -r t m < <(tail -n 1 "$out/time.$name")
    times[$name]="${times[$name]:-} $t"
    rss[$name]=$m
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-12s %10s %12s %10s\n' scanner "median s" "peak RSS MB" findings
for entry in "${commands[@]}"; do
  name=${entry%%|*}
  found=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(len(d['findings'] if isinstance(d, dict) else d))" "$out/$name.json" 2>/dev/null || echo "?")
  printf '%-12s %10s %12s %10s\n' "$name" "$(echo "${times[$name]}" | median)" \
    "$((rss[$name] / 1024))" "$found"
done
echo "leakhound's own summary (uncompressed bytes scanned, MB/s):"
grep -E "scanned|not scanned" "$out/log.leakhound" || true
