/* A dedupe job: what `doppel dedupe` runs.
 *
 *   pass 1  read raw records into a batch (thread 0) -> parse, normalize, fingerprint
 *           and sketch them (all threads, OpenMP) -> merge in input order (thread 0, while
 *           the workers process the next batch): ids checked, exact table, union-find,
 *           band keys and shingles handed to the near pass (near.c).
 *   near    LSH candidates, verified, joined (near.c).
 *   finish  pick each cluster's representative (--keep), so statuses are final.
 *   pass 2  write the manifest and the pairs, in input order.
 *   pass 3  re-read the inputs and copy the kept records byte for byte (standard input
 *           was spooled to a temporary file in pass 1 for this).
 *
 * About 80 bytes per document, its id and its band keys stay in memory. Batches are
 * merged in input order, so the output is identical for any number of threads. */
#include "pipeline/job_internal.h"
#include "sketch/sketch.h"
#include "text/text.h"

#include <errno.h>
#include <omp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *const dpl__kind_names[] = {"", "exact", "near", "xling"};

void dpl_options_init(dpl_options *o)
{
    memset(o, 0, sizeof *o);
    o->norm_flags = DPL_NORM_DEFAULT;
    o->keep = DPL_KEEP_FIRST;
}

dpl_job *dpl_job_create(const dpl_options *opts)
{
    dpl_job *job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    if (opts)
        job->opts = *opts;
    else
        dpl_options_init(&job->opts);
    if (!job->opts.norm_flags)
        job->opts.norm_flags = DPL_NORM_DEFAULT;
    job->threads = job->opts.threads > 0 ? job->opts.threads : omp_get_max_threads();
    return job;
}

static void free_threads(dpl_job *job)
{
    if (!job->ctx)
        return;
    for (int t = 0; t < job->threads; t++) {
        dpl__parser_free(job->ctx[t].parser);
        dpl_normalizer_free(job->ctx[t].norm);
        dpl_shingler_free(job->ctx[t].shingler);
        dpl_script_free(job->ctx[t].script);
        free(job->ctx[t].sig);
        dpl__xling_thread_free(&job->ctx[t]);
        dpl_results_free(job->ctx[t].against);
        for (int slot = 0; slot < BATCH_SLOTS; slot++)
            dpl__buf_free(&job->ctx[t].arena[slot]);
        dpl__buf_free(&job->ctx[t].spill);
    }
    free(job->ctx);
    job->ctx = NULL;
}

static void remove_spool(dpl_job *job)
{
    if (job->stdin_spool)
        fclose(job->stdin_spool);
    job->stdin_spool = NULL;
    if (job->stdin_spool_path)
        unlink(job->stdin_spool_path);
    free(job->stdin_spool_path);
    job->stdin_spool_path = NULL;
}

void dpl_job_free(dpl_job *job)
{
    if (!job)
        return;
    for (int k = 0; k < DPL_OUTPUT__COUNT; k++) {
        dpl__out_free(&job->out[k]);
        free(job->outputs[k]);
    }
    for (size_t i = 0; i < job->n_inputs; i++)
        free(job->inputs[i]);
    free(job->inputs);
    free(job->docs);
    dpl__buf_free(&job->ids);
    free(job->msgs);
    dpl__buf_free(&job->msg_text);
    dpl__buf_free(&job->files);
    free(job->file_offs);
    dpl__first_free(&job->ids_seen);
    dpl__first_free(&job->exact);
    dpl__uf_free(&job->uf);
    for (int slot = 0; slot < BATCH_SLOTS; slot++) {
        free(job->slots[slot].items);
        dpl__buf_free(&job->slots[slot].data);
    }
    free_threads(job);
    remove_spool(job);
    dpl__near_free(job);
    dpl__xling_free(job);
    dpl__against_free(job);
    free(job);
}

const char *dpl_job_errmsg(const dpl_job *job)
{
    return job ? job->errmsg : "";
}

void dpl_job_set_progress(dpl_job *job, dpl_progress_fn fn, void *user)
{
    job->progress = fn;
    job->progress_user = user;
}

void dpl_job_interrupt(dpl_job *job)
{
    job->stop = 1;
}

int dpl_job_add_input(dpl_job *job, const char *path)
{
    if (!job || !path || !*path)
        return DPL_EINVAL;
    int rc = dpl__input_check(path);
    if (rc != DPL_OK) {
        snprintf(job->errmsg, sizeof job->errmsg, "%s: cannot open: %s", path, strerror(errno));
        return rc;
    }
    DPL_TRY(dpl__grow((void **)&job->inputs, &job->inputs_cap, job->n_inputs + 1,
                      sizeof *job->inputs));
    if (!(job->inputs[job->n_inputs] = strdup(path)))
        return DPL_ENOMEM;
    job->n_inputs++;
    return DPL_OK;
}

int dpl_job_set_output(dpl_job *job, dpl_output_kind kind, const char *path)
{
    if (!job || (unsigned)kind >= DPL_OUTPUT__COUNT)
        return DPL_EINVAL;
    if (kind == DPL_OUTPUT_CORPUS && path && strcmp(path, "-") == 0) {
        snprintf(job->errmsg, sizeof job->errmsg,
                 "the deduplicated corpus cannot go to standard output; name a file or folder");
        return DPL_EINVAL;
    }
    free(job->outputs[kind]);
    job->outputs[kind] = NULL;
    if (path && !(job->outputs[kind] = strdup(path)))
        return DPL_ENOMEM;
    return DPL_OK;
}

static int fatal(dpl_job *job, int code, const char *fmt, const char *a, const char *b)
{
    snprintf(job->errmsg, sizeof job->errmsg, fmt, a, b);
    return code;
}

/* ---------------------------------------------------------------- setup ------------- */

