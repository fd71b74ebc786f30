/* FreeDict in dictd form: NAME.index lists "headword<TAB>offset<TAB>length" (numbers in
 * dictd's base 64) into NAME.dict.dz, a dictzip (gzip) file. The articles are visited in
 * the order of their offsets, so the .dict.dz is inflated front to back once, through a
 * small window.
 *
 * An article, as the FreeDict converters write it:
 *
 *     Haus /hˈaʊs/ <neut, n, sg>          headword, pronunciation(s), part of speech
 *     house <n>, home <n>                 translations: "," or ";" between them
 *      [arch.] building <n>               or with a usage label, indented one space
 *        Synonyms: {...}                  indented further: synonyms, notes, examples
 *      see: {...}                         cross references
 *
 * Dictionaries with several senses number them, "1. at, to" / "2. a, in", one line each.
 * eng-bul (from Wiktionary) follows each sense's translation line with an English
 * definition line, and its numbering is sometimes glued to the end of the previous line
 * ("летен 2."), or stands alone (" 3.") for a sense without translations. So only the
 * first line of each sense carries translations: the line after the headword, and the
 * text after each sense number. Translations drop their annotations, the abbreviation
 * glued after the part of speech ("dollar sign <n>$") and pronunciation-only pieces. */
#include "xling/dict_parse.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FD_BRACKETS (DPL__BR_ROUND | DPL__BR_SQUARE | DPL__BR_CURLY | DPL__BR_ANGLE | \
                     DPL__BR_WIKI)
#define FD_CLEAN (FD_BRACKETS | DPL__CLEAN_MARKERS)

typedef struct article {
    uint64_t off;
    uint32_t len;
    uint32_t line; /* in the index (saturated: it only names the line in messages) */
} article;

typedef struct freedict {
    const char *path; /* the index */
    char lang[4];     /* the non-English side */
    int inverted;     /* eng-XXX: headwords are English */
    dpl__dict_sink sink;
    void *user;
    dpl__dict_stats *stats;
    char *msg;
    size_t msg_cap;
    dpl__dict_scratch sc;
    size_t head_off, head_len; /* the cleaned headword in sc.text */
    unsigned rank;
    size_t line; /* of the index line of the article being read */
} freedict;

int dpl__dict_freedict_langs(const char *index_path, char from[4], char to[4])
{
    const char *slash = strrchr(index_path, '/');
    const char *b = slash ? slash + 1 : index_path;
    size_t n = strlen(b);
    if (n > 6 && strcmp(b + n - 6, ".index") == 0)
        n -= 6;
    /* "...-XXX-YYY": the last two dash-separated parts, 2 or 3 letters each. */
    const char *dash = NULL;
    for (size_t i = n; i-- > 0;)
        if (b[i] == '-') {
            dash = b + i;
            break;
        }
    if (!dash)
        return 0;
    size_t to_len = (size_t)(b + n - dash - 1);
    const char *from_start = dash;
    while (from_start > b && from_start[-1] != '-')
        from_start--;
    return dpl__dict_lang3(from_start, (size_t)(dash - from_start), from) &&
           dpl__dict_lang3(dash + 1, to_len, to);
}

/* ---- the index ---------------------------------------------------------------------- */

static int b64_digit(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* dictd's numbers: base 64, most significant digit first. 10 digits hold 60 bits, far
 * more than any file; longer numbers are refused rather than wrapped. */
static int b64_number(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 10)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = b64_digit(s[i]);
        if (d < 0)
            return 0;
        v = v * 64 + (uint64_t)d;
    }
    *out = v;
    return 1;
}

static int is_database_entry(const char *s, size_t n)
{
    /* dictd's own entries: "00databaseinfo", "00-database-short"... */
    return (n >= 10 && memcmp(s, "00database", 10) == 0) ||
           (n >= 12 && memcmp(s, "00-database-", 12) == 0);
}

/* One index line: the headword may hold anything but a tab; the numbers are the last two
 * fields. Returns 1 with *a set, 0 (and a reason) for a bad line; database entries and
 * empty articles give 1 with a->len == 0 and are dropped. Offsets past the end of the
 * .dict file show only when it is read. */
