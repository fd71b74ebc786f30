/* The outputs of a distributed job, written once, by rank 0. Each process renders its
 * part of an output (its documents' manifest lines, the pairs it holds, its kept
 * records) into an unlinked temporary file, all at once; then rank 0 appends the parts
 * in rank order, which is input order. A folder corpus is the exception: each process
 * writes its own files into the output's temporary folder, which rank 0 renames. */
#include "dist/dist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define STREAM_PIECE ((size_t)4 << 20)

enum { TAG_STREAM = 17 };

/* What the writers need of other documents: the exact fingerprint, the best near score
 * and the id, for a sorted list of documents. */
typedef struct infos {
    uint32_t *docs;
    size_t n;
    dpl__buf data;
    uint64_t *offs;
} infos;

typedef struct info {
    dpl_hash128 hash;
    float near_score;
    const char *id;
    size_t id_len;
} info;

static int serve_info(dpl__dist *d, void *user, uint32_t l, dpl__buf *out)
{
    (void)user;
    const doc *dd = &d->job->docs[l];
    DPL_TRY(dpl__buf_append(out, &dd->hash, sizeof dd->hash));
    DPL_TRY(dpl__buf_append(out, &dd->near_score, sizeof dd->near_score));
    return dpl__buf_append(out, dpl__job_doc_id(d->job, dd), dd->id_len);
}

static info info_of(const infos *in, uint32_t g)
{
    size_t lo = dpl__u32_position(in->docs, in->n, g);
    const char *p = in->data.data + in->offs[lo];
    info i;
    memcpy(&i.hash, p, sizeof i.hash);
    memcpy(&i.near_score, p + sizeof i.hash, sizeof i.near_score);
    i.id = p + sizeof i.hash + sizeof i.near_score;
    i.id_len = in->offs[lo + 1] - in->offs[lo] - sizeof i.hash - sizeof i.near_score;
    return i;
}

static void gather_infos(dpl__dist *d, infos *in)
{
    const dpl_job *job = d->job;
    size_t cap = 2 * (size_t)d->n + job->n_near + 1;
    if (!(in->docs = malloc(cap * sizeof *in->docs)))
        dpl__dist_abort(d, "out of memory");
    for (uint32_t l = 0; l < d->n; l++) {
        if (job->docs[l].status == DPL__STATUS_ERROR)
            continue;
        if (d->rep[l] != d->base + l)
            in->docs[in->n++] = d->rep[l];
        if (d->exact_first[l] != d->base + l)
            in->docs[in->n++] = d->exact_first[l];
    }
    for (size_t i = 0; i < job->n_near; i++)
        in->docs[in->n++] = job->near_pairs[i].b;
    in->n = dpl_set_normalize(in->docs, in->n);
    if (!(in->offs = malloc((in->n + 1) * sizeof *in->offs)))
        dpl__dist_abort(d, "out of memory");
    dpl__dist_fetch(d, in->docs, in->n, serve_info, NULL, &in->data, in->offs);
}

static void infos_free(infos *in)
{
    free(in->docs);
    free(in->offs);
    dpl__buf_free(&in->data);
}

/* ---------------------------------------------------------------- renderers --------- */

typedef struct render_ctx {
    dpl__dist *d;
    const infos *in;
} render_ctx;

static const char *id_of(const dpl_job *job, uint32_t l, size_t *len)
{
    *len = job->docs[l].id_len;
    return dpl__job_doc_id(job, &job->docs[l]);
}