static int corpus_is_one_jsonl_file(const dpl_job *job)
{
    for (size_t i = 0; i < job->n_inputs; i++) {
        struct stat st;
        int is_file = strcmp(job->inputs[i], "-") == 0 ||
                      (stat(job->inputs[i], &st) == 0 && S_ISREG(st.st_mode));
        if (!is_file || !dpl__path_is_jsonl(&job->opts.reader, job->inputs[i]))
            return 0;
    }
    return 1;
}

static int open_outputs(dpl_job *job)
{
    for (int k = 0; k < DPL_OUTPUT__COUNT; k++) {
        if (!job->outputs[k])
            continue;
        int is_dir = k == DPL_OUTPUT_CORPUS && !corpus_is_one_jsonl_file(job);
        int rc = dpl__out_open(&job->out[k], job->outputs[k], is_dir);
        if (rc != DPL_OK)
            return fatal(job, rc, "%s%s", job->out[k].errmsg, "");
    }
    return DPL_OK;
}

static int needs_stdin_spool(const dpl_job *job)
{
    if (!job->outputs[DPL_OUTPUT_CORPUS])
        return 0;
    for (size_t i = 0; i < job->n_inputs; i++)
        if (strcmp(job->inputs[i], "-") == 0)
            return 1;
    return 0;
}

static int open_stdin_spool(dpl_job *job)
{
    const char *tmpdir = getenv("TMPDIR");
    size_t n = strlen(tmpdir ? tmpdir : "/tmp") + 32;
    if (!(job->stdin_spool_path = malloc(n)))
        return DPL_ENOMEM;
    snprintf(job->stdin_spool_path, n, "%s/doppel-stdin.XXXXXX", tmpdir ? tmpdir : "/tmp");
    int fd = mkstemp(job->stdin_spool_path);
    if (fd < 0 || !(job->stdin_spool = fdopen(fd, "w"))) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        free(job->stdin_spool_path);
        job->stdin_spool_path = NULL;
        return fatal(job, DPL_EIO, "cannot create a spool file for standard input: %s%s",
                     strerror(e), "");
    }
    return DPL_OK;
}

static int create_threads(dpl_job *job)
{
    if (!(job->ctx = calloc((size_t)job->threads, sizeof *job->ctx)))
        return DPL_ENOMEM;
    for (int t = 0; t < job->threads; t++) {
        job->ctx[t].parser = dpl__parser_create(&job->opts.reader);
        job->ctx[t].norm = dpl_normalizer_create(job->opts.norm_flags);
        dpl_shingle_unit unit = job->script ? dpl__unit_after_script(job->opts.shingle_unit)
                                            : job->opts.shingle_unit;
        job->ctx[t].shingler = dpl_shingler_create(unit, job->opts.ngram);
        if (job->script)
            DPL_TRY(dpl_script_clone(job->script, &job->ctx[t].script));
        job->ctx[t].sig = malloc(DPL_MAX_NUM_PERM * sizeof *job->ctx[t].sig);
        if (!job->ctx[t].parser || !job->ctx[t].norm || !job->ctx[t].shingler ||
            !job->ctx[t].sig)
            return DPL_ENOMEM;
        DPL_TRY(dpl__xling_thread_init(job, &job->ctx[t]));
        DPL_TRY(dpl__against_thread_init(job, &job->ctx[t]));
    }
    return DPL_OK;
}

static dpl_reader *make_reader(dpl_job *job)
{
    dpl_reader *r = dpl_reader_create(&job->opts.reader);
    if (!r)
        return NULL;
    for (size_t i = 0; i < job->n_part; i++) { /* a distributed job: its share */
        const dpl__part *p = &job->part[i];
        if (dpl__reader_add_entry(r, p->input, &p->e, p->range.end ? &p->range : NULL) !=
            DPL_OK) {
            dpl_reader_free(r);
            return NULL;
        }
    }
    for (size_t i = 0; i < job->n_inputs && !job->dist; i++) {
        if (dpl_reader_add(r, job->inputs[i]) != DPL_OK) {
            dpl_reader_free(r);
            return NULL;
        }
    }
    return r;
}

static uint64_t total_input_bytes(const dpl_job *job)
{
    uint64_t total = 0;
    if (job->dist) {
        for (size_t i = 0; i < job->n_part; i++)
            total += job->part[i].e.size;
        return total;
    }
    for (size_t i = 0; i < job->n_inputs; i++) {
        struct stat st;
        if (strcmp(job->inputs[i], "-") == 0 || stat(job->inputs[i], &st) != 0 ||
            !S_ISREG(st.st_mode))
            return 0; /* unknown in advance: folders and pipes */
        total += (uint64_t)st.st_size;
    }
    return total;
}

/* ---------------------------------------------------------------- pass 1 ------------ */

static int intern_file(dpl_job *job, const char *path, uint32_t *index)
{
    if (job->n_files && strcmp(job->files.data + job->file_offs[job->n_files - 1], path) == 0) {
        *index = (uint32_t)(job->n_files - 1);
        return DPL_OK;
    }
    DPL_TRY(dpl__grow((void **)&job->file_offs, &job->files_cap, job->n_files + 1,
                      sizeof *job->file_offs));
    job->file_offs[job->n_files] = job->files.len;
    DPL_TRY(dpl__buf_append(&job->files, path, strlen(path) + 1));
    *index = (uint32_t)job->n_files++;
    return DPL_OK;
}

static const char *file_path(const dpl_job *job, uint32_t file)
{
    return job->files.data + job->file_offs[file];
}

const char *dpl__job_file_path(const dpl_job *job, uint32_t file)
{
    return file_path(job, file);
}

