/* The near-duplicate pass across processes, with the candidates and scores of one
 * process's pass (pipeline/near.c):
 *
 *   per band    each document's band key goes to the owner of the key; there a bucket's
 *               members, in document order, pair with the first and the previous one
 *               (a hash table of buckets, as in one process)
 *   candidates  each pair goes to the owner of its first document, sorted, deduplicated
 *   verify      in rounds of VERIFY_ROUND pairs: the second documents held elsewhere have
 *               their spilled shingles fetched, then the round is scored in parallel
 *   accept      pairs at the threshold become edges, their scores the best of each side
 *
 * Memory per process: one band's keys at a time, its candidates, and one round's
 * fetched shingle sets. */
#include "dist/dist.h"

#include <stdlib.h>
#include <string.h>

#define VERIFY_ROUND 65536

/* Band keys are most of what a run sends: 8 bytes a band a document. */
typedef struct keyed {
    uint32_t key;
    uint32_t g;
} keyed;

typedef struct scored {
    uint32_t g;
    float score;
} scored;

/* What every band needs, one entry per local document: allocated once for all bands. */
typedef struct band_scratch {
    dpl__buckets buckets;
    keyed *recs;
    uint32_t *dest;
    uint32_t *pair_dest; /* one entry per pair of a band: grown, kept for the next band */
    size_t pair_dest_cap;
} band_scratch;

/* One band: keys to their owners, buckets paired there, pairs to their first document's
 * owner, appended to *mine. */
static void band_candidates(dpl__dist *d, unsigned band, band_scratch *sc,
                            dpl__pair_list *mine)
{
    dpl_job *job = d->job;
    keyed *recs = sc->recs;
    uint32_t *dest = sc->dest;
    size_t n = 0;
    for (uint32_t l = 0; l < d->n; l++) {
        if (job->docs[l].n_spilled == 0)
            continue;
        uint32_t key = job->band_keys[(size_t)l * job->bands + band];
        recs[n] = (keyed){key, d->base + l};
        /* by the key's high bits: the bucket table indexes by its low ones */
        dest[n++] = (uint32_t)(((uint64_t)key * (uint64_t)d->size) >> 32);
    }
    dpl__buf got = {0};
    size_t n_got;
    dpl__dist_route(d, recs, n, sizeof *recs, dest, &got, &n_got);
    /* Keys arrive in document order (by sending rank, each rank's in its order), so the
     * buckets pair them as one process does. */
    const keyed *k = (const keyed *)(const void *)got.data;
    dpl__pair_list pairs = {0};
    if (dpl__buckets_reset(&sc->buckets, n_got) != DPL_OK)
        dpl__dist_abort(d, "out of memory");
    for (size_t i = 0; i < n_got; i++) {
        if (i + DPL__BUCKET_PREFETCH_AHEAD < n_got)
            dpl__buckets_prefetch(&sc->buckets, k[i + DPL__BUCKET_PREFETCH_AHEAD].key);
        if (dpl__buckets_add(&sc->buckets, k[i].key, k[i].g, &pairs) != DPL_OK)
            dpl__dist_abort(d, "out of memory");
    }
    dpl__buf_free(&got);
    if (dpl__grow((void **)&sc->pair_dest, &sc->pair_dest_cap, pairs.n + 1,
                  sizeof *sc->pair_dest) != DPL_OK)
        dpl__dist_abort(d, "out of memory");
    for (size_t i = 0; i < pairs.n; i++)
        sc->pair_dest[i] = dpl__dist_owner(d, (uint32_t)(pairs.items[i] >> 32));
    dpl__dist_route(d, pairs.items, pairs.n, sizeof *pairs.items, sc->pair_dest, &got, &n_got);
    free(pairs.items);
    if (dpl__pairs_append(mine, (const uint64_t *)(const void *)got.data, n_got) != DPL_OK)
        dpl__dist_abort(d, "out of memory");
    dpl__buf_free(&got);
}

/* A document's spilled values, as they were written (prepared by the receiver). */
static int serve_spill(dpl__dist *d, void *user, uint32_t l, dpl__buf *out)
{
    (void)user;
    const doc *dd = &d->job->docs[l];
    size_t bytes = (size_t)dd->n_spilled * sizeof(uint32_t);
    DPL_TRY(dpl__buf_reserve(out, bytes));
    DPL_TRY(dpl__near_read_raw(d->job, l, out->data + out->len, bytes));
    out->len += bytes;
    return DPL_OK;
}

