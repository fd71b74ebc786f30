/* The inputs split across processes. Rank 0 walks every input (folders recursively, as
 * the reader does) and sends the list of files to all; each process reads a contiguous
 * run of them, so that the processes' documents, concatenated in rank order, are the
 * documents of a single-process run in their order. The split weighs each file by its
 * size (plus one, so that many small files spread too). A file is never split: a corpus
 * needs at least as many files as processes to use them all. */
#include "dist/dist.h"

#include <stdlib.h>
#include <string.h>

/* One walked entry, serialized: input, error, size, then path, rel and message, each
 * NUL-terminated. */
static int put_entry(dpl__buf *b, uint32_t input, const dpl__walk_entry *e)
{
    int32_t error = e->error;
    DPL_TRY(dpl__buf_append(b, &input, sizeof input));
    DPL_TRY(dpl__buf_append(b, &error, sizeof error));
    DPL_TRY(dpl__buf_append(b, &e->size, sizeof e->size));
    DPL_TRY(dpl__buf_append(b, e->path, strlen(e->path) + 1));
    DPL_TRY(dpl__buf_append(b, e->rel, strlen(e->rel) + 1));
    const char *msg = e->error_msg ? e->error_msg : "";
    return dpl__buf_append(b, msg, strlen(msg) + 1);
}

static int walk_inputs(dpl__dist *d, dpl__buf *out)
{
    dpl_job *job = d->job;
    for (size_t i = 0; i < job->n_inputs; i++) {
        dpl__walk *w;
        int rc = dpl__walk_open(job->inputs[i], job->opts.reader.include_hidden, &w);
        if (rc != DPL_OK) {
            snprintf(job->errmsg, sizeof job->errmsg, "%s: cannot walk: %s", job->inputs[i],
                     dpl_strerror(rc));
            return rc;
        }
        dpl__walk_entry e;
        while ((rc = dpl__walk_next(w, &e)) == DPL_OK)
            if ((rc = put_entry(out, (uint32_t)i, &e)) != DPL_OK)
                break;
        dpl__walk_close(w);
        if (rc != DPL_EEOF)
            return rc;
    }
    return DPL_OK;
}

static void broadcast(dpl__dist *d, dpl__buf *b)
{
    uint64_t len = b->len;
    MPI_Bcast(&len, 1, MPI_UINT64_T, 0, d->comm);
    if (d->rank != 0 && dpl__buf_reserve(b, len + 1) != DPL_OK)
        dpl__dist_abort(d, "out of memory");
    for (uint64_t at = 0; at < len;) { /* MPI counts are ints */
        int piece = len - at > (1u << 30) ? 1 << 30 : (int)(len - at);
        MPI_Bcast(b->data + at, piece, MPI_BYTE, 0, d->comm);
        at += (uint64_t)piece;
    }
    b->len = len;
}

static int parse_entries(dpl__dist *d, const dpl__buf *b)
{
    size_t n = 0;
    for (size_t at = 0; at < b->len; n++) {
        at += 16;
        for (int s = 0; s < 3; s++)
            at += strlen(b->data + at) + 1;
    }
    if (!(d->files = calloc(n + 1, sizeof *d->files)))
        return DPL_ENOMEM;
    d->file_strings = b->data; /* kept: the entries point into it */
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        dpl__part *p = &d->files[i];
        int32_t error;
        memcpy(&p->input, b->data + at, 4);
        memcpy(&error, b->data + at + 4, 4);
        memcpy(&p->e.size, b->data + at + 8, 8);
        p->e.error = error;
        at += 16;
        p->e.path = b->data + at;
        at += strlen(b->data + at) + 1;
        p->e.rel = b->data + at;
        at += strlen(b->data + at) + 1;
        p->e.error_msg = b->data[at] ? b->data + at : NULL;
        at += strlen(b->data + at) + 1;
    }
    d->n_files = n;
    return DPL_OK;
}

/* The contiguous run of files of this rank: file i goes to the rank in whose share of
 * the total weight its middle falls. */
static void my_share(dpl__dist *d)
{
    long double total = 0, before = 0;
    for (size_t i = 0; i < d->n_files; i++)
        total += (long double)d->files[i].e.size + 1;
    size_t first = d->n_files, count = 0;
    for (size_t i = 0; i < d->n_files; i++) {
        long double w = (long double)d->files[i].e.size + 1;
        long double share = (before + w / 2) * d->size / total;
        int owner = share >= d->size ? d->size - 1 : (int)share;
        before += w;
        if (owner != d->rank)
            continue;
        if (first == d->n_files)
            first = i;
        count++;
    }
    d->job->part = d->files + (count ? first : 0);
    d->job->n_part = count;
}

int dpl__dist_partition(dpl__dist *d)
{
    dpl__buf b = {0};
    int rc = d->rank == 0 ? walk_inputs(d, &b) : DPL_OK;
    rc = dpl__dist_agree(d, rc);
    if (rc != DPL_OK) {
        dpl__buf_free(&b);
        return rc;
    }
    broadcast(d, &b);
    rc = parse_entries(d, &b);
    if (rc != DPL_OK) {
        dpl__buf_free(&b);
        return rc;
    }
    my_share(d);
    return DPL_OK;
}