static int add_to_batch(dpl_job *job, batch_slot *b, const dpl__raw *raw)
{
    DPL_TRY(dpl__grow((void **)&b->items, &b->items_cap, b->n_items + 1, sizeof *b->items));
    item *it = &b->items[b->n_items];
    memset(it, 0, sizeof *it);
    DPL_TRY(intern_file(job, raw->source, &it->file));
    /* The batch carries its own copy of the path: the file table may grow while the
     * batch is processed. */
    if (b->n_items == 0 || it->file != b->last_file) {
        b->last_file = it->file;
        b->last_source_off = b->data.len;
        DPL_TRY(dpl__buf_append(&b->data, raw->source, strlen(raw->source) + 1));
    }
    it->source_off = b->last_source_off;
    it->data_off = b->data.len;
    it->len = raw->len;
    it->line = raw->line;
    it->offset = raw->offset;
    it->jsonl = raw->jsonl;
    it->raw_error = raw->error;
    it->slot = (int)(b - job->slots);
    DPL_TRY(dpl__buf_append(&b->data, raw->data, raw->len));
    if (raw->error) {
        it->raw_msg_off = b->data.len;
        DPL_TRY(dpl__buf_append(&b->data, raw->error_msg, strlen(raw->error_msg) + 1));
    }
    /* A parser may read this far past the record (the next one overwrites it): defined
     * bytes, so that it reads no uninitialized memory. */
    DPL_TRY(dpl__buf_reserve(&b->data, DPL__RAW_PADDING));
    memset(b->data.data + b->data.len, 0, DPL__RAW_PADDING);
    b->n_items++;
    return DPL_OK;
}

static int keep_string(dpl__buf *arena, const char *s, size_t n, size_t *off)
{
    *off = arena->len;
    return dpl__buf_append(arena, s, n);
}

/* The parallel step for one record: parse, normalize, fingerprint. */
static int process_item(dpl_job *job, thread_ctx *c, item *it)
{
    const char *data = job->slots[it->slot].data.data;
    dpl__buf *arena = &c->arena[it->slot];
    dpl__raw raw = {
        .data = data + it->data_off,
        .len = it->len,
        .source = data + it->source_off,
        .line = it->line,
        .offset = it->offset,
        .jsonl = it->jsonl,
        .error = it->raw_error,
        .error_msg = it->raw_error ? data + it->raw_msg_off : NULL,
        .padded = 1, /* add_to_batch keeps DPL__RAW_PADDING bytes after the data */
    };
    dpl_record rec;
    it->x_set_n = 0;
    it->arch_len = 0;
    strcpy(it->lang, "und");
    DPL_TRY(dpl__parse_record(c->parser, &raw, &rec));
    DPL_TRY(keep_string(arena, rec.id, rec.id_len, &it->id_off));
    it->id_len = rec.id_len;
    it->error = rec.error;
    if (rec.error) {
        it->msg_len = strlen(rec.error_msg);
        return keep_string(arena, rec.error_msg, it->msg_len, &it->msg_off);
    }
    /* The merge claims ids by this hash; a distributed job settles them later, itself. */
    if (!job->dist)
        it->id_hash = dpl_exact_hash(rec.id, rec.id_len);
    const char *norm;
    size_t norm_len;
    /* The parser already replaced invalid UTF-8: no second validation pass. */
    DPL_TRY(dpl__normalize_valid(c->norm, rec.text, rec.text_len, &norm, &norm_len));
    if (norm_len == 0) {
        it->error = DPL_EEMPTY;
        it->msg_off = arena->len;
        if (raw.line)
            DPL_TRY(dpl__buf_printf(arena, "%s:%llu: ", raw.source,
                                    (unsigned long long)raw.line));
        else
            DPL_TRY(dpl__buf_printf(arena, "%s: ", raw.source));
        DPL_TRY(dpl__buf_printf(arena, "empty document: no text left after normalization "
                                           "(only white space or punctuation)"));
        it->msg_len = arena->len - it->msg_off;
        return DPL_OK;
    }
    it->hash = dpl_exact_hash(norm, norm_len);
    DPL_TRY(dpl__near_item(job, c, it, norm, norm_len));
    DPL_TRY(dpl__xling_item(job, c, it, &rec));
    DPL_TRY(dpl__against_item(job, c, it, &rec));
    if (rec.flags & DPL_RECORD_UTF8_REPLACED) {
        it->msg_off = arena->len;
        DPL_TRY(dpl__buf_printf(arena, "invalid UTF-8 replaced by U+FFFD (%zu sequence%s)",
                                rec.utf8_replaced, rec.utf8_replaced == 1 ? "" : "s"));
        it->msg_len = arena->len - it->msg_off;
    }
    return DPL_OK;
}

static int add_message(dpl_job *job, uint32_t d, const char *s, size_t n)
{
    DPL_TRY(dpl__grow((void **)&job->msgs, &job->msgs_cap, job->n_msgs + 1, sizeof *job->msgs));
    job->msgs[job->n_msgs] = (doc_msg){d, (uint32_t)n, job->msg_text.len};
    job->n_msgs++;
    job->docs[d].has_msg = 1;
    return dpl__buf_append(&job->msg_text, s, n);
}

static const char *doc_id(const dpl_job *job, const doc *d)
{
    return job->ids.data + d->id_off;
}

const char *dpl__job_doc_id(const dpl_job *job, const doc *d)
{
    return doc_id(job, d);
}

static int duplicate_id_error(dpl_job *job, uint32_t d, uint32_t owner)
{
    const doc *o = &job->docs[owner];
    dpl__buf msg = {0};
    int rc = dpl__buf_printf(&msg, "duplicate id \"%.*s\": already used by the record at %s",
                             (int)o->id_len, doc_id(job, o), file_path(job, o->file));
    if (rc == DPL_OK && o->line)
        rc = dpl__buf_printf(&msg, ":%llu", (unsigned long long)o->line);
    if (rc == DPL_OK)
        rc = add_message(job, d, msg.data, msg.len);
    dpl__buf_free(&msg);
    job->docs[d].status = DPL__STATUS_ERROR;
    return rc;
}

