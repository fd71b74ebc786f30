/* bench_index: the persistent index (LMDB) in figures.
 *
 *   bench_index [--docs N] [--dir PATH] [--keep] [--queries Q] [--commit-every C]
 *               [--dup-rate R] [--seed S]
 *
 * N documents (default 1,000,000) are generated on the fly, one at a time, by a seeded
 * generator: English-like paragraphs of 150-400 words drawn from a Zipf vocabulary of
 * 20,000 made-up words (about 1-2.5 KB each, like news paragraphs), with ids
 * "doc-000000123". A share R (default 0.1) are planted duplicates of an earlier original
 * document: three in four are near duplicates (a few word substitutions, aimed at a
 * Jaccard similarity of 0.85-0.95 on word 5-grams; the exact Jaccard of every planted
 * pair is computed), one in four exact copies (half byte for byte, half differing only in
 * case and spacing, which normalization removes). Any document can be regenerated from
 * its number, so the benchmark holds a few bytes per document, never the texts.
 *
 * 1. Add: every document in order with dpl_index_add(), dpl_index_commit() every C
 *    (default 10,000). Time inside the library (adds and commits) is reported apart from
 *    generation. Recall of the planted pairs, by exact Jaccard, beside what MinHash and
 *    LSH should give; matches of unplanted documents are false positives.
 * 2. Bytes on disk: dpl_index_stats_get() bytes and the blocks data.mdb really occupies
 *    (st_blocks * 512, as du counts), per document.
 * 3. Query latency: the index is closed and reopened (the page cache stays warm: this is
 *    not a cold-cache figure), then Q queries (default 10,000), half near-duplicate
 *    variants of random indexed documents (each should find its document), half fresh
 *    unrelated texts (should find nothing); each dpl_index_query() timed with
 *    CLOCK_MONOTONIC.
 * 4. Remove: 1,000 documents spread over the index, each removal timed, then a commit;
 *    then checks that they are gone, also from the LSH buckets.
 *
 * A self-check on an in-memory index runs before any timing, and a baseline: the same
 * fingerprint computed through the public API alone (normalize, script stage, shingles,
 * MinHash), the ceiling of the add rate; the add phase splits its time with it between
 * fingerprinting and the index's own lookups and writes. The last lines compare the
 * figures with the targets for this 2-core machine (add >= 20,000 docs/s, query
 * p99 <= 2 ms against 1,000,000 documents, <= 600 bytes per document on disk at k=128)
 * and give the peak RSS (which counts the pages of data.mdb the process has touched
 * through LMDB's memory map; the anonymous part is printed beside it).
 *
 * --dir PATH puts the index in PATH (created; it must not hold an index yet) and keeps
 * it. Without it the index goes in a fresh folder under $TMPDIR (or /tmp), removed at the
 * end unless --keep. */
#define _GNU_SOURCE
#include "doppel.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VOCAB 20000
#define ZIPF_S 1.0
#define MIN_WORDS 150
#define MAX_WORDS 400
#define TEXT_CAP 32768 /* > 2 * MAX_WORDS * (longest word + punctuation) */
#define MAX_REMOVE 1000
#define REMOVE_REQUERY 100
#define J_BUCKETS 5 /* [.75,.80) [.80,.85) [.85,.90) [.90,.95) [.95,1] */

/* ---- seeded generator ---------------------------------------------------------------- */

