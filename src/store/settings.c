/* The settings an index is built with: resolved from dpl_options, stored as "key=value"
 * lines, and compared when the index is opened again, so that a document is never
 * fingerprinted one way and looked up another. */
#include "store/store.h"
#include "index/lsh.h"
#include "sketch/sketch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bumped whenever what the index stores per document, or how it is derived, changes. */
#define INDEX_FORMAT "doppel-index 2"

static const char *const unit_names[] = {"words", "chars", "spaced-words"};
static const char *const segment_names[] = {"auto", "words", "chars"};

static int refuse(char *msg, size_t msg_cap, const char *why)
{
    snprintf(msg, msg_cap, "%s", why);
    return DPL_EINVAL;
}

static int resolve_script(const dpl_options *o, dpl__index_settings *s, char *msg,
                          size_t msg_cap)
{
    const char *translit = o->script.translit ? o->script.translit : DPL_TRANSLIT_DEFAULT;
    if (strlen(translit) >= sizeof s->translit)
        return refuse(msg, msg_cap, "the transliteration ID is too long for an index");
    strcpy(s->translit, translit);
    s->no_translit = o->script.no_translit != 0;
    s->han_simplify = o->script.han_simplify != 0;
    s->segment = o->script.segment;
    if ((unsigned)s->segment > DPL_SEGMENT_CHARS)
        return refuse(msg, msg_cap, "unknown segmentation mode");
    return DPL_OK;
}

int dpl__settings_resolve(const dpl_options *opts, dpl__index_settings *s, char *msg,
                          size_t msg_cap)
{
    dpl_options defaults;
    dpl_options_init(&defaults);
    const dpl_options *o = opts ? opts : &defaults;
    if (o->containment)
        return refuse(msg, msg_cap, "containment needs the documents' shingles, which an "
                                    "index does not keep");
    if (o->xling)
        return refuse(msg, msg_cap, "cross-lingual matching needs the documents' texts, "
                                    "which an index does not keep");
    if (o->exact_only)
        return refuse(msg, msg_cap, "an index always finds near duplicates (exact_only)");
    memset(s, 0, sizeof *s);
    DPL_TRY(dpl__sketch_settings(o, &s->k, &s->threshold, &s->seed, msg, msg_cap));
    s->ngram = o->ngram ? o->ngram : DPL_DEFAULT_NGRAM;
    s->norm_flags = o->norm_flags ? o->norm_flags : DPL_NORM_DEFAULT;
    s->unit = o->shingle_unit;
    if ((unsigned)s->unit > DPL_SHINGLE_SPACED_WORDS)
        return refuse(msg, msg_cap, "unknown shingle unit");
    DPL_TRY(dpl__lsh_resolve(s->threshold, s->k, o->bands, o->rows, &s->bands, &s->rows, msg,
                             msg_cap));
    return resolve_script(o, s, msg, msg_cap);
}

int dpl__settings_format(const dpl__index_settings *s, dpl__buf *out)
{
    dpl__buf_clear(out);
    return dpl__buf_printf(out,
                           "format=%s\nk=%u\nbands=%u\nrows=%u\nseed=%" PRIu64 "\n"
                           "ngram=%u\nunit=%s\nnorm=%u\ntranslit=%s\nno_translit=%d\n"
                           "han_simplify=%d\nsegment=%s\nthreshold=%.6g\nunicode=%s\n"
                           "icu=%s\n",
                           INDEX_FORMAT, s->k, s->bands, s->rows, s->seed, s->ngram,
                           unit_names[s->unit], s->norm_flags, s->translit, s->no_translit,
                           s->han_simplify, segment_names[s->segment], s->threshold,
                           dpl_unicode_version(), dpl_icu_version());
}

/* The value of `key` in the stored lines, copied into buf; NULL when absent. */
static const char *value_of(const char *text, size_t len, const char *key, char *buf,
                            size_t cap)
{
    size_t klen = strlen(key);
    for (const char *line = text, *end = text + len; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
        if (n > klen && memcmp(line, key, klen) == 0 && line[klen] == '=') {
            size_t v = n - klen - 1 < cap - 1 ? n - klen - 1 : cap - 1;
            memcpy(buf, line + klen + 1, v);
            buf[v] = '\0';
            return buf;
        }
        line += n + 1;
    }
    return NULL;
}

