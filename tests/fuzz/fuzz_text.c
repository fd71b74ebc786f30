/* Fuzz target: normalization, then the script stage (segmentation, Han folding,
 * transliteration), then shingles and MinHash, on arbitrary bytes. The first byte picks
 * the options; the rest is the text. Beyond "no crash, no sanitizer report", it checks:
 *   - both stages write valid UTF-8;
 *   - normalization's fast paths give what utf8proc alone gives;
 *   - the script stage returns ASCII input untouched, and with white-space folding on
 *     writes no leading, trailing or doubled space;
 *   - the script stage is a function of its input: a second call (word cache warm) and
 *     a fresh clone (cache cold) give the same bytes;
 *   - the word shingles of its output (whatever SIMD paths this CPU takes: tokens, their
 *     hashes, the shingles) equal the portable reference: tokens by the portable path,
 *     each hashed by XXH3_64bits(), shingles rolled. */
#define _GNU_SOURCE
#include "doppel.h"
#include "replay.h"
#include "text/text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static int valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!len || i + len > n)
            return 0;
        uint32_t cp = len == 1 ? c : c & (0x7Fu >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < least[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_text: %s\n", what);
        abort();
    }
}

static unsigned norm_flags_of(unsigned char opt)
{
    unsigned f = DPL_NORM_DEFAULT;
    if (opt & 0x10)
        f &= ~(unsigned)DPL_NORM_PUNCT;
    if (opt & 0x20)
        f &= ~(unsigned)DPL_NORM_WHITESPACE;
    if (opt & 0x40)
        f &= ~(unsigned)DPL_NORM_CASEFOLD;
    return f;
}

/* Opening a transform takes ~20 ms: one handle per option byte for the whole run. */
static dpl_script *script_for(unsigned char opt)
{
    static dpl_script *scripts[256];
    if (!scripts[opt]) {
        dpl_script_options o = {
            .no_translit = opt & 1,
            .segment = (dpl_segment_mode)((opt >> 1) % 3),
            .han_simplify = (opt >> 3) & 1,
            .translit = (opt & 0x80) ? "Any-Latin" : NULL,
        };
        check(dpl_script_create(&o, norm_flags_of(opt), &scripts[opt]) == DPL_OK, "create");
    }
    return scripts[opt];
}

static dpl_normalizer *normalizer_for(unsigned char opt, unsigned extra)
{
    static dpl_normalizer *norms[2][256];
    dpl_normalizer **n = &norms[extra != 0][opt];
    if (!*n)
        check((*n = dpl_normalizer_create(norm_flags_of(opt) | extra)) != NULL, "normalizer");
    return *n;
}

/* The fast paths (ASCII, and the table for 2-byte letters and punctuation) against
 * utf8proc alone. */
static void check_fast_paths(unsigned char opt, const char *text, size_t len,
                             const char *norm, size_t norm_len)
{
    const char *slow;
    size_t slow_len;
    check(dpl_normalize(normalizer_for(opt, DPL_NORM_NO_ASCII_FAST_PATH), text, len, &slow,
                        &slow_len, NULL) == DPL_OK, "normalize (general path)");
    check(slow_len == norm_len && memcmp(slow, norm, norm_len) == 0,
          "the fast paths and the general path differ");
}

static void check_spacing(const char *s, size_t n)
{
    check(n == 0 || (s[0] != ' ' && s[n - 1] != ' '), "leading or trailing space");
    check(!memmem(s, n, "  ", 2), "doubled space");
}

/* The word shingles of text by the portable paths alone; returns how many (0 for none),
 * written to a buffer of the caller's. */
static size_t reference_shingles(const char *text, size_t len, size_t n, uint64_t **out)
{
    size_t cap = len / 2 + 1; /* a token and a space take two bytes at least */
    dpl_token *tokens = malloc(cap * sizeof *tokens);
    uint64_t *h = malloc(cap * sizeof *h);
    *out = malloc(cap * sizeof **out);
    check(tokens && h && *out, "out of memory");
    size_t nt = dpl__tokenize_level(text, len, 1, 0, tokens, cap);
    check(nt <= cap, "more tokens than bytes allow");
    for (size_t i = 0; i < nt; i++)
        h[i] = XXH3_64bits(text + tokens[i].offset, tokens[i].len);
    if (nt < n)
        n = nt; /* a short text still gets its one shingle */
    size_t count = nt ? nt - n + 1 : 0;
    if (count)
        dpl__combine_shingles(h, count, n, 0, *out);
    free(tokens);
    free(h);
    return count;
}

static void sketch(const char *text, size_t len)
{
    static dpl_shingler *sh;
    if (!sh)
        check((sh = dpl_shingler_create(DPL_SHINGLE_SPACED_WORDS, 0)) != NULL, "shingler");
    const uint64_t *shingles;
    size_t count;
    uint32_t sig[DPL_DEFAULT_NUM_PERM];
    check(dpl_shingle(sh, text, len, &shingles, &count) == DPL_OK, "shingle");
    uint64_t *want;
    size_t want_n = reference_shingles(text, len, DPL_DEFAULT_NGRAM, &want);
    check(count == want_n && (count == 0 || memcmp(shingles, want, count * sizeof *want) == 0),
          "shingles differ from the portable reference");
    free(want);
    check(dpl_minhash(shingles, count, DPL_DEFAULT_NUM_PERM, DPL_DEFAULT_SEED, sig) == DPL_OK,
          "minhash");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned char opt = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    const char *norm, *out;
    size_t norm_len, out_len;
    check(dpl_normalize(normalizer_for(opt, 0), text, len, &norm, &norm_len, NULL) == DPL_OK,
          "normalize");
    check(valid_utf8((const unsigned char *)norm, norm_len), "normalize wrote invalid UTF-8");
    check_fast_paths(opt, text, len, norm, norm_len);
    dpl_script *sc = script_for(opt);
    check(dpl_script_apply(sc, norm, norm_len, &out, &out_len) == DPL_OK, "apply");
    check(valid_utf8((const unsigned char *)out, out_len), "script wrote invalid UTF-8");
    int ascii = 1;
    for (size_t i = 0; i < norm_len; i++)
        ascii &= (unsigned char)norm[i] < 0x80;
    check(!ascii || out == norm, "ASCII text was not returned as it is");
    if (norm_flags_of(opt) & DPL_NORM_WHITESPACE)
        check_spacing(out, out_len);
    size_t first_len = out_len;
    char *first = malloc(out_len + 1);
    check(first != NULL, "out of memory");
    memcpy(first, out, out_len);
    check(dpl_script_apply(sc, norm, norm_len, &out, &out_len) == DPL_OK, "apply again");
    check(out_len == first_len && memcmp(first, out, out_len) == 0,
          "second call differs (warm cache)");
    dpl_script *clone;
    check(dpl_script_clone(sc, &clone) == DPL_OK, "clone");
    check(dpl_script_apply(clone, norm, norm_len, &out, &out_len) == DPL_OK, "apply clone");
    check(out_len == first_len && memcmp(first, out, out_len) == 0,
          "clone differs (cold cache)");
    sketch(out, out_len);
    dpl_script_free(clone);
    free(first);
    return 0;
}
