/* Users' own dictionaries: "lang<TAB>word<TAB>english[<TAB>rank]" per line. Nothing is
 * stripped but the spaces around fields: what users write is what they mean. */
#include "xling/dict_parse.h"

#include <string.h>

#define MAX_FIELDS 4

typedef struct field {
    const char *s;
    size_t n;
} field;

static field trimmed(const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return (field){s, n};
}

/* Cuts a line at tabs; returns the number of fields, MAX_FIELDS + 1 when there are more. */
static size_t split_fields(const char *s, size_t n, field *f)
{
    size_t count = 0;
    for (;;) {
        const char *tab = memchr(s, '\t', n);
        size_t len = tab ? (size_t)(tab - s) : n;
        if (count == MAX_FIELDS)
            return MAX_FIELDS + 1;
        f[count++] = trimmed(s, len);
        if (!tab)
            return count;
        n -= len + 1;
        s = tab + 1;
    }
}

static int parse_rank(field f, unsigned *rank)
{
    unsigned long long v = 0;
    if (f.n == 0 || f.n > 9)
        return 0;
    for (size_t i = 0; i < f.n; i++) {
        if (f.s[i] < '0' || f.s[i] > '9')
            return 0;
        v = v * 10 + (unsigned)(f.s[i] - '0');
    }
    *rank = (unsigned)v;
    return 1;
}

static int is_lang(field f)
{
    if (f.n != 3)
        return 0;
    for (size_t i = 0; i < 3; i++)
        if (f.s[i] < 'a' || f.s[i] > 'z')
            return 0;
    return 1;
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    return 1;
}

/* NULL for a good line (with *rank set), or why the line is bad. */
static const char *check_line(const field *f, size_t count, unsigned *rank)
{
    *rank = 0;
    if (count < 3 || count > MAX_FIELDS)
        return "not \"lang<TAB>word<TAB>english[<TAB>rank]\"";
    if (!is_lang(f[0]))
        return "the language is not a 3-letter lowercase ISO 639-3 code";
    if (f[1].n == 0 || f[2].n == 0)
        return "empty word or translation";
    if (count == 4 && !parse_rank(f[3], rank))
        return "the rank is not a number below 10^9";
    return NULL;
}

static int parse_stream(dpl__dict_stream *s, dpl__dict_sink sink, void *user,
                        dpl__dict_stats *stats)
{
    const char *line;
    size_t n;
    int rc;
    while ((rc = dpl__dict_stream_line(s, &line, &n)) == DPL_OK) {
        stats->lines++;
        if (is_blank(line, n) || line[0] == '#')
            continue;
        field f[MAX_FIELDS];
        unsigned rank;
        size_t count = split_fields(line, n, f);
        const char *bad = check_line(f, count, &rank);
        if (bad) {
            dpl__dict_bad_line(stats, s->line, bad);
            continue;
        }
        char lang[4] = {f[0].s[0], f[0].s[1], f[0].s[2], '\0'};
        rc = sink(user, lang, f[1].s, f[1].n, "eng", f[2].s, f[2].n, rank);
        if (rc != 0)
            return dpl__dict_sink_failed(rc, s->path, s->line, s->msg, s->msg_cap);
        stats->entries++;
    }
    if (rc != DPL_EEOF)
        return rc;
    if (stats->entries > 0)
        return DPL_OK;
    if (stats->bad_lines)
        dpl__dict_msg(s->msg, s->msg_cap, "%s:%zu: no usable entry in the file (here: %s)",
                      s->path, stats->first_bad_line, stats->bad_reason);
    else
        dpl__dict_msg(s->msg, s->msg_cap, "%s: no usable entry in the file", s->path);
    return DPL_EFORMAT;
}

int dpl__dict_parse_tsv(const char *path, dpl__dict_sink sink, void *user,
                        dpl__dict_stats *stats, char *msg, size_t msg_cap)
{
    dpl__dict_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!path || !sink)
        return DPL_EINVAL;
    dpl__dict_stream s;
    int rc = dpl__dict_stream_open(&s, path, msg, msg_cap);
    if (rc == DPL_OK)
        rc = parse_stream(&s, sink, user, stats);
    dpl__dict_stream_close(&s);
    return rc;
}
