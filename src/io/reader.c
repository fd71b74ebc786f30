/* The reader: walks the inputs in order and cuts raw records out of them, one JSONL line
 * or one whole text file at a time, streaming through a fixed-size chunk so that memory
 * stays bounded by the largest record. Inputs that cannot be read become error records:
 * the caller accounts for every one. */
#include "io/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK_BYTES (1u << 20)

struct dpl_reader {
    dpl_reader_options opts;
    char **inputs;
    size_t n_inputs, inputs_cap, next_input;
    uint32_t cur_input;
    dpl__walk *walk;
    /* entry mode (dpl__reader_add_entry): files already walked, read instead of inputs */
    struct entry {
        uint32_t input;
        int error;
        char *path, *rel, *error_msg;
        dpl__range range; /* end 0: the whole file */
    } *entries;
    size_t n_entries, entries_cap, next_entry;
    const dpl__range *range; /* of the file being read; NULL: all of it */
    int skip_partial;        /* the piece's first bytes end a line of the piece before */
    /* the file being read */
    dpl__source *src;
    int jsonl;
    char *path;
    char *rel;
    uint64_t line;
    uint64_t offset; /* decompressed offset of the next unread byte of the file */
    char *chunk;
    size_t chunk_pos, chunk_len;
    int src_done;
    int src_error;  /* the source failed after the chunk's bytes: reported once they are used */
    dpl__buf carry; /* a record that spans chunks, or a whole text file */
    uint64_t bytes_done_closed;
    char *stdin_replacement;
    FILE *stdin_spool;
    dpl__parser *parser; /* for the public one-step dpl_reader_next() */
    char errmsg[1024];
};

void dpl_reader_options_init(dpl_reader_options *o)
{
    memset(o, 0, sizeof *o);
}

static size_t max_doc(const dpl_reader *r)
{
    return r->opts.max_doc_bytes ? r->opts.max_doc_bytes : DPL_DEFAULT_MAX_DOC_BYTES;
}

dpl_reader *dpl_reader_create(const dpl_reader_options *opts)
{
    dpl_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    if (opts)
        r->opts = *opts;
    r->chunk = malloc(CHUNK_BYTES);
    r->parser = dpl__parser_create(&r->opts);
    if (!r->chunk || !r->parser) {
        dpl_reader_free(r);
        return NULL;
    }
    return r;
}

static void close_file(dpl_reader *r)
{
    if (r->src) {
        r->bytes_done_closed += dpl__source_raw_consumed(r->src);
        dpl__source_close(r->src);
        r->src = NULL;
    }
    free(r->path);
    free(r->rel);
    r->path = r->rel = NULL;
    dpl__buf_clear(&r->carry);
}

