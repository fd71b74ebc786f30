/* What the dictionary parsers share: format detection, reading through a window of the
 * decompressed file (gzip through zlib), language codes, line cutting and the bracket
 * machinery that removes annotations. The window keeps memory small and, above all, cheap:
 * FreeDict deu-eng inflates to 100 MB, and touching that much fresh memory cost more time
 * than parsing it. */
#include "xling/dict_parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define STREAM_CHUNK (256u * 1024u)
#define DETECT_BYTES (16u * 1024u)

void dpl__dict_msg(char *msg, size_t cap, const char *fmt, ...)
{
    if (!msg || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, cap, fmt, ap);
    va_end(ap);
}

void dpl__dict_bad_line(dpl__dict_stats *stats, size_t line, const char *reason)
{
    /* The lowest line, not the first reported: FreeDict finds some bad lines late. */
    if (stats->bad_lines++ == 0 || line < stats->first_bad_line) {
        stats->first_bad_line = line;
        stats->bad_reason = reason;
    }
}

int dpl__dict_sink_failed(int rc, const char *path, size_t line, char *msg, size_t msg_cap)
{
    dpl__dict_msg(msg, msg_cap, "%s:%zu: stopped: %s", path, line, dpl_strerror(rc));
    return rc;
}

/* ---- reading: a window over the decompressed file ---------------------------------- */

static int open_failed(const char *path, int err, char *msg, size_t msg_cap)
{
    dpl__dict_msg(msg, msg_cap, "%s: cannot open: %s", path, strerror(err));
    if (err == ENOENT || err == ENOTDIR)
        return DPL_ENOENT;
    return err == EACCES || err == EPERM ? DPL_EACCES : DPL_EIO;
}

/* Reads the next chunk of raw (compressed or plain) bytes once the previous one is used. */
static int read_input(dpl__dict_stream *s)
{
    if (s->in_pos < s->in_len || s->in_eof)
        return DPL_OK;
    ssize_t n;
    do {
        n = read(s->fd, s->in, STREAM_CHUNK);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        dpl__dict_msg(s->msg, s->msg_cap, "%s: read error: %s", s->path, strerror(errno));
        return DPL_EIO;
    }
    s->in_len = (size_t)n;
    s->in_pos = 0;
    s->in_eof = n == 0;
    return DPL_OK;
}

int dpl__dict_stream_open(dpl__dict_stream *s, const char *path, char *msg, size_t msg_cap)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    s->msg = msg;
    s->msg_cap = msg_cap;
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0)
        return open_failed(path, errno, msg, msg_cap);
    if (!(s->in = malloc(STREAM_CHUNK)))
        return DPL_ENOMEM;
    DPL_TRY(read_input(s));
    if (s->in_len >= 2 && s->in[0] == 0x1F && s->in[1] == 0x8B) {
        /* 15 + 16: a gzip wrapper only, so that a raw deflate stream is not misread. */
        if (inflateInit2(&s->z, 15 + 16) != Z_OK)
            return DPL_ENOMEM;
        s->gzip = 1;
    }
    return DPL_OK;
}

void dpl__dict_stream_close(dpl__dict_stream *s)
{
    if (s->gzip)
        inflateEnd(&s->z);
    if (s->fd >= 0)
        close(s->fd);
    free(s->in);
    dpl__buf_free(&s->win);
    memset(s, 0, sizeof *s);
    s->fd = -1;
}

static int fill_plain(dpl__dict_stream *s)
{
    DPL_TRY(read_input(s));
    size_t n = s->in_len - s->in_pos;
    DPL_TRY(dpl__buf_append(&s->win, s->in + s->in_pos, n));
    s->in_pos = s->in_len;
    s->finished = n == 0;
    return DPL_OK;
}