static int index_line(const char *s, size_t n, article *a, const char **reason)
{
    const char *t2 = NULL, *t1 = NULL;
    for (size_t i = n; i-- > 0;) {
        if (s[i] != '\t')
            continue;
        if (!t2)
            t2 = s + i;
        else {
            t1 = s + i;
            break;
        }
    }
    uint64_t off, len;
    *reason = "not \"headword<TAB>offset<TAB>length\"";
    if (!t1 || !b64_number(t1 + 1, (size_t)(t2 - t1 - 1), &off) ||
        !b64_number(t2 + 1, (size_t)(s + n - t2 - 1), &len))
        return 0;
    a->off = a->len = 0;
    if (is_database_entry(s, (size_t)(t1 - s)))
        return 1;
    *reason = "an article longer than 4 GiB";
    if (len > UINT32_MAX)
        return 0;
    a->off = off;
    a->len = (uint32_t)len;
    return 1;
}

static int by_offset(const void *pa, const void *pb)
{
    const article *a = pa, *b = pb;
    if (a->off != b->off)
        return a->off < b->off ? -1 : 1;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return 0;
}

static int add_article(article **list, size_t *n, size_t *cap, const article *a)
{
    DPL_TRY(dpl__grow((void **)list, cap, *n + 1, sizeof **list));
    (*list)[(*n)++] = *a;
    return DPL_OK;
}

static int index_lines(freedict *fd, dpl__dict_stream *index, article **list, size_t *n)
{
    size_t cap = 0;
    const char *s;
    size_t len;
    int rc;
    while ((rc = dpl__dict_stream_line(index, &s, &len)) == DPL_OK) {
        fd->stats->lines++;
        article a = {.line = index->line > UINT32_MAX ? UINT32_MAX : (uint32_t)index->line};
        const char *reason;
        if (len == 0)
            continue;
        if (!index_line(s, len, &a, &reason))
            dpl__dict_bad_line(fd->stats, index->line, reason);
        else if (a.len > 0)
            DPL_TRY(add_article(list, n, &cap, &a));
    }
    return rc == DPL_EEOF ? DPL_OK : rc;
}

/* The articles in file order, each once: dictd indexes some under several keys. */
static int read_index(freedict *fd, dpl__dict_stream *index, article **out, size_t *count)
{
    article *list = NULL;
    size_t n = 0;
    int rc = index_lines(fd, index, &list, &n);
    if (rc != DPL_OK) {
        free(list);
        return rc;
    }
    if (n > 1)
        qsort(list, n, sizeof *list, by_offset);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (kept == 0 || by_offset(&list[kept - 1], &list[i]) != 0)
            list[kept++] = list[i];
    *out = list;
    *count = kept;
    return DPL_OK;
}

/* ---- articles ----------------------------------------------------------------------- */

static size_t indent_of(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] == ' ')
        i++;
    return i;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* "12." at s[i]: the length of the sense number with the spaces after it, or 0. */
static size_t sense_number(const char *s, size_t n, size_t i)
{
    size_t j = i;
    while (j < n && is_digit(s[j]))
        j++;
    if (j == i || j >= n || s[j] != '.' || (j + 1 < n && s[j + 1] != ' '))
        return 0;
    j++;
    while (j < n && s[j] == ' ')
        j++;
    return j - i;
}

/* Drops a sense number glued to the end of a line ("летен 2."). */
static size_t strip_trailing_number(const char *s, size_t n)
{
    size_t i = n;
    if (i < 3 || s[i - 1] != '.')
        return n;
    i--;
    size_t digits_end = i;
    while (i > 0 && is_digit(s[i - 1]))
        i--;
    if (i == digits_end || i == 0 || s[i - 1] != ' ')
        return n;
    while (i > 0 && s[i - 1] == ' ')
        i--;
    return i;
}

/* The headword line ends where the pronunciation starts: " /" and a non-space. */
static size_t headword_end(const char *s, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++)
        if (s[i] == ' ' && s[i + 1] == '/' && s[i + 2] != ' ')
            return i;
    return n;
}