/* Record one processed item as document d, in input order. */
static int merge_fields(dpl_job *job, const item *it)
{
    DPL_TRY(it->fatal);
    DPL_TRY(dpl__grow((void **)&job->docs, &job->docs_cap, job->n_docs + 1, sizeof *job->docs));
    DPL_TRY(dpl__uf_push(&job->uf));
    uint32_t d = (uint32_t)job->n_docs++;
    doc *dd = &job->docs[d];
    memset(dd, 0, sizeof *dd);
    const dpl__buf *arena = &job->ctx[it->thread].arena[it->slot];
    dd->id_off = job->ids.len;
    dd->id_len = (uint32_t)it->id_len;
    DPL_TRY(dpl__buf_append(&job->ids, arena->data + it->id_off, it->id_len));
    dd->file = it->file;
    dd->line = it->line;
    dd->raw_len = it->len;
    dd->hash = it->hash;
    dd->rep = d;
    dd->exact_first = d;
    job->sum.bytes += it->len;
    if (it->error) {
        dd->status = DPL__STATUS_ERROR;
        return add_message(job, d, arena->data + it->msg_off, it->msg_len);
    }
    if (job->dist) {
        /* Ids and exact copies are settled across processes afterwards (dist/resolve.c):
         * keep the warning, count nothing yet, spill the shingles of every document. */
        if (it->msg_len)
            DPL_TRY(add_message(job, d, arena->data + it->msg_off, it->msg_len));
        return dpl__near_merge(job, d, it);
    }
    uint32_t owner, first;
    /* The id's claim: *owner is the earlier document that has it, or d. Ids are compared
     * by their XXH3-128: a collision among 10^10 ids is about 10^-19 likely. */
    DPL_TRY(dpl__first_insert(&job->ids_seen, it->id_hash, d, &owner));
    if (owner != d)
        return duplicate_id_error(job, d, owner);
    if (it->msg_len) { /* a warning: the record is used, with a note in the manifest */
        job->sum.warnings++;
        DPL_TRY(add_message(job, d, arena->data + it->msg_off, it->msg_len));
    }
    DPL_TRY(dpl__first_insert(&job->exact, dd->hash, d, &first));
    dd->exact_first = first;
    if (first != d)
        dpl__uf_union(&job->uf, first, d);
    return dpl__near_merge(job, d, it);
}

static int merge_item(dpl_job *job, const item *it)
{
    DPL_TRY(merge_fields(job, it));
    /* every document, errors too, so that the cross-lingual table has no hole */
    DPL_TRY(dpl__xling_merge(job, (uint32_t)job->n_docs - 1, it));
    return dpl__against_merge(job, (uint32_t)job->n_docs - 1, it);
}

static void report_progress(dpl_job *job, const dpl_reader *r, uint64_t total)
{
    if (job->progress)
        job->progress(job->progress_user, job->n_docs, dpl__reader_bytes_done(r), total);
}

/* Read raw records into an empty slot until it is full or the input ends. */
static int fill_slot(dpl_job *job, dpl_reader *r, batch_slot *b, int *eof)
{
    b->n_items = 0;
    dpl__buf_clear(&b->data);
    size_t bytes = (size_t)job->threads * BATCH_BYTES_PER_THREAD;
    bytes = bytes < BATCH_BYTES_MAX ? bytes : BATCH_BYTES_MAX;
    while (!*eof && !job->stop && b->n_items < BATCH_RECORDS && b->data.len < bytes) {
        dpl__raw raw;
        int rc = dpl__reader_next_raw(r, &raw);
        if (rc == DPL_EEOF) {
            *eof = 1;
            break;
        }
        DPL_TRY(rc);
        size_t cap = b->data.cap;
        DPL_TRY(add_to_batch(job, b, &raw));
        /* grown: the slot is filled to `bytes`, mostly (not to the doubled capacity a
         * long record may have made) */
        size_t used = bytes + DPL__RAW_PADDING + 1;
        if (b->data.cap > cap && used > cap)
            dpl__prefault(b->data.data + cap, (used < b->data.cap ? used : b->data.cap) - cap);
    }
    return DPL_OK;
}

/* Items merged this far ahead have their slots in the id and exact tables fetched from
 * memory in advance: the tables outgrow the caches, and a merge waited on a miss each. */
#define PREFETCH_AHEAD 8

/* The arrays a batch's merge appends to, grown for it and their new part mapped at once
 * (dpl__prefault): page faults on them were a tenth of a job on a virtual machine. */
static int prepare_merge(dpl_job *job, size_t n)
{
    DPL_TRY(dpl__grow_mapped((void **)&job->docs, &job->docs_cap, job->n_docs, n,
                             sizeof *job->docs));
    DPL_TRY(dpl__uf_reserve(&job->uf, n));
    if (!job->dist) {
        DPL_TRY(dpl__first_reserve(&job->ids_seen, n));
        DPL_TRY(dpl__first_reserve(&job->exact, n));
    }
    return dpl__near_reserve(job, n);
}

/* Beyond this many documents the first-seen slots, which are written as soon as they
 * are made, are not sized ahead of need (256 MB of slots a table). */
#define PRESIZE_SLOTS_MAX ((size_t)1 << 24)

/* The per-document arrays sized once, for as many documents as the input holds by its
 * size and the first batch (a tenth more, and the first-seen slots for the estimate
 * itself, since they are written at once), instead of doubled and copied along the way:
 * a copy is fresh memory, dear on a virtual machine whose host backs pages on first
 * touch. Room is not memory: the pages are mapped as documents fill them. Best effort:
 * an estimate too low (a compressed input, a first batch of long records), or room the
 * system refuses, leaves growth as before. */
