/* Shingling: word n-grams (each token hashed once, n token hashes combined per shingle)
 * or character n-grams (n code points hashed together), as 64-bit hashes. */
#include "text/text.h"

#include <stdlib.h>
#include <utf8proc.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

struct dpl_shingler {
    dpl_shingle_unit unit;
    unsigned n;
    int simd; /* AVX-512 for word shingles */
    dpl_token *tokens;
    size_t tokens_cap;
    uint64_t *hashes;
    size_t hashes_cap;
    uint32_t *by_class; /* token indices grouped by XXH3's length class */
    size_t by_class_cap;
    uint64_t *shingles;
    size_t shingles_cap;
};

dpl_shingler *dpl_shingler_create(dpl_shingle_unit unit, unsigned ngram)
{
    if (ngram > 64 || (unit != DPL_SHINGLE_WORDS && unit != DPL_SHINGLE_CHARS &&
                        unit != DPL_SHINGLE_SPACED_WORDS))
        return NULL;
    dpl_shingler *sh = calloc(1, sizeof *sh);
    if (!sh)
        return NULL;
    sh->unit = unit;
    sh->n = ngram ? ngram : DPL_DEFAULT_NGRAM;
    sh->simd = dpl__cpu_has_avx512dq();
    return sh;
}

void dpl_shingler_free(dpl_shingler *sh)
{
    if (!sh)
        return;
    free(sh->tokens);
    free(sh->hashes);
    free(sh->by_class);
    free(sh->shingles);
    free(sh);
}

/* Word shingles are a polynomial in the n token hashes, h[i]*P^(n-1) + ... + h[i+n-1]
 * (mod 2^64), rolled along the text in O(1) per shingle, then finished with XXH3's
 * avalanche so that every bit of the result depends on every token. P is odd, so the
 * polynomial is order-sensitive and loses no information per step. Where the CPU has
 * AVX-512, the first shingles are made eight at a time (shingle_avx512.c) and rolling
 * goes on from there. */
static void roll_shingles(const uint64_t *h, size_t first, size_t count, size_t n,
                          uint64_t *out)
{
    uint64_t top = 1; /* P^(n-1) */
    for (size_t j = 1; j < n; j++)
        top *= DPL__SHINGLE_ROLL_BASE;
    uint64_t acc = 0;
    for (size_t j = 0; j < n; j++)
        acc = acc * DPL__SHINGLE_ROLL_BASE + h[first + j];
    out[first] = XXH3_avalanche(acc ^ n);
    for (size_t i = first + 1; i < count; i++) {
        acc = (acc - h[i - 1] * top) * DPL__SHINGLE_ROLL_BASE + h[i + n - 1];
        out[i] = XXH3_avalanche(acc ^ n);
    }
}

void dpl__combine_shingles(const uint64_t *h, size_t count, size_t n, int simd, uint64_t *out)
{
    size_t done = simd ? dpl__combine_shingles_avx512(h, count, n, out) : 0;
    if (done < count)
        roll_shingles(h, done, count, n, out);
}

/* XXH3 of a token takes a code path by its length: up to 3 bytes, 4 to 8, 9 to 16 (and
 * longer ones, rare in words). Words of English alternate between the first two at
 * random, so hashing them in text order mispredicts a branch every other word. Hashing
 * all tokens of one class, then the next, predicts it; the indices are grouped without a
 * branch either. With AVX-512, eight tokens of up to 8 bytes are hashed at once, both
 * short formulas computed, then those of 9 to 16 bytes eight at a time, and only the
 * others are grouped. */
static void hash_listed(dpl_shingler *sh, const char *text, const uint32_t *list, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        const dpl_token *t = &sh->tokens[list[j]];
        sh->hashes[list[j]] = XXH3_64bits(text + t->offset, t->len);
    }
}

static void hash_by_class(dpl_shingler *sh, const char *text, const uint32_t *which,
                          size_t nt)
{
    uint32_t *small = sh->by_class + nt, *mid = small + nt, *large = mid + nt;
    size_t n_small = 0, n_mid = 0, n_large = 0;
    for (size_t k = 0; k < nt; k++) {
        uint32_t i = which ? which[k] : (uint32_t)k;
        size_t len = sh->tokens[i].len;
        small[n_small] = mid[n_mid] = large[n_large] = i;
        n_small += len <= 3;
        n_mid += len - 4 <= 4; /* 4..8; wraps for shorter ones */
        n_large += len > 8;
    }
    hash_listed(sh, text, small, n_small);
    hash_listed(sh, text, mid, n_mid);
    hash_listed(sh, text, large, n_large);
}

