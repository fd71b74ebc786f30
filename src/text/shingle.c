/* Shingling: word n-grams (each token hashed once, n token hashes combined per shingle)
 * or character n-grams (n code points hashed together), as 64-bit hashes. */
#include "common/common.h"

#include <stdlib.h>
#include <utf8proc.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

struct dpl_shingler {
    dpl_shingle_unit unit;
    unsigned n;
    dpl_token *tokens;
    size_t tokens_cap;
    uint64_t *hashes;
    size_t hashes_cap;
    uint64_t *shingles;
    size_t shingles_cap;
};

dpl_shingler *dpl_shingler_create(dpl_shingle_unit unit, unsigned ngram)
{
    if (ngram > 64 || (unit != DPL_SHINGLE_WORDS && unit != DPL_SHINGLE_CHARS))
        return NULL;
    dpl_shingler *sh = calloc(1, sizeof *sh);
    if (!sh)
        return NULL;
    sh->unit = unit;
    sh->n = ngram ? ngram : DPL_DEFAULT_NGRAM;
    return sh;
}

void dpl_shingler_free(dpl_shingler *sh)
{
    if (!sh)
        return;
    free(sh->tokens);
    free(sh->hashes);
    free(sh->shingles);
    free(sh);
}

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
    return (x << r) | (x >> (64 - r));
}

/* Order-sensitive combination of n token hashes, finished with XXH3's avalanche so that
 * every bit of the result depends on every input bit. */
static inline uint64_t combine(const uint64_t *h, size_t n)
{
    uint64_t acc = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; i++)
        acc = rotl64(acc ^ h[i], 23) * 0xC2B2AE3D27D4EB4Full;
    return XXH3_avalanche(acc ^ (uint64_t)n);
}

static int shingle_words(dpl_shingler *sh, const char *text, size_t len, size_t *count)
{
    size_t nt = dpl_tokenize(text, len, sh->tokens, sh->tokens_cap);
    if (nt > sh->tokens_cap) {
        DPL_TRY(dpl__grow((void **)&sh->tokens, &sh->tokens_cap, nt, sizeof *sh->tokens));
        nt = dpl_tokenize(text, len, sh->tokens, sh->tokens_cap);
    }
    DPL_TRY(dpl__grow((void **)&sh->hashes, &sh->hashes_cap, nt + 1, sizeof *sh->hashes));
    for (size_t i = 0; i < nt; i++)
        sh->hashes[i] = XXH3_64bits(text + sh->tokens[i].offset, sh->tokens[i].len);
    size_t n = sh->n, out = nt == 0 ? 0 : nt < n ? 1 : nt - n + 1;
    DPL_TRY(dpl__grow((void **)&sh->shingles, &sh->shingles_cap, out + 1, sizeof *sh->shingles));
    for (size_t i = 0; i < out; i++)
        sh->shingles[i] = combine(sh->hashes + i, nt < n ? nt : n);
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
    int rc = sh->unit == DPL_SHINGLE_WORDS ? shingle_words(sh, text, len, count)
                                           : shingle_chars(sh, text, len, count);
    *shingles = sh->shingles;
    return rc;
}
