/* bench_near: accuracy of near-duplicate detection against known true Jaccard.
 *
 *   bench_near [--families N] [--seed S] [--threshold T] [--threads N]
 *
 * A seeded generator writes families of documents: a base text (150-500 Zipf words in
 * sentences) and, for 60% of families, 1-3 variants made by 1-3 random edits: word
 * substitutions, insertions, deletions, sentence reordering, an added boilerplate
 * paragraph (the same for every document, so unrelated documents share it too),
 * truncation, and surface changes that normalization must undo (upper case, doubled
 * spaces, decomposed accents). The true Jaccard of every pair in a family is computed
 * exactly from the documents (word 5-gram sets of the normalized text, the definition
 * doppel uses); pairs across families are checked on a sample.
 *
 * Then `doppel dedupe` runs on the corpus through dpl_job, and the bench reports pair
 * precision, recall and F1 at the threshold, and, per Jaccard bucket, the measured LSH
 * candidate rate (signature bands equal) beside the theoretical S-curve 1-(1-s^r)^b and
 * the final detection rate. */
#define _GNU_SOURCE
#include "doppel.h"
#include "textgen.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_VARIANTS 3
#define END_OF_SENTENCE 0x8000u
#define WORD_MASK 0x7FFFu
#define BOILER_WORDS 40
#define BUCKETS 11 /* [0,.1) ... [.9,1), and exactly 1 */

typedef struct words {
    uint16_t *w;
    size_t n, cap;
} words;

typedef struct document {
    char id[32];
    unsigned family, variant;
    uint32_t *set;
    size_t set_n;
    uint32_t sig[DPL_DEFAULT_NUM_PERM];
    char rep[32];
} document;

static textgen gen;
static uint16_t boiler[BOILER_WORDS];

static uint64_t rnd(uint64_t n)
{
    return n ? textgen_rand(&gen) % n : 0;
}

static void push(words *d, uint16_t w)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 256;
        d->w = realloc(d->w, d->cap * sizeof *d->w);
    }
    d->w[d->n++] = w;
}

static void make_base(words *d)
{
    size_t n = 150 + rnd(350);
    d->n = 0;
    for (size_t i = 0; i < n; i++) {
        uint16_t w = (uint16_t)textgen_word(&gen);
        push(d, rnd(100) < 7 || i + 1 == n ? (uint16_t)(w | END_OF_SENTENCE) : w);
    }
}

static void substitute(words *d, size_t m)
{
    for (size_t i = 0; i < m && d->n; i++) {
        size_t at = rnd(d->n);
        d->w[at] = (uint16_t)((d->w[at] & END_OF_SENTENCE) | textgen_word(&gen));
    }
}

static void insert(words *d, size_t m)
{
    for (size_t i = 0; i < m; i++) {
        push(d, 0);
        size_t at = rnd(d->n);
        memmove(d->w + at + 1, d->w + at, (d->n - 1 - at) * sizeof *d->w);
        d->w[at] = (uint16_t)textgen_word(&gen);
    }
}

static void delete(words *d, size_t m)
{
    for (size_t i = 0; i < m && d->n > 20; i++) {
        size_t at = rnd(d->n - 1);
        memmove(d->w + at, d->w + at + 1, (d->n - at - 1) * sizeof *d->w);
        d->n--;
    }
}

/* Swap the first sentence with a later one. */
static void reorder(words *d)
{
    size_t end1 = 0;
    while (end1 < d->n && !(d->w[end1] & END_OF_SENTENCE))
        end1++;
    if (end1 + 2 >= d->n)
        return;
    size_t len1 = end1 + 1;
    uint16_t *first = malloc(len1 * sizeof *first);
    memcpy(first, d->w, len1 * sizeof *first);
    memmove(d->w, d->w + len1, (d->n - len1) * sizeof *d->w);
    size_t at = len1 + rnd(d->n - 2 * len1 > 0 ? d->n - 2 * len1 : 1);
    while (at < d->n - len1 && !(d->w[at - 1] & END_OF_SENTENCE))
        at++;
    memmove(d->w + at + len1, d->w + at, (d->n - len1 - at) * sizeof *d->w);
    memcpy(d->w + at, first, len1 * sizeof *first);
    free(first);
}

