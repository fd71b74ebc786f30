/* bench_throughput: throughput of every stage and of the whole dedupe, with XXH3-128
 * alone over the same bytes as the ceiling, all in one run.
 *
 *   bench_throughput [--mb N] [--seed S] [--doc-bytes N]
 *
 * Stages run in memory on one thread. The end-to-end rows run `doppel dedupe` (dpl_job,
 * read to clusters, no outputs) in a child process each, exact-only and with the
 * near-duplicate pass, on 1 and 2 threads, and report the child's peak RSS and its
 * bytes per document.
 *
 * A seeded generator writes English-like JSONL (Zipf-distributed vocabulary, sentences,
 * some accented and Cyrillic words, 5% planted exact duplicates differing in case and
 * spacing) into a temporary folder. Figures are MB/s over the bytes of the document
 * texts (the JSONL file is ~1% larger; normalized text is ~10% shorter, which is why the
 * fingerprint alone can beat the XXH3 ceiling row), best of three runs except for the
 * job rows (of which the two 1-thread near-duplicate rows are best of three too). A
 * self-check runs before any timing. */
#define _GNU_SOURCE
#include "doppel.h"
#include "textgen.h"

#include <malloc.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

typedef struct corpus {
    char **texts;
    size_t *lens;
    size_t n;
    size_t text_bytes;
    size_t planted;
    char path[256];
} corpus;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A planted duplicate: same text, upper-cased and with doubled spaces. */
static char *variant_of(const char *text, size_t len, size_t *out_len)
{
    char *v = malloc(len * 2 + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        v[n++] = c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
        if (c == ' ')
            v[n++] = ' ';
    }
    v[n] = '\0';
    *out_len = n;
    return v;
}

static int make_corpus(corpus *c, size_t mb, uint64_t seed, size_t doc_bytes)
{
    static textgen gen;
    textgen_init(&gen, seed);
    size_t cap = (mb << 20) / doc_bytes + 16;
    c->texts = calloc(cap, sizeof *c->texts);
    c->lens = calloc(cap, sizeof *c->lens);
    const char *tmp = getenv("TMPDIR");
    snprintf(c->path, sizeof c->path, "%s/bench_throughput.XXXXXX.jsonl", tmp ? tmp : "/tmp");
    int fd = mkstemps(c->path, 6);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!c->texts || !c->lens || !f)
        return -1;
    char *buf = malloc(doc_bytes * 3);
    while (c->text_bytes < (mb << 20) && c->n < cap) {
        size_t len;
        if (c->n > 10 && textgen_rand(&gen) % 100 < 5) {
            size_t src = textgen_rand(&gen) % c->n;
            c->texts[c->n] = variant_of(c->texts[src], c->lens[src], &len);
            c->planted++;
        } else {
            len = textgen_prose(&gen, buf, doc_bytes / 2 + textgen_rand(&gen) % doc_bytes);
            c->texts[c->n] = strdup(buf);
        }
        c->lens[c->n] = len;
        fprintf(f, "{\"id\":\"doc-%zu\",\"text\":\"", c->n);
        textgen_json_string(f, c->texts[c->n], len);
        fputs("\"}\n", f);
        c->text_bytes += len;
        c->n++;
    }
    free(buf);
    return fclose(f) == 0 ? 0 : -1;
}

typedef struct stage_result {
    double seconds;
    size_t docs;
} stage_result;

/* XXH3 over the texts on 2 threads: what two cores of this machine deliver right now
 * (a shared VM may give less than two), the ceiling for the 2-thread job rows. */
static stage_result stage_xxh3_2threads(const corpus *c)
{
    uint64_t sink = 0;
    long n = (long)c->n;
    double t = now();
#pragma omp parallel for num_threads(2) reduction(^ : sink) schedule(static)
    for (long i = 0; i < n; i++)
        sink ^= XXH3_128bits(c->texts[i], c->lens[i]).low64;
    stage_result r = {now() - t, c->n};
    if (sink == 42)
        puts("");
    return r;
}