static int render_manifest(render_ctx *c, FILE *f)
{
    dpl__dist *d = c->d;
    const dpl_job *job = d->job;
    size_t m = 0, u = 0;
    for (uint32_t l = 0; l < d->n && !job->stop; l++) {
        const doc *dd = &job->docs[l];
        const char *msg = NULL;
        size_t msg_len = 0;
        while (u < d->n_dupid && d->dupid[u].doc < l)
            u++;
        while (m < job->n_msgs && job->msgs[m].doc < l)
            m++;
        if (u < d->n_dupid && d->dupid[u].doc == l) { /* replaces a warning */
            msg = d->dupid_text.data + d->dupid[u].off;
            msg_len = d->dupid[u].len;
        } else if (m < job->n_msgs && job->msgs[m].doc == l) {
            msg = job->msg_text.data + job->msgs[m].off;
            msg_len = job->msgs[m].len;
        }
        char *msg_copy = msg ? strndup(msg, msg_len) : NULL;
        if (msg && !msg_copy)
            return DPL_ENOMEM;
        int dup = dd->status == DPL__STATUS_DUPLICATE;
        size_t own_len;
        const char *own = id_of(job, l, &own_len);
        info rep = {.id = own, .id_len = own_len};
        int exact = 0;
        double score = 0;
        const arch_match *arch = dd->archived ? dpl__against_of(job, l) : NULL;
        if (arch) { /* a duplicate of its own match in the archive */
            rep.id = job->arch_ids.data + arch->id_off;
            rep.id_len = arch->id_len;
            exact = arch->kind == DPL_MATCH_EXACT;
            score = arch->score;
        } else if (dup) {
            rep = info_of(c->in, d->rep[l]);
            exact = rep.hash.lo == dd->hash.lo && rep.hash.hi == dd->hash.hi;
            score = exact ? 1.0
                    : d->exact_first[l] == d->base + l
                        ? dd->near_score
                        : info_of(c->in, d->exact_first[l]).near_score;
        }
        dpl__manifest_line line = {
            .id = own, .id_len = own_len,
            .source = dpl__job_file_path(job, dd->file), .line = dd->line,
            .status = (enum dpl__status)dd->status,
            .kind = dup ? dpl__kind_names[exact ? KIND_EXACT : KIND_NEAR] : NULL,
            .rep = rep.id, .rep_len = rep.id_len, .archived = arch != NULL,
            .score = score,
            .error = dd->status == DPL__STATUS_ERROR ? msg_copy : NULL,
            .warning = dd->status != DPL__STATUS_ERROR ? msg_copy : NULL,
        };
        int rc = dpl__write_manifest_line(f, &line);
        free(msg_copy);
        DPL_TRY(rc);
    }
    return DPL_OK;
}

static int render_exact_pairs(render_ctx *c, FILE *f)
{
    dpl__dist *d = c->d;
    dpl_job *job = d->job;
    for (uint32_t l = 0; l < d->n && !job->stop; l++) {
        if (job->docs[l].status == DPL__STATUS_ERROR || d->exact_first[l] == d->base + l)
            continue;
        info first = info_of(c->in, d->exact_first[l]);
        size_t len;
        const char *id = id_of(job, l, &len);
        job->sum.pairs++;
        DPL_TRY(dpl__write_pair_line(f, first.id, first.id_len, id, len,
                                     dpl__kind_names[KIND_EXACT], 1.0, 0));
    }
    return DPL_OK;
}

static int render_near_pairs(render_ctx *c, FILE *f)
{
    dpl__dist *d = c->d;
    dpl_job *job = d->job;
    for (size_t i = 0; i < job->n_near && !job->stop; i++) {
        const near_pair *p = &job->near_pairs[i];
        size_t a_len;
        const char *a = id_of(job, p->a - d->base, &a_len);
        info b = info_of(c->in, p->b);
        job->sum.pairs++;
        DPL_TRY(dpl__write_pair_line(f, a, a_len, b.id, b.id_len, dpl__kind_names[KIND_NEAR],
                                     p->score, 0));
    }
    return DPL_OK;
}

static int render_archived_pairs(render_ctx *c, FILE *f)
{
    return dpl__job_write_archived_pairs(c->d->job, f);
}

static int render_corpus(render_ctx *c, FILE *f)
{
    dpl_job *job = c->d->job;
    FILE *own = job->out[DPL_OUTPUT_CORPUS].f;
    job->out[DPL_OUTPUT_CORPUS].f = f;
    int rc = dpl__job_copy_kept(job);
    job->out[DPL_OUTPUT_CORPUS].f = own;
    return rc;
}

/* ---------------------------------------------------------------- streaming --------- */

typedef int (*render_fn)(render_ctx *c, FILE *f);