static int gzip_failed(dpl__dict_stream *s, int rc)
{
    if (rc == Z_MEM_ERROR)
        return DPL_ENOMEM;
    dpl__dict_msg(s->msg, s->msg_cap, "%s: corrupt gzip stream: %s", s->path,
                  s->z.msg ? s->z.msg : "data error");
    return DPL_ECORRUPT;
}

/* Whether the stream goes on after a complete gzip member: another member may follow
 * (concatenated files); other bytes are ignored, as gzip(1) ignores trailing garbage. */
static int next_member(dpl__dict_stream *s)
{
    if (s->in_pos == s->in_len || s->in[s->in_pos] != 0x1F)
        return 0;
    inflateReset(&s->z);
    s->member_done = 0;
    return 1;
}

/* Inflates until some bytes come out or the stream ends. */
static int fill_gzip(dpl__dict_stream *s)
{
    while (!s->finished) {
        DPL_TRY(read_input(s));
        if (s->member_done && !next_member(s)) {
            s->finished = 1;
            break;
        }
        if (s->in_pos == s->in_len) {
            dpl__dict_msg(s->msg, s->msg_cap,
                          "%s: truncated gzip stream (unexpected end of file)", s->path);
            return DPL_ETRUNCATED;
        }
        DPL_TRY(dpl__buf_reserve(&s->win, STREAM_CHUNK));
        s->z.next_in = s->in + s->in_pos;
        s->z.avail_in = (uInt)(s->in_len - s->in_pos);
        s->z.next_out = (unsigned char *)s->win.data + s->win.len;
        s->z.avail_out = STREAM_CHUNK;
        int rc = inflate(&s->z, Z_NO_FLUSH);
        s->in_pos = s->in_len - s->z.avail_in;
        size_t produced = STREAM_CHUNK - s->z.avail_out;
        s->win.len += produced;
        s->win.data[s->win.len] = '\0';
        if (rc == Z_STREAM_END)
            s->member_done = 1;
        else if (rc != Z_OK && !(rc == Z_BUF_ERROR && s->z.avail_in == 0))
            return gzip_failed(s, rc);
        if (produced > 0)
            break;
    }
    return DPL_OK;
}

/* Appends more decompressed bytes to the window; sets s->finished at the end. */
static int fill(dpl__dict_stream *s)
{
    if (s->finished)
        return DPL_OK;
    return s->gzip ? fill_gzip(s) : fill_plain(s);
}

/* Forgets the first k bytes of the window. */
static void drop(dpl__dict_stream *s, size_t k)
{
    memmove(s->win.data, s->win.data + k, s->win.len - k);
    s->win.len -= k;
    s->win.data[s->win.len] = '\0';
    s->base += k;
    s->pos = s->pos > k ? s->pos - k : 0;
}

int dpl__dict_stream_line(dpl__dict_stream *s, const char **line, size_t *n)
{
    size_t scanned = s->pos; /* bytes before this hold no newline */
    const char *nl;
    for (;;) {
        nl = scanned < s->win.len
                 ? memchr(s->win.data + scanned, '\n', s->win.len - scanned) : NULL;
        if (nl || (s->finished && s->pos < s->win.len))
            break;
        if (s->finished)
            return DPL_EEOF;
        scanned = s->win.len;
        if (s->pos > 0 && s->pos >= s->win.len / 2) {
            scanned -= s->pos;
            drop(s, s->pos);
        }
        DPL_TRY(fill(s));
    }
    const char *stop = nl ? nl : s->win.data + s->win.len;
    *line = s->win.data + s->pos;
    *n = (size_t)(stop - *line);
    s->pos = (size_t)(stop - s->win.data) + (nl != NULL);
    if (++s->line == 1 && *n >= 3 && memcmp(*line, "\xEF\xBB\xBF", 3) == 0) {
        *line += 3;
        *n -= 3;
    }
    if (*n > 0 && (*line)[*n - 1] == '\r')
        (*n)--;
    return DPL_OK;
}