static int emit(freedict *fd, const char *tr, size_t tr_len)
{
    const char *head = fd->sc.text.data + fd->head_off;
    int rc = fd->inverted
                 ? fd->sink(fd->user, fd->lang, tr, tr_len, head, fd->head_len, fd->rank)
                 : fd->sink(fd->user, fd->lang, head, fd->head_len, tr, tr_len, fd->rank);
    if (rc != 0)
        return dpl__dict_sink_failed(rc, fd->path, fd->line, fd->msg, fd->msg_cap);
    fd->rank++;
    fd->stats->entries++;
    return DPL_OK;
}

/* The end of a translation without what the converter glued after its part of speech:
 * the piece stops at its last top-level "<...>" group. */
static size_t cut_after_pos(const char *s, size_t n, const unsigned char *marks)
{
    size_t depth = 0, end = n;
    for (size_t i = 0; i < n; i++) {
        if (marks[i] == DPL__MARK_OPEN)
            depth++;
        else if (marks[i] == DPL__MARK_CLOSE && depth && --depth == 0 && s[i] == '>')
            end = i + 1;
    }
    return end;
}

/* One translation piece of a line: cleaned, then handed to the sink. */
static int translation(freedict *fd, const char *s, size_t n, const unsigned char *marks)
{
    size_t lead = indent_of(s, n);
    if (lead < n && s[lead] == '/')
        return DPL_OK; /* the pronunciation of a glued abbreviation: "NIOSH, /nˈɪoːʃ/" */
    n = cut_after_pos(s, n, marks);
    size_t off = fd->sc.text.len, len;
    DPL_TRY(dpl__dict_clean(&fd->sc, s, n, marks, FD_CLEAN, &len));
    int rc = len ? emit(fd, fd->sc.text.data + off, len) : DPL_OK;
    fd->sc.text.len = off; /* the headword stays; the piece is done with */
    fd->sc.text.data[off] = '\0';
    return rc;
}

static int translation_line(freedict *fd, const char *s, size_t n)
{
    n = strip_trailing_number(s, n);
    DPL_TRY(dpl__dict_mark(&fd->sc, s, n, FD_BRACKETS));
    size_t pos = 0, start, len;
    while (dpl__dict_next_piece(s, n, fd->sc.marks, ",;", &pos, &start, &len))
        DPL_TRY(translation(fd, s + start, len, fd->sc.marks + start));
    return DPL_OK;
}

static int is_see_also(const char *s, size_t n)
{
    return n >= 4 && memcmp(s, "see:", 4) == 0;
}

/* The body after the headword line; see the file comment for which lines translate. The
 * senses come first, together; the first blank line ends them (cross references and
 * notes follow), which spares reading the rest of the article. */
static int article_body(freedict *fd, dpl__dict_lines *it)
{
    int first = 1;
    const char *s;
    size_t n;
    while (dpl__dict_next_line(it, &s, &n)) {
        size_t ind = indent_of(s, n);
        if (ind == n)
            break;
        int may_translate = first && ind <= 1 && !is_see_also(s + ind, n - ind);
        first = 0;
        if (ind > 1)
            continue;
        size_t num = sense_number(s, n, ind);
        if (num)
            DPL_TRY(translation_line(fd, s + ind + num, n - ind - num));
        else if (may_translate)
            DPL_TRY(translation_line(fd, s + ind, n - ind));
    }
    return DPL_OK;
}

static int parse_article(freedict *fd, const char *data, const article *a)
{
    dpl__dict_lines it;
    dpl__dict_lines_init(&it, data, a->len);
    const char *s;
    size_t n;
    if (!dpl__dict_next_line(&it, &s, &n))
        return DPL_OK;
    n = headword_end(s, n);
    dpl__buf_clear(&fd->sc.text);
    DPL_TRY(dpl__dict_mark(&fd->sc, s, n, FD_BRACKETS));
    DPL_TRY(dpl__dict_clean(&fd->sc, s, n, fd->sc.marks, FD_CLEAN, &fd->head_len));
    if (fd->head_len == 0)
        return DPL_OK;
    fd->head_off = 0;
    fd->rank = 0;
    fd->line = a->line;
    return article_body(fd, &it);
}