static stage_result stage_xxh3(const corpus *c)
{
    double t = now();
    uint64_t sink = 0;
    for (size_t i = 0; i < c->n; i++)
        sink ^= XXH3_128bits(c->texts[i], c->lens[i]).low64;
    stage_result r = {now() - t, c->n};
    if (sink == 42)
        puts("");
    return r;
}

static stage_result stage_normalize(const corpus *c, int hash)
{
    dpl_normalizer *n = dpl_normalizer_create(0);
    uint64_t sink = 0;
    double t = now();
    for (size_t i = 0; i < c->n; i++) {
        const char *out;
        size_t len;
        dpl_normalize(n, c->texts[i], c->lens[i], &out, &len, NULL);
        if (hash)
            sink ^= dpl_exact_hash(out, len).lo;
    }
    stage_result r = {now() - t, c->n};
    dpl_normalizer_free(n);
    if (sink == 42)
        puts("");
    return r;
}

/* Normalized copies of every text, prepared before a stage that works on them. */
typedef struct normalized {
    char **texts;
    size_t *lens;
    size_t n;
} normalized;

static normalized normalize_all(const corpus *c)
{
    normalized out = {malloc(c->n * sizeof(char *)), malloc(c->n * sizeof(size_t)), c->n};
    dpl_normalizer *n = dpl_normalizer_create(0);
    for (size_t i = 0; i < c->n; i++) {
        const char *text;
        dpl_normalize(n, c->texts[i], c->lens[i], &text, &out.lens[i], NULL);
        out.texts[i] = malloc(out.lens[i] + 1);
        memcpy(out.texts[i], text, out.lens[i] + 1);
    }
    dpl_normalizer_free(n);
    return out;
}

/* n texts and their lengths, let go (the corpus's or normalized copies). */
static void free_texts(char **texts, size_t *lens, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    free(lens);
}

static void free_normalized(normalized *nz)
{
    free_texts(nz->texts, nz->lens, nz->n);
}

/* Tokenize + shingle + MinHash over normalized text (the near-duplicate sketch). */
/* Shingle and sketch normalized text; with `script`, through the script stage first
 * (segmentation and transliteration, the default of the near pass). */
static stage_result sketch(const corpus *c, int script)
{
    normalized nz = normalize_all(c);
    dpl_script *sc = NULL;
    if (script && dpl_script_create(NULL, 0, &sc) != DPL_OK)
        abort();
    dpl_shingler *sh =
        dpl_shingler_create(script ? DPL_SHINGLE_SPACED_WORDS : DPL_SHINGLE_WORDS, 0);
    uint32_t sig[DPL_DEFAULT_NUM_PERM];
    uint64_t sink = 0;
    double t = now();
    for (size_t i = 0; i < nz.n; i++) {
        const uint64_t *shingles;
        size_t count;
        const char *text = nz.texts[i];
        size_t len = nz.lens[i];
        if (sc)
            dpl_script_apply(sc, text, len, &text, &len);
        dpl_shingle(sh, text, len, &shingles, &count);
        dpl_minhash(shingles, count, DPL_DEFAULT_NUM_PERM, DPL_DEFAULT_SEED, sig);
        sink ^= sig[0];
    }
    stage_result r = {now() - t, c->n};
    dpl_shingler_free(sh);
    dpl_script_free(sc);
    free_normalized(&nz);
    if (sink == 42)
        puts("");
    return r;
}

static stage_result stage_sketch(const corpus *c) { return sketch(c, 0); }
static stage_result stage_script_sketch(const corpus *c) { return sketch(c, 1); }

static stage_result stage_hash_only(const corpus *c)
{
    /* The fingerprint alone, over normalized text prepared beforehand. */
    normalized nz = normalize_all(c);
    uint64_t sink = 0;
    double t = now();
    for (size_t i = 0; i < nz.n; i++)
        sink ^= dpl_exact_hash(nz.texts[i], nz.lens[i]).lo;
    stage_result r = {now() - t, c->n};
    free_normalized(&nz);
    if (sink == 42)
        puts("");
    return r;
}