int dpl__dict_stream_get(dpl__dict_stream *s, uint64_t off, uint64_t len, const char **p)
{
    if (off < s->base)
        return DPL_EINVAL;
    for (;;) {
        uint64_t rel = off - s->base;
        /* Keep the window small: what lies before `off` is never asked for again. */
        if (rel >= s->win.len && s->win.len > 0)
            drop(s, s->win.len);
        else if (rel >= STREAM_CHUNK && rel < s->win.len && rel >= s->win.len / 2)
            drop(s, (size_t)rel); /* only bytes the window holds: an empty one must fill */
        rel = off - s->base;
        if (len <= s->win.len && rel <= s->win.len - len) {
            *p = s->win.data + rel;
            return DPL_OK;
        }
        if (s->finished)
            return DPL_EEOF;
        DPL_TRY(fill(s));
    }
}

int dpl__dict_read_file(const char *path, dpl__buf *out, char *msg, size_t msg_cap)
{
    dpl__dict_stream s;
    int rc = dpl__dict_stream_open(&s, path, msg, msg_cap);
    struct stat st;
    if (rc == DPL_OK && !s.gzip && fstat(s.fd, &st) == 0 && S_ISREG(st.st_mode) &&
        (uint64_t)st.st_size < SIZE_MAX / 2)
        rc = dpl__buf_reserve(&s.win, (size_t)st.st_size);
    while (rc == DPL_OK && !s.finished)
        rc = fill(&s);
    if (rc == DPL_OK)
        rc = dpl__buf_reserve(&s.win, 0); /* an empty file still gets its NUL */
    if (rc == DPL_OK) {
        dpl__buf_free(out);
        *out = s.win;
        s.win = (dpl__buf){0};
    }
    dpl__dict_stream_close(&s);
    return rc;
}

/* ---- language codes ----------------------------------------------------------------- */

/* ISO 639-1 to ISO 639-3 for the languages bilingual dictionaries come in, and the
 * ISO 639-2/B codes that differ from their 639-3 form. */
static const char *const lang_pairs[][2] = {
    {"af", "afr"}, {"am", "amh"}, {"ar", "ara"}, {"az", "aze"}, {"be", "bel"},
    {"bg", "bul"}, {"bn", "ben"}, {"bo", "bod"}, {"br", "bre"}, {"bs", "bos"},
    {"ca", "cat"}, {"cs", "ces"}, {"cy", "cym"}, {"da", "dan"}, {"de", "deu"},
    {"el", "ell"}, {"en", "eng"}, {"eo", "epo"}, {"es", "spa"}, {"et", "est"},
    {"eu", "eus"}, {"fa", "fas"}, {"fi", "fin"}, {"fo", "fao"}, {"fr", "fra"},
    {"fy", "fry"}, {"ga", "gle"}, {"gd", "gla"}, {"gl", "glg"}, {"gu", "guj"},
    {"he", "heb"}, {"hi", "hin"}, {"hr", "hrv"}, {"ht", "hat"}, {"hu", "hun"},
    {"hy", "hye"}, {"id", "ind"}, {"is", "isl"}, {"it", "ita"}, {"ja", "jpn"},
    {"ka", "kat"}, {"kk", "kaz"}, {"km", "khm"}, {"kn", "kan"}, {"ko", "kor"},
    {"ku", "kur"}, {"ky", "kir"}, {"la", "lat"}, {"lb", "ltz"}, {"lo", "lao"},
    {"lt", "lit"}, {"lv", "lav"}, {"mg", "mlg"}, {"mi", "mri"}, {"mk", "mkd"},
    {"ml", "mal"}, {"mn", "mon"}, {"mr", "mar"}, {"ms", "msa"}, {"mt", "mlt"},
    {"my", "mya"}, {"nb", "nob"}, {"ne", "nep"}, {"nl", "nld"}, {"nn", "nno"},
    {"no", "nor"}, {"oc", "oci"}, {"pa", "pan"}, {"pl", "pol"}, {"ps", "pus"},
    {"pt", "por"}, {"ro", "ron"}, {"ru", "rus"}, {"sa", "san"}, {"sd", "snd"},
    {"si", "sin"}, {"sk", "slk"}, {"sl", "slv"}, {"so", "som"}, {"sq", "sqi"},
    {"sr", "srp"}, {"sv", "swe"}, {"sw", "swa"}, {"ta", "tam"}, {"te", "tel"},
    {"tg", "tgk"}, {"th", "tha"}, {"tk", "tuk"}, {"tl", "tgl"}, {"tr", "tur"},
    {"tt", "tat"}, {"ug", "uig"}, {"uk", "ukr"}, {"ur", "urd"}, {"uz", "uzb"},
    {"vi", "vie"}, {"yi", "yid"}, {"zh", "zho"}, {"zu", "zul"},
    {"alb", "sqi"}, {"arm", "hye"}, {"baq", "eus"}, {"bur", "mya"}, {"chi", "zho"},
    {"cze", "ces"}, {"dut", "nld"}, {"fre", "fra"}, {"geo", "kat"}, {"ger", "deu"},
    {"gre", "ell"}, {"ice", "isl"}, {"mac", "mkd"}, {"mao", "mri"}, {"may", "msa"},
    {"per", "fas"}, {"rum", "ron"}, {"slo", "slk"}, {"tib", "bod"}, {"wel", "cym"},
};