typedef struct rng {
    uint64_t state;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rng_below(rng *r, uint64_t n)
{
    return n ? rng_next(r) % n : 0;
}

static double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

/* Independent streams: one per (purpose, number), so that any document, its edits and
 * its layout can be regenerated alone. */
enum { SALT_PLAN = 1, SALT_WORDS, SALT_EDITS, SALT_LAYOUT, SALT_QUERY, SALT_FRESH,
       SALT_PICK };

static uint64_t g_seed = 1;

static rng stream(unsigned salt, uint64_t n)
{
    rng r = {g_seed * 0xD1B54A32D192ED03ull ^ ((uint64_t)salt << 56) ^ n};
    rng_next(&r);
    return r;
}

/* ---- vocabulary ---------------------------------------------------------------------- */

/* Words are one to three syllables; the most frequent ranks get the shortest words, as in
 * English. Every syllable starts with a consonant followed by a vowel, so a word splits
 * into syllables one way only and the 20,000 words are distinct (checked). */
static const char *const syllables[40] = {
    "ta",  "re",  "lo",  "mi",  "san", "ke",  "pol", "dar", "ni",  "ven",
    "bu",  "sol", "me",  "gat", "tir", "fo",  "lam", "den", "hu",  "rok",
    "pas", "ci",  "mon", "de",  "wal", "ker", "sib", "bal", "nu",  "ter",
    "gor", "pin", "zan", "mo",  "lis", "vet", "dav", "rus", "nem", "bar"};
#define ONE_SYL 24
#define TWO_SYL (ONE_SYL + 40 * 40)

typedef struct vocab {
    char word[VOCAB][12];
    unsigned char len[VOCAB];
    double prob[VOCAB]; /* Walker alias table for O(1) Zipf draws */
    uint32_t alias[VOCAB];
} vocab;

static vocab voc;

static void make_word(unsigned rank, char *out)
{
    out[0] = '\0';
    if (rank < ONE_SYL) {
        strcpy(out, syllables[rank]);
    } else if (rank < TWO_SYL) {
        unsigned i = (unsigned)(((uint64_t)(rank - ONE_SYL) * 7919u) % 1600u);
        strcat(strcpy(out, syllables[i / 40]), syllables[i % 40]);
    } else {
        unsigned i = (unsigned)(((uint64_t)(rank - TWO_SYL) * 7919u) % 64000u);
        strcat(strcat(strcpy(out, syllables[i / 1600]), syllables[i / 40 % 40]),
               syllables[i % 40]);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Returns the number of distinct words (VOCAB when the construction is sound). */
static size_t vocab_init(void)
{
    double *p = malloc(VOCAB * sizeof *p), total = 0;
    uint32_t *small = malloc(VOCAB * sizeof *small), *large = malloc(VOCAB * sizeof *large);
    const char **sorted = malloc(VOCAB * sizeof *sorted);
    for (unsigned i = 0; i < VOCAB; i++) {
        make_word(i, voc.word[i]);
        voc.len[i] = (unsigned char)strlen(voc.word[i]);
        sorted[i] = voc.word[i];
        p[i] = 1.0 / pow(i + 1.0, ZIPF_S);
        total += p[i];
    }
    size_t ns = 0, nl = 0;
    for (unsigned i = 0; i < VOCAB; i++) {
        p[i] = p[i] / total * VOCAB;
        if (p[i] < 1.0)
            small[ns++] = i;
        else
            large[nl++] = i;
    }
    while (ns && nl) {
        uint32_t s = small[--ns], l = large[--nl];
        voc.prob[s] = p[s];
        voc.alias[s] = l;
        p[l] -= 1.0 - p[s];
        if (p[l] < 1.0)
            small[ns++] = l;
        else
            large[nl++] = l;
    }
    while (nl) {
        uint32_t l = large[--nl];
        voc.prob[l] = 1.0;
        voc.alias[l] = l;
    }
    while (ns) {
        uint32_t s = small[--ns];
        voc.prob[s] = 1.0;
        voc.alias[s] = s;
    }
    qsort(sorted, VOCAB, sizeof *sorted, cmp_str);
    size_t distinct = VOCAB ? 1 : 0;
    for (size_t i = 1; i < VOCAB; i++)
        distinct += strcmp(sorted[i - 1], sorted[i]) != 0;
    free(p);
    free(small);
    free(large);
    free(sorted);
    return distinct;
}

static uint16_t draw_word(rng *r)
{
    uint64_t x = rng_next(r);
    uint32_t i = (uint32_t)((x >> 32) % VOCAB);
    double u = (double)(x & 0xFFFFFFFFu) / 4294967296.0;
    return (uint16_t)(u < voc.prob[i] ? i : voc.alias[i]);
}

/* ---- the corpus plan ----------------------------------------------------------------- */

typedef enum doc_kind { ORIGINAL = 0, NEAR, EXACT, EXACT_SURFACE } doc_kind;

/* Per document one byte of kind and the number of its source: ~5 bytes a document. */
typedef struct plan {
    uint32_t n;
    uint8_t *kind;
    uint32_t *src;
    uint64_t planted_near, planted_exact;
} plan;

static void plan_make(plan *p, uint32_t n, double dup_rate)
{
    memset(p, 0, sizeof *p);
    p->n = n;
    p->kind = calloc(n ? n : 1, 1);
    p->src = calloc(n ? n : 1, sizeof *p->src);
    uint32_t *originals = malloc((n ? n : 1) * sizeof *originals);
    uint32_t n_orig = 0;
    for (uint32_t i = 0; i < n; i++) {
        rng r = stream(SALT_PLAN, i);
        if (n_orig > 0 && rng_unit(&r) < dup_rate) {
            p->src[i] = originals[rng_below(&r, n_orig)];
            uint64_t k = rng_below(&r, 8);
            p->kind[i] = k < 6 ? NEAR : k == 6 ? EXACT : EXACT_SURFACE;
            if (p->kind[i] == NEAR)
                p->planted_near++;
            else
                p->planted_exact++;
        } else {
            p->kind[i] = ORIGINAL;
            p->src[i] = i;
            originals[n_orig++] = i;
        }
    }
    free(originals);
}

static void plan_free(plan *p)
{
    free(p->kind);
    free(p->src);
}

/* ---- documents ----------------------------------------------------------------------- */

typedef struct doc {
    uint16_t w[MAX_WORDS];
    size_t n;
    uint64_t layout; /* the layout stream: a copy is laid out like its source */
    int surface;     /* 1: lower case and doubled spaces */
    double jaccard;  /* exact word 5-gram Jaccard with the document it varies (NEAR) */
    char text[TEXT_CAP];
    size_t len;
} doc;

static void original_words(doc *d, unsigned salt, uint64_t n)
{
    rng r = stream(salt, n);
    d->n = MIN_WORDS + (size_t)rng_below(&r, MAX_WORDS - MIN_WORDS + 1);
    for (size_t i = 0; i < d->n; i++)
        d->w[i] = draw_word(&r);
}

/* Substitute a few words at distinct positions, as many as a Jaccard of `target` asks
 * for when every substitution removes 5 shingles and adds 5 (neighbouring ones overlap,
 * so the true Jaccard comes out a little higher). */
static void substitute(doc *d, rng *r, double target)
{
    size_t shingles = d->n - 4;
    size_t m = (size_t)lround((double)shingles * (1 - target) / (5 * (1 + target)));
    if (m < 1)
        m = 1;
    unsigned char done[MAX_WORDS] = {0};
    for (size_t k = 0; k < m; k++) {
        size_t pos;
        do
            pos = (size_t)rng_below(r, d->n);
        while (done[pos]);
        done[pos] = 1;
        uint16_t w;
        do
            w = draw_word(r);
        while (w == d->w[pos]);
        d->w[pos] = w;
    }
}

static uint64_t shingle_hash(const uint16_t *w)
{
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 5; i++) {
        h ^= w[i];
        h *= 0xBF58476D1CE4E5B9ull;
        h ^= h >> 29;
    }
    return h;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static size_t shingle_set(const doc *d, uint64_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i + 5 <= d->n; i++)
        out[n++] = shingle_hash(d->w + i);
    qsort(out, n, sizeof *out, cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || out[u - 1] != out[i])
            out[u++] = out[i];
    return u;
}

/* The exact Jaccard of the word 5-gram sets, the similarity doppel estimates (the words
 * are lower-case ASCII letters, so normalization and tokenization give back exactly the
 * word sequence). */
static double jaccard(const doc *a, const doc *b)
{
    uint64_t sa[MAX_WORDS], sb[MAX_WORDS];
    size_t na = shingle_set(a, sa), nb = shingle_set(b, sb), i = 0, j = 0, common = 0;
    while (i < na && j < nb) {
        if (sa[i] == sb[j]) {
            common++;
            i++;
            j++;
        } else if (sa[i] < sb[j])
            i++;
        else
            j++;
    }
    size_t uni = na + nb - common;
    return uni ? (double)common / (double)uni : 1.0;
}

/* Sentences of 8-24 words, a capital at the start, commas now and then, a line break
 * every few sentences. */
static void render(doc *d)
{
    rng r = stream(SALT_LAYOUT, d->layout);
    size_t n = 0, left = 0;
    char *t = d->text;
    for (size_t i = 0; i < d->n; i++) {
        int start = left == 0;
        if (start)
            left = 8 + (size_t)rng_below(&r, 17);
        const char *w = voc.word[d->w[i]];
        size_t len = voc.len[d->w[i]];
        memcpy(t + n, w, len);
        if (start && !d->surface)
            t[n] = (char)(t[n] - 'a' + 'A');
        n += len;
        left--;
        if (left == 0 || i + 1 == d->n) {
            t[n++] = '.';
            left = 0;
        } else if (rng_below(&r, 100) < 7)
            t[n++] = ',';
        if (i + 1 < d->n) {
            if (left == 0 && rng_below(&r, 5) == 0)
                t[n++] = '\n';
            else
                t[n++] = ' ';
            if (d->surface)
                t[n++] = ' ';
        }
    }
    t[n] = '\0';
    d->len = n;
}

/* Document i as the plan says; for a near duplicate `base` (scratch) receives its
 * source and d->jaccard the exact similarity. */
static void make_doc(const plan *p, uint32_t i, doc *d, doc *base)
{
    doc_kind kind = (doc_kind)p->kind[i];
    uint32_t src = p->src[i];
    original_words(d, SALT_WORDS, src);
    d->layout = src;
    d->surface = kind == EXACT_SURFACE;
    d->jaccard = 1.0;
    if (kind == NEAR) {
        memcpy(base->w, d->w, d->n * sizeof *d->w);
        base->n = d->n;
        rng r = stream(SALT_EDITS, i);
        substitute(d, &r, 0.85 + 0.10 * rng_unit(&r));
        d->jaccard = jaccard(base, d);
    }
    render(d);
}

static void doc_id(uint32_t i, char *out, size_t cap)
{
    snprintf(out, cap, "doc-%09u", (unsigned)i);
}

/* ---- helpers ------------------------------------------------------------------------- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static double pct(const double *sorted, size_t n, double q)
{
    if (n == 0)
        return 0;
    size_t k = (size_t)ceil(q * (double)n);
    return sorted[k ? k - 1 : 0];
}

/* Position of `id` among the matches, or -1; *kind receives its kind. */
static int find_match(const dpl_results *res, const char *id, dpl_match_kind *kind,
                      double *score)
{
    size_t n = dpl_results_count(res), len = strlen(id);
    for (size_t i = 0; i < n; i++) {
        dpl_match m;
        if (dpl_results_get(res, i, &m) == DPL_OK && m.id_len == len &&
            memcmp(m.id, id, len) == 0) {
            if (kind)
                *kind = m.kind;
            if (score)
                *score = m.score;
            return (int)i;
        }
    }
    return -1;
}

/* P(a pair of Jaccard j is reported): LSH makes it a candidate, and its MinHash estimate
 * (equal values out of k, each equal with probability j) reaches the threshold. */
static double expected_recall(double j, const dpl_index_stats *st)
{
    unsigned k = st->num_perm;
    unsigned need = (unsigned)ceil(st->threshold * k - 1e-9);
    double tail = 0;
    if (j >= 1)
        tail = 1;
    else
        for (unsigned m = need; m <= k; m++)
            tail += exp(lgamma(k + 1.0) - lgamma(m + 1.0) - lgamma(k - m + 1.0) +
                        m * log(j) + (k - m) * log1p(-j));
    return dpl_lsh_probability(j, st->bands, st->rows) * tail;
}

typedef struct recall_table {
    uint64_t n[J_BUCKETS], found[J_BUCKETS];
    double expected[J_BUCKETS];
    double jmin, jmax, jsum;
    double err_sum, err_max; /* |reported score - exact Jaccard| of the found ones */
    uint64_t scored;
} recall_table;

static void recall_init(recall_table *t)
{
    memset(t, 0, sizeof *t);
    t->jmin = 2;
}

static void recall_add(recall_table *t, double j, int found, double score,
                       const dpl_index_stats *st)
{
    int b = j < 0.80 ? 0 : j < 0.85 ? 1 : j < 0.90 ? 2 : j < 0.95 ? 3 : 4;
    t->n[b]++;
    t->found[b] += found != 0;
    t->expected[b] += expected_recall(j, st);
    t->jsum += j;
    if (j < t->jmin)
        t->jmin = j;
    if (j > t->jmax)
        t->jmax = j;
    if (found) {
        double e = fabs(score - j);
        t->err_sum += e;
        if (e > t->err_max)
            t->err_max = e;
        t->scored++;
    }
}

static void recall_print(const recall_table *t, const char *indent)
{
    static const char *const names[J_BUCKETS] = {"< 0.80   ", "0.80-0.85", "0.85-0.90",
                                                 "0.90-0.95", ">= 0.95  "};
    uint64_t n = 0;
    for (int b = 0; b < J_BUCKETS; b++)
        n += t->n[b];
    if (n == 0)
        return;
    printf("%sexact Jaccard min %.3f, mean %.3f, max %.3f; reported score - Jaccard: mean "
           "|d| %.4f, max %.4f\n",
           indent, t->jmin, t->jsum / (double)n, t->jmax,
           t->scored ? t->err_sum / (double)t->scored : 0.0, t->err_max);
    printf("%s%-11s %9s %9s %8s %10s\n", indent, "Jaccard", "pairs", "found", "recall",
           "expected*");
    for (int b = 0; b < J_BUCKETS; b++)
        if (t->n[b])
            printf("%s%-11s %9llu %9llu %7.2f%% %9.2f%%\n", indent, names[b],
                   (unsigned long long)t->n[b], (unsigned long long)t->found[b],
                   100.0 * (double)t->found[b] / (double)t->n[b],
                   100.0 * t->expected[b] / (double)t->n[b]);
}

static long proc_status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            v = atol(line + klen + 1);
            break;
        }
    fclose(f);
    return v;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void check_rc(int rc, const char *what, const char *msg)
{
    if (rc != DPL_OK) {
        fprintf(stderr, "bench_index: %s failed: %s (%s)%s%s\n", what, dpl_errname(rc),
                dpl_strerror(rc), msg && *msg ? ": " : "", msg ? msg : "");
        exit(1);
    }
}

/* ---- self-check ---------------------------------------------------------------------- */

#define CHECK(cond, what)                                                                \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "bench_index: self-check failed: %s\n", what);               \
            return 1;                                                                    \
        }                                                                                \
    } while (0)