/* Read the JSONL file with dpl_reader; with `pipeline`, normalize and hash each record
 * too (one thread: the cost of the whole chain per core). */
static stage_result stage_read(const corpus *c, int pipeline)
{
    dpl_reader *r = dpl_reader_create(NULL);
    dpl_normalizer *n = dpl_normalizer_create(0);
    dpl_reader_add(r, c->path);
    dpl_record rec;
    size_t docs = 0;
    uint64_t sink = 0;
    double t = now();
    while (dpl_reader_next(r, &rec) == DPL_OK) {
        docs++;
        if (pipeline && !rec.error) {
            const char *out;
            size_t len;
            dpl_normalize(n, rec.text, rec.text_len, &out, &len, NULL);
            sink ^= dpl_exact_hash(out, len).lo;
        }
    }
    stage_result res = {now() - t, docs};
    dpl_reader_free(r);
    dpl_normalizer_free(n);
    if (sink == 42)
        puts("");
    return res;
}

enum job_mode { JOB_NEAR, JOB_EXACT_ONLY, JOB_NEAR_NO_TRANSLIT };

/* Child mode: run one job and print "seconds records duplicates near peak_rss_kb". */
static int run_job_child(const char *path, int threads, int mode)
{
    dpl_options o;
    dpl_options_init(&o);
    o.threads = threads;
    o.exact_only = mode == JOB_EXACT_ONLY;
    o.script.no_translit = mode == JOB_NEAR_NO_TRANSLIT;
    dpl_job *job = dpl_job_create(&o);
    dpl_summary sum;
    if (dpl_job_add_input(job, path) != DPL_OK || dpl_job_run(job, &sum) != DPL_OK) {
        fprintf(stderr, "job failed: %s\n", dpl_job_errmsg(job));
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%f %llu %llu %llu %ld\n", sum.seconds, (unsigned long long)sum.records,
           (unsigned long long)sum.duplicates, (unsigned long long)sum.near, ru.ru_maxrss);
    dpl_job_free(job);
    return 0;
}

typedef struct job_result {
    stage_result r;
    unsigned long long duplicates, near;
    long rss_kb;
} job_result;

/* Run a job in a fresh process, so that its peak RSS is its own. */
static job_result stage_job(const corpus *c, int threads, enum job_mode mode)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/proc/%d/exe --run-job '%s' %d %d", (int)getpid(), c->path,
             threads, (int)mode);
    job_result j = {{0, 0}, 0, 0, 0};
    FILE *p = popen(cmd, "r");
    double seconds = 0;
    unsigned long long records = 0;
    if (!p || fscanf(p, "%lf %llu %llu %llu %ld", &seconds, &records, &j.duplicates, &j.near,
                     &j.rss_kb) != 5)
        fprintf(stderr, "bench: the job process failed\n");
    if (p)
        pclose(p);
    j.r = (stage_result){seconds, (size_t)records};
    return j;
}

typedef stage_result (*stage_fn)(const corpus *c);

static stage_result best_of_3(stage_result (*fn)(const corpus *), const corpus *c)
{
    stage_result best = fn(c);
    for (int i = 0; i < 2; i++) {
        stage_result r = fn(c);
        if (r.seconds < best.seconds)
            best = r;
    }
    return best;
}

static stage_result normalize_only(const corpus *c) { return stage_normalize(c, 0); }
static stage_result normalize_hash(const corpus *c) { return stage_normalize(c, 1); }
static stage_result read_only(const corpus *c) { return stage_read(c, 0); }
static stage_result read_pipeline(const corpus *c) { return stage_read(c, 1); }

static void row(const char *name, stage_result r, size_t bytes)
{
    double mb = (double)bytes / 1e6;
    printf("%-44s %10.1f %12.0f %9.3f\n", name, mb / r.seconds, (double)r.docs / r.seconds,
           r.seconds);
}