static void presize(dpl_job *job, const batch_slot *b, uint64_t total)
{
    uint64_t bytes = 0;
    for (size_t i = 0; i < b->n_items; i++)
        bytes += b->items[i].len + 1; /* and its newline */
    if (job->dist || total == 0 || bytes == 0 || bytes >= total)
        return;
    double estimate = (double)b->n_items * ((double)total / (double)bytes);
    /* room for at most a quarter of the memory (a first batch of short records can
     * promise more than the input holds), and document numbers are 32-bit */
    size_t per_doc = sizeof *job->docs + sizeof *job->uf.parent +
                     2 * (sizeof(dpl_hash128) + sizeof(uint32_t)) +
                     (job->near ? job->bands * sizeof *job->band_keys : 0);
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double fit = pages > 0 && page > 0 ? (double)pages * (double)page / 4 / (double)per_doc
                                       : (double)(1u << 24);
    estimate = estimate < fit ? estimate : fit;
    if (estimate > (double)(UINT32_MAX / 2))
        estimate = (double)(UINT32_MAX / 2);
    size_t n = (size_t)estimate, room = n + n / 10 + 1024;
    (void)dpl__grow((void **)&job->docs, &job->docs_cap, room, sizeof *job->docs);
    (void)dpl__grow((void **)&job->uf.parent, &job->uf.cap, room, sizeof *job->uf.parent);
    if (n <= PRESIZE_SLOTS_MAX) {
        (void)dpl__first_presize(&job->ids_seen, n);
        (void)dpl__first_presize(&job->exact, n);
    }
    size_t keys;
    if (job->near && !dpl__mul_overflows(room, job->bands, &keys))
        (void)dpl__grow((void **)&job->band_keys, &job->band_keys_cap, keys,
                        sizeof *job->band_keys);
}

static int merge_slot(dpl_job *job, batch_slot *b)
{
    DPL_TRY(prepare_merge(job, b->n_items));
    size_t prefetch_end = job->dist ? 0 : b->n_items; /* a distributed job has no tables */
    for (size_t i = 0; i < b->n_items; i++) {
        const item *ahead = i + PREFETCH_AHEAD < prefetch_end ? &b->items[i + PREFETCH_AHEAD] : NULL;
        if (ahead && !ahead->error && !ahead->fatal) {
            dpl__first_prefetch(&job->ids_seen, ahead->id_hash);
            dpl__first_prefetch(&job->exact, ahead->hash);
        }
        DPL_TRY(merge_item(job, &b->items[i]));
    }
    b->n_items = 0;
    return DPL_OK;
}

static int spill_failure(dpl_job *job)
{
    for (int t = 0; t < job->threads; t++)
        if (job->ctx[t].spill_errno)
            return fatal(job, DPL_EIO, "cannot write the temporary shingle file (is TMPDIR "
                         "full?): %s%s", strerror(job->ctx[t].spill_errno), "");
    return DPL_OK;
}

/* Pass 1 as a pipeline over two batch slots: while the workers parse, normalize and
 * sketch the current batch, thread 0 first merges the previous batch (in input order)
 * and refills its slot from the reader, then joins the workers. The merge order is the
 * input order whatever the thread count, so the output is too. */
static int pass_read(dpl_job *job)
{
    dpl_reader *r = make_reader(job);
    if (!r)
        return fatal(job, DPL_ENOMEM, "out of memory%s%s", "", "");
    if (job->stdin_spool)
        dpl__reader_spool_stdin(r, job->stdin_spool);
    uint64_t total = total_input_bytes(job);
    int eof = 0, cur = 0, pending = -1;
    int rc = fill_slot(job, r, &job->slots[cur], &eof);
    if (rc == DPL_OK && !eof)
        presize(job, &job->slots[cur], total);
    while (rc == DPL_OK && job->slots[cur].n_items && !job->stop) {
        batch_slot *now_slot = &job->slots[cur], *other = &job->slots[1 - cur];
        for (int t = 0; t < job->threads; t++)
            dpl__buf_clear(&job->ctx[t].arena[cur]);
        int side_rc = DPL_OK;
        long n = (long)now_slot->n_items;
#pragma omp parallel num_threads(job->threads)
        {
            int t = omp_get_thread_num();
            if (t == 0) {
                if (pending >= 0)
                    side_rc = merge_slot(job, other);
                if (side_rc == DPL_OK)
                    side_rc = fill_slot(job, r, other, &eof);
            }
#pragma omp for schedule(dynamic, 16) nowait
            for (long i = 0; i < n; i++) {
                now_slot->items[i].thread = t;
                now_slot->items[i].fatal = process_item(job, &job->ctx[t], &now_slot->items[i]);
            }
        }
        rc = side_rc == DPL_OK ? spill_failure(job) : side_rc;
        pending = cur;
        cur = 1 - cur;
        report_progress(job, r, total);
    }
    if (rc == DPL_OK && pending >= 0 && !job->stop)
        rc = merge_slot(job, &job->slots[pending]);
    for (int t = 0; t < job->threads && rc == DPL_OK; t++)
        if (dpl__near_flush(job, &job->ctx[t]) != DPL_OK)
            rc = spill_failure(job);
    dpl_reader_free(r);
    if (rc != DPL_OK && !job->errmsg[0])
        return fatal(job, rc, "reading the input failed: %s%s", dpl_strerror(rc), "");
    if (rc != DPL_OK)
        return rc;
    return job->stop ? DPL_EINTERRUPTED : DPL_OK;
}

/* ---------------------------------------------------------------- finish ------------ */

/* How a duplicate relates to its cluster's kept document: an exact copy of it, or a near
 * duplicate (then scored by its best verified pair, or its exact twin's). */
static enum kind kind_of(const dpl_job *job, const doc *dd)
{
    if (dd->archived)
        return dpl__against_of(job, dd->rep)->kind == DPL_MATCH_EXACT ? KIND_EXACT : KIND_NEAR;
    const doc *rep = &job->docs[dd->rep];
    if (dd->hash.lo == rep->hash.lo && dd->hash.hi == rep->hash.hi)
        return KIND_EXACT;
    uint32_t d = (uint32_t)(dd - job->docs);
    if (job->xling && strcmp(dpl__xling_lang(job, d), dpl__xling_lang(job, dd->rep)) != 0)
        return KIND_XLING;
    return KIND_NEAR;
}