/* The sets fetched for one round: documents sorted, each set prepared in place. */
typedef struct fetched {
    uint32_t *docs;
    size_t n;
    dpl__buf data;
    uint64_t *offs;   /* byte offset of each set in data */
    uint64_t *counts; /* its values after preparation */
} fetched;

static void fetched_free(fetched *f)
{
    free(f->docs);
    free(f->offs);
    free(f->counts);
    dpl__buf_free(&f->data);
    memset(f, 0, sizeof *f);
}

static void fetch_round(dpl__dist *d, const uint64_t *pairs, size_t n, fetched *f)
{
    f->docs = malloc((n + 1) * sizeof *f->docs);
    if (!f->docs)
        dpl__dist_abort(d, "out of memory");
    f->n = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t b = (uint32_t)pairs[i];
        if (b - d->base >= d->n) /* held elsewhere */
            f->docs[f->n++] = b;
    }
    f->n = dpl_set_normalize(f->docs, f->n);
    f->offs = malloc((f->n + 1) * sizeof *f->offs);
    f->counts = malloc((f->n + 1) * sizeof *f->counts);
    if (!f->offs || !f->counts)
        dpl__dist_abort(d, "out of memory");
    dpl__dist_fetch(d, f->docs, f->n, serve_spill, NULL, &f->data, f->offs);
    const dpl_job *job = d->job;
#pragma omp parallel for num_threads(job->threads) schedule(dynamic, 64)
    for (long i = 0; i < (long)f->n; i++) {
        uint32_t *set = (uint32_t *)(void *)(f->data.data + f->offs[i]);
        f->counts[i] = dpl__near_prepare(job, set, (f->offs[i + 1] - f->offs[i]) / 4);
    }
}

/* A set read from this process's spill, kept while consecutive pairs share it. */
typedef struct own_set {
    uint32_t *items;
    size_t cap, n;
    uint32_t doc_plus_one;
} own_set;

/* The set of document g: fetched, or read from this process's spill into *own. */
static int set_of(dpl__dist *d, const fetched *f, uint32_t g, own_set *own,
                  const uint32_t **set, size_t *n)
{
    if (g - d->base < d->n) {
        if (own->doc_plus_one != g - d->base + 1) {
            own->doc_plus_one = 0;
            DPL_TRY(dpl__near_read_spill(d->job, g - d->base, &own->items, &own->cap,
                                         &own->n));
            own->doc_plus_one = g - d->base + 1;
        }
        *set = own->items;
        *n = own->n;
        return DPL_OK;
    }
    size_t lo = dpl__u32_position(f->docs, f->n, g);
    *set = (const uint32_t *)(const void *)(f->data.data + f->offs[lo]);
    *n = f->counts[lo];
    return DPL_OK;
}

/* Scores one round; scores[i] < 0 for pairs under the threshold. */
static int score_round(dpl__dist *d, const uint64_t *pairs, size_t n, const fetched *f,
                       float *scores)
{
    dpl_job *job = d->job;
    int failed = DPL_OK;
#pragma omp parallel num_threads(job->threads)
    {
        own_set own_a = {0}, own_b = {0};
#pragma omp for schedule(dynamic, 256)
        for (long i = 0; i < (long)n; i++) {
            const uint32_t *a, *b;
            size_t na = 0, nb = 0;
            int rc = set_of(d, f, (uint32_t)(pairs[i] >> 32), &own_a, &a, &na);
            if (rc == DPL_OK)
                rc = set_of(d, f, (uint32_t)pairs[i], &own_b, &b, &nb);
            if (rc != DPL_OK) {
#pragma omp atomic write
                failed = rc;
                scores[i] = -1;
                continue;
            }
            double score = dpl__near_score(job, a, na, b, nb);
            scores[i] = score >= job->threshold ? (float)score : -1;
        }
        free(own_a.items);
        free(own_b.items);
    }
    return failed;
}

/* Accepted pairs, in order: edges, the job's near pairs (global numbers), best scores;
 * a score for a document held elsewhere is queued for its owner. */
