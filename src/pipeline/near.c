/* The near-duplicate pass of a job.
 *
 *   per document (parallel, in pass 1)  shingles -> MinHash signature -> band keys; the
 *                                       32-bit shingle hashes to the thread's spill file,
 *                                       a MiB at a time, at a place reserved before
 *   merge (in input order)              band keys kept (bands x 4 bytes a document) and
 *                                       where its shingles are; exact copies of an earlier
 *                                       document are left out, they follow it
 *   after pass 1                        per band, a bucket table pairs each document with
 *                                       the first and the previous one of its bucket;
 *                                       candidates are sorted and deduplicated, verified in
 *                                       parallel by exact Jaccard (or containment) read
 *                                       back from the spill, and joined in sorted order
 *
 * Signatures are never kept: only band keys are needed to find candidates and only the
 * shingles to verify them, which keeps memory per document far under 1 KB. A band key
 * is kept as 32 bits: two unrelated documents share one by chance with probability
 * 2^-32 a band, about 12,000 extra candidates a band among 10 million documents, which
 * verification (or the signature's estimate) turns away; 64 bits would take 64 bytes
 * more a document. Such a stray member of a bucket can also stand between two true
 * members, which then each pair with it and with the bucket's first member instead of
 * with each other in that band: a pair is lost only if every other band that finds it
 * is disturbed alike (a bucket of 10 million documents' keys takes a stray with
 * probability 0.2%) and the bucket's first member does not verify with it either. */
#include "pipeline/job_internal.h"
#include "index/lsh.h"
#include "sketch/sketch.h"
#include "text/text.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* LSH finds pairs by Jaccard. Under --containment a pair at containment c whose smaller
 * document has a fraction rho of the larger's shingles has Jaccard c*rho / (1 + rho -
 * c*rho); the banding is tuned for rho = 1/2, so a document contained in one up to twice
 * its size is found. */
#define CONTAINMENT_SIZE_RATIO 0.5

static double lsh_threshold(const dpl_job *job)
{
    if (!job->opts.containment)
        return job->threshold;
    double c = job->threshold, rho = CONTAINMENT_SIZE_RATIO;
    return c * rho / (1 + rho - c * rho);
}

static int resolve_banding(dpl_job *job)
{
    return dpl__lsh_resolve(lsh_threshold(job), job->k, job->opts.bands, job->opts.rows,
                            &job->bands, &job->rows, job->errmsg, sizeof job->errmsg);
}

int dpl__open_spill_fd(dpl_job *job, const char *name, const char *what, int *fd_out)
{
    const char *tmpdir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%.440s/doppel-%.40s.XXXXXX", tmpdir ? tmpdir : "/tmp", name);
    int fd = mkstemp(path);
    if (fd < 0) {
        snprintf(job->errmsg, sizeof job->errmsg, "%s: cannot create the temporary %s: %s",
                 path, what, strerror(errno));
        return DPL_EIO;
    }
    /* Unlinked at once: the file disappears with the process, however it ends. */
    unlink(path);
    *fd_out = fd;
    return DPL_OK;
}

int dpl__open_spill(dpl_job *job, const char *name, const char *what, int *fd_out,
                    FILE **out)
{
    DPL_TRY(dpl__open_spill_fd(job, name, what, fd_out));
    if (!(*out = fdopen(*fd_out, "w+"))) {
        close(*fd_out);
        *fd_out = -1;
        return DPL_ENOMEM;
    }
    /* stdio's 4 KiB buffer meant a write(2) per 1,000 shingles: 7,000 system calls per
     * 60 MB of text. One per MiB. */
    setvbuf(*out, NULL, _IOFBF, (size_t)1 << 20);
    return DPL_OK;
}

int dpl__pread_all(int fd, uint64_t off, void *dst, size_t bytes)
{
    size_t done = 0;
    while (done < bytes) { /* pread may return less than asked for large reads */
        ssize_t got = pread(fd, (char *)dst + done, bytes - done, (off_t)(off + done));
        if (got <= 0)
            return DPL_EIO;
        done += (size_t)got;
    }
    return DPL_OK;
}

