/* Duplicate ids and exact copies across processes. Each is decided by the owner of a
 * hash (the id's XXH3-128, the text's exact fingerprint): it receives every document
 * with that hash, and the smallest document number wins, as the first-seen table of a
 * single process decides in input order. */
#include "dist/dist.h"

#include <stdlib.h>
#include <string.h>

typedef struct __attribute__((packed)) hashed { /* 20 bytes on the wire, not 24 */
    uint64_t lo, hi;
    uint32_t g;
} hashed;

typedef struct verdict {
    uint32_t g, first;
} verdict;

static dpl_hash128 id_hash(const dpl_job *job, const doc *dd)
{
    return dpl_exact_hash(dpl__job_doc_id(job, dd), dd->id_len); /* the job's id hash */
}

static dpl_hash128 text_hash(const dpl_job *job, const doc *dd)
{
    (void)job;
    return dd->hash;
}

/* Sends every usable document of this process, by hash_of(), to the owner of the hash;
 * returns, for this process's documents that are not the first with their hash,
 * (document, first document) in *out. */
static void settle(dpl__dist *d, dpl_hash128 (*hash_of)(const dpl_job *, const doc *),
                   dpl__buf *out, size_t *n_out)
{
    hashed *recs = malloc(((size_t)d->n + 1) * sizeof *recs);
    if (!recs)
        dpl__dist_abort(d, "out of memory");
    size_t n = 0;
    for (uint32_t l = 0; l < d->n; l++) {
        const doc *dd = &d->job->docs[l];
        if (dd->status == DPL__STATUS_ERROR)
            continue;
        dpl_hash128 h = hash_of(d->job, dd);
        recs[n++] = (hashed){h.lo, h.hi, d->base + l};
    }
    uint32_t *dest = malloc((n + 1) * sizeof *dest);
    if (!dest)
        dpl__dist_abort(d, "out of memory");
    for (size_t i = 0; i < n; i++)
        dest[i] = (uint32_t)(recs[i].hi % (uint64_t)d->size);
    dpl__buf got = {0};
    size_t n_got;
    dpl__dist_route(d, recs, n, sizeof *recs, dest, &got, &n_got);
    free(recs);
    /* They arrive in document order (by sending rank, each rank's in its order), so the
     * first seen is the smallest, as in one process's first-seen table. */
    const hashed *h = (const hashed *)(const void *)got.data;
    verdict *v = malloc((n_got + 1) * sizeof *v);
    uint32_t *vdest = realloc(dest, (n_got + 1) * sizeof *vdest);
    if (!v || !vdest)
        dpl__dist_abort(d, "out of memory");
    dpl__first_table seen = {0};
    if (dpl__first_presize(&seen, n_got) != DPL_OK || dpl__first_reserve(&seen, n_got) != DPL_OK)
        dpl__dist_abort(d, "out of memory");
    size_t nv = 0;
    for (size_t i = 0; i < n_got; i++) {
        uint32_t first;
        if (dpl__first_insert(&seen, (dpl_hash128){h[i].lo, h[i].hi}, h[i].g, &first) != DPL_OK)
            dpl__dist_abort(d, "out of memory");
        if (first == h[i].g)
            continue;
        v[nv] = (verdict){h[i].g, first};
        vdest[nv++] = dpl__dist_owner(d, h[i].g);
    }
    dpl__first_free(&seen);
    dpl__dist_route(d, v, nv, sizeof *v, vdest, out, n_out);
    free(v);
    free(vdest);
    dpl__buf_free(&got);
}

/* What the record that owns an id says of itself: "PATH" or "PATH:LINE". */
static int serve_place(dpl__dist *d, void *user, uint32_t l, dpl__buf *out)
{
    (void)user;
    const doc *dd = &d->job->docs[l];
    DPL_TRY(dpl__buf_printf(out, "%s", dpl__job_file_path(d->job, dd->file)));
    if (dd->line)
        DPL_TRY(dpl__buf_printf(out, ":%llu", (unsigned long long)dd->line));
    return DPL_OK;
}