static int accept_round(dpl__dist *d, const uint64_t *pairs, size_t n, const float *scores,
                        dpl__buf *remote)
{
    dpl_job *job = d->job;
    for (size_t i = 0; i < n; i++) {
        if (scores[i] < 0)
            continue;
        uint32_t a = (uint32_t)(pairs[i] >> 32), b = (uint32_t)pairs[i];
        DPL_TRY(dpl__grow((void **)&job->near_pairs, &job->near_cap, job->n_near + 1,
                          sizeof *job->near_pairs));
        job->near_pairs[job->n_near++] = (near_pair){a, b, scores[i]};
        DPL_TRY(dpl__grow((void **)&d->edges.items, &d->edges.cap, d->edges.n + 1,
                          sizeof *d->edges.items));
        d->edges.items[d->edges.n++] = pairs[i];
        doc *da = &job->docs[a - d->base];
        if (scores[i] > da->near_score)
            da->near_score = scores[i];
        scored s = {b, scores[i]};
        if (b - d->base < d->n && scores[i] > job->docs[b - d->base].near_score)
            job->docs[b - d->base].near_score = scores[i];
        else if (b - d->base >= d->n)
            DPL_TRY(dpl__buf_append(remote, &s, sizeof s));
    }
    return DPL_OK;
}

static void send_scores(dpl__dist *d, const dpl__buf *remote)
{
    size_t n = remote->len / sizeof(scored);
    const scored *s = (const scored *)(const void *)remote->data;
    uint32_t *dest = malloc((n + 1) * sizeof *dest);
    if (!dest)
        dpl__dist_abort(d, "out of memory");
    for (size_t i = 0; i < n; i++)
        dest[i] = dpl__dist_owner(d, s[i].g);
    dpl__buf got = {0};
    size_t n_got;
    dpl__dist_route(d, s, n, sizeof *s, dest, &got, &n_got);
    free(dest);
    const scored *g = (const scored *)(const void *)got.data;
    for (size_t i = 0; i < n_got; i++) {
        doc *dd = &d->job->docs[g[i].g - d->base];
        if (g[i].score > dd->near_score)
            dd->near_score = g[i].score;
    }
    dpl__buf_free(&got);
}

static int verify(dpl__dist *d, const dpl__pair_list *cand)
{
    uint64_t rounds = dpl__dist_max(d, (cand->n + VERIFY_ROUND - 1) / VERIFY_ROUND);
    float *scores = malloc(VERIFY_ROUND * sizeof *scores);
    if (!scores)
        dpl__dist_abort(d, "out of memory");
    dpl__buf remote = {0};
    int rc = DPL_OK;
    for (uint64_t r = 0; r < rounds; r++) {
        size_t from = (size_t)r * VERIFY_ROUND;
        size_t n = from >= cand->n ? 0 : cand->n - from < VERIFY_ROUND ? cand->n - from
                                                                       : VERIFY_ROUND;
        const uint64_t *pairs = cand->items + (n ? from : 0);
        fetched f = {0};
        fetch_round(d, pairs, n, &f); /* collective: every process, every round */
        if (rc == DPL_OK && !d->failed)
            rc = score_round(d, pairs, n, &f, scores);
        if (rc == DPL_OK && !d->failed)
            rc = accept_round(d, pairs, n, scores, &remote);
        fetched_free(&f);
    }
    free(scores);
    send_scores(d, &remote);
    dpl__buf_free(&remote);
    if (rc == DPL_EIO)
        snprintf(d->job->errmsg, sizeof d->job->errmsg,
                 "cannot read back the temporary shingle file");
    return rc;
}

int dpl__dist_near(dpl__dist *d)
{
    dpl_job *job = d->job;
    if (!job->near)
        return DPL_OK;
    dpl__pair_list cand = {0};
    uint64_t before = d->stats.bytes_routed;
    band_scratch sc = {.recs = malloc(((size_t)d->n + 1) * sizeof *sc.recs),
                       .dest = malloc(((size_t)d->n + 1) * sizeof *sc.dest)};
    if (!sc.recs || !sc.dest)
        dpl__dist_abort(d, "out of memory");
    for (unsigned band = 0; band < job->bands; band++)
        band_candidates(d, band, &sc, &cand);
    dpl__buckets_free(&sc.buckets);
    free(sc.recs);
    free(sc.dest);
    free(sc.pair_dest);
    d->stats.routed_bands += d->stats.bytes_routed - before;
    before = d->stats.bytes_routed;
    int rc = dpl__pairs_sort_unique(&cand);
    if (rc != DPL_OK)
        dpl__dist_abort(d, "out of memory");
    job->sum.candidates = cand.n;
    rc = verify(d, &cand);
    d->stats.routed_verify += d->stats.bytes_routed - before;
    free(cand.items);
    return dpl__dist_agree(d, rc);
}
