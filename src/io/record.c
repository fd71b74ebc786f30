/* Record parsing: a raw JSONL line or text file becomes a dpl_record. JSON is decoded with
 * json-c (chosen by measured speed among the C JSON libraries Debian ships, and because it
 * keeps string lengths, so a \u0000 escape cannot silently cut a document short: see
 * bench/bench_json.c), after simdjson's fast path (json_fast.h) for the lines both
 * libraries read alike, the common ones: with it the reader runs 3.6x faster
 * (bench_throughput). Text is checked for UTF-8 (invalid bytes replaced and flagged), NUL
 * bytes and emptiness. */
#include "io/io.h"
#include "io/json_fast.h"
#include "text/text.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* Records are flat; deeper nesting is malformed input, not a reason to recurse without
 * bound. */
#define JSON_MAX_DEPTH 64
_Static_assert(DPL__JSON_FAST_MAX_DEPTH < JSON_MAX_DEPTH,
               "nesting near json-c's limit is json-c's to judge");

struct dpl__parser {
    const char *fields[3]; /* id, text, lang */
    dpl__json_fast *fast;  /* NULL: json-c only */
    struct json_tokener *tok;
    struct json_object *root;
    dpl__buf id, text, lang, msg;
};

dpl__parser *dpl__parser_create(const dpl_reader_options *o)
{
    dpl__parser *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->fields[0] = o && o->id_field ? o->id_field : "id";
    p->fields[1] = o && o->text_field ? o->text_field : "text";
    p->fields[2] = o && o->lang_field ? o->lang_field : "lang";
    p->tok = json_tokener_new_ex(JSON_MAX_DEPTH);
    /* Without the fast path (simdjson could not allocate, or runs no kernel, as when
     * SIMDJSON_FORCE_IMPLEMENTATION names none this CPU has), json-c decodes it all. */
    p->fast = dpl__json_fast_create(p->fields);
    if (!p->tok) {
        dpl__parser_free(p);
        return NULL;
    }
    return p;
}

void dpl__parser_free(dpl__parser *p)
{
    if (!p)
        return;
    json_object_put(p->root);
    json_tokener_free(p->tok);
    dpl__json_fast_free(p->fast);
    dpl__buf_free(&p->id);
    dpl__buf_free(&p->text);
    dpl__buf_free(&p->lang);
    dpl__buf_free(&p->msg);
    free(p);
}

static const char *type_name(struct json_object *v)
{
    return v ? json_type_to_name(json_object_get_type(v)) : "null";
}

static void fail(dpl__parser *p, dpl_record *rec, int code, const dpl__raw *raw,
                 const char *fmt, const char *a, const char *b)
{
    dpl__buf_clear(&p->msg);
    if (raw->line)
        dpl__buf_printf(&p->msg, "%s:%llu: ", raw->source, (unsigned long long)raw->line);
    else
        dpl__buf_printf(&p->msg, "%s: ", raw->source);
    dpl__buf_printf(&p->msg, fmt, a, b);
    rec->error = code;
    rec->error_msg = p->msg.data ? p->msg.data : "out of memory";
}

/* Copy a string into `dst` with invalid UTF-8 replaced; returns replacements made. */
static int put_utf8(dpl__buf *dst, const char *s, size_t n, size_t *replaced)
{
    dpl__buf_clear(dst);
    *replaced = 0;
    if (dpl__utf8_valid_prefix(s, n) == n)
        return dpl__buf_append(dst, s, n);
    return dpl__utf8_sanitize(s, n, dst, replaced);
}

/* The id defaults to "<file>:<line>" (JSONL) or the file path (text). */
static int default_id(dpl__parser *p, const dpl__raw *raw)
{
    dpl__buf_clear(&p->id);
    if (raw->line)
        return dpl__buf_printf(&p->id, "%s:%llu", raw->source, (unsigned long long)raw->line);
    return dpl__buf_printf(&p->id, "%s", raw->source);
}

/* The default id, as the record's. */
static int use_default_id(dpl__parser *p, dpl_record *rec, const dpl__raw *raw)
{
    DPL_TRY(default_id(p, raw));
    rec->id = p->id.data;
    rec->id_len = p->id.len;
    return DPL_OK;
}