/* On an in-memory index: a document, a near duplicate of it (one substitution) and a
 * copy in other case and spacing are found as they should be; query, contains and
 * remove agree. */
static int self_check(doc *a, doc *b)
{
    char msg[256] = "";
    dpl_index *ix = NULL;
    check_rc(dpl_index_open(NULL, NULL, DPL_INDEX_CREATE, &ix, msg, sizeof msg),
             "dpl_index_open(NULL) for the self-check", msg);
    dpl_results *res = dpl_results_create();
    CHECK(res != NULL, "dpl_results_create");

    original_words(a, SALT_FRESH, UINT64_MAX);
    a->layout = 0;
    a->surface = 0;
    render(a);
    *b = *a;
    rng r = stream(SALT_EDITS, UINT64_MAX);
    substitute(b, &r, 0.99);
    render(b);
    dpl_match_kind kind = 0;
    double score = 0;

    CHECK(dpl_index_add(ix, "a", 1, a->text, a->len, res) == DPL_OK, "add a");
    CHECK(dpl_results_count(res) == 0, "a fresh document matches nothing");
    CHECK(dpl_index_add(ix, "b", 1, b->text, b->len, res) == DPL_OK, "add b");
    CHECK(find_match(res, "a", &kind, &score) == 0 && kind == DPL_MATCH_NEAR &&
              score >= 0.8 && score < 1,
          "a near duplicate (one word substituted) finds its original, kind near");
    CHECK(dpl_index_add(ix, "a", 1, b->text, b->len, res) == DPL_EDUPID,
          "an id added twice is DPL_EDUPID");
    *b = *a;
    b->surface = 1;
    render(b);
    CHECK(dpl_index_add(ix, "c", 1, b->text, b->len, res) == DPL_OK, "add c");
    CHECK(find_match(res, "a", &kind, &score) == 0 && kind == DPL_MATCH_EXACT && score == 1,
          "a copy in lower case with doubled spaces is an exact duplicate, listed first");
    CHECK(find_match(res, "b", &kind, NULL) >= 0 && kind == DPL_MATCH_NEAR,
          "the copy also finds the near duplicate");
    CHECK(dpl_index_commit(ix) == DPL_OK, "commit");
    CHECK(dpl_index_contains(ix, "a", 1) == 1 && dpl_index_contains(ix, "z", 1) == 0,
          "contains");
    CHECK(dpl_index_query(ix, a->text, a->len, res) == DPL_OK && dpl_results_count(res) == 3,
          "a query with the original's text finds all three");
    CHECK(dpl_index_remove(ix, "a", 1) == DPL_OK && dpl_index_commit(ix) == DPL_OK,
          "remove and commit");
    CHECK(dpl_index_remove(ix, "a", 1) == DPL_ENOENT, "removing an absent id is DPL_ENOENT");
    CHECK(dpl_index_contains(ix, "a", 1) == 0, "a removed id is not contained");
    CHECK(dpl_index_query(ix, a->text, a->len, res) == DPL_OK && dpl_results_count(res) == 2 &&
              find_match(res, "a", NULL, NULL) < 0,
          "a removed document is no longer found");
    dpl_index_stats st;
    CHECK(dpl_index_stats_get(ix, &st) == DPL_OK && st.documents == 2, "stats: 2 documents");
    dpl_results_free(res);
    dpl_index_close(ix);
    return 0;
}

