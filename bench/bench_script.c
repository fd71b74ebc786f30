/* bench_script: the script stage in figures.
 *
 *   bench_script [--project DIR] [--ntrex DIR] [--seed S]
 *
 * 1. Throughput of normalize + script stage per script, with transliteration on and off,
 *    cold (a fresh handle: every word goes to ICU once) and warm (the same documents
 *    again: words come from the cache). Text: the project's own corpora (corpora/news,
 *    corpora/scripts) and, when ../shared/corpora/ntrex-dev exists, real news in Russian,
 *    Bulgarian, Chinese, English, German, French, Spanish and Italian (a realistic
 *    vocabulary, so the cold figure is the honest one there).
 * 2. Segmentation of scripts without spaces, dictionary words against single characters:
 *    on the real Chinese news of ntrex-dev (61 unrelated documents). Each document gets
 *    seeded near-duplicate variants (0.5% of its characters substituted, one sentence
 *    dropped, the last sentence of another document appended) and is compared with every
 *    other document; printed are the mean 5-gram Jaccard of variants, the share of
 *    variants at J >= 0.8, the highest Jaccard between unrelated documents, and the
 *    speed of normalize + script stage in that mode (warm). */
#define _GNU_SOURCE
#include "doppel.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_DOCS 256

typedef struct doc_set {
    const char *name;
    char *texts[MAX_DOCS];
    size_t lens[MAX_DOCS];
    size_t n, bytes;
} doc_set;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void add_doc(doc_set *s, const char *text, size_t len)
{
    if (s->n == MAX_DOCS || len == 0)
        return;
    s->texts[s->n] = strndup(text, len);
    s->lens[s->n++] = len;
    s->bytes += len;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* Every .txt file of a folder, skipping copies in another script. */
static void add_folder(doc_set *s, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".txt") || strstr(e->d_name, "-latinica") ||
            strstr(e->d_name, "-fanti"))
            continue;
        char path[4096];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *text = slurp(path, &len);
        if (text)
            add_doc(s, text, len);
        free(text);
    }
    closedir(d);
}

/* The "text" fields of a JSONL file, through doppel's own reader. */
static void add_jsonl(doc_set *s, const char *path)
{
    dpl_reader *r = dpl_reader_create(NULL);
    dpl_record rec;
    if (r && dpl_reader_add(r, path) == DPL_OK)
        while (dpl_reader_next(r, &rec) == DPL_OK)
            if (!rec.error)
                add_doc(s, rec.text, rec.text_len);
    dpl_reader_free(r);
}

/* ---- 1. throughput ------------------------------------------------------------------ */

/* Seconds to normalize and apply the stage to every document of the set `passes` times
 * with one handle; *first gets the first pass's seconds. */
static double run_stage(const doc_set *s, const dpl_script_options *o, int passes, double *first)
{
    dpl_normalizer *n = dpl_normalizer_create(0);
    dpl_script *sc = NULL;
    if (o && dpl_script_create(o, 0, &sc) != DPL_OK)
        abort();
    double t0 = now(), total = 0;
    size_t sink = 0;
    for (int p = 0; p < passes; p++) {
        for (size_t i = 0; i < s->n; i++) {
            const char *out;
            size_t len;
            dpl_normalize(n, s->texts[i], s->lens[i], &out, &len, NULL);
            if (sc)
                dpl_script_apply(sc, out, len, &out, &len);
            sink += len;
        }
        if (p == 0)
            *first = now() - t0;
    }
    total = now() - t0;
    dpl_script_free(sc);
    dpl_normalizer_free(n);
    if (sink == 1)
        puts("");
    return total;
}

static void throughput_row(const doc_set *s)
{
    if (s->n == 0)
        return;
    /* Enough passes for ~8 MB, so that the warm figure is not a timer artefact. */
    int passes = (int)(8e6 / (double)s->bytes) + 2;
    static const dpl_script_options on = {0}, off = {.no_translit = 1};
    double first, total;
    double norm = run_stage(s, NULL, passes, &first);
    double mb = (double)s->bytes / 1e6;
    printf("%-22s %6zu %8.2f %9.1f", s->name, s->n, mb, mb * passes / norm);
    total = run_stage(s, &off, passes, &first);
    printf(" %9.1f", mb * passes / total);
    total = run_stage(s, &on, passes, &first);
    printf(" %9.1f %9.1f\n", mb / first, mb * (passes - 1) / (total - first));
}

/* ---- 2. segmentation ---------------------------------------------------------------- */

static uint64_t rng(uint64_t *st)
{
    *st ^= *st << 13;
    *st ^= *st >> 7;
    *st ^= *st << 17;
    return *st;
}

