#!/usr/bin/env bash
# End-to-end golden test: dedupe corpora/ and compare the manifest and pairs with the
# committed expected files byte for byte.
# Usage: golden.sh DOPPEL SOURCE_DIR [--regen]
set -euo pipefail
doppel=$(realpath "$1")
src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$src"
"$doppel" dedupe -q -t 2 -m "$out/manifest.jsonl" -p "$out/pairs.jsonl" corpora/news corpora/mixed.jsonl
if [ "${3:-}" = "--regen" ]; then
  cp "$out/manifest.jsonl" tests/expected/corpora.manifest.jsonl
  cp "$out/pairs.jsonl" tests/expected/corpora.pairs.jsonl
  echo "regenerated tests/expected/corpora.{manifest,pairs}.jsonl"
  exit 0
fi
status=0
for f in manifest pairs; do
  if ! diff -u "tests/expected/corpora.$f.jsonl" "$out/$f.jsonl"; then
    status=1
  fi
done
if [ $status -ne 0 ]; then
  echo "golden: output differs from tests/expected. If the change is intended, regenerate with:"
  echo "  bash tests/golden.sh $doppel $src --regen"
  echo "golden: 0 passed, 1 failed"
  exit 1
fi
echo "golden: 2 passed, 0 failed"
