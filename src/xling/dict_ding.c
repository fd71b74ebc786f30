/* Ding (trans-de-en): one line per entry, "de; syn | plural :: en; syn | plural".
 * The sides split at the first "::" outside brackets; each side into sub-entries at "|",
 * which pair by position; each sub-entry into alternatives at ";" outside brackets (the
 * annotations hold ";" themselves: "{prp; +Dat.}", "(Druck; Vakuum)"). Annotations in
 * {} [] () <> and the place holders sb./sth./jdn./etw. are removed; phrases are kept whole
 * for the sink to judge. */
#include "xling/dict_parse.h"

#include <stdlib.h>
#include <string.h>

#define DING_BRACKETS (DPL__BR_ROUND | DPL__BR_SQUARE | DPL__BR_CURLY | DPL__BR_ANGLE)

typedef struct span {
    size_t off, len;
} span;

typedef struct ding {
    const char *path;
    const char *lang;
    dpl__dict_sink sink;
    void *user;
    dpl__dict_stats *stats;
    char *msg;
    size_t msg_cap;
    dpl__dict_scratch sc;
    span *spans; /* cleaned alternatives of the current sub-entry, left side first */
    size_t n_spans, spans_cap;
    const char *line;    /* the line being read */
    int line_marks_hold; /* no bracket pair of the line spans a "|": its marks serve */
} ding;

static size_t count_byte(const char *s, size_t n, char c)
{
    size_t count = 0;
    for (const char *p = s, *end = s + n; (p = memchr(p, c, (size_t)(end - p))); p++)
        count++;
    return count;
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    return 1;
}

/* Cleans the alternatives of one side of a sub-entry into d->sc.text, one span each.
 * `marks` are the line's when they hold for the sub-entry, else NULL: it is marked anew. */
static int clean_alternatives(ding *d, const char *s, size_t n, const unsigned char *marks)
{
    if (!marks) {
        DPL_TRY(dpl__dict_mark(&d->sc, s, n, DING_BRACKETS));
        marks = d->sc.marks;
    }
    size_t pos = 0, start, len;
    while (dpl__dict_next_piece(s, n, marks, ";", &pos, &start, &len)) {
        size_t off = d->sc.text.len, clean_len;
        DPL_TRY(dpl__dict_clean(&d->sc, s + start, len, marks + start, DPL__CLEAN_MARKERS,
                                &clean_len));
        if (clean_len == 0)
            continue;
        DPL_TRY(dpl__grow((void **)&d->spans, &d->spans_cap, d->n_spans + 1, sizeof *d->spans));
        d->spans[d->n_spans++] = (span){off, clean_len};
    }
    return DPL_OK;
}

/* Every left alternative with every right one; the rank is the right one's position. */
static int emit_sub_entry(ding *d, const char *left, size_t left_len, const char *right,
                          size_t right_len, size_t line)
{
    dpl__buf_clear(&d->sc.text);
    d->n_spans = 0;
    const unsigned char *marks = d->line_marks_hold ? d->sc.marks : NULL;
    DPL_TRY(clean_alternatives(d, left, left_len, marks ? marks + (left - d->line) : NULL));
    size_t n_left = d->n_spans;
    DPL_TRY(clean_alternatives(d, right, right_len, marks ? marks + (right - d->line) : NULL));
    const char *text = d->sc.text.data;
    for (size_t i = 0; i < n_left; i++) {
        for (size_t j = n_left; j < d->n_spans; j++) {
            int rc = d->sink(d->user, d->lang, text + d->spans[i].off, d->spans[i].len,
                             "eng", text + d->spans[j].off, d->spans[j].len,
                             (unsigned)(j - n_left));
            if (rc != 0)
                return dpl__dict_sink_failed(rc, d->path, line, d->msg, d->msg_cap);
            d->stats->entries++;
        }
    }
    return DPL_OK;
}

static int pipes_at_top(const char *s, size_t n, const unsigned char *marks)
{
    size_t pos = 0, start, len, pieces = 0;
    while (dpl__dict_next_piece(s, n, marks, "|", &pos, &start, &len))
        pieces++;
    return pieces == count_byte(s, n, '|') + 1;
}

static int parse_line(ding *d, const char *s, size_t n, size_t line)
{
    if (is_blank(s, n) || s[0] == '#')
        return DPL_OK;
    DPL_TRY(dpl__dict_mark(&d->sc, s, n, DING_BRACKETS));
    size_t sep = dpl__dict_find_top(s, n, d->sc.marks, "::", 2);
    if (sep == n) {
        dpl__dict_bad_line(d->stats, line, "no \"::\" between the two sides");
        return DPL_OK;
    }
    const char *left = s, *right = s + sep + 2;
    size_t left_len = sep, right_len = n - sep - 2;
    size_t left_parts = count_byte(left, left_len, '|');
    if (left_parts != count_byte(right, right_len, '|')) {
        dpl__dict_bad_line(d->stats, line, "the sides have different numbers of \"|\" parts");
        return DPL_OK;
    }
    /* Sub-entries split at every "|", brackets or not ("/(/ | /)/" in the entries about
     * brackets); when no pair spans one, which is nearly always, the line's marks are the
     * sub-entries' marks too and need not be made again. */
    d->line = s;
    d->line_marks_hold = left_parts == 0 || pipes_at_top(s, n, d->sc.marks);
    size_t lpos = 0, rpos = 0, ls, ll, rs, rl;
    while (dpl__dict_next_piece(left, left_len, NULL, "|", &lpos, &ls, &ll) &&
           dpl__dict_next_piece(right, right_len, NULL, "|", &rpos, &rs, &rl))
        DPL_TRY(emit_sub_entry(d, left + ls, ll, right + rs, rl, line));
    return DPL_OK;
}

static int parse_stream(ding *d, dpl__dict_stream *s)
{
    const char *line;
    size_t n;
    int rc;
    while ((rc = dpl__dict_stream_line(s, &line, &n)) == DPL_OK) {
        d->stats->lines++;
        DPL_TRY(parse_line(d, line, n, s->line));
    }
    if (rc != DPL_EEOF)
        return rc;
    if (d->stats->entries > 0)
        return DPL_OK;
    if (d->stats->bad_lines)
        dpl__dict_msg(d->msg, d->msg_cap, "%s:%zu: no usable entry in the file (here: %s)",
                      d->path, d->stats->first_bad_line, d->stats->bad_reason);
    else
        dpl__dict_msg(d->msg, d->msg_cap, "%s: no usable entry in the file", d->path);
    return DPL_EFORMAT;
}

int dpl__dict_parse_ding(const char *path, const char *lang, dpl__dict_sink sink, void *user,
                         dpl__dict_stats *stats, char *msg, size_t msg_cap)
{
    dpl__dict_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    char code[4];
    if (!path || !sink || !lang || strlen(lang) != 3 || !dpl__dict_lang3(lang, 3, code)) {
        dpl__dict_msg(msg, msg_cap,
                      "%s: the language of the left side is unknown: name the file after "
                      "its pair (\"de-en\") or give its ISO 639-3 code",
                      path ? path : "(null)");
        return DPL_EINVAL;
    }
    dpl__dict_stream s;
    int rc = dpl__dict_stream_open(&s, path, msg, msg_cap);
    if (rc == DPL_OK) {
        ding d = {.path = path, .lang = code, .sink = sink, .user = user, .stats = stats,
                  .msg = msg, .msg_cap = msg_cap};
        rc = parse_stream(&d, &s);
        dpl__dict_scratch_free(&d.sc);
        free(d.spans);
    }
    dpl__dict_stream_close(&s);
    return rc;
}
