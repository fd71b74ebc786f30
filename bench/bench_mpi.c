/* bench_mpi: doppel-mpi's time and traffic, to predict a run on many machines.
 *
 *   mpirun -np N bench_mpi [--mb N] [--files N] [--threads T] [--dir DIR] [--repeat R]
 *                          [--check]
 *
 * Rank 0 writes a seeded English-like corpus (textgen) of --mb megabytes of text into
 * --files JSONL files under DIR (default $TMPDIR/doppel-bench-mpi; kept and reused while
 * its size and seed match, so that runs with different N read the same files): 8% of
 * the documents are near copies (1% of the words replaced) and 4% exact copies of an
 * earlier document drawn from a reservoir of 4,096 (reservoir sampling: a uniform sample
 * of all earlier documents), so that most copies lie in another file, as in a crawl.
 * Then every process runs the dedupe job (dpl_job_run_mpi) with a manifest and a pairs
 * output, and rank 0 prints:
 *
 *   - seconds end to end and per stage (read and sketch, exchange, write), MB/s, docs/s
 *   - bytes routed per document, in all and by stage (what would cross the network at
 *     many processes), and those that did cross between processes here; bytes of
 *     outputs sent to rank 0
 *   - peak RSS of the largest process
 *   - the XXH64 of the manifest and of the pairs: equal across N when outputs are
 *
 * --repeat R runs the job R times and reports the fastest (default 3). --check also runs
 * dpl_job_run() (one process) on rank 0 afterwards and compares the outputs byte for
 * byte. */
#define _GNU_SOURCE
#include "doppel_mpi.h"
#include "textgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define SEED 20261126
#define DOC_BYTES 4000

typedef struct args {
    size_t mb, files;
    int threads, check, repeat;
    char dir[512];
} args;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The text of a near copy: about 1% of the words replaced by others (Jaccard of word
 * 5-grams about 0.9). */
static size_t near_copy(textgen *g, const char *src, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t end = i;
        while (end < len && src[end] != ' ')
            end++;
        if (textgen_rand(g) % 100 < 1) {
            const char *w = g->words[textgen_word(g)];
            memcpy(out + o, w, strlen(w));
            o += strlen(w);
        } else {
            memcpy(out + o, src + i, end - i);
            o += end - i;
        }
        if (end < len)
            out[o++] = ' ';
        i = end + 1;
    }
    return o;
}

static void corpus_path(const args *a, char *out, size_t cap, size_t file)
{
    snprintf(out, cap, "%s/part-%04zu.jsonl", a->dir, file);
}

/* Writes the corpus unless a complete one of this size is there (its stamp file). */
static int make_corpus(const args *a)
{
    char stamp[600], want[128], have[128] = "";
    snprintf(stamp, sizeof stamp, "%s/STAMP", a->dir);
    snprintf(want, sizeof want, "mb=%zu files=%zu seed=%d doc=%d reservoir=4096,uniform\n", a->mb,
             a->files, SEED, DOC_BYTES);
    FILE *s = fopen(stamp, "r");
    if (s) {
        size_t n = fread(have, 1, sizeof have - 1, s);
        have[n] = '\0';
        fclose(s);
        if (strcmp(have, want) == 0)
            return 0;
    }
    mkdir(a->dir, 0777);
    static textgen gen;
    textgen_init(&gen, SEED);
    size_t target = a->mb * 1000000, written = 0, per_file = target / a->files + 1;
    size_t ring_n = 4096, docs = 0, originals = 0;
    char **ring = calloc(ring_n, sizeof *ring); /* a reservoir: sources of copies */
    size_t *ring_len = calloc(ring_n, sizeof *ring_len);
    char *buf = malloc(DOC_BYTES * 4 + 64), *copy = malloc(DOC_BYTES * 8 + 64);
    if (!ring || !ring_len || !buf || !copy)
        return -1;
    for (size_t file = 0; file < a->files; file++) {
        char path[600];
        corpus_path(a, path, sizeof path, file);
        FILE *f = fopen(path, "w");
        if (!f)
            return -1;
        for (size_t in_file = 0; in_file < per_file && written < target; docs++) {
            uint64_t r = textgen_rand(&gen) % 100;
            size_t len;
            const char *text = buf;
            size_t src = textgen_rand(&gen) % ring_n;
            if (r < 8 && ring[src]) { /* a near copy */
                len = near_copy(&gen, ring[src], ring_len[src], copy);
                text = copy;
            } else if (r < 12 && ring[src]) {
                len = ring_len[src];
                text = ring[src];
            } else {
                len = textgen_prose(&gen, buf, DOC_BYTES / 2 + textgen_rand(&gen) % DOC_BYTES);
                /* reservoir sampling: a uniform sample of all the originals so far */
                size_t slot = originals < ring_n ? originals
                                                 : (size_t)(textgen_rand(&gen) % (originals + 1));
                originals++;
                if (slot < ring_n) {
                    free(ring[slot]);
                    ring[slot] = strndup(buf, len);
                    ring_len[slot] = len;
                }
            }
            fprintf(f, "{\"id\":\"d%zu\",\"text\":\"", docs);
            textgen_json_string(f, text, len);
            fputs("\"}\n", f);
            in_file += len;
            written += len;
        }
        if (fclose(f) != 0)
            return -1;
    }
    for (size_t i = 0; i < ring_n; i++)
        free(ring[i]);
    free(ring);
    free(ring_len);
    free(buf);
    free(copy);
    s = fopen(stamp, "w");
    if (!s)
        return -1;
    fputs(want, s);
    return fclose(s);
}