static double score_of(const dpl_job *job, const doc *dd)
{
    if (dd->archived)
        return dpl__against_of(job, dd->rep)->score;
    enum kind kind = kind_of(job, dd);
    if (kind == KIND_EXACT)
        return 1.0;
    if (kind == KIND_XLING && job->xdocs[dd->exact_first].score > 0)
        return job->xdocs[dd->exact_first].score;
    return job->docs[dd->exact_first].near_score;
}

static void count_statuses(dpl_job *job)
{
    for (size_t d = 0; d < job->n_docs; d++) {
        const doc *dd = &job->docs[d];
        if (dd->status == DPL__STATUS_ERROR)
            job->sum.errors++;
        else if (dd->status == DPL__STATUS_KEPT)
            job->sum.kept++;
        else {
            enum kind kind = kind_of(job, dd);
            job->sum.duplicates++;
            job->sum.exact += kind == KIND_EXACT;
            job->sum.xling += kind == KIND_XLING;
            job->sum.near += kind == KIND_NEAR;
        }
        job->sum.archived += dd->archived;
    }
    job->sum.records = job->n_docs;
}

/* Fix each document's representative: the cluster's smallest index (the union-find
 * root) for --keep first, the longest raw record for --keep longest. */
static int finish_clusters(dpl_job *job)
{
    size_t n = job->n_docs;
    uint32_t *best = NULL;
    if (job->opts.keep == DPL_KEEP_LONGEST) {
        if (n && !(best = malloc(n * sizeof *best)))
            return DPL_ENOMEM;
        for (size_t d = 0; d < n; d++)
            best[d] = (uint32_t)d;
        for (size_t d = 0; d < n; d++) {
            if (job->docs[d].status == DPL__STATUS_ERROR)
                continue;
            uint32_t root = dpl__uf_find(&job->uf, (uint32_t)d);
            if (job->docs[d].raw_len > job->docs[best[root]].raw_len)
                best[root] = (uint32_t)d;
        }
    }
    for (size_t d = 0; d < n; d++) {
        doc *dd = &job->docs[d];
        if (dd->status == DPL__STATUS_ERROR)
            continue;
        uint32_t root = dpl__uf_find(&job->uf, (uint32_t)d);
        dd->rep = best ? best[root] : root;
        dd->status = dd->rep == d ? DPL__STATUS_KEPT : DPL__STATUS_DUPLICATE;
    }
    free(best);
    DPL_TRY(dpl__against_clusters(job));
    count_statuses(job);
    return DPL_OK;
}

/* ---------------------------------------------------------------- pass 2 ------------ */

static int write_pair(dpl_job *job, FILE *f, uint32_t a, uint32_t b, enum kind kind,
                      double score)
{
    const doc *da = &job->docs[a], *db = &job->docs[b];
    job->sum.pairs++;
    return dpl__write_pair_line(f, doc_id(job, da), da->id_len, doc_id(job, db), db->id_len,
                                dpl__kind_names[kind], score, 0);
}

/* Each document that matched the `against` index, with its match there. */
int dpl__job_write_archived_pairs(dpl_job *job, FILE *f)
{
    for (size_t i = 0; i < job->n_arch && !job->stop; i++) {
        const arch_match *a = &job->arch[i];
        const doc *dd = &job->docs[a->doc];
        job->sum.pairs++;
        DPL_TRY(dpl__write_pair_line(f, job->arch_ids.data + a->id_off, a->id_len,
                                     doc_id(job, dd), dd->id_len,
                                     dpl__kind_names[a->kind == DPL_MATCH_EXACT
                                                         ? KIND_EXACT : KIND_NEAR],
                                     a->score, 1));
    }
    return DPL_OK;
}

/* The pairs found: each exact copy with the first document that had its text, then each
 * verified near pair, in document order. */
static int write_pairs(dpl_job *job, FILE *f)
{
    for (size_t d = 0; d < job->n_docs && !job->stop; d++) {
        const doc *dd = &job->docs[d];
        if (dd->status != DPL__STATUS_ERROR && dd->exact_first != d)
            DPL_TRY(write_pair(job, f, dd->exact_first, (uint32_t)d, KIND_EXACT, 1.0));
    }
    for (size_t i = 0; i < job->n_near && !job->stop; i++) {
        const near_pair *p = &job->near_pairs[i];
        DPL_TRY(write_pair(job, f, p->a, p->b, KIND_NEAR, p->score));
    }
    for (size_t i = 0; i < job->n_xpairs && !job->stop; i++) {
        const xling_pair *p = &job->xpairs[i];
        const doc *da = &job->docs[p->a], *db = &job->docs[p->b];
        dpl__xling_pair_line line = {
            .a = doc_id(job, da), .a_len = da->id_len, .b = doc_id(job, db),
            .b_len = db->id_len, .score = p->score, .lang_a = job->xdocs[p->a].lang,
            .lang_b = job->xdocs[p->b].lang, .coverage_a = p->coverage_a,
            .coverage_b = p->coverage_b,
        };
        job->sum.pairs++;
        DPL_TRY(dpl__write_xling_pair_line(f, &line));
    }
    return dpl__job_write_archived_pairs(job, f);
}