/* A part rendered by a rank above 0, sent to rank 0 in pieces, then an empty piece. */
static int send_part(dpl__dist *d, render_ctx *c, render_fn render)
{
    dpl_job *job = d->job;
    int fd = -1;
    FILE *f = NULL;
    int rc = dpl__open_spill(job, "part", "output part", &fd, &f);
    if (rc == DPL_OK)
        rc = render(c, f);
    if (rc == DPL_OK && fflush(f) != 0) {
        snprintf(job->errmsg, sizeof job->errmsg,
                 "cannot write a temporary output part (is TMPDIR full?): %s", strerror(errno));
        rc = DPL_EIO;
    }
    char *piece = malloc(STREAM_PIECE);
    if (!piece)
        dpl__dist_abort(d, "out of memory");
    uint64_t size = rc == DPL_OK ? (uint64_t)ftello(f) : 0;
    for (uint64_t at = 0; at < size;) {
        size_t n = size - at < STREAM_PIECE ? (size_t)(size - at) : STREAM_PIECE;
        if (dpl__pread_all(fd, at, piece, n) != DPL_OK) {
            rc = DPL_EIO;
            break;
        }
        MPI_Send(piece, (int)n, MPI_BYTE, 0, TAG_STREAM, d->comm);
        d->stats.bytes_outputs += n;
        at += n;
    }
    MPI_Send(piece, 0, MPI_BYTE, 0, TAG_STREAM, d->comm);
    free(piece);
    if (f)
        fclose(f);
    return rc;
}

/* Rank 0: its own part, then every other rank's, in rank order. */
static int receive_parts(dpl__dist *d, render_ctx *c, render_fn render, FILE *dst)
{
    int rc = render(c, dst);
    char *piece = malloc(STREAM_PIECE);
    if (!piece)
        dpl__dist_abort(d, "out of memory");
    for (int r = 1; r < d->size; r++) {
        for (;;) {
            MPI_Status st;
            int n;
            MPI_Recv(piece, (int)STREAM_PIECE, MPI_BYTE, r, TAG_STREAM, d->comm, &st);
            MPI_Get_count(&st, MPI_BYTE, &n);
            if (n == 0)
                break;
            if (rc == DPL_OK && fwrite(piece, 1, (size_t)n, dst) != (size_t)n)
                rc = DPL_EIO;
        }
    }
    free(piece);
    if (rc == DPL_EIO && !d->job->errmsg[0])
        snprintf(d->job->errmsg, sizeof d->job->errmsg, "writing an output failed: %s",
                 strerror(errno));
    return rc;
}

static int gather(dpl__dist *d, render_ctx *c, render_fn render, dpl_output_kind kind)
{
    int rc = d->rank == 0 ? receive_parts(d, c, render, d->job->out[kind].f)
                          : send_part(d, c, render);
    return dpl__dist_agree(d, rc);
}

/* ---------------------------------------------------------------- corpus ------------ */

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether two files are copied to the same path of a folder corpus: "a.jsonl" and
 * "a.jsonl.gz" of one input both become "a.jsonl". One process appends the second to the
 * first (or, for text files, the second replaces the first); processes writing at once
 * would interleave. Every process answers the same, from the list of all files. */
static int output_paths_collide(dpl__dist *d)
{
    char **keys = calloc(d->n_files + 1, sizeof *keys);
    if (!keys)
        dpl__dist_abort(d, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < d->n_files; i++) {
        const dpl__part *p = &d->files[i];
        if (asprintf(&keys[n++], "%u/%s", p->input, p->e.rel) < 0)
            dpl__dist_abort(d, "out of memory");
        dpl__strip_compression_suffix(keys[n - 1]);
    }
    qsort(keys, n, sizeof *keys, by_string);
    int collide = 0;
    for (size_t i = 1; i < n; i++)
        collide |= strcmp(keys[i], keys[i - 1]) == 0;
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    return collide;
}

/* A folder corpus: every process copies its kept records into rank 0's temporary
 * folder, named in the same way as by one process; all at once, or one after the other
 * in rank order when two files share an output path. */
