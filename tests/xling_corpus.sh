#!/usr/bin/env bash
# The cross-lingual pass end to end on labelled corpora, with the dictionaries installed by
# scripts/deps.sh:
#   xling_corpus.sh DOPPEL CHECKER PROJECT_DIR xling      corpora/xling: every translation
#       pairs, no report of the same event in other words does (hard negatives)
#   xling_corpus.sh DOPPEL CHECKER PROJECT_DIR ntrex DIR  ntrex-dev mixed into one corpus:
#       floors under the figures bench_xling reports; skipped (77) when DIR is absent
set -euo pipefail
doppel=$1 checker=$2 project=$3 mode=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "$mode" = xling ]; then
  "$doppel" dedupe -q --xling -p "$work/pairs.jsonl" --aligned "$work/aligned.jsonl" \
    "$project/corpora/xling/xling.jsonl"
  "$checker" "$work/pairs.jsonl" --truth "$project/corpora/xling.tsv" \
    --min-precision 1 --min-recall 1
  # every aligned sentence pair names two documents of one translation pair
  test -s "$work/aligned.jsonl"
else
  dir=$5
  if [ ! -d "$dir" ]; then
    echo "skipped: $dir not found (ntrex-dev sits in ../shared beside the project)"
    exit 77
  fi
  cat "$dir"/*.jsonl > "$work/mixed.jsonl"
  "$doppel" dedupe -q --xling -t 2 -p "$work/pairs.jsonl" "$work/mixed.jsonl"
  "$checker" "$work/pairs.jsonl" --ntrex "$dir" \
    --min-precision 0.99 --min-recall 0.97 --min-pair-recall 0.85
fi