static uint64_t file_digest(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    XXH64_state_t *st = XXH64_createState();
    XXH64_reset(st, 0);
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        XXH64_update(st, buf, n);
    fclose(f);
    uint64_t h = XXH64_digest(st);
    XXH64_freeState(st);
    return h;
}

static dpl_job *make_job(const args *a, const char *manifest, const char *pairs)
{
    dpl_options o;
    dpl_options_init(&o);
    o.threads = a->threads;
    dpl_job *job = dpl_job_create(&o);
    if (!job || dpl_job_add_input(job, a->dir) != DPL_OK ||
        dpl_job_set_output(job, DPL_OUTPUT_MANIFEST, manifest) != DPL_OK ||
        dpl_job_set_output(job, DPL_OUTPUT_PAIRS, pairs) != DPL_OK) {
        fprintf(stderr, "bench_mpi: cannot set up the job\n");
        exit(2);
    }
    return job;
}

static int parse_args(int argc, char **argv, args *a)
{
    const char *tmp = getenv("TMPDIR");
    *a = (args){.mb = 1024, .files = 32, .threads = 1, .repeat = 3};
    snprintf(a->dir, sizeof a->dir, "%s/doppel-bench-mpi", tmp ? tmp : "/tmp");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mb") == 0 && i + 1 < argc)
            a->mb = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--files") == 0 && i + 1 < argc)
            a->files = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            a->threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            snprintf(a->dir, sizeof a->dir, "%s", argv[++i]);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            a->repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--check") == 0)
            a->check = 1;
        else
            return -1;
    }
    return a->mb && a->files && a->threads > 0 && a->repeat > 0 ? 0 : -1;
}

static void report(const args *a, const dpl_summary *s, const dpl_mpi_stats *st,
                   double seconds, long max_rss_kb)
{
    double mb = (double)s->bytes / 1e6, docs = (double)s->records;
    int n = st->processes;
    printf("doppel-mpi, %d process%s x %d thread%s: %.0f MB, %llu documents in %zu file%s",
           n, n == 1 ? "" : "es", a->threads, a->threads == 1 ? "" : "s", mb,
           (unsigned long long)s->records, a->files, a->files == 1 ? "" : "s");
    if (st->pieces)
        printf(" (cut into %llu pieces)", (unsigned long long)st->pieces);
    putchar('\n');
    printf("  time        %.2f s end to end: read+sketch %.2f s, exchange %.2f s, write %.2f s\n",
           seconds, st->seconds_read, st->seconds_exchange, st->seconds_write);
    printf("  rate        %.1f MB/s, %.0f docs/s (%.1f MB/s per process)\n", mb / seconds,
           docs / seconds, mb / seconds / n);
    printf("  found       %llu duplicates (%llu exact, %llu near), %llu candidates, %llu "
           "union-find rounds\n",
           (unsigned long long)s->duplicates, (unsigned long long)s->exact,
           (unsigned long long)s->near, (unsigned long long)s->candidates,
           (unsigned long long)st->rounds);
    printf("  traffic     %.1f bytes a document routed; %.1f of them crossed between "
           "processes here; at 100 processes %.1f would (x 99/100)\n",
           (double)st->bytes_routed / docs, (double)st->bytes_exchanged / docs,
           (double)st->bytes_routed / docs * 0.99);
    printf("  by stage    ids and exact %.1f, band keys and candidates %.1f (%u bands), "
           "verification %.1f, clusters %.1f, outputs' ids %.1f bytes a document\n",
           (double)st->routed_ids / docs, (double)st->routed_bands / docs, s->bands,
           (double)st->routed_verify / docs, (double)st->routed_clusters / docs,
           (double)st->routed_infos / docs);
    printf("  outputs     %.1f bytes a document sent to rank 0 (manifest and pairs)\n",
           (double)st->bytes_outputs / docs);
    printf("  memory      peak RSS of the largest process %.1f MB (%.0f bytes a document "
           "over all processes' %d)\n",
           (double)max_rss_kb / 1024, (double)max_rss_kb * 1024 * n / docs, n);
}

