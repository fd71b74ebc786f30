#!/usr/bin/env bash
# A JSONL file larger than 2 GiB, end to end: every record is in the manifest, a copy of
# the first record placed past the 2 GiB mark is found, and the kept corpus is the input
# without that copy, byte for byte (pass 3 reads at offsets beyond 2^31).
# Usage: large_input.sh DOPPEL
set -euo pipefail
doppel=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/doppel-large.XXXXXX")
trap 'rm -rf "$dir"' EXIT
lines=8800000   # ~255 bytes each: ~2.2 GB
awk -v n="$lines" 'BEGIN {
  for (i = 0; i < n; i++)
    printf "{\"id\":\"r%d\",\"text\":\"record %d of the large file, with enough words to make it about three hundred bytes long: alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega %d\"}\n", i, i, i * 7
  printf "{\"id\":\"copy\",\"text\":\"record 0 of the large file, with enough words to make it about three hundred bytes long: alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega 0\"}\n"
}' > "$dir/big.jsonl"
size=$(stat -c %s "$dir/big.jsonl")
[ "$size" -gt 2147483648 ] || { echo "large_input: only $size bytes"; exit 1; }
"$doppel" dedupe -q --exact-only -t 2 -m "$dir/manifest.jsonl" -o "$dir/kept.jsonl" "$dir/big.jsonl"
manifest_lines=$(wc -l < "$dir/manifest.jsonl")
[ "$manifest_lines" -eq $((lines + 1)) ] || { echo "large_input: $manifest_lines manifest lines, expected $((lines + 1))"; exit 1; }
tail -n 1 "$dir/manifest.jsonl" | grep -q '"status":"duplicate","kind":"exact","rep":"r0"' \
  || { echo "large_input: the copy past 2 GiB was not found: $(tail -n 1 "$dir/manifest.jsonl")"; exit 1; }
head -n "$lines" "$dir/big.jsonl" | cmp -s - "$dir/kept.jsonl" \
  || { echo "large_input: the kept corpus is not the input without the copy"; exit 1; }
echo "large_input: $size bytes, $((lines + 1)) records, all accounted for"