static int write_manifest(dpl_job *job, FILE *manifest)
{
    size_t m = 0;
    for (size_t d = 0; d < job->n_docs && !job->stop; d++) {
        const doc *dd = &job->docs[d];
        const char *msg = NULL;
        char *msg_copy = NULL;
        if (dd->has_msg) {
            while (job->msgs[m].doc < d)
                m++;
            msg_copy = strndup(job->msg_text.data + job->msgs[m].off, job->msgs[m].len);
            if (!msg_copy)
                return DPL_ENOMEM;
            msg = msg_copy;
        }
        const doc *rep = &job->docs[dd->rep];
        const arch_match *arch = dd->archived ? dpl__against_of(job, dd->rep) : NULL;
        int dup = dd->status == DPL__STATUS_DUPLICATE;
        dpl__manifest_line line = {
            .id = doc_id(job, dd), .id_len = dd->id_len,
            .source = file_path(job, dd->file), .line = dd->line,
            .status = (enum dpl__status)dd->status,
            .kind = dup ? dpl__kind_names[kind_of(job, dd)] : NULL,
            .rep = arch ? job->arch_ids.data + arch->id_off : doc_id(job, rep),
            .rep_len = arch ? arch->id_len : rep->id_len,
            .archived = arch != NULL,
            .score = dup ? score_of(job, dd) : 0,
            .error = dd->status == DPL__STATUS_ERROR ? msg : NULL,
            .warning = dd->status != DPL__STATUS_ERROR ? msg : NULL,
        };
        int rc = dpl__write_manifest_line(manifest, &line);
        free(msg_copy);
        DPL_TRY(rc);
    }
    return DPL_OK;
}

static int write_manifest_and_pairs(dpl_job *job)
{
    int rc = DPL_OK;
    if (job->out[DPL_OUTPUT_MANIFEST].f)
        rc = write_manifest(job, job->out[DPL_OUTPUT_MANIFEST].f);
    if (rc == DPL_OK && job->out[DPL_OUTPUT_PAIRS].f)
        rc = write_pairs(job, job->out[DPL_OUTPUT_PAIRS].f);
    if (rc == DPL_OK && job->out[DPL_OUTPUT_ALIGNED].f)
        rc = dpl__xling_write_aligned(job, job->out[DPL_OUTPUT_ALIGNED].f);
    if (rc == DPL_OK && job->stop)
        rc = DPL_EINTERRUPTED;
    return rc;
}

/* ---------------------------------------------------------------- pass 3 ------------ */

static int mkdirs_for(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0777);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return DPL_EIO;
    }
    return DPL_OK;
}

const char *dpl__strip_compression_suffix(char *name)
{
    static const char *const sfx[] = {".gz", ".zst", ".zstd"};
    size_t n = strlen(name);
    for (size_t i = 0; i < 3; i++) {
        size_t m = strlen(sfx[i]);
        if (n > m && strcmp(name + n - m, sfx[i]) == 0) {
            name[n - m] = '\0';
            break;
        }
    }
    return name;
}

/* Where a record's copy goes inside the output folder: its path relative to its input,
 * under the input's base name when there are several inputs. */
static int corpus_path(const dpl_job *job, const dpl__raw *raw, dpl__buf *path)
{
    dpl__buf_clear(path);
    DPL_TRY(dpl__buf_printf(path, "%s/", job->out[DPL_OUTPUT_CORPUS].tmp));
    if (job->n_inputs > 1) {
        const char *in = job->inputs[raw->input];
        const char *base = strrchr(in, '/');
        while (base && base[1] == '\0' && base > in) /* "dir/" */
            base = memrchr(in, '/', (size_t)(base - in));
        base = base ? base + 1 : in;
        size_t blen = strcspn(base, "/");
        DPL_TRY(dpl__buf_printf(path, "%u-%.*s/", raw->input + 1, (int)blen,
                                strcmp(in, "-") == 0 ? "stdin" : base));
    }
    const char *rel = strcmp(raw->source, "-") == 0 ? (raw->jsonl ? "stdin.jsonl" : "stdin.txt")
                                                    : raw->rel;
    DPL_TRY(dpl__buf_printf(path, "%s", rel));
    dpl__strip_compression_suffix(path->data);
    path->len = strlen(path->data);
    return DPL_OK;
}

typedef struct corpus_writer {
    FILE *jsonl;         /* the current JSONL output file */
    dpl__buf jsonl_path; /* its path */
    dpl__buf path;
} corpus_writer;

static int write_text_copy(dpl_job *job, corpus_writer *w, const dpl__raw *raw)
{
    DPL_TRY(corpus_path(job, raw, &w->path));
    if (mkdirs_for(w->path.data) != DPL_OK)
        return fatal(job, DPL_EIO, "%s: cannot create folder: %s", w->path.data, strerror(errno));
    FILE *f = fopen(w->path.data, "wb");
    if (!f)
        return fatal(job, DPL_EIO, "%s: cannot create: %s", w->path.data, strerror(errno));
    int ok = fwrite(raw->data, 1, raw->len, f) == raw->len;
    if (fclose(f) != 0 || !ok)
        return fatal(job, DPL_EIO, "%s: write error: %s", w->path.data, strerror(errno));
    return DPL_OK;
}

static int jsonl_target(dpl_job *job, corpus_writer *w, const dpl__raw *raw, FILE **out)
{
    if (!job->out[DPL_OUTPUT_CORPUS].is_dir) {
        *out = job->out[DPL_OUTPUT_CORPUS].f;
        return DPL_OK;
    }
    DPL_TRY(corpus_path(job, raw, &w->path));
    if (w->jsonl && strcmp(w->path.data, w->jsonl_path.data) == 0) {
        *out = w->jsonl;
        return DPL_OK;
    }
    if (w->jsonl && fclose(w->jsonl) != 0)
        return fatal(job, DPL_EIO, "%s: write error: %s", w->jsonl_path.data, strerror(errno));
    w->jsonl = NULL;
    dpl__buf_clear(&w->jsonl_path);
    DPL_TRY(dpl__buf_append(&w->jsonl_path, w->path.data, w->path.len));
    if (mkdirs_for(w->path.data) != DPL_OK || !(w->jsonl = fopen(w->path.data, "ab")))
        return fatal(job, DPL_EIO, "%s: cannot create: %s", w->path.data, strerror(errno));
    *out = w->jsonl;
    return DPL_OK;
}