static int add_dupid(dpl__dist *d, uint32_t l, const char *place, size_t place_len)
{
    const doc *dd = &d->job->docs[l];
    DPL_TRY(dpl__grow((void **)&d->dupid, &d->dupid_cap, d->n_dupid + 1, sizeof *d->dupid));
    size_t off = d->dupid_text.len;
    DPL_TRY(dpl__buf_printf(&d->dupid_text,
                            "duplicate id \"%.*s\": already used by the record at %.*s",
                            (int)dd->id_len, dpl__job_doc_id(d->job, dd), (int)place_len,
                            place));
    d->dupid[d->n_dupid++] = (doc_msg){l, (uint32_t)(d->dupid_text.len - off), off};
    return DPL_OK;
}

static int by_doc(const void *pa, const void *pb)
{
    const verdict *a = pa, *b = pb;
    return (a->g > b->g) - (a->g < b->g);
}

static int resolve_ids(dpl__dist *d)
{
    dpl_job *job = d->job;
    dpl__buf got = {0};
    size_t n_dup;
    settle(d, id_hash, &got, &n_dup);
    verdict *dups = (verdict *)(void *)got.data;
    qsort(dups, n_dup, sizeof *dups, by_doc); /* messages in document order */
    uint32_t *owners = malloc((n_dup + 1) * sizeof *owners);
    uint64_t *offs = malloc((n_dup + 1) * sizeof *offs);
    if (!owners || !offs)
        dpl__dist_abort(d, "out of memory");
    for (size_t i = 0; i < n_dup; i++)
        owners[i] = dups[i].first;
    dpl__buf places = {0};
    dpl__dist_fetch(d, owners, n_dup, serve_place, NULL, &places, offs);
    int rc = DPL_OK;
    for (size_t i = 0; i < n_dup && rc == DPL_OK; i++) {
        uint32_t l = dups[i].g - d->base;
        job->docs[l].status = DPL__STATUS_ERROR;
        job->docs[l].n_spilled = 0;
        rc = add_dupid(d, l, places.data + offs[i], offs[i + 1] - offs[i]);
    }
    free(owners);
    free(offs);
    dpl__buf_free(&places);
    dpl__buf_free(&got);
    return rc;
}

/* Exact copies: each document not the first with its text is joined to that first one,
 * and takes no part in the near pass (it follows its first). */
static int resolve_exact(dpl__dist *d)
{
    dpl_job *job = d->job;
    for (uint32_t l = 0; l < d->n; l++)
        d->exact_first[l] = d->base + l;
    dpl__buf got = {0};
    size_t n_copies;
    settle(d, text_hash, &got, &n_copies);
    const verdict *v = (const verdict *)(const void *)got.data;
    int rc = DPL_OK;
    for (size_t i = 0; i < n_copies && rc == DPL_OK; i++) {
        uint32_t l = v[i].g - d->base;
        d->exact_first[l] = v[i].first;
        job->docs[l].n_spilled = 0;
        rc = dpl__grow((void **)&d->edges.items, &d->edges.cap, d->edges.n + 1,
                       sizeof *d->edges.items);
        if (rc == DPL_OK)
            d->edges.items[d->edges.n++] = ((uint64_t)v[i].first << 32) | v[i].g;
    }
    dpl__buf_free(&got);
    return rc;
}

int dpl__dist_resolve(dpl__dist *d)
{
    if (!(d->exact_first = malloc(((size_t)d->n + 1) * sizeof *d->exact_first)))
        dpl__dist_abort(d, "out of memory");
    int rc = dpl__dist_agree(d, resolve_ids(d));
    if (rc != DPL_OK)
        return rc;
    for (uint32_t l = 0; l < d->n; l++) /* counted as one process counts them */
        if (d->job->docs[l].status != DPL__STATUS_ERROR && d->job->docs[l].has_msg)
            d->job->sum.warnings++;
    return dpl__dist_agree(d, resolve_exact(d));
}
