/* Dedupe against an index (dpl_options.against, `doppel dedupe --against PATH`).
 *
 *   per document (parallel, in pass 1)  dpl_index_query(): its best match among the
 *                                       committed documents, exact before near
 *   merge (in input order)              kept for the documents that have one
 *   clusters                            a cluster with a matched member is a duplicate
 *                                       of the archive as a whole: each matched member
 *                                       of its own match, every other member of the
 *                                       first matched member; nothing of it is kept
 *
 * Queries are thread safe, so the workers share the index handle; each has its own
 * results object. */
#include "pipeline/job_internal.h"

#include <stdlib.h>
#include <string.h>

int dpl__against_thread_init(dpl_job *job, thread_ctx *c)
{
    if (!job->opts.against)
        return DPL_OK;
    return (c->against = dpl_results_create()) ? DPL_OK : DPL_ENOMEM;
}

int dpl__against_item(dpl_job *job, thread_ctx *c, item *it, const dpl_record *rec)
{
    it->arch_len = 0;
    if (!job->opts.against)
        return DPL_OK;
    DPL_TRY(dpl_index_query(job->opts.against, rec->text, rec->text_len, c->against));
    dpl_match best;
    if (dpl_results_get(c->against, 0, &best) != DPL_OK)
        return DPL_OK; /* no match */
    dpl__buf *arena = &c->arena[it->slot];
    it->arch_off = arena->len;
    it->arch_len = best.id_len;
    it->arch_kind = (uint8_t)best.kind;
    it->arch_score = (float)best.score;
    return dpl__buf_append(arena, best.id, best.id_len);
}

int dpl__against_merge(dpl_job *job, uint32_t d, const item *it)
{
    if (!it->arch_len || job->docs[d].status == DPL__STATUS_ERROR)
        return DPL_OK;
    DPL_TRY(dpl__grow((void **)&job->arch, &job->arch_cap, job->n_arch + 1, sizeof *job->arch));
    const dpl__buf *arena = &job->ctx[it->thread].arena[it->slot];
    job->arch[job->n_arch++] = (arch_match){d, (uint32_t)it->arch_len, job->arch_ids.len,
                                            it->arch_score, it->arch_kind, {0, 0, 0}};
    return dpl__buf_append(&job->arch_ids, arena->data + it->arch_off, it->arch_len);
}

static int compare_doc(const void *key, const void *entry)
{
    uint32_t d = *(const uint32_t *)key, e = ((const arch_match *)entry)->doc;
    return (d > e) - (d < e);
}

const arch_match *dpl__against_of(const dpl_job *job, uint32_t d)
{
    return job->n_arch ? bsearch(&d, job->arch, job->n_arch, sizeof *job->arch, compare_doc)
                       : NULL;
}

int dpl__against_clusters(dpl_job *job)
{
    if (!job->n_arch)
        return DPL_OK;
    /* the first matched member of each cluster, by its root; UINT32_MAX: none */
    uint32_t *first = malloc(job->n_docs * sizeof *first);
    if (!first)
        return DPL_ENOMEM;
    memset(first, 0xFF, job->n_docs * sizeof *first);
    for (size_t i = 0; i < job->n_arch; i++) {
        uint32_t root = dpl__uf_find(&job->uf, job->arch[i].doc);
        if (first[root] == UINT32_MAX)
            first[root] = job->arch[i].doc;
    }
    for (size_t d = 0; d < job->n_docs; d++) {
        doc *dd = &job->docs[d];
        if (dd->status == DPL__STATUS_ERROR)
            continue;
        uint32_t matched = first[dpl__uf_find(&job->uf, (uint32_t)d)];
        if (matched == UINT32_MAX)
            continue;
        dd->status = DPL__STATUS_DUPLICATE;
        dd->archived = dpl__against_of(job, (uint32_t)d) != NULL;
        dd->rep = dd->archived ? (uint32_t)d : matched;
    }
    free(first);
    return DPL_OK;
}

void dpl__against_free(dpl_job *job)
{
    free(job->arch);
    job->arch = NULL;
    job->n_arch = job->arch_cap = 0;
    dpl__buf_free(&job->arch_ids);
}