static int self_check(const corpus *c)
{
    /* A planted variant and its source normalize to the same fingerprint. */
    dpl_normalizer *n = dpl_normalizer_create(0);
    const char *out;
    size_t len, vlen;
    char *v = variant_of(c->texts[0], c->lens[0], &vlen);
    dpl_normalize(n, c->texts[0], c->lens[0], &out, &len, NULL);
    dpl_hash128 a = dpl_exact_hash(out, len);
    dpl_normalize(n, v, vlen, &out, &len, NULL);
    dpl_hash128 b = dpl_exact_hash(out, len);
    free(v);
    dpl_normalizer_free(n);
    stage_result r = stage_read(c, 0);
    if (a.lo != b.lo || a.hi != b.hi || r.docs != c->n) {
        fprintf(stderr, "self-check failed: variant hash %s, %zu of %zu records read\n",
                a.lo == b.lo ? "equal" : "differs", r.docs, c->n);
        return -1;
    }
    return 0;
}


int main(int argc, char **argv)
{
    size_t mb = 256, doc_bytes = 3000;
    uint64_t seed = 1;
    int keep = 0;
    if (argc == 5 && strcmp(argv[1], "--run-job") == 0)
        return run_job_child(argv[2], atoi(argv[3]), atoi(argv[4]));
    for (int i = 1; i < argc; i++) {
        int has_value = i + 1 < argc;
        if (strcmp(argv[i], "--keep") == 0)
            keep = 1; /* leave the corpus for profiling a job by hand */
        else if (has_value && strcmp(argv[i], "--mb") == 0)
            mb = (size_t)atol(argv[++i]);
        else if (has_value && strcmp(argv[i], "--seed") == 0)
            seed = (uint64_t)atoll(argv[++i]);
        else if (has_value && strcmp(argv[i], "--doc-bytes") == 0)
            doc_bytes = (size_t)atol(argv[++i]);
        else
            mb = 0; /* an unknown option, or one without its value: print the usage */
    }
    if (mb == 0 || doc_bytes < 100) {
        fprintf(stderr, "usage: bench_throughput [--mb N] [--seed S] [--doc-bytes N>=100] [--keep]\n");
        return 2;
    }
    corpus c = {0};
    if (make_corpus(&c, mb, seed, doc_bytes) != 0) {
        perror("bench_throughput: cannot write the corpus");
        return 1;
    }
    printf("doppel %s (Unicode %s, ICU %s); %d cores; AVX2 %s, AVX-512F %s\n",
           dpl_version_string(), dpl_unicode_version(), dpl_icu_version(),
           omp_get_num_procs(), __builtin_cpu_supports("avx2") ? "yes" : "no",
           __builtin_cpu_supports("avx512f") ? "yes" : "no");
    printf("corpus: %zu documents, %.1f MB of text (seed %llu), %zu planted exact duplicates\n",
           c.n, (double)c.text_bytes / 1e6, (unsigned long long)seed, c.planted);
    if (self_check(&c) != 0) {
        unlink(c.path);
        return 1;
    }
    printf("\n%-44s %10s %12s %9s\n", "stage (MB/s over text bytes)", "MB/s", "docs/s", "seconds");
    stage_result x1 = best_of_3(stage_xxh3, &c), x2 = best_of_3(stage_xxh3_2threads, &c);
    row("XXH3-128 alone (ceiling)", x1, c.text_bytes);
    row("XXH3-128 alone, 2 threads (parallel ceiling)", x2, c.text_bytes);
    row("exact fingerprint alone, on normalized text", best_of_3(stage_hash_only, &c), c.text_bytes);
    row("normalize (dpl_normalize)", best_of_3(normalize_only, &c), c.text_bytes);
    row("normalize + fingerprint", best_of_3(normalize_hash, &c), c.text_bytes);
    row("read JSONL (dpl_reader, file)", best_of_3(read_only, &c), c.text_bytes);
    row("read + normalize + fingerprint, 1 thread", best_of_3(read_pipeline, &c), c.text_bytes);
    /* Alternating, best of three each: the two differ by a few percent at most. */
    stage_result plain = stage_sketch(&c), scripted = stage_script_sketch(&c);
    for (int k = 0; k < 2; k++) {
        stage_result a = stage_sketch(&c), b = stage_script_sketch(&c);
        plain = a.seconds < plain.seconds ? a : plain;
        scripted = b.seconds < scripted.seconds ? b : scripted;
    }
    row("shingle + MinHash (tokenize, 5-grams, k=128)", plain, c.text_bytes);
    row("script stage + shingle + MinHash", scripted, c.text_bytes);
    /* The jobs read the file: the texts in memory are let go first, so that no job shares
     * the machine with a copy of the corpus (on the development VM, a process holding
     * 1.2 GB beside a job slowed it by a tenth). */
    free_texts(c.texts, c.lens, c.n);
    c.texts = NULL;
    c.lens = NULL;
    malloc_trim(0); /* and given back to the system, not kept by malloc */
    printf("\n%-44s %10s %12s %9s %9s %9s\n", "doppel dedupe, read to clusters", "MB/s",
           "docs/s", "seconds", "peak MB", "B/doc");
    /* Every row is the best of three runs, the rows' runs interleaved, so that a slow
     * minute of a shared machine weighs on all of them alike; the speed-ups and the
     * transliteration cost compare rows. */
    static const struct {
        const char *name;
        int threads;
        enum job_mode mode;
    } rows[] = {{"exact only, 1 thread", 1, JOB_EXACT_ONLY},
                {"exact only, 2 threads", 2, JOB_EXACT_ONLY},
                {"exact + near, 1 thread", 1, JOB_NEAR},
                {"exact + near, 2 threads", 2, JOB_NEAR},
                {"exact + near, 1 thread, --no-translit", 1, JOB_NEAR_NO_TRANSLIT}};
    enum { ROWS = sizeof rows / sizeof *rows };
    job_result jobs[ROWS];
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < ROWS; i++) {
            job_result r = stage_job(&c, rows[i].threads, rows[i].mode);
            if (k == 0 || r.r.seconds < jobs[i].r.seconds)
                jobs[i] = r;
        }
    for (int i = 0; i < ROWS; i++) {
        double text_mb = (double)c.text_bytes / 1e6;
        printf("%-44s %10.1f %12.0f %9.3f %9.1f %9.0f\n", rows[i].name,
               text_mb / jobs[i].r.seconds, (double)jobs[i].r.docs / jobs[i].r.seconds,
               jobs[i].r.seconds, (double)jobs[i].rss_kb / 1024.0,
               jobs[i].r.docs ? (double)jobs[i].rss_kb * 1024.0 / (double)jobs[i].r.docs : 0);
    }
    printf("\n2-thread speed-up: exact only %.2fx, exact + near %.2fx (this machine's XXH3 "
           "2-thread ceiling now: %.2fx)\n", jobs[0].r.seconds / jobs[1].r.seconds,
           jobs[2].r.seconds / jobs[3].r.seconds, x1.seconds / x2.seconds);
    printf("transliteration on this (Latin) text: stage %.1f%% slower, job %.1f%% slower "
           "(target: at most 10%%)\n", 100.0 * (scripted.seconds / plain.seconds - 1),
           100.0 * (jobs[2].r.seconds / jobs[4].r.seconds - 1));
    printf("duplicates found: %llu exact-only, %llu with near (%llu near); planted exact: %zu\n",
           jobs[0].duplicates, jobs[2].duplicates, jobs[2].near, c.planted);
    if (jobs[0].duplicates < c.planted || jobs[1].duplicates != jobs[0].duplicates ||
        jobs[3].duplicates != jobs[2].duplicates) {
        fprintf(stderr, "check failed: duplicates differ between runs or miss planted ones\n");
        unlink(c.path);
        return 1;
    }
    if (keep)
        printf("corpus kept: %s\n", c.path);
    else
        unlink(c.path);
    return 0;
}