static int all_lower(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < 'a' || s[i] > 'z')
            return 0;
    return 1;
}

int dpl__dict_lang3(const char *code, size_t len, char out[4])
{
    if ((len != 2 && len != 3) || !all_lower(code, len))
        return 0;
    for (size_t i = 0; i < sizeof lang_pairs / sizeof *lang_pairs; i++) {
        if (strlen(lang_pairs[i][0]) == len && memcmp(lang_pairs[i][0], code, len) == 0) {
            memcpy(out, lang_pairs[i][1], 4);
            return 1;
        }
    }
    if (len != 3)
        return 0;
    memcpy(out, code, 3);
    out[3] = '\0';
    return 1;
}

/* ---- lines -------------------------------------------------------------------------- */

void dpl__dict_lines_init(dpl__dict_lines *it, const char *data, size_t len)
{
    it->pos = data;
    it->end = data + len;
    it->line = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        it->pos += 3;
}

int dpl__dict_next_line(dpl__dict_lines *it, const char **s, size_t *n)
{
    if (it->pos >= it->end)
        return 0;
    const char *nl = memchr(it->pos, '\n', (size_t)(it->end - it->pos));
    const char *stop = nl ? nl : it->end;
    *s = it->pos;
    *n = (size_t)(stop - it->pos);
    if (*n > 0 && (*s)[*n - 1] == '\r')
        (*n)--;
    it->pos = nl ? nl + 1 : it->end;
    it->line++;
    return 1;
}

/* ---- brackets ----------------------------------------------------------------------- */

enum { KIND_ROUND = 1, KIND_SQUARE, KIND_CURLY, KIND_ANGLE, KIND_WIKI, KIND_COUNT };

static unsigned open_kind(char c, unsigned flags)
{
    switch (c) {
    case '(': return flags & DPL__BR_ROUND ? KIND_ROUND : 0;
    case '[': return flags & DPL__BR_SQUARE ? KIND_SQUARE : 0;
    case '{': return flags & DPL__BR_CURLY ? KIND_CURLY : 0;
    case '<': return flags & DPL__BR_ANGLE ? KIND_ANGLE : 0;
    default: return 0;
    }
}

static unsigned close_kind(char c, unsigned flags)
{
    switch (c) {
    case ')': return flags & DPL__BR_ROUND ? KIND_ROUND : 0;
    case ']': return flags & DPL__BR_SQUARE ? KIND_SQUARE : 0;
    case '}': return flags & DPL__BR_CURLY ? KIND_CURLY : 0;
    case '>': return flags & DPL__BR_ANGLE ? KIND_ANGLE : 0;
    default: return 0;
    }
}