int main(int argc, char **argv)
{
    int provided, rank, size;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    args a;
    if (parse_args(argc, argv, &a) != 0) {
        if (rank == 0)
            fprintf(stderr, "usage: mpirun -np N bench_mpi [--mb N] [--files N] "
                            "[--threads T] [--dir DIR] [--repeat R] [--check]\n");
        MPI_Finalize();
        return 2;
    }
    int ok = rank == 0 ? make_corpus(&a) == 0 : 1;
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!ok) {
        if (rank == 0)
            fprintf(stderr, "bench_mpi: cannot write the corpus in %s\n", a.dir);
        MPI_Finalize();
        return 2;
    }
    char out[600], manifest[700], pairs[700];
    snprintf(out, sizeof out, "%s.out", a.dir);
    mkdir(out, 0777);
    snprintf(manifest, sizeof manifest, "%s/manifest-np%d.jsonl", out, size);
    snprintf(pairs, sizeof pairs, "%s/pairs-np%d.jsonl", out, size);
    dpl_summary sum = {0};
    dpl_mpi_stats st = {0};
    double seconds = 0;
    int code = 0;
    for (int run = 0; run < a.repeat && code == 0; run++) {
        dpl_job *job = make_job(&a, manifest, pairs);
        dpl_summary s1;
        dpl_mpi_stats st1;
        MPI_Barrier(MPI_COMM_WORLD);
        double start = now();
        int rc = dpl_job_run_mpi(job, MPI_COMM_WORLD, &s1, &st1);
        double t = now() - start;
        if (rc != DPL_OK) {
            if (rank == 0)
                fprintf(stderr, "bench_mpi: %s\n", dpl_job_errmsg(job));
            code = 2;
        } else if (run == 0 || t < seconds) { /* the fastest run */
            seconds = t;
            sum = s1;
            st = st1;
        }
        dpl_job_free(job);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long rss = ru.ru_maxrss, max_rss;
    MPI_Reduce(&rss, &max_rss, 1, MPI_LONG, MPI_MAX, 0, MPI_COMM_WORLD);
    if (code == 0 && rank == 0) {
        printf("fastest of %d run%s:\n", a.repeat, a.repeat == 1 ? "" : "s");
        report(&a, &sum, &st, seconds, max_rss);
        printf("  digests     manifest %016llx, pairs %016llx\n",
               (unsigned long long)file_digest(manifest), (unsigned long long)file_digest(pairs));
    }
    if (code == 0 && a.check && rank == 0) {
        char m1[700], p1[700];
        snprintf(m1, sizeof m1, "%s/manifest-single.jsonl", out);
        snprintf(p1, sizeof p1, "%s/pairs-single.jsonl", out);
        dpl_job *single = make_job(&a, m1, p1);
        double t = now();
        int rc = dpl_job_run(single, NULL);
        t = now() - t;
        int same = rc == DPL_OK && file_digest(m1) == file_digest(manifest) &&
                   file_digest(p1) == file_digest(pairs);
        printf("  check       dpl_job_run (one process, %d thread%s): %.2f s; outputs %s\n",
               a.threads, a.threads == 1 ? "" : "s", t, same ? "identical" : "DIFFER");
        code = same ? 0 : 1;
        dpl_job_free(single);
    }
    MPI_Finalize();
    return code;
}