static void add_boilerplate(words *d)
{
    for (int i = 0; i < BOILER_WORDS; i++)
        push(d, i + 1 == BOILER_WORDS ? (uint16_t)(boiler[i] | END_OF_SENTENCE) : boiler[i]);
}

static void truncate_words(words *d)
{
    size_t keep = (size_t)((double)d->n * (0.6 + 0.35 * (double)rnd(1000) / 1000.0));
    if (keep > 20)
        d->n = keep;
}

static void edit(words *d)
{
    int ops = 1 + (int)rnd(3);
    for (int i = 0; i < ops; i++) {
        switch (rnd(6)) {
        case 0: substitute(d, 1 + rnd(30)); break;
        case 1: insert(d, 1 + rnd(30)); break;
        case 2: delete(d, 1 + rnd(30)); break;
        case 3: reorder(d); break;
        case 4: add_boilerplate(d); break;
        default: truncate_words(d); break;
        }
    }
}

/* Render words as prose; `surface` adds changes normalization must undo. */
static size_t render(const words *d, int surface, char *out)
{
    size_t n = 0;
    int start = 1;
    for (size_t i = 0; i < d->n; i++) {
        const char *w = gen.words[d->w[i] & WORD_MASK];
        size_t len = strlen(w);
        int upper = surface && rnd(10) == 0;
        for (size_t k = 0; k < len; k++) {
            char c = w[k];
            if ((upper || (start && k == 0)) && c >= 'a' && c <= 'z')
                c = (char)(c - 32);
            out[n++] = c;
        }
        start = (d->w[i] & END_OF_SENTENCE) != 0;
        if (start)
            out[n++] = '.';
        out[n++] = ' ';
        if (surface && rnd(8) == 0)
            out[n++] = ' ';
    }
    out[n] = '\0';
    return n;
}

/* The true shingle set and the signature, through the stages the job runs: normalize,
 * the script stage (default options), shingles. */
typedef struct stages {
    dpl_normalizer *norm;
    dpl_script *script;
    dpl_shingler *sh;
} stages;

static void sketch(document *doc, const char *text, size_t len, stages *st)
{
    const char *nt;
    size_t nlen, count;
    const uint64_t *shingles;
    dpl_normalize(st->norm, text, len, &nt, &nlen, NULL);
    dpl_script_apply(st->script, nt, nlen, &nt, &nlen);
    dpl_shingle(st->sh, nt, nlen, &shingles, &count);
    dpl_minhash(shingles, count, DPL_DEFAULT_NUM_PERM, DPL_DEFAULT_SEED, doc->sig);
    doc->set = malloc((count ? count : 1) * sizeof *doc->set);
    for (size_t i = 0; i < count; i++)
        doc->set[i] = (uint32_t)shingles[i];
    doc->set_n = dpl_set_normalize(doc->set, count);
}

static double jaccard(const document *a, const document *b)
{
    size_t common = dpl_set_intersection(a->set, a->set_n, b->set, b->set_n);
    size_t all = a->set_n + b->set_n - common;
    return all ? (double)common / (double)all : 1.0;
}

static int lsh_candidate(const document *a, const document *b, unsigned bands, unsigned rows)
{
    for (unsigned band = 0; band < bands; band++)
        if (memcmp(a->sig + band * rows, b->sig + band * rows, rows * sizeof *a->sig) == 0)
            return 1;
    return 0;
}

typedef struct corpus {
    document *docs;
    size_t n;
    char path[256];
} corpus;