static int take_id(dpl__parser *p, dpl_record *rec, const dpl__raw *raw,
                   struct json_object *v)
{
    size_t replaced;
    if (!v)
        return default_id(p, raw);
    if (json_object_is_type(v, json_type_string))
        return put_utf8(&p->id, json_object_get_string(v),
                        (size_t)json_object_get_string_len(v), &replaced);
    if (json_object_is_type(v, json_type_int)) {
        dpl__buf_clear(&p->id);
        return dpl__buf_printf(&p->id, "%s", json_object_get_string(v));
    }
    DPL_TRY(default_id(p, raw));
    fail(p, rec, DPL_EFIELD, raw, "field \"%s\" is %s, expected a string or an integer",
         p->fields[0], type_name(v));
    return DPL_OK;
}

/* Checks shared by both formats once the text is known. */
static void check_text(dpl__parser *p, dpl_record *rec, const dpl__raw *raw)
{
    const char *nul = memchr(rec->text, '\0', rec->text_len);
    if (nul) {
        char at[32];
        snprintf(at, sizeof at, "%zu", (size_t)(nul - rec->text));
        fail(p, rec, DPL_ENUL, raw, "document contains a NUL byte at offset %s%s", at,
             raw->jsonl ? "" : " (binary file?)");
        return;
    }
    size_t i = 0;
    while (i < rec->text_len && (rec->text[i] == ' ' || (rec->text[i] >= '\t' && rec->text[i] <= '\r')))
        i++;
    if (i == rec->text_len)
        fail(p, rec, DPL_EEMPTY, raw, "empty document%s%s",
             rec->text_len ? " (only white space)" : "", "");
}

static int set_text(dpl__parser *p, dpl_record *rec, const char *s, size_t n)
{
    size_t replaced;
    DPL_TRY(put_utf8(&p->text, s, n, &replaced));
    rec->text = p->text.data ? p->text.data : "";
    rec->text_len = p->text.len;
    if (replaced) {
        rec->flags |= DPL_RECORD_UTF8_REPLACED;
        rec->utf8_replaced = replaced;
    }
    return DPL_OK;
}

static int parse_json_fields(dpl__parser *p, dpl_record *rec, const dpl__raw *raw)
{
    struct json_object *v;
    DPL_TRY(take_id(p, rec, raw, json_object_object_get_ex(p->root, p->fields[0], &v) ? v : NULL));
    rec->id = p->id.data;
    rec->id_len = p->id.len;
    if (rec->error)
        return DPL_OK;
    if (json_object_object_get_ex(p->root, p->fields[2], &v) && v) {
        if (!json_object_is_type(v, json_type_string)) {
            fail(p, rec, DPL_EFIELD, raw, "field \"%s\" is %s, expected a string",
                 p->fields[2], type_name(v));
            return DPL_OK;
        }
        size_t replaced;
        DPL_TRY(put_utf8(&p->lang, json_object_get_string(v),
                         (size_t)json_object_get_string_len(v), &replaced));
        rec->lang = p->lang.data;
    }
    if (!json_object_object_get_ex(p->root, p->fields[1], &v)) {
        fail(p, rec, DPL_EFIELD, raw, "missing field \"%s\"%s", p->fields[1], "");
        return DPL_OK;
    }
    if (!v || !json_object_is_type(v, json_type_string)) {
        fail(p, rec, DPL_EFIELD, raw, "field \"%s\" is %s, expected a string", p->fields[1],
             type_name(v));
        return DPL_OK;
    }
    DPL_TRY(set_text(p, rec, json_object_get_string(v), (size_t)json_object_get_string_len(v)));
    check_text(p, rec, raw);
    return DPL_OK;
}

void dpl__parser_disable_fast(dpl__parser *p)
{
    dpl__json_fast_free(p->fast);
    p->fast = NULL;
}

/* The record from the fast path's fields. They are valid UTF-8 (see json_fast.h) and are
 * used where simdjson decoded them, without a copy. */