static int hash_tokens(dpl_shingler *sh, const char *text, size_t len, size_t nt)
{
    if (nt > UINT32_MAX)
        return DPL_ENOMEM; /* 4 billion words: far past any record size limit */
    DPL_TRY(dpl__grow((void **)&sh->by_class, &sh->by_class_cap, 4 * nt + 1,
                      sizeof *sh->by_class));
    if (!sh->simd) {
        hash_by_class(sh, text, NULL, nt);
        return DPL_OK;
    }
    uint32_t *rest = sh->by_class;
    size_t n_rest;
    size_t done = dpl__hash_tokens_avx512(text, len, sh->tokens, nt, sh->hashes, rest, &n_rest);
    for (size_t i = done; i < nt; i++)
        rest[n_rest++] = (uint32_t)i;
    hash_by_class(sh, text, rest, n_rest);
    return DPL_OK;
}

static int shingle_words(dpl_shingler *sh, const char *text, size_t len, size_t *count)
{
    size_t (*tokenize)(const char *, size_t, dpl_token *, size_t) =
        sh->unit == DPL_SHINGLE_SPACED_WORDS ? dpl_tokenize_spaced : dpl_tokenize;
    size_t nt = tokenize(text, len, sh->tokens, sh->tokens_cap);
    if (nt > sh->tokens_cap) {
        /* room to spare: the AVX-512 tokenizer takes a block only while 64 tokens more
         * would fit, so the last blocks of a text keep the fast path */
        DPL_TRY(dpl__grow((void **)&sh->tokens, &sh->tokens_cap, nt + 64, sizeof *sh->tokens));
        nt = tokenize(text, len, sh->tokens, sh->tokens_cap);
    }
    DPL_TRY(dpl__grow((void **)&sh->hashes, &sh->hashes_cap, nt + 1, sizeof *sh->hashes));
    DPL_TRY(hash_tokens(sh, text, len, nt));
    size_t n = sh->n, out = nt == 0 ? 0 : nt < n ? 1 : nt - n + 1;
    DPL_TRY(dpl__grow((void **)&sh->shingles, &sh->shingles_cap, out + 1, sizeof *sh->shingles));
    if (out)
        dpl__combine_shingles(sh->hashes, out, nt < n ? nt : n, sh->simd, sh->shingles);
    *count = out;
    return DPL_OK;
}

static int shingle_chars(dpl_shingler *sh, const char *text, size_t len, size_t *count)
{
    /* Code point start offsets, then one hash per window of n code points. */
    DPL_TRY(dpl__grow((void **)&sh->hashes, &sh->hashes_cap, len + 2, sizeof *sh->hashes));
    size_t ncp = 0;
    for (size_t i = 0; i < len; ncp++) {
        sh->hashes[ncp] = i;
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                                              (utf8proc_ssize_t)(len - i), &cp);
        i += k > 0 ? (size_t)k : 1;
    }
    sh->hashes[ncp] = len;
    size_t n = sh->n, out = ncp == 0 ? 0 : ncp < n ? 1 : ncp - n + 1;
    DPL_TRY(dpl__grow((void **)&sh->shingles, &sh->shingles_cap, out + 1, sizeof *sh->shingles));
    for (size_t i = 0; i < out; i++) {
        size_t end = sh->hashes[i + (ncp < n ? ncp : n)];
        sh->shingles[i] = XXH3_64bits(text + sh->hashes[i], end - sh->hashes[i]);
    }
    *count = out;
    return DPL_OK;
}

int dpl_shingle(dpl_shingler *sh, const char *text, size_t len, const uint64_t **shingles,
                size_t *count)
{
    if (!sh || (!text && len) || !shingles || !count)
        return DPL_EINVAL;
    int rc = sh->unit == DPL_SHINGLE_CHARS ? shingle_chars(sh, text, len, count)
                                           : shingle_words(sh, text, len, count);
    *shingles = sh->shingles;
    return rc;
}
