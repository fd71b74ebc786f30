#!/usr/bin/env bash
# doppel-mpi gives the outputs of doppel dedupe, byte for byte, for 1, 2 and 4 processes
# on one machine (mpirun --oversubscribe): manifest, pairs and the deduplicated corpus,
# under each option that changes how pairs or clusters are found (--against included), on
# a generated corpus whose copies, near copies and duplicate ids lie in different files,
# so in different processes. Also: what a distributed run refuses, and failures, exit the same way.
#
# usage: identical.sh DOPPEL DOPPEL_MPI MPIEXEC GEN_CORPUS.py [PYTHON3]
set -u
doppel=$1 doppel_mpi=$2 mpiexec=$3 gen=$4 python=${5:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/doppel-mpi-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
# mpirun refuses root unless told; CI runs as root in a throwaway machine.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# No network is needed between processes of one machine; keep OpenMPI off the others.
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
# OpenMPI's plugins, unloaded by MPI_Finalize, leave allocations that LeakSanitizer
# reports from "<unknown module>", which no suppression can name. A run by hand with
# detect_leaks=1 showed every leak inside OpenMPI or its plugins, none in doppel.
export ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0

failures=0 checks=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { checks=$((checks + 1)); }

"$python" "$gen" "$work/corpus" 7 || { echo "cannot generate the corpus"; exit 1; }
c=$work/corpus
# an archive for --against: the text files and one JSONL part, whose copies are elsewhere
"$doppel" index add -q "$work/archive.idx" "$c/texts" "$c/jsonl/part-03.jsonl" >/dev/null ||
  { echo "cannot build the index for --against"; exit 1; }

parts="" # every JSONL file named on its own, in order
for f in "$c"/jsonl/part-*; do parts="$parts $f"; done

# name | options | inputs | corpus output (file or folder name, or -)
configs=(
  "default||$parts|out.jsonl"
  "folders|--threshold 0.7|$c/jsonl $c/texts|outdir"
  "longest|--keep longest --threshold 0.6|$c/jsonl|outdir"
  "containment|--containment --threshold 0.7|$c/jsonl|-"
  "noverify|--no-verify --num-perm 64|$c/jsonl $c/texts|-"
  "exact|--exact-only --hidden|$c/jsonl $c/texts|outdir"
  "chars|--shingle chars --ngram 4 --bands 16 --rows 4 --no-casefold|$c/jsonl|-"
  "onefile|--threshold 0.5|$c/jsonl/part-04.jsonl|out.jsonl"
  "against|--against $work/archive.idx --threshold 0.7|$c/jsonl|out.jsonl"
  "against-longest|--against $work/archive.idx --keep longest|$c/jsonl $c/texts|outdir"
  "bigfile|--threshold 0.7|$c/big/big.jsonl|out.jsonl"
  "collide|--exact-only|$c/collide|outdir"
  "bigfile-mixed|--keep longest --containment|$c/jsonl/part-00.jsonl $c/big $c/collide|-"
)

run_case() { # dir, then the command
  local dir=$1
  shift
  mkdir -p "$dir"
  (cd "$dir" && "$@" >stdout 2>stderr; echo $? >rc)
}

for cfg in "${configs[@]}"; do
  IFS='|' read -r name opts inputs corpus <<<"$cfg"
  out_args() { # the outputs of one run, inside its folder
    echo "-m manifest.jsonl -p pairs.jsonl"
    [ "$corpus" != - ] && echo "-o $corpus"
  }
  # shellcheck disable=SC2046,SC2086
  run_case "$work/$name/single" "$doppel" dedupe -q -t 2 $opts $(out_args) $inputs
  if [ "$(cat "$work/$name/single/rc")" != 0 ]; then
    fail "$name: doppel dedupe exited $(cat "$work/$name/single/rc"): $(cat "$work/$name/single/stderr")"
    continue
  fi
  for np in 1 2 4; do
    dir=$work/$name/np$np
    # shellcheck disable=SC2046,SC2086
    run_case "$dir" "$mpiexec" --oversubscribe -np $np "$doppel_mpi" dedupe -q -t 1 $opts \
      $(out_args) $inputs
    check
    if [ "$(cat "$dir/rc")" != 0 ]; then
      fail "$name, $np processes: exited $(cat "$dir/rc"): $(head -c 2000 "$dir/stderr")"
      continue
    fi
    for f in manifest.jsonl pairs.jsonl; do
      check
      cmp -s "$work/$name/single/$f" "$dir/$f" || fail "$name, $np processes: $f differs"
    done
    if [ "$corpus" != - ]; then
      check
      diff -r "$work/$name/single/$corpus" "$dir/$corpus" >/dev/null ||
        fail "$name, $np processes: the corpus output $corpus differs"
    fi
  done
  lines=$(wc -l <"$work/$name/single/manifest.jsonl")
  pairs=$(wc -l <"$work/$name/single/pairs.jsonl")
  echo "ok: $name: $lines records, $pairs pairs, identical for 1, 2 and 4 processes"
done

# Exchanges larger than one MPI_Alltoallv call may carry go in rounds: force rounds of
# 1000 bytes and expect the same outputs.
run_case "$work/rounds/single" "$doppel" dedupe -q \
  --against "$work/archive.idx" -m manifest.jsonl -p pairs.jsonl "$c/jsonl" "$c/big"
for np in 2 4; do
  dir=$work/rounds/np$np
  # shellcheck disable=SC2086
  run_case "$dir" env DOPPEL_MPI_ROUND_BYTES=1000 "$mpiexec" --oversubscribe \
    -x DOPPEL_MPI_ROUND_BYTES -np $np "$doppel_mpi" dedupe -q -t 1 \
    --against "$work/archive.idx" -m manifest.jsonl -p pairs.jsonl "$c/jsonl" "$c/big"
  for f in manifest.jsonl pairs.jsonl; do
    check
    cmp -s "$work/rounds/single/$f" "$dir/$f" ||
      fail "exchanges in rounds of 1000 bytes, $np processes: $f differs"
  done
done

# The corpus is one a demanding check can trust: it has duplicates of every kind.
m=$work/folders/single/manifest.jsonl
for want in '"kind":"exact"' '"kind":"near"' 'duplicate id' '"status":"error"' '"warning"'; do
  check
  grep -q "$want" "$m" || fail "the generated corpus has no $want in its manifest"
done
m=$work/against/single/manifest.jsonl
for want in '"kind":"exact"[^}]*"archived":true' '"kind":"near"[^}]*"archived":true'; do
  check
  grep -qE "$want" "$m" ||
    fail "the generated corpus has no archived duplicate ($want) with --against"
done

# Refused or failing runs: same exit code as doppel where it applies, one message.
expect_exit() { # code, what, then the command
  local code=$1 what=$2
  shift 2
  check
  run_case "$work/refuse" "$@"
  local got
  got=$(cat "$work/refuse/rc")
  [ "$got" = "$code" ] || fail "$what: exit $got, expected $code: $(cat "$work/refuse/stderr")"
  grep -q "doppel" "$work/refuse/stderr" || fail "$what: no message"
}
expect_exit 2 "--xling" "$mpiexec" --oversubscribe -np 2 "$doppel_mpi" dedupe -q --xling \
  -m m.jsonl "$c/jsonl"
expect_exit 2 "standard input" "$mpiexec" --oversubscribe -np 2 "$doppel_mpi" dedupe -q \
  -m m.jsonl -
expect_exit 2 "a missing input" "$mpiexec" --oversubscribe -np 2 "$doppel_mpi" dedupe -q \
  -m m.jsonl "$c/no-such-file.jsonl"
expect_exit 2 "an unwritable output" "$mpiexec" --oversubscribe -np 2 "$doppel_mpi" dedupe \
  -q -m /no-such-dir/m.jsonl "$c/jsonl"
expect_exit 1 "--strict with bad records" "$mpiexec" --oversubscribe -np 2 "$doppel_mpi" \
  dedupe --strict -m m.jsonl "$c/jsonl"
expect_exit 2 "a command other than dedupe" "$mpiexec" --oversubscribe -np 2 "$doppel_mpi" \
  normalize x
expect_exit 2 "a missing --against index" "$mpiexec" --oversubscribe -np 2 "$doppel_mpi" \
  dedupe -q --against "$work/no-such.idx" -m m.jsonl "$c/jsonl"
# A process that cannot start (its machine lacks the index, or an input) stops them all,
# and says why, instead of leaving the others waiting for it.
check
run_case "$work/refuse" timeout 120 "$mpiexec" --oversubscribe \
  -np 1 "$doppel_mpi" dedupe -q --against "$work/archive.idx" -m m.jsonl "$c/jsonl" : \
  -np 1 "$doppel_mpi" dedupe -q --against "$work/elsewhere.idx" -m m.jsonl "$c/jsonl"
[ "$(cat "$work/refuse/rc")" = 2 ] ||
  fail "an index missing on one process: exit $(cat "$work/refuse/rc"), expected 2"
grep -q "elsewhere.idx" "$work/refuse/stderr" ||
  fail "an index missing on one process: the message does not name it"
check
run_case "$work/refuse" timeout 120 "$mpiexec" --oversubscribe \
  -np 2 "$doppel_mpi" dedupe -q -m m.jsonl "$c/jsonl" : \
  -np 1 "$doppel_mpi" dedupe -q -m m.jsonl "$c/not-on-this-machine"
[ "$(cat "$work/refuse/rc")" = 2 ] ||
  fail "an input missing on one process: exit $(cat "$work/refuse/rc"), expected 2"
grep -q "not-on-this-machine" "$work/refuse/stderr" ||
  fail "an input missing on one process: the message does not name it"
expect_exit 2 "no INPUT" "$mpiexec" --oversubscribe -np 4 "$doppel_mpi" dedupe -m m.jsonl
check # one process reports a usage error, not all four
n=$(grep -c "needs at least one INPUT" "$work/refuse/stderr")
[ "$n" = 1 ] || fail "the usage error was printed $n times by 4 processes, not once"

echo "$checks checks, $failures failures"
[ "$failures" = 0 ]