static int take_fast(dpl__parser *p, dpl_record *rec, const dpl__raw *raw,
                     const dpl__json_str f[3])
{
    if (f[0].s) {
        rec->id = f[0].s;
        rec->id_len = f[0].len;
    } else {
        DPL_TRY(use_default_id(p, rec, raw));
    }
    if (f[2].s)
        rec->lang = f[2].s;
    rec->text = f[1].s;
    rec->text_len = f[1].len;
    check_text(p, rec, raw);
    return DPL_OK;
}

/* json-c 0.16's json_tokener_reset() keeps a high surrogate escape left pending by a
 * line that failed inside a string: the next line's first \u escape then came out after
 * a spurious U+FFFD. A tokener that failed is replaced instead of reset. */
static int fresh_tokener(dpl__parser *p)
{
    struct json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
    if (!tok)
        return DPL_ENOMEM;
    json_tokener_free(p->tok);
    p->tok = tok;
    return DPL_OK;
}

static int parse_jsonl(dpl__parser *p, dpl_record *rec, const dpl__raw *raw)
{
    dpl__json_str f[3];
    if (p->fast && dpl__json_fast_parse(p->fast, raw->data, raw->len, raw->padded, f))
        return take_fast(p, rec, raw, f);
    json_object_put(p->root);
    json_tokener_reset(p->tok);
    if (raw->len > INT32_MAX) {
        DPL_TRY(use_default_id(p, rec, raw));
        fail(p, rec, DPL_ETOOBIG, raw, "line is longer than %s bytes, the JSON parser's limit%s",
             "2147483647", "");
        return DPL_OK;
    }
    p->root = json_tokener_parse_ex(p->tok, raw->data, (int)raw->len);
    enum json_tokener_error jerr = json_tokener_get_error(p->tok);
    size_t used = json_tokener_get_parse_end(p->tok);
    while (used < raw->len && (raw->data[used] == ' ' || raw->data[used] == '\t' ||
                               raw->data[used] == '\r'))
        used++;
    const char *why = NULL;
    if (jerr == json_tokener_continue)
        why = "truncated JSON (the line ends inside a value)";
    else if (jerr != json_tokener_success)
        why = json_tokener_error_desc(jerr);
    else if (used < raw->len)
        why = "unexpected text after the JSON value";
    else if (!json_object_is_type(p->root, json_type_object))
        why = "the line is not a JSON object";
    if (why) {
        DPL_TRY(use_default_id(p, rec, raw));
        char at[48];
        snprintf(at, sizeof at, " (at byte %zu)", json_tokener_get_parse_end(p->tok) + 1);
        fail(p, rec, DPL_EJSON, raw, "malformed JSON: %s%s", why,
             jerr != json_tokener_success ? at : "");
        return jerr != json_tokener_success ? fresh_tokener(p) : DPL_OK;
    }
    return parse_json_fields(p, rec, raw);
}

static int parse_text(dpl__parser *p, dpl_record *rec, const dpl__raw *raw)
{
    DPL_TRY(use_default_id(p, rec, raw));
    const char *s = raw->data;
    size_t n = raw->len;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3, n -= 3; /* a UTF-8 byte order mark is not text */
    DPL_TRY(set_text(p, rec, s, n));
    check_text(p, rec, raw);
    return DPL_OK;
}

int dpl__parse_record(dpl__parser *p, const dpl__raw *raw, dpl_record *rec)
{
    memset(rec, 0, sizeof *rec);
    rec->text = "";
    rec->lang = "";
    rec->source = raw->source;
    rec->line = raw->line;
    rec->raw_offset = raw->offset;
    rec->raw_len = raw->len;
    rec->flags = raw->jsonl ? DPL_RECORD_JSONL : 0;
    if (raw->error != DPL_OK) {
        DPL_TRY(use_default_id(p, rec, raw));
        rec->error = raw->error;
        rec->error_msg = raw->error_msg;
        return DPL_OK;
    }
    return raw->jsonl ? parse_jsonl(p, rec, raw) : parse_text(p, rec, raw);
}