static void generate(corpus *c, unsigned families)
{
    c->docs = calloc((size_t)families * (1 + MAX_VARIANTS), sizeof *c->docs);
    const char *tmp = getenv("TMPDIR");
    snprintf(c->path, sizeof c->path, "%s/bench_near.XXXXXX.jsonl", tmp ? tmp : "/tmp");
    FILE *f = fdopen(mkstemps(c->path, 6), "w");
    stages st = {dpl_normalizer_create(0), NULL,
                 dpl_shingler_create(DPL_SHINGLE_SPACED_WORDS, 0)};
    if (dpl_script_create(NULL, 0, &st.script) != DPL_OK)
        abort();
    words base = {0}, variant = {0};
    char *text = malloc(64 * 1024);
    for (unsigned fam = 0; fam < families; fam++) {
        make_base(&base);
        unsigned variants = rnd(100) < 60 ? 1 + (unsigned)rnd(MAX_VARIANTS) : 0;
        for (unsigned v = 0; v <= variants; v++) {
            variant.n = 0;
            for (size_t i = 0; i < base.n; i++)
                push(&variant, base.w[i]);
            int surface = 0;
            if (v > 0) {
                edit(&variant);
                surface = rnd(3) == 0;
            }
            size_t len = render(&variant, surface, text);
            document *doc = &c->docs[c->n++];
            doc->family = fam;
            doc->variant = v;
            snprintf(doc->id, sizeof doc->id, "f%u.%u", fam, v);
            fprintf(f, "{\"id\":\"%s\",\"text\":\"", doc->id);
            textgen_json_string(f, text, len);
            fputs("\"}\n", f);
            sketch(doc, text, len, &st);
        }
    }
    fclose(f);
    free(text);
    free(base.w);
    free(variant.w);
    dpl_shingler_free(st.sh);
    dpl_script_free(st.script);
    dpl_normalizer_free(st.norm);
}

static document *by_id(corpus *c, const char *id)
{
    unsigned fam, v;
    if (sscanf(id, "f%u.%u", &fam, &v) != 2)
        return NULL;
    /* documents are in family order; search from an estimate */
    for (size_t i = 0; i < c->n; i++)
        if (c->docs[i].family == fam && c->docs[i].variant == v)
            return &c->docs[i];
    return NULL;
}

typedef struct json_lines {
    struct json_object **o;
    size_t n;
} json_lines;

static json_lines read_lines(const char *path)
{
    json_lines l = {0};
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, alloc = 0;
    while (f && getline(&line, &cap, f) > 0) {
        if (l.n == alloc) {
            alloc = alloc ? alloc * 2 : 1024;
            l.o = realloc(l.o, alloc * sizeof *l.o);
        }
        l.o[l.n++] = json_tokener_parse(line);
    }
    free(line);
    if (f)
        fclose(f);
    return l;
}

