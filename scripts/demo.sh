#!/usr/bin/env bash
# Build doppel and dedupe the project's own corpora/, printing what it found.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
out=build/demo
mkdir -p "$out"
./build/doppel version
./build/doppel dedupe --manifest "$out/manifest.jsonl" --pairs "$out/pairs.jsonl" \
  --output "$out/corpus" corpora/news corpora/mixed.jsonl
echo
echo "Duplicate pairs found ($out/pairs.jsonl):"
cat "$out/pairs.jsonl"
echo
echo "Manifest: $out/manifest.jsonl ($(wc -l < "$out/manifest.jsonl") lines, one per input record)"
echo "Deduplicated corpus: $out/corpus/"
echo
echo "Eleven scripts (corpora/scripts): pairs across scripts need transliteration."
./build/doppel dedupe -q --pairs "$out/scripts-pairs.jsonl" corpora/scripts
grep -E 'latinica|fanti' "$out/scripts-pairs.jsonl" || true
./build/doppel dedupe -q --no-translit --pairs "$out/scripts-pairs-plain.jsonl" corpora/scripts
echo "with --no-translit: $(grep -cE 'latinica|fanti' "$out/scripts-pairs-plain.jsonl" || true) such pairs"
echo
echo "Translations (corpora/xling: 58 news articles in 8 languages, 15 of them other"
echo "agencies' reports of the same events, which must not pair):"
./build/doppel dedupe --xling --pairs "$out/xling-pairs.jsonl" --aligned "$out/xling-aligned.jsonl" \
  corpora/xling/xling.jsonl
head -n 5 "$out/xling-pairs.jsonl"
echo "... $(wc -l < "$out/xling-pairs.jsonl") translation pairs in $out/xling-pairs.jsonl;"
echo "aligned sentences (a parallel corpus): $out/xling-aligned.jsonl"
echo
echo "A persistent index (doppel index): corpora/news archived, then corpora/mixed.jsonl"
echo "deduped against it (dedupe --against); records of the archive are not kept:"
rm -rf "$out/archive.idx"
./build/doppel index add -q "$out/archive.idx" corpora/news > "$out/archive-added.jsonl"
./build/doppel index stats "$out/archive.idx" | cut -c1-100
./build/doppel dedupe -q --against "$out/archive.idx" --manifest "$out/against.jsonl" \
  corpora/mixed.jsonl
grep '"archived":true' "$out/against.jsonl" || true
echo
if [ -x build/doppel-mpi ]; then
  echo "The first dedupe again over MPI (doppel-mpi, 2 processes; on a cluster, many machines):"
  root=()
  [ "$(id -u)" -ne 0 ] || root=(--allow-run-as-root)
  OMPI_MCA_btl=self,vader mpirun "${root[@]}" --oversubscribe -np 2 ./build/doppel-mpi dedupe \
    --manifest "$out/mpi-manifest.jsonl" --pairs "$out/mpi-pairs.jsonl" \
    --output "$out/mpi-corpus" corpora/news corpora/mixed.jsonl
  cmp -s "$out/manifest.jsonl" "$out/mpi-manifest.jsonl" &&
    cmp -s "$out/pairs.jsonl" "$out/mpi-pairs.jsonl" &&
    diff -r -q "$out/corpus" "$out/mpi-corpus" >/dev/null &&
    echo "manifest, pairs and corpus: identical to doppel dedupe's"
  echo
fi
echo "One pair side by side (doppel align):"
./build/doppel align 'corpora/xling/xling.jsonl#flood/deu-orig' 'corpora/xling/xling.jsonl#flood/eng-tr'