/* ---- baseline: the fingerprint alone -------------------------------------------------- */

/* What dpl_index_add() computes before it touches LMDB (normalization, the script stage,
 * word 5-gram shingles, the exact hash and a k=128 MinHash signature), through the public
 * API on one thread over the first `n` documents: the ceiling of the add rate. Returns
 * documents per second; *mb_s receives MB/s of text. */
static double fingerprint_rate(const plan *p, uint32_t n, doc *d, doc *base, double *mb_s)
{
    dpl_normalizer *norm = dpl_normalizer_create(DPL_NORM_DEFAULT);
    dpl_script *script = NULL;
    dpl_shingler *sh = dpl_shingler_create(DPL_SHINGLE_SPACED_WORDS, DPL_DEFAULT_NGRAM);
    check_rc(dpl_script_create(NULL, DPL_NORM_DEFAULT, &script), "dpl_script_create", NULL);
    if (!norm || !sh) {
        fprintf(stderr, "bench_index: out of memory\n");
        exit(1);
    }
    uint32_t sig[DPL_DEFAULT_NUM_PERM];
    double spent = 0;
    uint64_t bytes = 0, sink = 0;
    for (uint32_t i = 0; i < n; i++) {
        make_doc(p, i, d, base);
        double t0 = now();
        const char *nt, *st;
        size_t nlen, slen, count;
        const uint64_t *shingles;
        check_rc(dpl_normalize(norm, d->text, d->len, &nt, &nlen, NULL), "dpl_normalize",
                 NULL);
        dpl_hash128 h = dpl_exact_hash(nt, nlen);
        check_rc(dpl_script_apply(script, nt, nlen, &st, &slen), "dpl_script_apply", NULL);
        check_rc(dpl_shingle(sh, st, slen, &shingles, &count), "dpl_shingle", NULL);
        check_rc(dpl_minhash(shingles, count, DPL_DEFAULT_NUM_PERM, DPL_DEFAULT_SEED, sig),
                 "dpl_minhash", NULL);
        spent += now() - t0;
        sink += h.lo ^ sig[0];
        bytes += d->len;
    }
    dpl_normalizer_free(norm);
    dpl_script_free(script);
    dpl_shingler_free(sh);
    if (sink == 42) /* keep the work observable */
        fputc(' ', stderr);
    *mb_s = (double)bytes / 1e6 / spent;
    return (double)n / spent;
}