void dpl__dict_scratch_free(dpl__dict_scratch *sc)
{
    if (!sc)
        return;
    free(sc->marks);
    free(sc->stack);
    dpl__buf_free(&sc->text);
    memset(sc, 0, sizeof *sc);
}

typedef struct bracket_stack {
    dpl__dict_scratch *sc;
    size_t depth;
    size_t count[KIND_COUNT]; /* open brackets of each kind on the stack */
} bracket_stack;

static int push(bracket_stack *st, size_t pos, unsigned kind)
{
    dpl__dict_scratch *sc = st->sc;
    DPL_TRY(dpl__grow((void **)&sc->stack, &sc->stack_cap, st->depth + 1, sizeof *sc->stack));
    sc->stack[st->depth++] = (dpl__dict_bracket){pos, (unsigned char)kind};
    st->count[kind]++;
    return DPL_OK;
}

/* Pops down to the nearest open bracket of `kind` (the caller checked there is one) and
 * returns its position; the brackets above it stay unpaired. */
static size_t pop_to(bracket_stack *st, unsigned kind)
{
    for (;;) {
        dpl__dict_bracket b = st->sc->stack[--st->depth];
        st->count[b.kind]--;
        if (b.kind == kind)
            return b.pos;
    }
}

int dpl__dict_mark(dpl__dict_scratch *sc, const char *s, size_t n, unsigned flags)
{
    DPL_TRY(dpl__grow((void **)&sc->marks, &sc->marks_cap, n + 1, 1));
    memset(sc->marks, DPL__MARK_TEXT, n + 1);
    /* Most bytes are no bracket of any kind: this table lets them pass at once. */
    static const unsigned char bracket_byte[256] = {
        ['('] = 1, [')'] = 1, ['['] = 1, [']'] = 1, ['{'] = 1, ['}'] = 1, ['<'] = 1, ['>'] = 1,
    };
    bracket_stack st = {.sc = sc};
    int wiki = (flags & DPL__BR_WIKI) != 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!bracket_byte[(unsigned char)c])
            continue;
        if (wiki && c == '[' && i + 1 < n && s[i + 1] == '[') {
            DPL_TRY(push(&st, i++, KIND_WIKI));
        } else if (wiki && c == ']' && i + 1 < n && s[i + 1] == ']' && st.count[KIND_WIKI]) {
            size_t p = pop_to(&st, KIND_WIKI);
            memset(sc->marks + p, DPL__MARK_DROP, 2);
            memset(sc->marks + i++, DPL__MARK_DROP, 2);
        } else if (open_kind(c, flags)) {
            DPL_TRY(push(&st, i, open_kind(c, flags)));
        } else if (close_kind(c, flags) && st.count[close_kind(c, flags)]) {
            sc->marks[pop_to(&st, close_kind(c, flags))] = DPL__MARK_OPEN;
            sc->marks[i] = DPL__MARK_CLOSE;
        }
    }
    return DPL_OK;
}

/* Depth bookkeeping shared by the scanners: returns 1 when s[i] is text at top level. */
static int at_top(const unsigned char *marks, size_t i, size_t *depth)
{
    if (!marks)
        return 1;
    switch (marks[i]) {
    case DPL__MARK_OPEN:
        (*depth)++;
        return 0;
    case DPL__MARK_CLOSE:
        if (*depth)
            (*depth)--;
        return 0;
    case DPL__MARK_DROP:
        return 0;
    default:
        return *depth == 0;
    }
}

size_t dpl__dict_find_top(const char *s, size_t n, const unsigned char *marks, const char *sep,
                          size_t sep_len)
{
    size_t depth = 0;
    for (size_t i = 0; i < n; i++)
        if (at_top(marks, i, &depth) && s[i] == sep[0] && n - i >= sep_len &&
            memcmp(s + i, sep, sep_len) == 0)
            return i;
    return n;
}