typedef struct shingle_set {
    uint32_t *v;
    size_t n;
} shingle_set;

static shingle_set sketch_set(dpl_normalizer *n, dpl_script *sc, dpl_shingler *sh,
                              const char *text, size_t len)
{
    const char *out;
    size_t out_len, count;
    const uint64_t *shingles;
    dpl_normalize(n, text, len, &out, &out_len, NULL);
    dpl_script_apply(sc, out, out_len, &out, &out_len);
    dpl_shingle(sh, out, out_len, &shingles, &count);
    shingle_set s = {malloc((count ? count : 1) * sizeof *s.v), 0};
    for (size_t i = 0; i < count; i++)
        s.v[i] = (uint32_t)shingles[i];
    s.n = dpl_set_normalize(s.v, count);
    return s;
}

static double jaccard(shingle_set a, shingle_set b)
{
    size_t common = dpl_set_intersection(a.v, a.n, b.v, b.n);
    size_t all = a.n + b.n - common;
    return all ? (double)common / (double)all : 1.0;
}

static size_t utf8_len_at(const char *s)
{
    unsigned char c = (unsigned char)*s;
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* A variant: 0.5% of the multi-byte characters replaced by others of the same document,
 * the first sentence ending in `stop` after the start dropped, `extra` appended. */
static char *variant(const char *text, size_t len, const char *extra, uint64_t *st)
{
    size_t elen = strlen(extra);
    char *v = malloc(len + elen + 2);
    const char *stop = "\xe3\x80\x82"; /* 。 */
    const char *drop = strstr(text + len / 3, stop);
    size_t from = drop ? (size_t)(drop - text) : len, to = from;
    if (drop) {
        const char *next = strstr(drop + 3, stop);
        to = next ? (size_t)(next - text) : from;
    }
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_len_at(text + i);
        if (i >= from && i < to) {
            i += k;
            continue;
        }
        if (k == 3 && rng(st) % 1000 < 5) { /* another 3-byte character of the text */
            size_t j = rng(st) % len;
            while (j < len && ((unsigned char)text[j] & 0xC0) == 0x80)
                j++;
            if (j + 3 <= len && utf8_len_at(text + j) == 3) {
                memcpy(v + n, text + j, 3);
                n += 3;
                i += 3;
                continue;
            }
        }
        memcpy(v + n, text + i, k);
        n += k;
        i += k;
    }
    memcpy(v + n, extra, elen);
    v[n + elen] = '\0';
    return v;
}

/* The last sentence of a text, as boilerplate from elsewhere. */
static const char *last_sentence(const char *text, size_t len)
{
    const char *p = text + len;
    int stops = 0;
    while (p > text) {
        p--;
        if (p - text >= 2 && memcmp(p - 2, "\xe3\x80\x82", 3) == 0 && ++stops == 2)
            return p + 1;
    }
    return text;
}

static void segmentation_row(const doc_set *s, dpl_segment_mode mode, int translit,
                             uint64_t seed)
{
    if (s->n < 2)
        return;
    dpl_script_options o = {.segment = mode, .no_translit = !translit};
    dpl_normalizer *n = dpl_normalizer_create(0);
    dpl_shingler *sh = dpl_shingler_create(DPL_SHINGLE_SPACED_WORDS, 0);
    dpl_script *sc;
    if (dpl_script_create(&o, 0, &sc) != DPL_OK)
        abort();
    shingle_set *sets = calloc(s->n, sizeof *sets);
    for (size_t i = 0; i < s->n; i++)
        sets[i] = sketch_set(n, sc, sh, s->texts[i], s->lens[i]);
    double sum = 0, worst_unrelated = 0;
    size_t above = 0, variants = 0;
    uint64_t st = seed;
    for (size_t i = 0; i < s->n; i++) {
        const char *other = s->texts[(i + 1) % s->n];
        char *v = variant(s->texts[i], s->lens[i],
                          last_sentence(other, s->lens[(i + 1) % s->n]), &st);
        shingle_set vs = sketch_set(n, sc, sh, v, strlen(v));
        double j = jaccard(sets[i], vs);
        sum += j;
        above += j >= 0.8;
        variants++;
        free(vs.v);
        free(v);
        for (size_t k = i + 1; k < s->n; k++) {
            double u = jaccard(sets[i], sets[k]);
            if (u > worst_unrelated)
                worst_unrelated = u;
        }
    }
    double first, total = run_stage(s, &o, 4, &first);
    printf("%-22s %-6s %-8s %8zu %9.3f %9.2f %10.3f %9.1f\n", s->name,
           mode == DPL_SEGMENT_WORDS ? "words" : "chars", translit ? "on" : "off", variants,
           sum / (double)variants, (double)above / (double)variants, worst_unrelated,
           (double)s->bytes * 3 / 1e6 / (total - first));
    for (size_t i = 0; i < s->n; i++)
        free(sets[i].v);
    free(sets);
    dpl_script_free(sc);
    dpl_shingler_free(sh);
    dpl_normalizer_free(n);
}

