/* --against across processes. Each process queried the index for its own documents in
 * pass 1 (pipeline/against.c); what one process then decides with its union-find is
 * decided here by the owner of each cluster's root:
 *
 *   matched   each document with a match sends (root, itself) to the root's owner, which
 *             keeps the smallest: the cluster's first matched member
 *   clusters  every member learns it; in a cluster with one, each matched member is a
 *             duplicate of its own match in the archive, every other member of the first
 *             matched member, and nothing of the cluster is kept */
#include "dist/dist.h"

#include <stdlib.h>
#include <string.h>

void dpl__dist_against_prune(dpl__dist *d)
{
    dpl_job *job = d->job;
    size_t kept = 0;
    for (size_t i = 0; i < job->n_arch; i++) /* duplicate ids became errors since */
        if (job->docs[job->arch[i].doc].status != DPL__STATUS_ERROR)
            job->arch[kept++] = job->arch[i];
    job->n_arch = kept;
}

typedef struct claim {
    uint32_t root, g;
} claim;

int dpl__dist_against_clusters(dpl__dist *d)
{
    dpl_job *job = d->job;
    if (!job->opts.against)
        return DPL_OK;
    uint32_t *first = malloc(((size_t)d->n + 1) * sizeof *first);
    claim *claims = malloc((job->n_arch + 1) * sizeof *claims);
    uint32_t *dest = malloc((job->n_arch + 1) * sizeof *dest);
    uint32_t *want = malloc(((size_t)d->n + 1) * sizeof *want);
    if (!first || !claims || !dest || !want)
        dpl__dist_abort(d, "out of memory");
    memset(first, 0xFF, (size_t)d->n * sizeof *first); /* UINT32_MAX: none */
    for (size_t i = 0; i < job->n_arch; i++) {
        uint32_t l = job->arch[i].doc;
        claims[i] = (claim){d->root[l], d->base + l};
        dest[i] = dpl__dist_owner(d, d->root[l]);
    }
    dpl__buf got = {0};
    size_t n_got;
    dpl__dist_route(d, claims, job->n_arch, sizeof *claims, dest, &got, &n_got);
    const claim *c = (const claim *)(const void *)got.data;
    for (size_t i = 0; i < n_got; i++) {
        uint32_t l = c[i].root - d->base;
        if (c[i].g < first[l])
            first[l] = c[i].g;
    }
    dpl__buf_free(&got);
    size_t n = 0;
    for (uint32_t l = 0; l < d->n; l++)
        if (job->docs[l].status != DPL__STATUS_ERROR)
            want[n++] = d->root[l];
    dpl__buf vals = {0};
    dpl__dist_fetch_u32(d, first, want, &n, &vals);
    for (uint32_t l = 0; l < d->n; l++) {
        doc *dd = &job->docs[l];
        if (dd->status == DPL__STATUS_ERROR)
            continue;
        uint32_t matched = dpl__dist_u32_at(want, n, &vals, d->root[l]);
        if (matched == UINT32_MAX)
            continue;
        dd->status = DPL__STATUS_DUPLICATE;
        dd->archived = dpl__against_of(job, l) != NULL;
        d->rep[l] = dd->archived ? d->base + l : matched;
    }
    dpl__buf_free(&vals);
    free(first);
    free(claims);
    free(dest);
    free(want);
    return dpl__dist_agree(d, DPL_OK);
}
