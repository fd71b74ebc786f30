#!/usr/bin/env bash
# Build doppel and run the whole test suite twice: an optimized build with warnings as
# errors, then under AddressSanitizer + UndefinedBehaviorSanitizer; then the end-to-end
# tests once more with doppel under valgrind, and one input larger than 2 GiB.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --test
jobs=$(nproc)

echo "== release build (-Werror)"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Release -DDOPPEL_WERROR=ON -DDOPPEL_MPI=ON >/dev/null
cmake --build build-test -j"$jobs" >/dev/null
(cd build-test && ctest --output-on-failure -j"$jobs" -LE "valgrind|large")

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDOPPEL_ASAN=ON -DDOPPEL_UBSAN=ON \
  -DDOPPEL_WERROR=ON -DDOPPEL_BUILD_BENCH=OFF -DDOPPEL_MPI=ON >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null
# OpenMP's runtime keeps thread pools alive at exit; that is not our leak.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j"$jobs" -LE "valgrind|large")

echo "== end-to-end tests under valgrind, and a 2.2 GB input (release build)"
(cd build-test && ctest --output-on-failure -j"$jobs" -L "valgrind|large")