static int open_script(dpl_job *job)
{
    const dpl_script_options *so = &job->opts.script;
    int rc = dpl_script_create(so, job->opts.norm_flags, &job->script);
    if (rc == DPL_ETRANSLIT)
        snprintf(job->errmsg, sizeof job->errmsg,
                 "unknown transliteration '%.200s': not an ICU transform ID (see `uconv -L` "
                 "for the list)", so->translit ? so->translit : DPL_TRANSLIT_DEFAULT);
    else if (rc != DPL_OK)
        snprintf(job->errmsg, sizeof job->errmsg, "cannot open the script stage: %s",
                 dpl_strerror(rc));
    return rc;
}

/* Spill files at most: one per thread up to this, then threads share them (each writing
 * its own regions), which keeps the descriptors few under -t 1024. */
#define SPILL_FILES 64

static int open_spills(dpl_job *job)
{
    unsigned n = job->threads < SPILL_FILES ? (unsigned)job->threads : SPILL_FILES;
    job->spill_fds = malloc(n * sizeof *job->spill_fds);
    job->spill_lens = calloc(n, sizeof *job->spill_lens);
    if (!job->spill_fds || !job->spill_lens)
        return DPL_ENOMEM;
    for (; job->n_spills < n; job->n_spills++)
        DPL_TRY(dpl__open_spill_fd(job, "shingles", "shingle file",
                                   &job->spill_fds[job->n_spills]));
    return DPL_OK;
}

int dpl__near_setup(dpl_job *job)
{
    const dpl_options *o = &job->opts;
    job->near = !o->exact_only;
    if (!job->near)
        return DPL_OK;
    DPL_TRY(dpl__sketch_settings(o, &job->k, &job->threshold, &job->seed, job->errmsg,
                                 sizeof job->errmsg));
    if (o->containment && o->no_verify) {
        snprintf(job->errmsg, sizeof job->errmsg,
                 "--containment needs verification: the MinHash estimate is a Jaccard "
                 "estimate (drop --no-verify)");
        return DPL_EINVAL;
    }
    DPL_TRY(resolve_banding(job));
    if (!(job->probes = dpl__probes_create(job->k, job->seed))) {
        snprintf(job->errmsg, sizeof job->errmsg, "out of memory");
        return DPL_ENOMEM;
    }
    DPL_TRY(open_script(job));
    job->sum.bands = job->bands;
    job->sum.rows = job->rows;
    return open_spills(job);
}

void dpl__near_free(dpl_job *job)
{
    for (unsigned i = 0; i < job->n_spills; i++)
        close(job->spill_fds[i]);
    free(job->spill_fds);
    free(job->spill_lens);
    job->spill_fds = NULL;
    job->spill_lens = NULL;
    job->n_spills = 0;
    dpl_script_free(job->script);
    job->script = NULL;
    dpl__probes_free(job->probes);
    job->probes = NULL;
    free(job->band_keys);
    job->band_keys = NULL;
    free(job->near_pairs);
    job->near_pairs = NULL;
}

static int pwrite_all(int fd, uint64_t off, const void *src, size_t bytes)
{
    size_t done = 0;
    while (done < bytes) {
        ssize_t put = pwrite(fd, (const char *)src + done, bytes - done, (off_t)(off + done));
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return put < 0 ? errno : ENOSPC;
        done += (size_t)put;
    }
    return 0;
}

#define SPILL_OFFSET_BITS 48
#define SPILL_OFFSET_MASK (((uint64_t)1 << SPILL_OFFSET_BITS) - 1)
#define SPILL_REGION_BYTES ((size_t)1 << 20)

int dpl__near_flush(dpl_job *job, thread_ctx *c)
{
    dpl__buf *b = &c->spill;
    if (b->len == 0)
        return DPL_OK;
    int err = pwrite_all(job->spill_fds[c->spill_region >> SPILL_OFFSET_BITS],
                         c->spill_region & SPILL_OFFSET_MASK, b->data, b->len);
    dpl__buf_clear(b);
    if (err) {
        c->spill_errno = err;
        return DPL_EIO;
    }
    return DPL_OK;
}

