/* The inputs split across processes. Rank 0 walks every input (folders recursively, as
 * the reader does) and sends the list of files to all; each process reads a contiguous
 * run of them, so that the processes' documents, concatenated in rank order, are the
 * documents of a single-process run in their order. The split weighs each file by its
 * size (plus one, so that many small files spread too).
 *
 * A large uncompressed JSONL file is cut into pieces (up to PIECES_PER_PROCESS per
 * process, none under MIN_PIECE), each holding the lines that start in it, so that one
 * huge file spreads too. Line numbers must be right from the start (they are in error
 * messages and default ids), so each process first counts the newlines of its pieces and
 * all learn every piece's first line number. Compressed files are never cut (a
 * compressed stream cannot be entered in the middle), nor files when the corpus output
 * is a folder (each input file becomes one output file, written by one process). */
#include "dist/dist.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIN_PIECE ((uint64_t)1 << 20)
#define PIECES_PER_PROCESS 4

/* One walked entry, serialized: input, error, size, start and end (a piece; end 0: the
 * whole file), then path, rel and message, each NUL-terminated. */
#define ENTRY_HEAD 32
static int put_entry(dpl__buf *b, uint32_t input, const dpl__walk_entry *e, uint64_t start,
                     uint64_t end)
{
    int32_t error = e->error;
    uint64_t size = end ? end - start : e->size;
    DPL_TRY(dpl__buf_append(b, &input, sizeof input));
    DPL_TRY(dpl__buf_append(b, &error, sizeof error));
    DPL_TRY(dpl__buf_append(b, &size, sizeof size));
    DPL_TRY(dpl__buf_append(b, &start, sizeof start));
    DPL_TRY(dpl__buf_append(b, &end, sizeof end));
    DPL_TRY(dpl__buf_append(b, e->path, strlen(e->path) + 1));
    DPL_TRY(dpl__buf_append(b, e->rel, strlen(e->rel) + 1));
    const char *msg = e->error_msg ? e->error_msg : "";
    return dpl__buf_append(b, msg, strlen(msg) + 1);
}

/* Whether the file is read as JSONL and is not compressed: then it can be entered at
 * any byte. */