/* ---- main ---------------------------------------------------------------------------- */

typedef struct settings {
    uint32_t docs;
    const char *dir;
    int keep;
    uint32_t queries;
    uint32_t commit_every;
    double dup_rate;
} settings;

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_index [--docs N (1000000)] [--dir PATH] [--keep] [--queries Q "
            "(10000)]\n"
            "                   [--commit-every C (10000)] [--dup-rate R (0.1)] [--seed S "
            "(1)]\n");
    exit(2);
}

static void parse_args(int argc, char **argv, settings *s)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--keep")) {
            s->keep = 1;
            continue;
        }
        if (!v)
            usage();
        if (!strcmp(a, "--docs"))
            s->docs = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--dir"))
            s->dir = v;
        else if (!strcmp(a, "--queries"))
            s->queries = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--commit-every"))
            s->commit_every = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--dup-rate"))
            s->dup_rate = atof(v);
        else if (!strcmp(a, "--seed"))
            g_seed = strtoull(v, NULL, 10);
        else
            usage();
        i++;
    }
    if (s->docs < 2 || s->commit_every == 0 || s->dup_rate < 0 || s->dup_rate > 0.9)
        usage();
}

int main(int argc, char **argv)
{
    settings s = {1000000, NULL, 0, 10000, 10000, 0.1};
    parse_args(argc, argv, &s);
    setvbuf(stdout, NULL, _IOLBF, 0);

    doc *d = malloc(sizeof *d), *base = malloc(sizeof *base);
    size_t distinct = vocab_init();
    printf("bench_index: doppel %s (Unicode %s, ICU %s), persistent index (LMDB)\n",
           dpl_version_string(), dpl_unicode_version(), dpl_icu_version());
    if (distinct != VOCAB) {
        fprintf(stderr, "bench_index: the vocabulary has %zu distinct words of %d\n",
                distinct, VOCAB);
        return 1;
    }
    if (self_check(d, base))
        return 1;
    printf("self-check: ok (in-memory index: near and exact duplicates, EDUPID, query, "
           "contains, remove)\n");

    /* the index folder */
    char tmp[4096] = "", path[4096], datafile[4200];
    if (s.dir) {
        snprintf(path, sizeof path, "%s", s.dir);
    } else {
        const char *t = getenv("TMPDIR");
        snprintf(tmp, sizeof tmp, "%s/bench_index.XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(tmp)) {
            fprintf(stderr, "bench_index: mkdtemp %s: %s\n", tmp, strerror(errno));
            return 1;
        }
        snprintf(path, sizeof path, "%s/index", tmp);
    }
    snprintf(datafile, sizeof datafile, "%s/data.mdb", path);
    struct stat sb;
    if (stat(datafile, &sb) == 0) {
        fprintf(stderr, "bench_index: %s already holds an index; remove it or pick another "
                        "--dir\n", path);
        return 1;
    }

    plan p;
    double t0 = now();
    plan_make(&p, s.docs, s.dup_rate);
    double plan_s = now() - t0;

    char msg[512] = "";
    dpl_index *ix = NULL;
    t0 = now();
    check_rc(dpl_index_open(path, NULL, DPL_INDEX_CREATE, &ix, msg, sizeof msg),
             "dpl_index_open", msg);
    double create_ms = (now() - t0) * 1e3;
    dpl_index_stats st;
    check_rc(dpl_index_stats_get(ix, &st), "dpl_index_stats_get", NULL);
    dpl_results *res = dpl_results_create();

    printf("index: %s (%s), created in %.1f ms\n", path,
           s.dir || s.keep ? "kept" : "removed at the end", create_ms);
    for (char *c = st.settings; *c; c++) /* one line, whichever separator it uses */
        if (*c == '\n')
            *c = ' ';
    for (size_t n = strlen(st.settings); n > 0 && st.settings[n - 1] == ' ';)
        st.settings[--n] = '\0';
    printf("settings: k=%u bands=%u rows=%u ngram=%u threshold=%.2f\n  [%s]\n", st.num_perm,
           st.bands, st.rows, st.ngram, st.threshold, st.settings);
    printf("corpus: %u documents, seed %llu, 150-400 words each from a Zipf (s=%.1f) "
           "vocabulary of %d words;\n"
           "        planted %llu near duplicates (aimed at Jaccard 0.85-0.95) and %llu exact "
           "copies (half differing in case and spacing) = %.2f%%; plan made in %.2f s\n",
           s.docs, (unsigned long long)g_seed, ZIPF_S, VOCAB,
           (unsigned long long)p.planted_near, (unsigned long long)p.planted_exact,
           100.0 * (double)(p.planted_near + p.planted_exact) / s.docs, plan_s);

    make_doc(&p, 0, d, base);
    printf("        document 0 begins: \"%.100s...\"\n", d->text);

    uint32_t n_base = s.docs < 20000 ? s.docs : 20000;
    double base_mb_s, base_rate = fingerprint_rate(&p, n_base, d, base, &base_mb_s);
    printf("baseline: the fingerprint alone (normalize, script stage, shingles, exact hash, "
           "MinHash k=%u)\n          over the first %u documents, one thread: %.0f docs/s, "
           "%.1f MB/s of text: the ceiling for adds\n",
           DPL_DEFAULT_NUM_PERM, n_base, base_rate, base_mb_s);

    /* ---- 1. add ---- */
    printf("\n1. add, in order, a commit every %u documents\n", s.commit_every);
    double *add_ms = malloc((size_t)s.docs * sizeof *add_ms);
    double gen_s = 0, add_s = 0, commit_s = 0, commit_max = 0;
    uint64_t text_bytes = 0, with_dup = 0, commits = 0, errors = 0, false_pos = 0;
    uint64_t exact_found = 0, exact_as_exact = 0, near_kind_wrong = 0;
    size_t len_min = SIZE_MAX, len_max = 0;
    long anon_peak_kb = 0;
    recall_table near_tab;
    recall_init(&near_tab);
    double wall0 = now(), last_report = wall0;
    for (uint32_t i = 0; i < s.docs; i++) {
        double g0 = now();
        make_doc(&p, i, d, base);
        char id[32];
        doc_id(i, id, sizeof id);
        double a0 = now();
        int rc = dpl_index_add(ix, id, strlen(id), d->text, d->len, res);
        double a1 = now();
        gen_s += a0 - g0;
        add_s += a1 - a0;
        add_ms[i] = (a1 - a0) * 1e3;
        text_bytes += d->len;
        if (d->len < len_min)
            len_min = d->len;
        if (d->len > len_max)
            len_max = d->len;
        if (rc != DPL_OK) {
            if (errors++ < 5)
                fprintf(stderr, "bench_index: add %s: %s\n", id, dpl_errname(rc));
            if (errors > 100) {
                fprintf(stderr, "bench_index: too many failed adds; stopping\n");
                return 1;
            }
            continue;
        }
        size_t count = dpl_results_count(res);
        with_dup += count > 0;
        doc_kind kind = (doc_kind)p.kind[i];
        if (kind == ORIGINAL) {
            if (count > 0 && false_pos++ < 5) {
                dpl_match m;
                dpl_results_get(res, 0, &m);
                fprintf(stderr, "bench_index: unplanted %s matched %.*s (%s, score %.3f)\n",
                        id, (int)m.id_len, m.id,
                        m.kind == DPL_MATCH_EXACT ? "exact" : "near", m.score);
            }
        } else {
            char src[32];
            doc_id(p.src[i], src, sizeof src);
            dpl_match_kind mk = 0;
            double score = 0;
            int found = find_match(res, src, &mk, &score) >= 0;
            if (kind == NEAR) {
                recall_add(&near_tab, d->jaccard, found, score, &st);
                near_kind_wrong += found && mk != DPL_MATCH_NEAR;
            } else {
                exact_found += found;
                exact_as_exact += found && mk == DPL_MATCH_EXACT && score == 1.0;
            }
        }
        if ((i + 1) % s.commit_every == 0 || i + 1 == s.docs) {
            long anon = proc_status_kb("RssAnon"); /* the transaction's dirty pages */
            if (anon > anon_peak_kb)
                anon_peak_kb = anon;
            double c0 = now();
            check_rc(dpl_index_commit(ix), "dpl_index_commit", NULL);
            double c = now() - c0;
            commit_s += c;
            if (c > commit_max)
                commit_max = c;
            commits++;
        }
        if (now() - last_report > 30) {
            last_report = now();
            fprintf(stderr, "  ... %u documents, %.0f s, %.0f docs/s in the library\n", i + 1,
                    last_report - wall0, (double)(i + 1) / (add_s + commit_s));
        }
    }
    double wall_s = now() - wall0;
    uint64_t added = s.docs - errors;
    double lib_s = add_s + commit_s;
    double add_rate = (double)added / lib_s;
    qsort(add_ms, s.docs, sizeof *add_ms, cmp_double);
    printf("   %-26s %9.2f s  %10.0f docs/s  %7.1f MB/s of text\n", "adds + commits", lib_s,
           add_rate, (double)text_bytes / 1e6 / lib_s);
    printf("   %-26s %9.2f s  (estimated from the baseline: %.2f s fingerprinting, %.2f s "
           "in the index's lookups and writes)\n",
           "of which adds", add_s, (double)added / base_rate,
           add_s - (double)added / base_rate);
    printf("   %-26s %9.2f s  (%llu commits, mean %.1f ms, max %.1f ms)\n", "of which commits",
           commit_s, (unsigned long long)commits, commits ? commit_s / commits * 1e3 : 0.0,
           commit_max * 1e3);
    printf("   %-26s %9.3f ms mean, p50 %.3f, p90 %.3f, p99 %.3f, p99.9 %.3f, max %.3f\n",
           "per add (without commits)", add_s * 1e3 / s.docs, pct(add_ms, s.docs, 0.5),
           pct(add_ms, s.docs, 0.9), pct(add_ms, s.docs, 0.99), pct(add_ms, s.docs, 0.999),
           add_ms[s.docs - 1]);
    printf("   %-26s %9.2f s  (not counted above)\n", "text generation", gen_s);
    printf("   %-26s %9.2f s\n", "wall", wall_s);
    printf("   text: %.1f MB, %.0f bytes/document (%zu-%zu)\n", (double)text_bytes / 1e6,
           (double)text_bytes / s.docs, len_min, len_max);
    printf("   failed adds: %llu\n", (unsigned long long)errors);
    uint64_t planted = p.planted_near + p.planted_exact;
    printf("   adds that found a duplicate: %llu = %.2f%% (planted: %llu = %.2f%%)\n",
           (unsigned long long)with_dup, 100.0 * (double)with_dup / s.docs,
           (unsigned long long)planted, 100.0 * (double)planted / s.docs);
    uint64_t near_found = 0;
    for (int b = 0; b < J_BUCKETS; b++)
        near_found += near_tab.found[b];
    printf("   planted near duplicates found: %llu of %llu = %.2f%% (%llu reported as "
           "exact)\n",
           (unsigned long long)near_found, (unsigned long long)p.planted_near,
           p.planted_near ? 100.0 * (double)near_found / (double)p.planted_near : 0.0,
           (unsigned long long)near_kind_wrong);
    recall_print(&near_tab, "     ");
    printf("     * expected: LSH candidate probability at bands=%u rows=%u times P(MinHash "
           "estimate >= %.2f) at k=%u\n",
           st.bands, st.rows, st.threshold, st.num_perm);
    printf("   planted exact copies found: %llu of %llu = %.2f%% (as exact, score 1: %llu)\n",
           (unsigned long long)exact_found, (unsigned long long)p.planted_exact,
           p.planted_exact ? 100.0 * (double)exact_found / (double)p.planted_exact : 0.0,
           (unsigned long long)exact_as_exact);
    printf("   unplanted documents that matched something (false positives): %llu\n",
           (unsigned long long)false_pos);

    /* ---- 2. bytes on disk ---- */
    check_rc(dpl_index_stats_get(ix, &st), "dpl_index_stats_get", NULL);
    printf("\n2. bytes on disk (k=%u)\n", st.num_perm);
    printf("   committed documents: %llu%s\n", (unsigned long long)st.documents,
           st.documents == added ? "" : "  <-- differs from the documents added");
    uint64_t ndocs = st.documents ? st.documents : 1;
    printf("   %-34s %12llu bytes  %7.1f bytes/document\n", "dpl_index_stats_get bytes",
           (unsigned long long)st.bytes, (double)st.bytes / (double)ndocs);
    double du_per_doc = -1;
    if (stat(datafile, &sb) == 0) {
        uint64_t du = (uint64_t)sb.st_blocks * 512;
        du_per_doc = (double)du / (double)ndocs;
        printf("   %-34s %12llu bytes  %7.1f bytes/document\n", "data.mdb size (st_size)",
               (unsigned long long)sb.st_size, (double)sb.st_size / (double)ndocs);
        printf("   %-34s %12llu bytes  %7.1f bytes/document\n",
               "data.mdb on disk (st_blocks*512)", (unsigned long long)du, du_per_doc);
    } else {
        printf("   %s: %s\n", datafile, strerror(errno));
    }
    printf("   text indexed: %.1f bytes/document\n", (double)text_bytes / s.docs);

    /* ---- 3. queries ---- */
    dpl_index_close(ix);
    ix = NULL;
    t0 = now();
    check_rc(dpl_index_open(path, NULL, 0, &ix, msg, sizeof msg), "dpl_index_open (reopen)",
             msg);
    double reopen_ms = (now() - t0) * 1e3;
    printf("\n3. query latency, %u queries against %llu documents, one thread\n"
           "   (the index just written, closed and reopened in %.1f ms: the page cache is "
           "warm, this is not a cold-cache figure)\n",
           s.queries, (unsigned long long)st.documents, reopen_ms);
    double *lat = malloc(((size_t)s.queries + 1) * sizeof *lat);
    double *lat_p = malloc(((size_t)s.queries + 1) * sizeof *lat_p);
    double *lat_f = malloc(((size_t)s.queries + 1) * sizeof *lat_f);
    size_t np = 0, nf = 0;
    uint64_t fresh_matched = 0, q_errors = 0, matches_total = 0;
    recall_table q_tab;
    recall_init(&q_tab);
    for (uint32_t q = 0; q < s.queries; q++) {
        int planted_q = q % 2 == 0;
        uint32_t target = 0;
        if (planted_q) {
            rng r = stream(SALT_PICK, q);
            target = (uint32_t)rng_below(&r, s.docs);
            make_doc(&p, target, base, d);
            *d = *base;
            rng e = stream(SALT_QUERY, q);
            substitute(d, &e, 0.85 + 0.10 * rng_unit(&e));
            d->jaccard = jaccard(base, d);
            render(d);
        } else {
            original_words(d, SALT_FRESH, q);
            d->layout = (uint64_t)s.docs + q;
            d->surface = 0;
            render(d);
        }
        double q0 = now();
        int rc = dpl_index_query(ix, d->text, d->len, res);
        double ms = (now() - q0) * 1e3;
        lat[q] = ms;
        if (rc != DPL_OK) {
            if (q_errors++ < 5)
                fprintf(stderr, "bench_index: query %u: %s\n", q, dpl_errname(rc));
            continue;
        }
        matches_total += dpl_results_count(res);
        if (planted_q) {
            lat_p[np++] = ms;
            char id[32];
            doc_id(target, id, sizeof id);
            double score = 0;
            int found = find_match(res, id, NULL, &score) >= 0;
            recall_add(&q_tab, d->jaccard, found, score, &st);
        } else {
            lat_f[nf++] = ms;
            fresh_matched += dpl_results_count(res) > 0;
        }
    }
    qsort(lat, s.queries, sizeof *lat, cmp_double);
    qsort(lat_p, np, sizeof *lat_p, cmp_double);
    qsort(lat_f, nf, sizeof *lat_f, cmp_double);
    double qsum = 0;
    for (uint32_t q = 0; q < s.queries; q++)
        qsum += lat[q];
    double p99 = pct(lat, s.queries, 0.99);
    printf("   %-22s %8s %8s %8s %8s %8s %8s   (ms)\n", "", "mean", "p50", "p90", "p99",
           "p99.9", "max");
    printf("   %-22s %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f\n", "all", qsum / s.queries,
           pct(lat, s.queries, 0.5), pct(lat, s.queries, 0.9), p99,
           pct(lat, s.queries, 0.999), s.queries ? lat[s.queries - 1] : 0.0);
    printf("   %-22s %8s %8.3f %8.3f %8.3f %8.3f %8.3f\n", "near-duplicate queries", "",
           pct(lat_p, np, 0.5), pct(lat_p, np, 0.9), pct(lat_p, np, 0.99),
           pct(lat_p, np, 0.999), np ? lat_p[np - 1] : 0.0);
    printf("   %-22s %8s %8.3f %8.3f %8.3f %8.3f %8.3f\n", "fresh queries", "",
           pct(lat_f, nf, 0.5), pct(lat_f, nf, 0.9), pct(lat_f, nf, 0.99),
           pct(lat_f, nf, 0.999), nf ? lat_f[nf - 1] : 0.0);
    uint64_t q_found = 0;
    for (int b = 0; b < J_BUCKETS; b++)
        q_found += q_tab.found[b];
    printf("   near-duplicate queries that found their document: %llu of %zu = %.2f%%\n",
           (unsigned long long)q_found, np, np ? 100.0 * (double)q_found / (double)np : 0.0);
    recall_print(&q_tab, "     ");
    printf("   fresh queries that matched something (false positives): %llu of %zu\n",
           (unsigned long long)fresh_matched, nf);
    printf("   matches returned per query: %.2f; failed queries: %llu\n",
           s.queries ? (double)matches_total / s.queries : 0.0, (unsigned long long)q_errors);

    /* contains(): a point lookup by id */
    uint32_t n_contains = s.queries;
    uint64_t contained = 0;
    t0 = now();
    for (uint32_t q = 0; q < n_contains; q++) {
        char id[32];
        rng r = stream(SALT_PICK, (uint64_t)q << 32 | 1);
        doc_id((uint32_t)rng_below(&r, s.docs), id, sizeof id);
        contained += dpl_index_contains(ix, id, strlen(id)) == 1;
    }
    double contains_us = n_contains ? (now() - t0) * 1e6 / n_contains : 0;
    printf("   dpl_index_contains: %.2f us mean over %u random ids (%llu contained)\n",
           contains_us, n_contains, (unsigned long long)contained);

    /* ---- 4. remove ---- */
    uint32_t nrem = s.docs / 2 < MAX_REMOVE ? s.docs / 2 : MAX_REMOVE;
    printf("\n4. remove %u documents spread over the index, then commit\n", nrem);
    double *rem = malloc((nrem + 1) * sizeof *rem), rem_sum = 0;
    uint64_t rem_errors = 0;
    for (uint32_t k = 0; k < nrem; k++) {
        char id[32];
        doc_id((uint32_t)((uint64_t)k * s.docs / nrem), id, sizeof id);
        double r0 = now();
        int rc = dpl_index_remove(ix, id, strlen(id));
        rem[k] = (now() - r0) * 1e3;
        rem_sum += rem[k];
        if (rc != DPL_OK && rem_errors++ < 5)
            fprintf(stderr, "bench_index: remove %s: %s\n", id, dpl_errname(rc));
    }
    t0 = now();
    check_rc(dpl_index_commit(ix), "dpl_index_commit after the removals", NULL);
    double rem_commit_ms = (now() - t0) * 1e3;
    qsort(rem, nrem, sizeof *rem, cmp_double);
    printf("   per remove: mean %.3f ms, p50 %.3f, p99 %.3f, max %.3f; commit %.1f ms; "
           "failed: %llu\n",
           nrem ? rem_sum / nrem : 0.0, pct(rem, nrem, 0.5), pct(rem, nrem, 0.99),
           nrem ? rem[nrem - 1] : 0.0, rem_commit_ms, (unsigned long long)rem_errors);
    uint64_t still = 0, still_found = 0;
    for (uint32_t k = 0; k < nrem; k++) {
        uint32_t i = (uint32_t)((uint64_t)k * s.docs / nrem);
        char id[32];
        doc_id(i, id, sizeof id);
        still += dpl_index_contains(ix, id, strlen(id)) != 0;
        if (k < REMOVE_REQUERY) {
            make_doc(&p, i, d, base);
            if (dpl_index_query(ix, d->text, d->len, res) == DPL_OK)
                still_found += find_match(res, id, NULL, NULL) >= 0;
        }
    }
    dpl_index_stats st2;
    check_rc(dpl_index_stats_get(ix, &st2), "dpl_index_stats_get", NULL);
    printf("   check: %llu removed ids still contained, %llu of %u removed documents still "
           "found by a query of their text; documents %llu -> %llu (%s)\n",
           (unsigned long long)still, (unsigned long long)still_found,
           nrem < REMOVE_REQUERY ? nrem : REMOVE_REQUERY, (unsigned long long)st.documents,
           (unsigned long long)st2.documents,
           st2.documents + nrem - rem_errors == st.documents && still == 0 && still_found == 0
               ? "ok"
               : "WRONG");

    /* ---- summary ---- */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("\nmemory: peak RSS %.1f MB (ru_maxrss; it counts the data.mdb pages LMDB's map "
           "has touched);\n        anonymous memory before a commit, at most %.1f MB; at the "
           "end anonymous %.1f MB, file-backed %.1f MB\n",
           (double)ru.ru_maxrss / 1024.0, (double)anon_peak_kb / 1024.0,
           (double)proc_status_kb("RssAnon") / 1024.0,
           (double)proc_status_kb("RssFile") / 1024.0);
    int add_ok = add_rate >= 20000, q_ok = p99 <= 2.0, disk_ok = du_per_doc >= 0 &&
                                                              du_per_doc <= 600;
    printf("targets (%u documents%s): add %.0f docs/s >= 20000 %s; query p99 %.3f ms <= 2 "
           "ms %s; disk %.0f bytes/doc <= 600 at k=%u %s\n",
           s.docs, s.docs == 1000000 ? "" : "; the targets are set for 1,000,000", add_rate,
           add_ok ? "met" : "NOT MET", p99, q_ok ? "met" : "NOT MET", du_per_doc,
           st.num_perm, disk_ok ? "met" : "NOT MET");

    dpl_results_free(res);
    dpl_index_close(ix);
    plan_free(&p);
    free(add_ms);
    free(lat);
    free(lat_p);
    free(lat_f);
    free(rem);
    free(d);
    free(base);
    if (!s.dir && !s.keep)
        nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