/* Each worker writes its documents' values itself, so that thread 0's merge does not,
 * a MiB at a time (a buffer that stays in the cache), to a file of its own (a buffered
 * write locks the file: threads writing to one wait for each other), into a region it
 * reserves, so a document's place is known when it is processed. Exact copies are
 * written too, since the merge decides them later, but never read. */
static int spill_reserve(dpl_job *job, thread_ctx *c, size_t bytes, uint64_t *at)
{
    if (c->spill.len + bytes > c->spill_region_cap) {
        DPL_TRY(dpl__near_flush(job, c));
        unsigned file = (unsigned)(c - job->ctx) % job->n_spills;
        size_t cap = bytes > SPILL_REGION_BYTES ? bytes : SPILL_REGION_BYTES;
        uint64_t base;
#pragma omp atomic capture
        {
            base = job->spill_lens[file];
            job->spill_lens[file] += cap;
        }
        if (base + cap > SPILL_OFFSET_MASK) {
            c->spill_errno = EFBIG;
            return DPL_EIO;
        }
        c->spill_region = ((uint64_t)file << SPILL_OFFSET_BITS) | base;
        c->spill_region_cap = cap;
    }
    DPL_TRY(dpl__buf_reserve(&c->spill, bytes));
    *at = c->spill_region + c->spill.len;
    return DPL_OK;
}

int dpl__near_item(dpl_job *job, thread_ctx *c, item *it, const char *norm, size_t len)
{
    it->n_spill = 0;
    if (!job->near)
        return DPL_OK;
    const uint64_t *shingles;
    size_t n;
    DPL_TRY(dpl__sketch_text(c->script, c->shingler, norm, len, dpl__normalized_ascii(c->norm),
                             job->k, job->seed, job->probes, c->sig, &shingles, &n));
    if (n == 0)
        return DPL_OK; /* no words: only exact duplicates apply */
    uint64_t keys[DPL_MAX_NUM_PERM];
    uint32_t kept[DPL_MAX_NUM_PERM];
    dpl__band_keys(c->sig, job->bands, job->rows, keys);
    for (unsigned b = 0; b < job->bands; b++)
        kept[b] = (uint32_t)keys[b];
    dpl__buf *arena = &c->arena[it->slot];
    it->keys_off = arena->len;
    DPL_TRY(dpl__buf_append(arena, kept, job->bands * sizeof *kept));
    /* Without verification the estimate comes from the signature: spill that. */
    size_t count = job->opts.no_verify ? job->k : n < UINT32_MAX ? n : UINT32_MAX;
    DPL_TRY(spill_reserve(job, c, count * sizeof(uint32_t), &it->spill_off));
    dpl__buf *spill = &c->spill;
    /* through locals: stores through spill->data might alias spill itself, and the
     * compiler would reload both every value instead of vectorizing */
    char *dst = spill->data + spill->len;
    if (job->opts.no_verify)
        memcpy(dst, c->sig, job->k * sizeof *c->sig);
    else
        for (size_t i = 0; i < count; i++) {
            uint32_t v = (uint32_t)shingles[i];
            memcpy(dst + i * sizeof v, &v, sizeof v);
        }
    spill->len += count * sizeof(uint32_t);
    it->n_spill = count;
    return DPL_OK;
}

int dpl__near_reserve(dpl_job *job, size_t more)
{
    if (!job->near)
        return DPL_OK;
    size_t used, adding;
    if (dpl__mul_overflows(job->n_docs, job->bands, &used) ||
        dpl__mul_overflows(more, job->bands, &adding))
        return DPL_ENOMEM;
    return dpl__grow_mapped((void **)&job->band_keys, &job->band_keys_cap, used, adding,
                            sizeof *job->band_keys);
}