static int is_separator(char c, const char *seps)
{
    for (; *seps; seps++)
        if (*seps == c)
            return 1;
    return 0;
}

int dpl__dict_next_piece(const char *s, size_t n, const unsigned char *marks, const char *seps,
                         size_t *pos, size_t *start, size_t *len)
{
    if (*pos > n)
        return 0;
    size_t depth = 0, i = *pos;
    for (; i < n; i++)
        if (at_top(marks, i, &depth) && is_separator(s[i], seps))
            break;
    *start = *pos;
    *len = i - *pos;
    *pos = i + 1; /* past the separator, or past the end: n + 1 ends the iteration */
    return 1;
}

/* Place holders for the objects of verbs ("to give sb. sth.", "jdm. etw. geben"): they
 * never occur in running text, so they only keep a phrase from matching. */
static int is_marker_word(const char *w, size_t n)
{
    /* Most words fail this test; it keeps the list below out of the hot path. */
    if (n < 2 || n > 8 || (w[0] != 's' && w[0] != 'j' && w[0] != 'e'))
        return 0;
    static const char *const words[] = {
        "sb.", "sth.", "sb.'s", "sth.'s", "sb.\xE2\x80\x99s", "sth.\xE2\x80\x99s",
        "sb", "sth", "sb's", "sth's", "sb\xE2\x80\x99s", "sth\xE2\x80\x99s",
        "jd.", "jdn.", "jdm.", "jds.", "etw.", "jd", "jdn", "jdm", "jds", "etw",
    };
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strlen(words[i]) == n && memcmp(words[i], w, n) == 0)
            return 1;
    return 0;
}

/* A token made of place holders joined by "/" ("sb./sth.", "jdm./etw."). */
static int is_marker_token(const char *t, size_t n)
{
    int markers = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && t[i] != '/')
            continue;
        if (i > start) {
            if (!is_marker_word(t + start, i - start))
                return 0;
            markers++;
        }
        start = i + 1;
    }
    return markers > 0;
}

/* Drops marker tokens from space-separated text, in place; returns the new length. */
static size_t drop_markers(char *s, size_t n)
{
    size_t out = 0, i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != ' ')
            j++;
        if (!is_marker_token(s + i, j - i)) {
            if (out > 0)
                s[out++] = ' ';
            memmove(s + out, s + i, j - i);
            out += j - i;
        }
        i = j + 1;
    }
    return out;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

int dpl__dict_clean(dpl__dict_scratch *sc, const char *s, size_t n, const unsigned char *marks,
                    unsigned flags, size_t *len)
{
    DPL_TRY(dpl__buf_reserve(&sc->text, n));
    char *out = sc->text.data + sc->text.len;
    size_t o = 0, depth = 0;
    for (size_t i = 0; i < n; i++) {
        if (!at_top(marks, i, &depth))
            continue;
        if (!is_space(s[i]))
            out[o++] = s[i];
        else if (o > 0 && out[o - 1] != ' ')
            out[o++] = ' ';
    }
    if (o > 0 && out[o - 1] == ' ')
        o--;
    if (flags & DPL__CLEAN_MARKERS)
        o = drop_markers(out, o);
    sc->text.len += o;
    sc->text.data[sc->text.len] = '\0';
    *len = o;
    return DPL_OK;
}

/* ---- format detection --------------------------------------------------------------- */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The first bytes of a file, inflated when it is gzip. A stream that is corrupt from the
 * start just gives fewer bytes: the format is then unknown, and parsing will say why. */