/* ---- files -------------------------------------------------------------------------- */

/* NAME.dict.dz beside NAME.index, or NAME.dict when there is no .dz. */
static char *dict_path_for(const char *index_path)
{
    size_t n = strlen(index_path);
    if (n > 6 && strcmp(index_path + n - 6, ".index") == 0)
        n -= 6;
    char *p = malloc(n + sizeof ".dict.dz");
    if (!p)
        return NULL;
    memcpy(p, index_path, n);
    strcpy(p + n, ".dict.dz");
    struct stat st;
    if (stat(p, &st) != 0) {
        strcpy(p + n, ".dict");
        if (stat(p, &st) != 0)
            strcpy(p + n, ".dict.dz"); /* name the usual one in the error */
    }
    return p;
}

static int set_langs(freedict *fd, const char *path)
{
    char from[4], to[4];
    if (!dpl__dict_freedict_langs(path, from, to)) {
        dpl__dict_msg(fd->msg, fd->msg_cap,
                      "%s: no language pair in the name (want freedict-XXX-YYY.index)", path);
        return DPL_EFORMAT;
    }
    int from_eng = strcmp(from, "eng") == 0, to_eng = strcmp(to, "eng") == 0;
    if (from_eng == to_eng) {
        dpl__dict_msg(fd->msg, fd->msg_cap, "%s: the pair %s-%s needs exactly one English side",
                      path, from, to);
        return DPL_EFORMAT;
    }
    fd->inverted = from_eng;
    memcpy(fd->lang, from_eng ? to : from, 4);
    return DPL_OK;
}

/* The articles in file order, so that the .dict is read front to back once. */
static int parse_files(freedict *fd, dpl__dict_stream *index, dpl__dict_stream *dict)
{
    article *list;
    size_t count;
    DPL_TRY(read_index(fd, index, &list, &count));
    int rc = DPL_OK;
    for (size_t i = 0; i < count && rc == DPL_OK; i++) {
        const char *data;
        rc = dpl__dict_stream_get(dict, list[i].off, list[i].len, &data);
        if (rc == DPL_EEOF) {
            dpl__dict_bad_line(fd->stats, list[i].line,
                               "offset and length point past the end of the .dict file");
            rc = DPL_OK;
        } else if (rc == DPL_OK) {
            rc = parse_article(fd, data, &list[i]);
        }
    }
    free(list);
    if (rc == DPL_OK && fd->stats->entries == 0) {
        if (fd->stats->bad_lines)
            dpl__dict_msg(fd->msg, fd->msg_cap, "%s:%zu: no usable entry (here: %s)", fd->path,
                          fd->stats->first_bad_line, fd->stats->bad_reason);
        else
            dpl__dict_msg(fd->msg, fd->msg_cap, "%s: no usable entry", fd->path);
        rc = DPL_EFORMAT;
    }
    return rc;
}

int dpl__dict_parse_freedict(const char *index_path, dpl__dict_sink sink, void *user,
                             dpl__dict_stats *stats, char *msg, size_t msg_cap)
{
    dpl__dict_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!index_path || !sink)
        return DPL_EINVAL;
    freedict fd = {.path = index_path, .sink = sink, .user = user, .stats = stats,
                   .msg = msg, .msg_cap = msg_cap};
    DPL_TRY(set_langs(&fd, index_path));
    char *dict_path = dict_path_for(index_path);
    if (!dict_path)
        return DPL_ENOMEM;
    dpl__dict_stream index, dict = {.fd = -1};
    int rc = dpl__dict_stream_open(&index, index_path, msg, msg_cap);
    if (rc == DPL_OK)
        rc = dpl__dict_stream_open(&dict, dict_path, msg, msg_cap);
    if (rc == DPL_OK)
        rc = parse_files(&fd, &index, &dict);
    dpl__dict_scratch_free(&fd.sc);
    dpl__dict_stream_close(&index);
    dpl__dict_stream_close(&dict);
    free(dict_path);
    return rc;
}