static int splittable(const dpl__dist *d, const dpl__walk_entry *e)
{
    const dpl_job *job = d->job;
    if (d->size == 1 || e->error != DPL_OK || e->size < 2 * MIN_PIECE ||
        job->out[DPL_OUTPUT_CORPUS].is_dir || !dpl__path_is_jsonl(&job->opts.reader, e->path))
        return 0;
    int fd = open(e->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    unsigned char magic[4]; /* the file has at least 2 * MIN_PIECE bytes (above) */
    int rc = dpl__pread_all(fd, 0, magic, sizeof magic);
    close(fd);
    return rc == DPL_OK && dpl__detect_compression(magic, sizeof magic) == DPL__PLAIN;
}

/* A file as one entry, or a large JSONL file as pieces of about equal size. */
static int put_file(dpl__dist *d, dpl__buf *out, uint32_t input, const dpl__walk_entry *e)
{
    if (!splittable(d, e))
        return put_entry(out, input, e, 0, 0);
    uint64_t pieces = e->size / MIN_PIECE;
    if (pieces > (uint64_t)d->size * PIECES_PER_PROCESS)
        pieces = (uint64_t)d->size * PIECES_PER_PROCESS;
    for (uint64_t k = 0; k < pieces; k++) {
        /* k * size / pieces without overflow: sizes stay far below 2^64 / 2^16 */
        uint64_t start = (uint64_t)((long double)e->size * k / pieces);
        uint64_t end = k + 1 == pieces ? e->size
                                       : (uint64_t)((long double)e->size * (k + 1) / pieces);
        DPL_TRY(put_entry(out, input, e, start, end));
    }
    return DPL_OK;
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
            if ((rc = put_file(d, out, (uint32_t)i, &e)) != DPL_OK)
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
        at += ENTRY_HEAD;
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
        memcpy(&p->range.start, b->data + at + 16, 8);
        memcpy(&p->range.end, b->data + at + 24, 8);
        p->e.error = error;
        at += ENTRY_HEAD;
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

/* Each file's rank, decided by rank 0 for all (so that no two processes could round
 * differently): the rank in whose share of the total weight the file's middle falls.
 * This process's files are then a contiguous run. */
static void share(dpl__dist *d)
{
    uint32_t *owner = malloc((d->n_files + 1) * sizeof *owner);
    if (!owner || d->n_files > (size_t)1 << 30)
        dpl__dist_abort(d, d->n_files > (size_t)1 << 30 ? "more than 2^30 files" : "out of memory");
    if (d->rank == 0) {
        long double total = 0, before = 0;
        for (size_t i = 0; i < d->n_files; i++)
            total += (long double)d->files[i].e.size + 1;
        for (size_t i = 0; i < d->n_files; i++) {
            long double w = (long double)d->files[i].e.size + 1;
            long double at = (before + w / 2) * d->size / total;
            owner[i] = at >= d->size ? (uint32_t)d->size - 1 : (uint32_t)at;
            before += w;
        }
    }
    MPI_Bcast(owner, (int)d->n_files, MPI_UINT32_T, 0, d->comm);
    size_t first = d->n_files, count = 0;
    for (size_t i = 0; i < d->n_files; i++) {
        if (owner[i] != (uint32_t)d->rank)
            continue;
        if (first == d->n_files)
            first = i;
        count++;
    }
    free(owner);
    d->job->part = d->files + (count ? first : 0);
    d->job->n_part = count;
}

/* The newlines of a piece's bytes [start - 1, end - 1): those before each of its lines. */
static int count_newlines(dpl__dist *d, const dpl__part *p, uint64_t *count)
{
    int fd = open(p->e.path, O_RDONLY | O_CLOEXEC);
    char *buf = malloc(MIN_PIECE);
    int rc = fd >= 0 && buf ? DPL_OK : DPL_EIO;
    uint64_t from = p->range.start ? p->range.start - 1 : 0, to = p->range.end - 1;
    *count = 0;
    for (uint64_t at = from; rc == DPL_OK && at < to;) {
        size_t want = to - at < MIN_PIECE ? (size_t)(to - at) : (size_t)MIN_PIECE;
        if ((rc = dpl__pread_all(fd, at, buf, want)) != DPL_OK)
            break;
        for (const char *q = buf, *end = buf + want; (q = memchr(q, '\n', (size_t)(end - q)));
             q++)
            (*count)++;
        at += want;
    }
    if (rc != DPL_OK)
        snprintf(d->job->errmsg, sizeof d->job->errmsg, "%s: cannot read it to count its "
                 "lines: %s", p->e.path, buf ? strerror(errno) : "out of memory");
    free(buf);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Each piece's first line number, from the newlines of the pieces before it, which
 * other processes may hold: every process counts its own, and a sum gathers them. */
static int number_lines(dpl__dist *d)
{
    if (!d->stats.pieces)
        return DPL_OK; /* no file was cut */
    uint64_t *counts = calloc(d->n_files + 1, sizeof *counts);
    if (!counts)
        dpl__dist_abort(d, "out of memory");
    int rc = DPL_OK;
    size_t first = (size_t)(d->job->part - d->files);
    for (size_t i = first; i < first + d->job->n_part && rc == DPL_OK; i++)
        if (d->files[i].range.end)
            rc = count_newlines(d, &d->files[i], &counts[i]);
    MPI_Allreduce(MPI_IN_PLACE, counts, (int)d->n_files, MPI_UINT64_T, MPI_SUM, d->comm);
    /* A piece's first line follows the newlines of the pieces before it in its file
     * (pieces of a file are consecutive), plus the one that ends the line before it. */
    uint64_t newlines_before = 0;
    for (size_t i = 0; i < d->n_files; i++) {
        dpl__part *p = &d->files[i];
        if (!p->range.end)
            continue;
        if (p->range.start == 0)
            newlines_before = 0;
        else
            p->range.line_base = newlines_before + 1;
        newlines_before += counts[i];
    }
    free(counts);
    return rc;
}

int dpl__dist_partition(dpl__dist *d)
{
    dpl__buf b = {0};
    int rc = dpl__dist_agree(d, d->rank == 0 ? walk_inputs(d, &b) : DPL_OK);
    if (rc == DPL_OK) {
        broadcast(d, &b);
        rc = dpl__dist_agree(d, parse_entries(d, &b)); /* takes b's bytes when it works */
    }
    if (rc != DPL_OK) {
        if (!d->file_strings)
            dpl__buf_free(&b);
        return rc;
    }
    for (size_t i = 0; i < d->n_files; i++) {
        const dpl__part *p = &d->files[i];
        d->stats.pieces += p->range.end != 0;
        d->stats.files += p->range.start == 0; /* a whole file, or the first piece of one */
    }
    share(d);
    return dpl__dist_agree(d, number_lines(d));
}