static int name_index(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

static int parse_unsigned(const char *text, size_t len, const char *key, unsigned *out)
{
    char buf[32], *end;
    if (!value_of(text, len, key, buf, sizeof buf))
        return DPL_ENOTINDEX;
    unsigned long v = strtoul(buf, &end, 10);
    if (*end || end == buf || v > UINT32_MAX)
        return DPL_ENOTINDEX;
    *out = (unsigned)v;
    return DPL_OK;
}

int dpl__settings_parse(const char *text, size_t len, dpl__index_settings *s)
{
    char buf[256];
    memset(s, 0, sizeof *s);
    if (!value_of(text, len, "format", buf, sizeof buf) || strcmp(buf, INDEX_FORMAT) != 0)
        return DPL_ENOTINDEX;
    unsigned no_translit, han;
    DPL_TRY(parse_unsigned(text, len, "k", &s->k));
    DPL_TRY(parse_unsigned(text, len, "bands", &s->bands));
    DPL_TRY(parse_unsigned(text, len, "rows", &s->rows));
    DPL_TRY(parse_unsigned(text, len, "ngram", &s->ngram));
    DPL_TRY(parse_unsigned(text, len, "norm", &s->norm_flags));
    DPL_TRY(parse_unsigned(text, len, "no_translit", &no_translit));
    DPL_TRY(parse_unsigned(text, len, "han_simplify", &han));
    s->no_translit = (int)no_translit;
    s->han_simplify = (int)han;
    char *end;
    if (!value_of(text, len, "seed", buf, sizeof buf))
        return DPL_ENOTINDEX;
    s->seed = strtoull(buf, &end, 10);
    if (!value_of(text, len, "threshold", buf, sizeof buf))
        return DPL_ENOTINDEX;
    s->threshold = strtod(buf, &end);
    int unit = value_of(text, len, "unit", buf, sizeof buf)
                   ? name_index(unit_names, 3, buf) : -1;
    int segment = value_of(text, len, "segment", buf, sizeof buf)
                      ? name_index(segment_names, 3, buf) : -1;
    if (unit < 0 || segment < 0 || !value_of(text, len, "translit", s->translit,
                                             sizeof s->translit))
        return DPL_ENOTINDEX;
    s->unit = (dpl_shingle_unit)unit;
    s->segment = (dpl_segment_mode)segment;
    if (s->k == 0 || s->k > DPL_MAX_NUM_PERM || s->bands == 0 || s->rows == 0 ||
        (uint64_t)s->bands * s->rows > s->k || !(s->threshold > 0 && s->threshold <= 1))
        return DPL_ENOTINDEX;
    return DPL_OK;
}

static int differs(char *msg, size_t msg_cap, const char *what, const char *stored,
                   const char *given)
{
    snprintf(msg, msg_cap, "the index was built with %s=%s, not %s: open it with its own "
             "settings, or build a new index", what, stored, given);
    return DPL_EINCOMPATIBLE;
}

static int check_number(char *msg, size_t cap, const char *what, uint64_t stored,
                        uint64_t given)
{
    if (given == 0 || given == stored)
        return DPL_OK;
    char a[32], b[32];
    snprintf(a, sizeof a, "%" PRIu64, stored);
    snprintf(b, sizeof b, "%" PRIu64, given);
    return differs(msg, cap, what, a, b);
}

/* A flag given as set, against the stored one (not given: nothing to compare). */
static int check_flag(char *msg, size_t cap, const char *what, int stored, int given)
{
    return given && !stored ? differs(msg, cap, what, "0", "1") : DPL_OK;
}

static int check_versions(const char *text, size_t len, char *msg, size_t cap)
{
    char buf[64];
    if (!value_of(text, len, "unicode", buf, sizeof buf) ||
        strcmp(buf, dpl_unicode_version()) != 0) {
        snprintf(msg, cap, "the index was built with Unicode %s, this library has %s: "
                 "normalization may differ, so build a new index", buf,
                 dpl_unicode_version());
        return DPL_EINCOMPATIBLE;
    }
    if (!value_of(text, len, "icu", buf, sizeof buf) || strcmp(buf, dpl_icu_version()) != 0) {
        snprintf(msg, cap, "the index was built with ICU %s, this library has %s: "
                 "transliteration may differ, so build a new index", buf, dpl_icu_version());
        return DPL_EINCOMPATIBLE;
    }
    return DPL_OK;
}

int dpl__settings_check(const char *text, size_t len, const dpl_options *opts,
                        dpl__index_settings *out, char *msg, size_t cap)
{
    dpl__index_settings s;
    if (dpl__settings_parse(text, len, &s) != DPL_OK) {
        snprintf(msg, cap, "the index's settings record is damaged or of another version");
        return DPL_ENOTINDEX;
    }
    *out = s;
    DPL_TRY(check_versions(text, len, msg, cap));
    if (!opts)
        return DPL_OK;
    const dpl_script_options *so = &opts->script;
    DPL_TRY(check_number(msg, cap, "num_perm", s.k, opts->num_perm));
    DPL_TRY(check_number(msg, cap, "bands", s.bands, opts->bands));
    DPL_TRY(check_number(msg, cap, "rows", s.rows, opts->rows));
    DPL_TRY(check_number(msg, cap, "seed", s.seed, opts->seed));
    DPL_TRY(check_number(msg, cap, "ngram", s.ngram, opts->ngram));
    DPL_TRY(check_number(msg, cap, "norm_flags", s.norm_flags, opts->norm_flags));
    DPL_TRY(check_flag(msg, cap, "no_translit", s.no_translit, so->no_translit));
    DPL_TRY(check_flag(msg, cap, "han_simplify", s.han_simplify, so->han_simplify));
    if (opts->shingle_unit && opts->shingle_unit != s.unit)
        return differs(msg, cap, "shingle_unit", unit_names[s.unit],
                       (unsigned)opts->shingle_unit <= 2 ? unit_names[opts->shingle_unit]
                                                         : "?");
    if (so->segment && so->segment != s.segment)
        return differs(msg, cap, "segment", segment_names[s.segment],
                       (unsigned)so->segment <= 2 ? segment_names[so->segment] : "?");
    if (so->translit && strcmp(so->translit, s.translit) != 0)
        return differs(msg, cap, "translit", s.translit, so->translit);
    return DPL_OK;
}