static int copy_record(dpl_job *job, corpus_writer *w, const dpl__raw *raw)
{
    if (!raw->jsonl)
        return write_text_copy(job, w, raw);
    FILE *f;
    DPL_TRY(jsonl_target(job, w, raw, &f));
    if (fwrite(raw->data, 1, raw->len, f) != raw->len || fputc('\n', f) == EOF)
        return fatal(job, DPL_EIO, "%s: write error: %s", job->outputs[DPL_OUTPUT_CORPUS],
                     strerror(errno));
    return DPL_OK;
}

static int check_same_record(dpl_job *job, size_t d, const dpl__raw *raw)
{
    const doc *dd = d < job->n_docs ? &job->docs[d] : NULL;
    if (dd && (dd->status == DPL__STATUS_ERROR || dd->raw_len == raw->len))
        return DPL_OK;
    return fatal(job, DPL_EINPUTCHANGED,
                 "%s: the input changed while doppel was reading it (a record differs on the "
                 "second reading); the corpus output was not written%s",
                 raw->source, "");
}

static int pass_copy(dpl_job *job)
{
    dpl_reader *r = make_reader(job);
    if (!r || (job->stdin_spool_path &&
               dpl__reader_replace_stdin(r, job->stdin_spool_path) != DPL_OK)) {
        dpl_reader_free(r);
        return fatal(job, DPL_ENOMEM, "out of memory%s%s", "", "");
    }
    corpus_writer w = {0};
    size_t d = 0;
    int rc = DPL_OK;
    dpl__raw raw;
    while (rc == DPL_OK && !job->stop) {
        rc = dpl__reader_next_raw(r, &raw);
        if (rc == DPL_EEOF) {
            rc = d == job->n_docs ? DPL_OK : check_same_record(job, job->n_docs + 1, &raw);
            break;
        }
        if (rc == DPL_OK)
            rc = check_same_record(job, d, &raw);
        if (rc == DPL_OK && job->docs[d].status == DPL__STATUS_KEPT)
            rc = copy_record(job, &w, &raw);
        d++;
    }
    if (w.jsonl && fclose(w.jsonl) != 0 && rc == DPL_OK)
        rc = fatal(job, DPL_EIO, "%s: write error: %s", w.jsonl_path.data, strerror(errno));
    dpl__buf_free(&w.jsonl_path);
    dpl__buf_free(&w.path);
    dpl_reader_free(r);
    if (rc == DPL_OK && job->stop)
        rc = DPL_EINTERRUPTED;
    return rc;
}

/* ---------------------------------------------------------------- run --------------- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int commit_outputs(dpl_job *job)
{
    for (int k = 0; k < DPL_OUTPUT__COUNT; k++) {
        if (!job->outputs[k])
            continue;
        int rc = dpl__out_commit(&job->out[k]);
        if (rc != DPL_OK)
            return fatal(job, rc, "%s%s", job->out[k].errmsg, "");
    }
    return DPL_OK;
}

int dpl__job_setup(dpl_job *job)
{
    DPL_TRY(dpl__near_setup(job));
    return dpl__xling_setup(job);
}

int dpl__job_open_outputs(dpl_job *job)
{
    return open_outputs(job);
}

int dpl__job_read(dpl_job *job)
{
    if (needs_stdin_spool(job))
        DPL_TRY(open_stdin_spool(job));
    int rc = create_threads(job);
    if (rc != DPL_OK)
        return fatal(job, rc, "cannot set up the worker threads: %s%s", dpl_strerror(rc), "");
    DPL_TRY(pass_read(job));
    free_threads(job);
    if (job->stdin_spool && fclose(job->stdin_spool) != 0) {
        job->stdin_spool = NULL;
        return fatal(job, DPL_EIO, "cannot write the spool file for standard input%s%s", "", "");
    }
    job->stdin_spool = NULL;
    return DPL_OK;
}

int dpl__job_copy_kept(dpl_job *job)
{
    return pass_copy(job);
}

int dpl__job_commit_outputs(dpl_job *job)
{
    return commit_outputs(job);
}

void dpl__job_abort_outputs(dpl_job *job)
{
    for (int k = 0; k < DPL_OUTPUT__COUNT; k++)
        dpl__out_abort(&job->out[k]);
}

static int run_passes(dpl_job *job)
{
    DPL_TRY(dpl__job_setup(job));
    DPL_TRY(open_outputs(job));
    DPL_TRY(dpl__job_read(job));
    DPL_TRY(dpl__near_pass(job));
    DPL_TRY(dpl__xling_pass(job));
    DPL_TRY(finish_clusters(job));
    int rc = write_manifest_and_pairs(job);
    if (rc != DPL_OK && rc != DPL_EINTERRUPTED && !job->errmsg[0])
        return fatal(job, rc, "writing the manifest or pairs failed: %s%s", dpl_strerror(rc), "");
    DPL_TRY(rc);
    if (job->outputs[DPL_OUTPUT_CORPUS])
        DPL_TRY(pass_copy(job));
    return commit_outputs(job);
}

int dpl_job_run(dpl_job *job, dpl_summary *summary)
{
    if (!job)
        return DPL_EINVAL;
    if (job->ran || job->n_inputs == 0)
        return fatal(job, DPL_EINVAL, "%s%s",
                     job->ran ? "a job runs only once" : "no input given", "");
    job->ran = 1;
    double start = now();
    job->sum.inputs = job->n_inputs;
    int rc = run_passes(job);
    if (rc != DPL_OK) {
        dpl__job_abort_outputs(job);
        if (rc == DPL_EINTERRUPTED)
            snprintf(job->errmsg, sizeof job->errmsg,
                     "interrupted after %zu records; no output was written", job->n_docs);
    }
    remove_spool(job);
    job->sum.records = job->n_docs;
    job->sum.seconds = now() - start;
    if (summary)
        *summary = job->sum;
    return rc;
}