static void free_set(doc_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->texts[i]);
}

int main(int argc, char **argv)
{
    const char *project = ".", *ntrex = "../shared/corpora/ntrex-dev";
    uint64_t seed = 7;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--project") == 0)
            project = argv[i + 1];
        else if (strcmp(argv[i], "--ntrex") == 0)
            ntrex = argv[i + 1];
        else if (strcmp(argv[i], "--seed") == 0)
            seed = (uint64_t)atoll(argv[i + 1]);
    }
    static const struct {
        const char *name, *dirs[2], *ntrex;
    } sources[] = {
        {"English (ntrex)", {NULL, NULL}, "eng"},
        {"Russian (ntrex)", {NULL, NULL}, "rus"},
        {"Bulgarian (ntrex)", {NULL, NULL}, "bul"},
        {"Chinese (ntrex)", {NULL, NULL}, "zho-CN"},
        {"Serbian Cyrillic", {"corpora/scripts/sr", NULL}, NULL},
        {"Greek", {"corpora/scripts/el", "corpora/news/el"}, NULL},
        {"Arabic", {"corpora/scripts/ar", "corpora/news/ar"}, NULL},
        {"Hebrew", {"corpora/scripts/he", NULL}, NULL},
        {"Hindi", {"corpora/scripts/hi", "corpora/news/hi"}, NULL},
        {"Chinese (project)", {"corpora/scripts/zh", "corpora/news/zh"}, NULL},
        {"Japanese", {"corpora/scripts/ja", "corpora/news/ja"}, NULL},
        {"Thai", {"corpora/scripts/th", NULL}, NULL},
        {"Korean", {"corpora/scripts/ko", NULL}, NULL},
        {"German (ntrex)", {NULL, NULL}, "deu"},
        {"French (ntrex)", {NULL, NULL}, "fra"},
        {"Spanish (ntrex)", {NULL, NULL}, "spa"},
        {"Italian (ntrex)", {NULL, NULL}, "ita"},
    };
    enum { N_SOURCES = sizeof sources / sizeof *sources };
    static doc_set sets[N_SOURCES];
    for (int i = 0; i < N_SOURCES; i++) {
        sets[i].name = sources[i].name;
        char path[1024];
        for (int d = 0; d < 2 && sources[i].dirs[d]; d++) {
            snprintf(path, sizeof path, "%s/%s", project, sources[i].dirs[d]);
            add_folder(&sets[i], path);
        }
        if (sources[i].ntrex) {
            snprintf(path, sizeof path, "%s/%s.jsonl", ntrex, sources[i].ntrex);
            add_jsonl(&sets[i], path);
        }
    }
    if (sets[0].n == 0)
        printf("(no %s: the ntrex rows are skipped)\n", ntrex);
    printf("doppel %s, ICU %s. MB/s over input text, one thread.\n\n", dpl_version_string(),
           dpl_icu_version());
    printf("%-22s %6s %8s %9s %9s %9s %9s\n", "text", "docs", "MB", "normalize", "+segment",
           "+translit", "+translit");
    printf("%-22s %6s %8s %9s %9s %9s %9s\n", "", "", "", "", "(no tr.)", "cold", "warm");
    for (int i = 0; i < N_SOURCES; i++)
        throughput_row(&sets[i]);
    printf("\nSegmentation of Chinese: variants (0.5%% of characters substituted, one "
           "sentence dropped, one appended) and unrelated pairs, 5-grams\n");
    printf("%-22s %-6s %-8s %8s %9s %9s %10s %9s\n", "text", "unit", "translit", "variants",
           "mean J", "J>=0.8", "max J unrel", "MB/s");
    if (sets[3].n == 0)
        printf("(skipped: it needs %s)\n", ntrex);
    for (int translit = 0; translit < 2; translit++)
        for (int mode = 0; mode < 2; mode++)
            segmentation_row(&sets[3], mode ? DPL_SEGMENT_WORDS : DPL_SEGMENT_CHARS, translit, seed);
    for (int i = 0; i < N_SOURCES; i++)
        free_set(&sets[i]);
    return 0;
}