int dpl__near_merge(dpl_job *job, uint32_t d, const item *it)
{
    doc *dd = &job->docs[d];
    dd->n_spilled = 0;
    if (!job->near || it->n_spill == 0 || dd->exact_first != d)
        return DPL_OK;
    size_t need = ((size_t)d + 1) * job->bands;
    DPL_TRY(dpl__grow((void **)&job->band_keys, &job->band_keys_cap, need,
                      sizeof *job->band_keys));
    const char *arena = job->ctx[it->thread].arena[it->slot].data;
    memcpy(job->band_keys + (size_t)d * job->bands, arena + it->keys_off,
           job->bands * sizeof *job->band_keys);
    dd->spill_off = it->spill_off;
    dd->n_spilled = (uint32_t)it->n_spill;
    return DPL_OK;
}

int dpl__near_read_raw(const dpl_job *job, uint32_t d, void *dst, size_t bytes)
{
    uint64_t ref = job->docs[d].spill_off;
    return dpl__pread_all(job->spill_fds[ref >> SPILL_OFFSET_BITS], ref & SPILL_OFFSET_MASK,
                          dst, bytes);
}

/* ------------------------------------------------------------------ candidates ------ */

static int add_pair(dpl__pair_list *p, uint32_t a, uint32_t b)
{
    DPL_TRY(dpl__grow((void **)&p->items, &p->cap, p->n + 1, sizeof *p->items));
    p->items[p->n++] = ((uint64_t)a << 32) | b;
    return DPL_OK;
}

int dpl__buckets_reset(dpl__buckets *b, size_t members)
{
    size_t cap = 1024;
    while (cap < members * 2)
        cap *= 2;
    if (cap > b->cap) {
        free(b->table);
        b->cap = 0;
        if (!(b->table = dpl__calloc_big(cap, sizeof *b->table)))
            return DPL_ENOMEM;
        b->cap = cap;
        return DPL_OK;
    }
    memset(b->table, 0, b->cap * sizeof *b->table);
    return DPL_OK;
}

/* Linear in the number of documents: a bucket of m members gives 2m pairs, not m^2. */
int dpl__buckets_add(dpl__buckets *b, uint32_t key, uint32_t member, dpl__pair_list *out)
{
    size_t mask = b->cap - 1, j = dpl__buckets_home(b, key);
    while (b->table[j].first_plus_one && b->table[j].key != key)
        j = (j + 1) & mask;
    dpl__bucket *bk = &b->table[j];
    if (!bk->first_plus_one) {
        *bk = (dpl__bucket){key, member + 1, member};
        return DPL_OK;
    }
    DPL_TRY(add_pair(out, bk->first_plus_one - 1, member));
    if (bk->last != bk->first_plus_one - 1)
        DPL_TRY(add_pair(out, bk->last, member));
    bk->last = member;
    return DPL_OK;
}

void dpl__buckets_free(dpl__buckets *b)
{
    free(b->table);
    b->table = NULL;
    b->cap = 0;
}

/* One band's candidates, the documents in order. */
static int band_candidates(dpl_job *job, unsigned band, dpl__buckets *buckets,
                           size_t active, dpl__pair_list *out)
{
    DPL_TRY(dpl__buckets_reset(buckets, active));
    const uint32_t *keys = job->band_keys + band;
    size_t n = job->n_docs, stride = job->bands;
    for (size_t d = 0; d < n; d++) {
        size_t ahead = d + DPL__BUCKET_PREFETCH_AHEAD; /* only documents with keys */
        if (ahead < n && job->docs[ahead].n_spilled != 0)
            dpl__buckets_prefetch(buckets, keys[ahead * stride]);
        if (job->docs[d].n_spilled != 0)
            DPL_TRY(dpl__buckets_add(buckets, keys[d * stride], (uint32_t)d, out));
    }
    return DPL_OK;
}