static const char *get(struct json_object *o, const char *key)
{
    struct json_object *v;
    return o && json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

int main(int argc, char **argv)
{
    unsigned families = 10000;
    uint64_t seed = 1;
    double threshold = 0.8;
    int threads = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--families"))
            families = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seed"))
            seed = (uint64_t)atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--threshold"))
            threshold = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
    }
    textgen_init(&gen, seed);
    for (int i = 0; i < BOILER_WORDS; i++)
        boiler[i] = (uint16_t)textgen_word(&gen);
    corpus c = {0};
    generate(&c, families);

    char manifest[300], pairs[300];
    snprintf(manifest, sizeof manifest, "%s.manifest", c.path);
    snprintf(pairs, sizeof pairs, "%s.pairs", c.path);
    dpl_options o;
    dpl_options_init(&o);
    o.threshold = threshold;
    o.threads = threads;
    dpl_job *job = dpl_job_create(&o);
    dpl_job_add_input(job, c.path);
    dpl_job_set_output(job, DPL_OUTPUT_MANIFEST, manifest);
    dpl_job_set_output(job, DPL_OUTPUT_PAIRS, pairs);
    dpl_summary sum;
    if (dpl_job_run(job, &sum) != DPL_OK || sum.records != c.n) {
        fprintf(stderr, "bench_near: the job failed: %s\n", dpl_job_errmsg(job));
        return 1;
    }
    dpl_job_free(job);
    unsigned bands = sum.bands, rows = sum.rows;

    json_lines m = read_lines(manifest), p = read_lines(pairs);
    for (size_t i = 0; i < m.n; i++) {
        document *d = by_id(&c, get(m.o[i], "id"));
        const char *rep = get(m.o[i], "rep");
        if (d)
            snprintf(d->rep, sizeof d->rep, "%s", *rep ? rep : d->id);
    }
    /* precision over the reported pairs */
    size_t reported = 0, true_reported = 0;
    for (size_t i = 0; i < p.n; i++) {
        document *a = by_id(&c, get(p.o[i], "a")), *b = by_id(&c, get(p.o[i], "b"));
        if (!a || !b)
            continue;
        reported++;
        true_reported += jaccard(a, b) >= threshold;
    }
    /* recall, and the per-bucket table, over every pair inside a family */
    size_t truth = 0, found = 0;
    size_t bucket_n[BUCKETS] = {0}, bucket_cand[BUCKETS] = {0}, bucket_found[BUCKETS] = {0};
    double bucket_theory[BUCKETS] = {0};
    for (size_t i = 0; i < c.n; i++) {
        for (size_t j = i + 1; j < c.n && c.docs[j].family == c.docs[i].family; j++) {
            double jac = jaccard(&c.docs[i], &c.docs[j]);
            int same_cluster = strcmp(c.docs[i].rep, c.docs[j].rep) == 0;
            int bucket = jac >= 1.0 ? BUCKETS - 1 : (int)(jac * 10);
            bucket_n[bucket]++;
            bucket_cand[bucket] += lsh_candidate(&c.docs[i], &c.docs[j], bands, rows);
            bucket_found[bucket] += same_cluster;
            bucket_theory[bucket] += dpl_lsh_probability(jac, bands, rows);
            if (jac >= threshold) {
                truth++;
                found += same_cluster;
            }
        }
    }
    /* pairs across families: a sample, to show they are far below the threshold */
    double max_cross = 0;
    for (int s = 0; s < 20000 && c.n > 1; s++) {
        size_t i = rnd(c.n), j = rnd(c.n);
        if (c.docs[i].family != c.docs[j].family) {
            double jac = jaccard(&c.docs[i], &c.docs[j]);
            if (jac > max_cross)
                max_cross = jac;
        }
    }
    double precision = reported ? (double)true_reported / (double)reported : 1.0;
    double recall = truth ? (double)found / (double)truth : 1.0;
    double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
    printf("doppel %s; %zu documents in %u families (seed %llu); threshold %.2f, k=%d, "
           "%u bands x %u rows\n", dpl_version_string(), c.n, families,
           (unsigned long long)seed, threshold, DPL_DEFAULT_NUM_PERM, bands, rows);
    printf("job: %llu candidates verified, %llu exact + %llu near duplicates, %.2f s\n",
           (unsigned long long)sum.candidates, (unsigned long long)sum.exact,
           (unsigned long long)sum.near, sum.seconds);
    printf("\npairs at or above the threshold: %zu; found in one cluster: %zu\n", truth, found);
    printf("reported pairs: %zu, of which at or above the threshold: %zu\n", reported,
           true_reported);
    printf("precision %.4f  recall %.4f  F1 %.4f   (targets: precision >= 0.995, recall >= 0.98)\n",
           precision, recall, f1);
    printf("highest Jaccard among %d sampled pairs across families: %.3f\n\n", 20000, max_cross);
    printf("%-12s %8s %14s %14s %12s\n", "Jaccard", "pairs", "LSH candidate", "S-curve", "detected");
    for (int b = 0; b < BUCKETS; b++) {
        if (!bucket_n[b])
            continue;
        char label[32];
        if (b == BUCKETS - 1)
            snprintf(label, sizeof label, "1.0");
        else
            snprintf(label, sizeof label, "[%.1f, %.1f)", b / 10.0, (b + 1) / 10.0);
        printf("%-12s %8zu %14.4f %14.4f %12.4f\n", label, bucket_n[b],
               (double)bucket_cand[b] / (double)bucket_n[b],
               bucket_theory[b] / (double)bucket_n[b],
               (double)bucket_found[b] / (double)bucket_n[b]);
    }
    for (size_t i = 0; i < m.n; i++)
        json_object_put(m.o[i]);
    for (size_t i = 0; i < p.n; i++)
        json_object_put(p.o[i]);
    free(m.o);
    free(p.o);
    for (size_t i = 0; i < c.n; i++)
        free(c.docs[i].set);
    free(c.docs);
    unlink(c.path);
    unlink(manifest);
    unlink(pairs);
    return 0;
}