static int corpus_folder(dpl__dist *d)
{
    dpl_job *job = d->job;
    dpl__out *o = &job->out[DPL_OUTPUT_CORPUS];
    dpl__buf path = {0};
    if (d->rank == 0 && dpl__buf_append(&path, o->tmp, strlen(o->tmp) + 1) != DPL_OK)
        dpl__dist_abort(d, "out of memory");
    uint64_t len = path.len;
    MPI_Bcast(&len, 1, MPI_UINT64_T, 0, d->comm);
    if (d->rank != 0 && dpl__buf_reserve(&path, len) != DPL_OK)
        dpl__dist_abort(d, "out of memory");
    MPI_Bcast(path.data, (int)len, MPI_CHAR, 0, d->comm);
    if (d->rank != 0) {
        o->tmp = path.data; /* borrowed for the copy, handed back below */
        o->is_dir = 1;
    }
    int rc = DPL_OK;
    if (!output_paths_collide(d)) {
        rc = dpl__job_copy_kept(job);
    } else {
        for (int r = 0; r < d->size; r++) {
            if (r == d->rank)
                rc = dpl__job_copy_kept(job);
            MPI_Barrier(d->comm); /* the next rank writes after this one */
        }
    }
    if (d->rank != 0) {
        o->tmp = NULL;
        o->is_dir = 0;
    }
    dpl__buf_free(&path);
    return dpl__dist_agree(d, rc);
}

static int write_corpus(dpl__dist *d, render_ctx *c)
{
    dpl_job *job = d->job;
    if (!job->outputs[DPL_OUTPUT_CORPUS])
        return DPL_OK;
    int is_dir = d->rank == 0 ? job->out[DPL_OUTPUT_CORPUS].is_dir : 0;
    MPI_Bcast(&is_dir, 1, MPI_INT, 0, d->comm);
    if (is_dir)
        return corpus_folder(d);
    return gather(d, c, render_corpus, DPL_OUTPUT_CORPUS);
}

/* Kept, duplicates by kind, errors: this process's share of the summary. */
static void count_statuses(dpl__dist *d, const infos *in)
{
    dpl_summary *s = &d->job->sum;
    for (uint32_t l = 0; l < d->n; l++) {
        const doc *dd = &d->job->docs[l];
        if (dd->status == DPL__STATUS_ERROR) {
            s->errors++;
        } else if (dd->status == DPL__STATUS_KEPT) {
            s->kept++;
        } else {
            const arch_match *arch = dd->archived ? dpl__against_of(d->job, l) : NULL;
            dpl_hash128 rep = arch ? dd->hash : info_of(in, d->rep[l]).hash;
            int exact = arch ? arch->kind == DPL_MATCH_EXACT
                             : rep.lo == dd->hash.lo && rep.hi == dd->hash.hi;
            s->duplicates++;
            s->exact += exact;
            s->near += !exact;
        }
        s->archived += dd->archived;
    }
    s->records = d->n;
}

int dpl__dist_write(dpl__dist *d)
{
    dpl_job *job = d->job;
    infos in = {0};
    gather_infos(d, &in);
    count_statuses(d, &in);
    render_ctx c = {d, &in};
    int rc = dpl__dist_agree(d, DPL_OK);
    if (rc == DPL_OK && job->outputs[DPL_OUTPUT_MANIFEST])
        rc = gather(d, &c, render_manifest, DPL_OUTPUT_MANIFEST);
    if (rc == DPL_OK && job->outputs[DPL_OUTPUT_PAIRS])
        rc = gather(d, &c, render_exact_pairs, DPL_OUTPUT_PAIRS);
    if (rc == DPL_OK && job->outputs[DPL_OUTPUT_PAIRS])
        rc = gather(d, &c, render_near_pairs, DPL_OUTPUT_PAIRS);
    if (rc == DPL_OK && job->outputs[DPL_OUTPUT_PAIRS] && job->opts.against)
        rc = gather(d, &c, render_archived_pairs, DPL_OUTPUT_PAIRS);
    infos_free(&in);
    if (rc == DPL_OK)
        rc = write_corpus(d, &c);
    return rc;
}