void dpl_reader_free(dpl_reader *r)
{
    if (!r)
        return;
    close_file(r);
    dpl__walk_close(r->walk);
    for (size_t i = 0; i < r->n_entries; i++) {
        free(r->entries[i].path);
        free(r->entries[i].rel);
        free(r->entries[i].error_msg);
    }
    free(r->entries);
    for (size_t i = 0; i < r->n_inputs; i++)
        free(r->inputs[i]);
    free(r->inputs);
    free(r->chunk);
    dpl__buf_free(&r->carry);
    free(r->stdin_replacement);
    dpl__parser_free(r->parser);
    free(r);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int dpl__path_is_jsonl(const dpl_reader_options *o, const char *path)
{
    if (o->format != DPL_FORMAT_AUTO)
        return o->format == DPL_FORMAT_JSONL;
    if (strcmp(path, "-") == 0)
        return 1;
    static const char *const exts[] = {".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz",
                                       ".jsonl.zst", ".ndjson.zst", ".jsonl.zstd"};
    for (size_t i = 0; i < sizeof exts / sizeof *exts; i++)
        if (ends_with(path, exts[i]))
            return 1;
    return 0;
}

int dpl__input_check(const char *path)
{
    struct stat st;
    if (strcmp(path, "-") == 0)
        return DPL_OK;
    if (stat(path, &st) != 0)
        return errno == EACCES ? DPL_EACCES : DPL_ENOENT;
    return access(path, R_OK) == 0 ? DPL_OK : DPL_EACCES;
}

int dpl_reader_add(dpl_reader *r, const char *path)
{
    if (!r || !path || !*path)
        return DPL_EINVAL;
    DPL_TRY(dpl__input_check(path));
    DPL_TRY(dpl__grow((void **)&r->inputs, &r->inputs_cap, r->n_inputs + 1, sizeof *r->inputs));
    if (!(r->inputs[r->n_inputs] = strdup(path)))
        return DPL_ENOMEM;
    r->n_inputs++;
    return DPL_OK;
}

int dpl__reader_add_entry(dpl_reader *r, uint32_t input, const dpl__walk_entry *e,
                          const dpl__range *range)
{
    DPL_TRY(dpl__grow((void **)&r->entries, &r->entries_cap, r->n_entries + 1,
                      sizeof *r->entries));
    struct entry *en = &r->entries[r->n_entries];
    memset(en, 0, sizeof *en);
    en->input = input;
    en->error = e->error;
    en->path = strdup(e->path);
    en->rel = strdup(e->rel);
    en->error_msg = e->error_msg ? strdup(e->error_msg) : NULL;
    if (range)
        en->range = *range;
    r->n_entries++; /* counted before the check, so that dpl_reader_free frees them */
    if (!en->path || !en->rel || (e->error_msg && !en->error_msg))
        return DPL_ENOMEM;
    return DPL_OK;
}

int dpl__reader_replace_stdin(dpl_reader *r, const char *path)
{
    free(r->stdin_replacement);
    r->stdin_replacement = strdup(path);
    return r->stdin_replacement ? DPL_OK : DPL_ENOMEM;
}

void dpl__reader_spool_stdin(dpl_reader *r, FILE *spool)
{
    r->stdin_spool = spool;
}

uint64_t dpl__reader_bytes_done(const dpl_reader *r)
{
    return r->bytes_done_closed + (r->src ? dpl__source_raw_consumed(r->src) : 0);
}

/* Read the next chunk. A source that fails after delivering some bytes (a corrupt or
 * truncated stream) keeps them: the failure is reported through *source_error once the
 * chunk is used up (take_source_error), so records before it are not lost. */
static int fill_chunk(dpl_reader *r)
{
    size_t got = 0;
    int rc = dpl__source_read(r->src, r->chunk, CHUNK_BYTES, &got);
    r->chunk_pos = 0;
    r->chunk_len = got;
    if (rc == DPL_ENOMEM)
        return rc;
    if (rc != DPL_OK) {
        r->src_error = rc;
        r->src_done = 1;
    }
    if (got == 0)
        r->src_done = 1;
    return DPL_OK;
}

/* The source's failure, once; DPL_OK when it has none (left). */
static int take_source_error(dpl_reader *r)
{
    int rc = r->src_error;
    r->src_error = DPL_OK;
    return rc;
}

static void set_raw(dpl_reader *r, dpl__raw *raw, const char *data, size_t len)
{
    raw->data = data;
    raw->len = len;
    raw->source = r->path;
    raw->rel = r->rel;
    raw->input = r->cur_input;
    raw->line = r->jsonl ? r->line : 0;
    raw->jsonl = r->jsonl;
    raw->error = DPL_OK;
    raw->error_msg = NULL;
    raw->padded = 0; /* the chunk may end right after it */
}

static void set_raw_error(dpl_reader *r, dpl__raw *raw, int code, const char *msg)
{
    set_raw(r, raw, "", 0);
    raw->error = code;
    raw->error_msg = msg;
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

/* The whole stream after a failure is lost; one error record stands for it. */
static void lost_rest(dpl_reader *r, dpl__raw *raw, int code)
{
    snprintf(r->errmsg, sizeof r->errmsg, "%s; the rest of the file from line %llu on is lost",
             dpl__source_errmsg(r->src), (unsigned long long)r->line);
    set_raw_error(r, raw, code, r->errmsg);
}

/* Strip a UTF-8 byte order mark from the first line of a file. */
static void skip_bom(const dpl_reader *r, const char **data, size_t *len, uint64_t *offset)
{
    if (r->line == 1 && *len >= 3 && memcmp(*data, "\xEF\xBB\xBF", 3) == 0) {
        *data += 3;
        *len -= 3;
        *offset += 3;
    }
}

/* Read bytes up to the next newline. A line inside the current chunk is returned in
 * place; a line that spans chunks is gathered in r->carry, unless it exceeds the size
 * limit, in which case it is only skipped. Sets *ended when a newline was seen and
 * *total to the line's length. */
static int scan_line(dpl_reader *r, size_t limit, const char **zero_copy, size_t *total,
                     int *ended, int *source_error)
{
    for (;;) {
        if (r->chunk_pos == r->chunk_len) {
            if (r->src_done) {
                /* After a failure, a last line without its newline is cut short: it
                 * belongs to the lost rest. */
                *source_error = take_source_error(r);
                return DPL_OK;
            }
            DPL_TRY(fill_chunk(r));
            continue;
        }
        const char *p = r->chunk + r->chunk_pos;
        size_t avail = r->chunk_len - r->chunk_pos;
        const char *nl = memchr(p, '\n', avail);
        size_t take = nl ? (size_t)(nl - p) : avail;
        r->chunk_pos += take + (nl != NULL);
        r->offset += take + (nl != NULL);
        *total += take;
        if (nl && *total == take) {
            *zero_copy = p;
            *ended = 1;
            return DPL_OK;
        }
        if (*total <= limit)
            DPL_TRY(dpl__buf_append(&r->carry, p, take));
        if (nl) {
            *ended = 1;
            return DPL_OK;
        }
    }
}

/* A piece of a file starts one byte early: up to and including the first newline from
 * there, the bytes belong to a line of the piece before. Returns the source's failure,
 * if any. */
static int skip_partial_line(dpl_reader *r, int *fatal)
{
    const char *zero_copy = NULL;
    size_t total = 0;
    int ended = 0, source_error = DPL_OK;
    r->skip_partial = 0;
    /* a limit of 0: only skipped, nothing of it is kept */
    *fatal = scan_line(r, 0, &zero_copy, &total, &ended, &source_error);
    dpl__buf_clear(&r->carry);
    return source_error;
}

/* Next non-blank JSONL line. Returns 1 with *raw filled, 0 when the file is finished. */
static int next_line(dpl_reader *r, dpl__raw *raw, int *fatal)
{
    if (r->skip_partial) {
        int source_error = skip_partial_line(r, fatal);
        if (*fatal != DPL_OK)
            return 0;
        if (source_error != DPL_OK) {
            lost_rest(r, raw, source_error);
            return 1;
        }
    }
    for (;;) {
        dpl__buf_clear(&r->carry);
        if (r->range && r->offset >= r->range->end)
            return 0; /* the next line starts in the next piece */
        uint64_t start = r->offset;
        const char *zero_copy = NULL;
        size_t total = 0;
        int ended = 0, source_error = DPL_OK;
        if ((*fatal = scan_line(r, max_doc(r), &zero_copy, &total, &ended,
                                &source_error)) != DPL_OK)
            return 0;
        if (source_error != DPL_OK) {
            r->line++;
            lost_rest(r, raw, source_error);
            return 1;
        }
        if (!ended && total == 0)
            return 0;
        r->line++;
        if (total > max_doc(r)) {
            snprintf(r->errmsg, sizeof r->errmsg,
                     "%s:%llu: record is larger than the limit of %zu bytes (--max-doc-bytes)",
                     r->path, (unsigned long long)r->line, max_doc(r));
            set_raw_error(r, raw, DPL_ETOOBIG, r->errmsg);
            return 1;
        }
        const char *data = zero_copy ? zero_copy : r->carry.data;
        size_t len = zero_copy ? total : r->carry.len;
        skip_bom(r, &data, &len, &start);
        if (is_blank(data, len))
            continue; /* blank lines are not records */
        set_raw(r, raw, data, len);
        raw->offset = start;
        return 1;
    }
}

/* A text file is one record: read it whole (up to the size limit). */
static int read_text_file(dpl_reader *r, dpl__raw *raw, int *fatal)
{
    size_t limit = max_doc(r);
    uint64_t total = 0;
    dpl__buf_clear(&r->carry);
    while (!r->src_done) {
        if ((*fatal = fill_chunk(r)) != DPL_OK)
            return 0;
        int source_error = take_source_error(r);
        if (source_error != DPL_OK) { /* a document cut short is no document */
            snprintf(r->errmsg, sizeof r->errmsg, "%s", dpl__source_errmsg(r->src));
            set_raw_error(r, raw, source_error, r->errmsg);
            return 1;
        }
        total += r->chunk_len;
        if (total <= limit &&
            (*fatal = dpl__buf_append(&r->carry, r->chunk, r->chunk_len)) != DPL_OK)
            return 0;
        r->chunk_pos = r->chunk_len;
    }
    if (total > limit) {
        snprintf(r->errmsg, sizeof r->errmsg,
                 "%s: document is larger than the limit of %zu bytes (--max-doc-bytes)",
                 r->path, limit);
        set_raw_error(r, raw, DPL_ETOOBIG, r->errmsg);
        return 1;
    }
    set_raw(r, raw, r->carry.data ? r->carry.data : "", r->carry.len);
    raw->offset = 0;
    return 1;
}

static int open_error(dpl_reader *r, dpl__raw *raw, const char *path, int err)
{
    snprintf(r->errmsg, sizeof r->errmsg, "%s: cannot open: %s", path, strerror(err));
    set_raw_error(r, raw, err == EACCES ? DPL_EACCES : err == ENOENT ? DPL_ENOENT : DPL_EIO,
                  r->errmsg);
    return DPL_OK;
}

/* Open the next file. Returns DPL_OK with r->src set, or DPL_OK with raw->error set when
 * the file could not be opened (the caller hands that record out). */
static int open_file(dpl_reader *r, const char *path, const char *rel, int is_stdin,
                     dpl__raw *raw, int *got_error)
{
    *got_error = 0;
    if (!(r->path = strdup(path)) || !(r->rel = strdup(rel)))
        return DPL_ENOMEM;
    r->jsonl = dpl__path_is_jsonl(&r->opts, is_stdin ? "-" : path);
    r->line = 0;
    r->offset = 0;
    r->chunk_pos = r->chunk_len = 0;
    r->src_done = 0;
    r->src_error = DPL_OK;
    const char *open_path = is_stdin ? r->stdin_replacement : path;
    int fd = open_path ? open(open_path, O_RDONLY | O_CLOEXEC) : 0;
    if (fd < 0) {
        *got_error = 1;
        return open_error(r, raw, path, errno);
    }
    int rc;
    if (r->range) { /* a piece: from one byte before it, numbered on from line_base */
        uint64_t from = r->range->start ? r->range->start - 1 : 0;
        rc = dpl__source_open_plain_at(fd, path, from, &r->src);
        r->offset = from;
        r->line = r->range->line_base;
        r->skip_partial = r->range->start > 0;
    } else {
        rc = dpl__source_open(fd, path, is_stdin && !open_path ? r->stdin_spool : NULL,
                              &r->src);
        r->skip_partial = 0;
    }
    if (rc == DPL_EIO) {
        *got_error = 1;
        snprintf(r->errmsg, sizeof r->errmsg, "%s", dpl__source_errmsg(r->src));
        set_raw_error(r, raw, rc, r->errmsg);
        r->src_done = 1;
        return DPL_OK;
    }
    return rc;
}

/* Records from the open file. Returns 1 with *raw filled, 0 when it is finished. */
static int next_from_file(dpl_reader *r, dpl__raw *raw, int *fatal)
{
    *fatal = DPL_OK;
    if (r->src_done && r->chunk_pos == r->chunk_len)
        return 0;
    if (r->jsonl)
        return next_line(r, raw, fatal);
    int got = read_text_file(r, raw, fatal);
    /* A text file is one record, however its reading ended (a stream that failed
     * mid-chunk left unread bytes behind, which once made this loop forever). */
    r->src_done = 1;
    r->chunk_pos = r->chunk_len;
    return got;
}

/* The next file of the walk, or of the entries given. */
static int next_entry(dpl_reader *r, dpl__walk_entry *e)
{
    if (!r->n_entries)
        return dpl__walk_next(r->walk, e);
    if (r->next_entry == r->n_entries)
        return DPL_EEOF;
    const struct entry *en = &r->entries[r->next_entry++];
    r->cur_input = en->input;
    r->range = en->range.end ? &en->range : NULL;
    *e = (dpl__walk_entry){.path = en->path, .rel = en->rel, .error = en->error,
                           .error_msg = en->error_msg};
    return DPL_OK;
}

/* Open a walked file; *emitted when it became an error record in *raw instead. */
static int start_entry(dpl_reader *r, const dpl__walk_entry *e, dpl__raw *raw, int *emitted)
{
    *emitted = 0;
    if (e->error != DPL_OK) {
        snprintf(r->errmsg, sizeof r->errmsg, "%s", e->error_msg);
        r->jsonl = dpl__path_is_jsonl(&r->opts, e->path);
        r->line = 0;
        set_raw_error(r, raw, e->error, r->errmsg);
        raw->source = e->path;
        raw->rel = e->rel;
        *emitted = 1;
        return DPL_OK;
    }
    int got_error;
    DPL_TRY(open_file(r, e->path, e->rel, 0, raw, &got_error));
    if (got_error) {
        close_file(r);
        raw->source = e->path;
        raw->rel = e->rel;
        *emitted = 1;
    }
    return DPL_OK;
}

int dpl__reader_next_raw(dpl_reader *r, dpl__raw *raw)
{
    for (;;) {
        if (r->src || r->path) {
            int fatal;
            if (r->src && next_from_file(r, raw, &fatal))
                return DPL_OK;
            if (r->src && fatal != DPL_OK)
                return fatal;
            close_file(r);
            continue;
        }
        if (r->walk || r->n_entries) {
            dpl__walk_entry e;
            int rc = next_entry(r, &e);
            if (rc == DPL_EEOF && r->n_entries)
                return DPL_EEOF;
            if (rc == DPL_EEOF) {
                dpl__walk_close(r->walk);
                r->walk = NULL;
                continue;
            }
            DPL_TRY(rc);
            int emitted;
            DPL_TRY(start_entry(r, &e, raw, &emitted));
            if (emitted)
                return DPL_OK;
            continue;
        }
        if (r->next_input >= r->n_inputs)
            return DPL_EEOF;
        r->cur_input = (uint32_t)r->next_input;
        const char *in = r->inputs[r->next_input++];
        if (strcmp(in, "-") == 0) {
            int got_error;
            DPL_TRY(open_file(r, "-", "stdin", 1, raw, &got_error));
            if (got_error)
                return DPL_OK;
            continue;
        }
        DPL_TRY(dpl__walk_open(in, r->opts.include_hidden, &r->walk));
    }
}

int dpl_reader_next(dpl_reader *r, dpl_record *rec)
{
    if (!r || !rec)
        return DPL_EINVAL;
    dpl__raw raw;
    DPL_TRY(dpl__reader_next_raw(r, &raw));
    return dpl__parse_record(r->parser, &raw, rec);
}