/* LSD radix sort of 64-bit pairs, 16 bits a pass, then duplicates dropped. */
int dpl__pairs_sort_unique(dpl__pair_list *p)
{
    uint64_t *tmp = malloc((p->n ? p->n : 1) * sizeof *tmp);
    size_t *counts = malloc((65536 + 1) * sizeof *counts);
    if (!tmp || !counts) {
        free(tmp);
        free(counts);
        return DPL_ENOMEM;
    }
    uint64_t *src = p->items, *dst = tmp;
    for (unsigned shift = 0; shift < 64; shift += 16) {
        memset(counts, 0, (65536 + 1) * sizeof *counts);
        for (size_t i = 0; i < p->n; i++)
            counts[((src[i] >> shift) & 0xFFFF) + 1]++;
        for (size_t v = 0; v < 65536; v++)
            counts[v + 1] += counts[v];
        for (size_t i = 0; i < p->n; i++)
            dst[counts[(src[i] >> shift) & 0xFFFF]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    free(tmp); /* four passes: the sorted data is back in p->items */
    free(counts);
    size_t out = 0;
    for (size_t i = 0; i < p->n; i++)
        if (out == 0 || p->items[i] != p->items[out - 1])
            p->items[out++] = p->items[i];
    p->n = out;
    return DPL_OK;
}

/* Appends `from` to `to` and frees it: the threads' lists become one to sort. (The + 1
 * keeps the allocation nonzero when both are empty.) */
int dpl__pairs_append(dpl__pair_list *to, const uint64_t *pairs, size_t n)
{
    DPL_TRY(dpl__grow((void **)&to->items, &to->cap, to->n + n + 1, sizeof *to->items));
    if (n)
        memcpy(to->items + to->n, pairs, n * sizeof *pairs);
    to->n += n;
    return DPL_OK;
}

/* Bands are independent: each thread takes whole bands, with a bucket table and a pair
 * list of its own, since this pass was serial work after pass 1 (6-8% of a 2-thread
 * job). The pairs are sorted afterwards, so their order here does not matter. A table
 * takes 32-64 bytes a document: at most this many threads, so that the pass stays far
 * within 1 KB a document on a many-core machine. */
#define CANDIDATE_THREADS_MAX 4

static int find_candidates(dpl_job *job, dpl__pair_list *pairs)
{
    size_t active = 0;
    for (size_t d = 0; d < job->n_docs; d++)
        active += job->docs[d].n_spilled != 0;
    int threads = job->threads < (int)job->bands ? job->threads : (int)job->bands;
    threads = threads < CANDIDATE_THREADS_MAX ? threads : CANDIDATE_THREADS_MAX;
    dpl__pair_list *lists = calloc((size_t)threads, sizeof *lists);
    if (!lists)
        return DPL_ENOMEM;
    int failed = DPL_OK;
#pragma omp parallel num_threads(threads)
    {
        dpl__buckets buckets = {0};
        dpl__pair_list *mine = &lists[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
        for (long band = 0; band < (long)job->bands; band++) {
            int seen;
#pragma omp atomic read
            seen = failed;
            if (seen != DPL_OK || job->stop)
                continue;
            int rc = band_candidates(job, (unsigned)band, &buckets, active, mine);
            if (rc != DPL_OK) {
#pragma omp atomic write
                failed = rc;
            }
        }
        dpl__buckets_free(&buckets);
    }
    *pairs = lists[0];
    for (int t = 1; t < threads; t++) {
        int rc = dpl__pairs_append(pairs, lists[t].items, lists[t].n);
        free(lists[t].items);
        failed = failed == DPL_OK ? rc : failed;
    }
    free(lists);
    return failed == DPL_OK ? dpl__pairs_sort_unique(pairs) : failed;
}

/* ------------------------------------------------------------------ verification ---- */

typedef struct loaded {
    uint32_t doc_plus_one;
    uint32_t *items;
    size_t n, cap;
} loaded;

size_t dpl__near_prepare(const dpl_job *job, uint32_t *items, size_t n)
{
    return job->opts.no_verify ? n : dpl_set_normalize(items, n);
}

int dpl__near_read_spill(const dpl_job *job, uint32_t d, uint32_t **items, size_t *cap,
                         size_t *n)
{
    const doc *dd = &job->docs[d];
    DPL_TRY(dpl__grow((void **)items, cap, dd->n_spilled, sizeof **items));
    DPL_TRY(dpl__near_read_raw(job, d, *items, (size_t)dd->n_spilled * sizeof **items));
    *n = dpl__near_prepare(job, *items, dd->n_spilled);
    return DPL_OK;
}

/* Read a document's spilled values, unless they are loaded already. */
static int load(const dpl_job *job, uint32_t d, loaded *l)
{
    if (l->doc_plus_one == d + 1)
        return DPL_OK;
    DPL_TRY(dpl__near_read_spill(job, d, &l->items, &l->cap, &l->n));
    l->doc_plus_one = d + 1;
    return DPL_OK;
}

double dpl__near_score(const dpl_job *job, const uint32_t *a, size_t na, const uint32_t *b,
                       size_t nb)
{
    if (job->opts.no_verify)
        return dpl_minhash_jaccard(a, b, job->k);
    size_t common = dpl_set_intersection(a, na, b, nb);
    if (job->opts.containment) {
        size_t smaller = na < nb ? na : nb;
        return smaller ? (double)common / (double)smaller : 0;
    }
    size_t all = na + nb - common;
    return all ? (double)common / (double)all : 0;
}

static int verify(dpl_job *job, const dpl__pair_list *pairs, float *scores)
{
    int failed = DPL_OK;
    long n = (long)pairs->n;
#pragma omp parallel num_threads(job->threads)
    {
        loaded a = {0}, b = {0};
        /* Candidates are sorted by their first document, so consecutive pairs often
         * share it and it is loaded once. */
#pragma omp for schedule(dynamic, 256)
        for (long i = 0; i < n; i++) {
            uint32_t da = (uint32_t)(pairs->items[i] >> 32), db = (uint32_t)pairs->items[i];
            int rc = load(job, da, &a);
            if (rc == DPL_OK)
                rc = load(job, db, &b);
            if (rc != DPL_OK) {
#pragma omp atomic write
                failed = rc;
                scores[i] = -1;
                continue;
            }
            double score = dpl__near_score(job, a.items, a.n, b.items, b.n);
            /* compared in double: the stored float may round up to the threshold */
            scores[i] = score >= job->threshold ? (float)score : -1;
        }
        free(a.items);
        free(b.items);
    }
    return failed;
}

static int accept_pairs(dpl_job *job, const dpl__pair_list *pairs, const float *scores)
{
    for (size_t i = 0; i < pairs->n; i++) {
        if (scores[i] < 0)
            continue;
        uint32_t a = (uint32_t)(pairs->items[i] >> 32), b = (uint32_t)pairs->items[i];
        DPL_TRY(dpl__grow((void **)&job->near_pairs, &job->near_cap, job->n_near + 1,
                          sizeof *job->near_pairs));
        job->near_pairs[job->n_near++] = (near_pair){a, b, scores[i]};
        dpl__uf_union(&job->uf, a, b);
        if (scores[i] > job->docs[a].near_score)
            job->docs[a].near_score = scores[i];
        if (scores[i] > job->docs[b].near_score)
            job->docs[b].near_score = scores[i];
    }
    return DPL_OK;
}

int dpl__near_pass(dpl_job *job)
{
    if (!job->near || job->n_docs == 0)
        return DPL_OK;
    dpl__pair_list pairs = {0};
    int rc = find_candidates(job, &pairs);
    float *scores = rc == DPL_OK ? malloc((pairs.n ? pairs.n : 1) * sizeof *scores) : NULL;
    if (rc == DPL_OK && !scores)
        rc = DPL_ENOMEM;
    job->sum.candidates = pairs.n;
    if (rc == DPL_OK && !job->stop)
        rc = verify(job, &pairs, scores);
    if (rc == DPL_EIO)
        snprintf(job->errmsg, sizeof job->errmsg,
                 "cannot read back the temporary shingle file: %s", strerror(errno));
    if (rc == DPL_OK && !job->stop)
        rc = accept_pairs(job, &pairs, scores);
    free(scores);
    free(pairs.items);
    if (rc == DPL_OK && job->stop)
        rc = DPL_EINTERRUPTED;
    return rc;
}