static int read_head(const char *path, dpl__buf *head, char *msg, size_t msg_cap)
{
    dpl__dict_stream s;
    int rc = dpl__dict_stream_open(&s, path, msg, msg_cap);
    struct stat st;
    if (rc == DPL_OK && fstat(s.fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        dpl__dict_msg(msg, msg_cap, "%s: cannot read: it is a folder", path);
        rc = DPL_EIO;
    }
    while (rc == DPL_OK && !s.finished && s.win.len < DETECT_BYTES)
        if (fill(&s) != DPL_OK)
            break;
    if (rc == DPL_OK)
        rc = dpl__buf_append(head, s.win.data ? s.win.data : "", s.win.len);
    dpl__dict_stream_close(&s);
    return rc;
}

/* The first line that is neither blank nor a "#" comment. */
static int first_data_line(const char *head, size_t n, const char **s, size_t *len)
{
    dpl__dict_lines it;
    dpl__dict_lines_init(&it, head, n);
    while (dpl__dict_next_line(&it, s, len)) {
        size_t i = 0;
        while (i < *len && is_space((*s)[i]))
            i++;
        if (i < *len && (*s)[i] != '#')
            return 1;
    }
    return 0;
}

/* "lll<TAB>": a TSV line starts with a 3-letter language code. */
static int looks_tsv(const char *s, size_t n)
{
    return n > 4 && all_lower(s, 3) && s[3] == '\t' && memchr(s + 4, '\t', n - 4) != NULL;
}

static int looks_cedict(const char *head, size_t n)
{
    size_t i = 0;
    if (n >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n && is_space(head[i]))
        i++;
    return (n - i >= 14 && memcmp(head + i, "export default", 14) == 0) ||
           (n - i >= 6 && memcmp(head + i, "{\"all\"", 6) == 0);
}

/* Ding names its files after the pair, non-English side first: "de-en", "de-en.txt.gz". */
static void ding_lang(const char *path, char lang[4])
{
    const char *b = base_name(path);
    size_t stem = strcspn(b, ".");
    size_t dash = 0;
    while (dash < stem && b[dash] >= 'a' && b[dash] <= 'z')
        dash++;
    const char *rest = b + dash;
    size_t rest_len = stem - dash;
    int english = (rest_len == 3 && memcmp(rest, "-en", 3) == 0) ||
                  (rest_len == 4 && memcmp(rest, "-eng", 4) == 0);
    if (!english || !dpl__dict_lang3(b, dash, lang) || strcmp(lang, "eng") == 0)
        lang[0] = '\0';
}

/* FreeDict: the side of "freedict-XXX-YYY.index" that is not English; "rus" for
 * Mueller's English-Russian "mueller7.index" (dpl__dict_freedict_langs knows the name). */
static void freedict_lang(const char *path, char lang[4])
{
    char from[4], to[4];
    lang[0] = '\0';
    if (!dpl__dict_freedict_langs(path, from, to))
        return;
    if (strcmp(from, "eng") == 0 && strcmp(to, "eng") != 0)
        memcpy(lang, to, 4);
    else if (strcmp(to, "eng") == 0 && strcmp(from, "eng") != 0)
        memcpy(lang, from, 4);
}

int dpl__dict_detect(const char *path, dpl__dict_format *format, char lang[4], char *msg,
                     size_t msg_cap)
{
    *format = DPL__DICT_UNKNOWN;
    lang[0] = '\0';
    dpl__buf buf = {0};
    int rc = read_head(path, &buf, msg, msg_cap);
    const char *head = buf.data, *line;
    size_t n = buf.len;
    size_t len;
    if (rc != DPL_OK) {
        /* reported */
    } else if (ends_with(path, ".index")) {
        *format = DPL__DICT_FREEDICT;
        freedict_lang(path, lang);
    } else if (looks_cedict(head, n)) {
        *format = DPL__DICT_CEDICT;
    } else if (first_data_line(head, n, &line, &len)) {
        if (looks_tsv(line, len)) {
            *format = DPL__DICT_TSV;
        } else if (len >= 2 && memmem(line, len, "::", 2)) {
            *format = DPL__DICT_DING;
            ding_lang(path, lang);
        }
    }
    dpl__buf_free(&buf);
    return rc;
}
