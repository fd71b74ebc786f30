/* Shingles (AVX-512 and rolling alike), MinHash (the estimator against exact Jaccard),
 * LSH parameters, and the set functions used by verification. */
#include "check.h"
#include "doppel.h"
#include "sketch/sketch.h"
#include "text/text.h"

#include <math.h>
#include <stdlib.h>
#include <xxhash.h>

static uint64_t rng(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t shingles_of(dpl_shingler *sh, const char *text, const uint64_t **out)
{
    size_t n = 0;
    CHECK_EQ_INT(dpl_shingle(sh, text, strlen(text), out, &n), DPL_OK);
    return n;
}

static void test_shingles(void)
{
    dpl_shingler *sh = dpl_shingler_create(DPL_SHINGLE_WORDS, 5);
    const uint64_t *s;
    CHECK_EQ_INT(shingles_of(sh, "one two three four five six", &s), 2);
    uint64_t first = s[0];
    CHECK_EQ_INT(shingles_of(sh, "one two three four five", &s), 1);
    CHECK(s[0] == first);
    CHECK_EQ_INT(shingles_of(sh, "two one three four five", &s), 1);
    CHECK(s[0] != first); /* word order matters inside a shingle */
    CHECK_EQ_INT(shingles_of(sh, "short text", &s), 1); /* fewer than n words: one shingle */
    CHECK_EQ_INT(shingles_of(sh, "", &s), 0);
    CHECK_EQ_INT(shingles_of(sh, " , . ", &s), 0);
    /* each Han character is a word */
    CHECK_EQ_INT(shingles_of(sh, "\xE6\x96\xB0\xE9\x97\xBB\xE6\x8A\xA5\xE9\x81\x93\xE4\xBB\x8A\xE5\xA4\xA9", &s), 2);
    dpl_shingler_free(sh);

    sh = dpl_shingler_create(DPL_SHINGLE_CHARS, 3);
    CHECK_EQ_INT(shingles_of(sh, "abcde", &s), 3);
    CHECK_EQ_INT(shingles_of(sh, "\xD0\xB0\xD0\xB1\xD0\xB2\xD0\xB3", &s), 2); /* абвг: 4 code points */
    CHECK_EQ_INT(shingles_of(sh, "ab", &s), 1);
    dpl_shingler_free(sh);
    CHECK(dpl_shingler_create(DPL_SHINGLE_WORDS, 65) == NULL);
    dpl_shingler_free(NULL);
}

/* Two sets with a chosen overlap: |A n B| = common, |A \\ B| = only_a, |B \\ A| = only_b. */
static void make_pair(uint64_t *seed, size_t common, size_t only_a, size_t only_b,
                      uint64_t *a, uint64_t *b)
{
    for (size_t i = 0; i < common; i++)
        a[i] = b[i] = rng(seed);
    for (size_t i = 0; i < only_a; i++)
        a[common + i] = rng(seed);
    for (size_t i = 0; i < only_b; i++)
        b[common + i] = rng(seed);
}

static void test_minhash_is_unbiased(void)
{
    enum { PAIRS = 2000, K = 128 };
    uint64_t seed = 7;
    uint64_t *a = malloc(4000 * sizeof *a), *b = malloc(4000 * sizeof *b);
    uint32_t sa[K], sb[K];
    double sum_err = 0, sum_z2 = 0;
    for (int p = 0; p < PAIRS; p++) {
        size_t total = 200 + rng(&seed) % 1800;
        double j = 0.05 + 0.9 * (double)(rng(&seed) % 1000) / 1000.0;
        size_t common = (size_t)(j * (double)total);
        size_t rest = total - common, only_a = rest / 2, only_b = rest - only_a;
        make_pair(&seed, common, only_a, only_b, a, b);
        double exact = (double)common / (double)total;
        dpl_minhash(a, common + only_a, K, (uint64_t)p, sa);
        dpl_minhash(b, common + only_b, K, (uint64_t)p, sb);
        double err = dpl_minhash_jaccard(sa, sb, K) - exact;
        sum_err += err;
        sum_z2 += err * err / (exact * (1 - exact) / K);
    }
    double mean = sum_err / PAIRS, spread = sqrt(sum_z2 / PAIRS);
    printf("minhash: mean error %.5f, spread %.3f of sqrt(J(1-J)/k)\n", mean, spread);
    CHECK(fabs(mean) < 0.003);
    CHECK(spread > 0.8 && spread < 1.2);
    free(a);
    free(b);
}

static void test_minhash_details(void)
{
    uint64_t set[300], seed = 99;
    for (int i = 0; i < 300; i++)
        set[i] = rng(&seed);
    uint32_t s1[128], s2[128], s3[128];
    CHECK_EQ_INT(dpl_minhash(set, 300, 128, 1, s1), DPL_OK);
    CHECK_EQ_INT(dpl_minhash(set, 300, 128, 1, s2), DPL_OK);
    CHECK(memcmp(s1, s2, sizeof s1) == 0);
    CHECK(dpl_minhash_jaccard(s1, s2, 128) == 1.0);
    dpl_minhash(set, 300, 128, 2, s3);
    CHECK(memcmp(s1, s3, sizeof s1) != 0); /* another seed, another signature */
    /* repeats and order do not matter: it is a set sketch */
    uint64_t twice[600];
    for (int i = 0; i < 300; i++)
        twice[i] = twice[599 - i] = set[i];
    dpl_minhash(twice, 600, 128, 1, s3);
    CHECK(memcmp(s1, s3, sizeof s1) == 0);
    /* a tiny set fills every bin (densification) from its few values */
    dpl_minhash(set, 3, 128, 1, s3);
    int distinct_filled = 1;
    for (int i = 0; i < 128; i++)
        distinct_filled &= s3[i] != UINT32_MAX;
    CHECK(distinct_filled);
    dpl_minhash(set, 0, 128, 1, s3);
    CHECK(s3[0] == UINT32_MAX && s3[127] == UINT32_MAX);
    /* A shingle whose value is UINT32_MAX fills its bin like any other. Its value is
     * made from a one-shingle signature, which holds that shingle's value in every bin. */
    uint64_t probe_shingle = 0x0123456789ABCDEFull;
    dpl_minhash(&probe_shingle, 1, 128, 1, s3);
    uint32_t mask = s3[0] ^ (uint32_t)probe_shingle; /* the low half of the seed's mix */
    uint64_t pair[2] = {((uint64_t)0xDEADBEEF << 32) | (uint32_t)~mask, 0};
    int other_bins = 0;
    for (uint64_t hi = 1; hi < 64 && !other_bins; hi++) { /* one in another bin */
        pair[1] = (hi << 32) | 12345;
        dpl_minhash(pair + 1, 1, 128, 1, s3);
        dpl_minhash(pair, 2, 128, 1, s1);
        int max_bins = 0, second_bins = 0;
        for (int i = 0; i < 128; i++) {
            max_bins += s1[i] == UINT32_MAX;
            second_bins += s1[i] == s3[0];
        }
        other_bins = second_bins < 128;
        if (other_bins) /* empty bins borrow from both filled ones */
            CHECK(max_bins > 0 && second_bins > 0 && max_bins + second_bins == 128);
    }
    CHECK(other_bins); /* else the first one's bin was taken for empty */
    dpl_minhash(pair, 1, 128, 1, s2);
    CHECK(s2[0] == UINT32_MAX && s2[127] == UINT32_MAX); /* alone, it fills every bin */
    CHECK_EQ_INT(dpl_minhash(set, 3, 0, 1, s3), DPL_EINVAL);
    CHECK_EQ_INT(dpl_minhash(set, 3, DPL_MAX_NUM_PERM + 1, 1, s3), DPL_EINVAL);
}

static void test_lsh_params(void)
{
    unsigned b = 0, r = 0;
    CHECK_EQ_INT(dpl_lsh_params(0.8, 128, &b, &r), DPL_OK);
    CHECK(b * r <= 128);
    /* pairs at the threshold are found with high probability, far below it rarely */
    CHECK(dpl_lsh_probability(0.8, b, r) > 0.9);
    CHECK(dpl_lsh_probability(0.9, b, r) > 0.999);
    CHECK(dpl_lsh_probability(0.3, b, r) < 0.01);
    printf("lsh: threshold 0.8, k 128 -> %u bands x %u rows, P(0.8)=%.3f\n", b, r,
           dpl_lsh_probability(0.8, b, r));
    unsigned b5, r5;
    CHECK_EQ_INT(dpl_lsh_params(0.5, 128, &b5, &r5), DPL_OK);
    CHECK(r5 < r); /* a lower threshold needs fewer rows per band */
    CHECK_EQ_INT(dpl_lsh_params(0, 128, &b, &r), DPL_EINVAL);
    CHECK_EQ_INT(dpl_lsh_params(1.5, 128, &b, &r), DPL_EINVAL);
    for (double s = 0.05; s < 1; s += 0.05)
        CHECK(dpl_lsh_probability(s, 16, 8) < dpl_lsh_probability(s + 0.05, 16, 8));
}

static void test_sets(void)
{
    uint32_t a[] = {5, 3, 9, 3, 1, 5};
    CHECK_EQ_INT(dpl_set_normalize(a, 6), 4);
    CHECK(a[0] == 1 && a[1] == 3 && a[2] == 5 && a[3] == 9);
    uint32_t b[] = {3, 4, 9};
    CHECK_EQ_INT(dpl_set_intersection(a, 4, b, 3), 2);
    CHECK_EQ_INT(dpl_set_intersection(a, 0, b, 3), 0);
    /* the radix path (large arrays) sorts like the small path */
    uint64_t seed = 3;
    enum { N = 5000 };
    uint32_t *big = malloc(N * sizeof *big);
    for (int i = 0; i < N; i++)
        big[i] = (uint32_t)(rng(&seed) % 3000); /* with repeats */
    size_t n = dpl_set_normalize(big, N);
    int sorted = 1;
    for (size_t i = 1; i < n; i++)
        sorted &= big[i - 1] < big[i];
    CHECK(sorted);
    CHECK(n > 2000 && n <= 3000);
    free(big);
}

/* Densification with the probe table (what jobs and the index use) gives the signature
 * dpl_minhash() computes probe by probe: small sets, down to one shingle, leave most
 * bins empty and probe past the table's end. */
static void test_probe_table_matches(void)
{
    static const unsigned ks[] = {1, 7, 128, 1024};
    uint64_t state = 0xABCDEF;
    uint64_t set[300];
    uint32_t *a = malloc(DPL_MAX_NUM_PERM * sizeof *a), *b = malloc(DPL_MAX_NUM_PERM * sizeof *b);
    int mismatches = 0;
    CHECK(a && b);
    for (int ki = 0; ki < 4 && a && b; ki++)
        for (uint64_t seed = 1; seed <= 3; seed++) {
            dpl__probes *table = dpl__probes_create(ks[ki], seed);
            CHECK(table != NULL);
            for (int round = 0; round < 200 && table; round++) {
                size_t n = round < 20 ? (size_t)round : (size_t)(rng(&state) % 300);
                for (size_t i = 0; i < n; i++)
                    set[i] = rng(&state);
                memset(b, 0xA5, ks[ki] * sizeof *b); /* nothing left from the last round */
                int ra = dpl_minhash(set, n, ks[ki], seed, a);
                int rb = dpl__minhash_with(set, n, ks[ki], seed, table, b);
                mismatches += ra != DPL_OK || rb != DPL_OK || memcmp(a, b, ks[ki] * sizeof *a);
            }
            /* a table made for other settings is refused */
            CHECK_EQ_INT(dpl__minhash_with(set, 3, ks[ki], seed + 1, table, b), DPL_EINVAL);
            if (ks[ki] > 1)
                CHECK_EQ_INT(dpl__minhash_with(set, 3, ks[ki] - 1, seed, table, b), DPL_EINVAL);
            dpl__probes_free(table);
        }
    CHECK_EQ_INT(mismatches, 0);
    free(a);
    free(b);
}

/* Word shingles made eight at a time in AVX-512 (where this CPU has it) equal the rolled
 * ones, for every n the SIMD path takes and a few it leaves, whole groups of eight and
 * the rest after them. */
static void test_simd_shingles_match(void)
{
    if (!dpl__cpu_has_avx512dq())
        printf("test_sketch: no AVX-512 here, the SIMD shingle path is not compared\n");
    uint64_t state = 0x5EED, h[128];
    uint64_t a[128], b[128];
    int mismatches = 0;
    for (size_t n = 1; n <= DPL__SIMD_SHINGLE_MAX_N + 3; n++)
        for (size_t count = 1; count + n - 1 <= 128; count += count < 20 ? 1 : 13) {
            for (size_t i = 0; i < count + n - 1; i++)
                h[i] = rng(&state);
            memset(a, 0, sizeof a);
            memset(b, 0xA5, sizeof b);
            dpl__combine_shingles(h, count, n, dpl__cpu_has_avx512dq(), a);
            dpl__combine_shingles(h, count, n, 0, b);
            mismatches += memcmp(a, b, count * sizeof *a) != 0;
        }
    CHECK_EQ_INT(mismatches, 0);
    /* and the SIMD path does make the shingles it claims */
    if (dpl__cpu_has_avx512dq())
        CHECK_EQ_INT(dpl__combine_shingles_avx512(h, 20, 5, a), 16);
}

/* Token hashes made eight at a time in AVX-512 are XXH3_64bits() of each token, for every
 * length the SIMD path takes (1 to 16 bytes) and those it leaves to the caller (longer
 * ones, and those of up to 8 bytes within 8 bytes of the text's end), which it lists, in
 * order, and only those. */
static void test_simd_token_hashes(void)
{
    if (!dpl__cpu_has_avx512dq()) {
        printf("test_sketch: no AVX-512 here, the SIMD token hashes are not compared\n");
        return;
    }
    uint64_t state = 0x70C5;
    char text[2048];
    dpl_token tokens[400];
    uint64_t out[400];
    uint32_t rest[400];
    int wrong = 0, listed_wrong = 0, rounds = 0;
    for (size_t text_len = 0; text_len <= sizeof text; text_len += text_len < 40 ? 1 : 97) {
        for (size_t i = 0; i < text_len; i++)
            text[i] = (char)rng(&state); /* any bytes, high ones too */
        size_t nt = 0;
        for (size_t off = 0; off < text_len && nt < 400;) {
            size_t len = 1 + rng(&state) % 20;
            if (off + len > text_len)
                len = text_len - off;
            tokens[nt++] = (dpl_token){off, len};
            off += len + rng(&state) % 3;
        }
        size_t n_rest = 0;
        size_t done = dpl__hash_tokens_avx512(text, text_len, tokens, nt, out, rest, &n_rest);
        CHECK_EQ_INT(done, nt / 8 * 8);
        size_t r = 0;
        for (size_t i = 0; i < done; i++) {
            int left = tokens[i].len > 16 ||
                       (tokens[i].len <= 8 && tokens[i].offset + 8 > text_len);
            if (left) /* listed, in order */
                listed_wrong += r >= n_rest || rest[r++] != i;
            else
                wrong += out[i] != XXH3_64bits(text + tokens[i].offset, tokens[i].len);
        }
        listed_wrong += r != n_rest;
        rounds++;
    }
    CHECK_EQ_INT(wrong, 0);
    CHECK_EQ_INT(listed_wrong, 0);
    CHECK(rounds > 50);
}

/* A shingler's word shingles (whatever paths this CPU takes) equal the reference: every
 * token of dpl_tokenize_spaced() hashed by XXH3_64bits(), rolled portably. */
static void test_shingler_matches_reference(void)
{
    static const char *words[] = {"a", "an", "the", "word", "quick", "shingle", "jumped",
                                  "verification", "near-duplicates", "x", "übermäßig",
                                  "incomprehensibilities", "of", "1999"};
    dpl_shingler *sh = dpl_shingler_create(DPL_SHINGLE_SPACED_WORDS, 5);
    uint64_t state = 0xD0C;
    char text[4096];
    dpl_token tokens[600];
    uint64_t h[600], want[600];
    int mismatches = 0;
    for (int round = 0; round < 200; round++) {
        size_t len = 0, words_n = (size_t)(rng(&state) % 150);
        for (size_t w = 0; w < words_n; w++) {
            const char *word = words[rng(&state) % (sizeof words / sizeof *words)];
            size_t wl = strlen(word);
            if (len)
                text[len++] = ' ';
            memcpy(text + len, word, wl);
            len += wl;
        }
        size_t nt = dpl_tokenize_spaced(text, len, tokens, 600);
        for (size_t i = 0; i < nt; i++)
            h[i] = XXH3_64bits(text + tokens[i].offset, tokens[i].len);
        size_t n = nt < 5 ? nt : 5, count = nt == 0 ? 0 : nt - n + 1;
        if (count)
            dpl__combine_shingles(h, count, n, 0, want);
        const uint64_t *got;
        size_t got_n = 0;
        CHECK_EQ_INT(dpl_shingle(sh, text, len, &got, &got_n), DPL_OK);
        mismatches += got_n != count || (count && memcmp(got, want, count * sizeof *want));
    }
    CHECK_EQ_INT(mismatches, 0);
    dpl_shingler_free(sh);
}

int main(void)
{
    test_shingles();
    test_simd_shingles_match();
    test_simd_token_hashes();
    test_shingler_matches_reference();
    test_probe_table_matches();
    test_minhash_is_unbiased();
    test_minhash_details();
    test_lsh_params();
    test_sets();
    return check_report("test_sketch");
}
