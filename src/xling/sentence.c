/* Sentences via ICU ubrk (UBRK_SENTENCE), for English with CLDR's "ss=standard"
 * abbreviation suppressions ("Mr.", "Sen."). ICU works in UTF-16; a side table maps each
 * UTF-16 unit back to its UTF-8 offset. */
#include "xling/sentence.h"

#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#define MAX_LANGS 16
/* ICU takes int32_t lengths; longer texts are cut in pieces at line breaks or here. */
#define MAX_PIECE ((size_t)1 << 24)

typedef struct lang_breaker {
    char lang[4];
    UBreakIterator *bi;
} lang_breaker;

struct dpl__sentencer {
    lang_breaker langs[MAX_LANGS];
    size_t count;
    UChar *u16;
    size_t *u8_at; /* UTF-8 offset of each UTF-16 unit, plus one past the end */
    size_t cap;
};

dpl__sentencer *dpl__sentencer_create(void)
{
    return calloc(1, sizeof(dpl__sentencer));
}

void dpl__sentencer_free(dpl__sentencer *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++)
        ubrk_close(s->langs[i].bi);
    free(s->u16);
    free(s->u8_at);
    free(s);
}

/* ICU locale for an ISO 639-3 code; ICU's own tables are keyed by 2-letter codes. Only
 * English takes the suppressions: measured on ntrex-dev (bench_xling, sentence alignment
 * F1), they gain 0.0004 for English and lose for every other language there, 0.007 for
 * German alone, whose list holds words that do end sentences ("sagte er." does not break).
 * Without them all languages but English: F1 0.975 -> 0.984. */
static const char *icu_locale(const char *lang)
{
    static const char *const map[][2] = {
        {"eng", "en@ss=standard"}, {"deu", "de"}, {"fra", "fr"}, {"spa", "es"},
        {"ita", "it"},             {"rus", "ru"}, {"bul", "bg"}, {"zho", "zh"},
        {"jpn", "ja"},             {"por", "pt"}, {"nld", "nl"}, {"pol", "pl"},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcmp(map[i][0], lang) == 0)
            return map[i][1];
    return "";
}

static int breaker(dpl__sentencer *s, const char *lang, UBreakIterator **out)
{
    for (size_t i = 0; i < s->count; i++) {
        if (strncmp(s->langs[i].lang, lang, 3) == 0) {
            *out = s->langs[i].bi;
            return DPL_OK;
        }
    }
    UErrorCode err = U_ZERO_ERROR;
    UBreakIterator *bi = ubrk_open(UBRK_SENTENCE, icu_locale(lang), NULL, 0, &err);
    if (U_FAILURE(err))
        return DPL_EICU;
    if (s->count == MAX_LANGS) { /* recycle the last slot */
        ubrk_close(s->langs[MAX_LANGS - 1].bi);
        s->count--;
    }
    lang_breaker *slot = &s->langs[s->count++];
    memset(slot->lang, 0, sizeof slot->lang);
    memcpy(slot->lang, lang, strnlen(lang, 3));
    slot->bi = bi;
    *out = bi;
    return DPL_OK;
}

/* Convert text to UTF-16 with the offset side table. Invalid bytes become U+FFFD. */
static int to_utf16(dpl__sentencer *s, const char *text, size_t len, int32_t *u16_len)
{
    if (len + 1 > s->cap) {
        UChar *u16 = realloc(s->u16, (len + 1) * sizeof *u16);
        if (u16)
            s->u16 = u16;
        size_t *at = realloc(s->u8_at, (len + 1) * sizeof *at);
        if (at)
            s->u8_at = at;
        if (!u16 || !at)
            return DPL_ENOMEM;
        s->cap = len + 1;
    }
    const uint8_t *t = (const uint8_t *)text;
    int32_t i = 0, j = 0, n = (int32_t)len;
    while (i < n) {
        int32_t start = i;
        UChar32 c;
        U8_NEXT(t, i, n, c);
        if (c < 0)
            c = 0xFFFD;
        size_t before = (size_t)j;
        U16_APPEND_UNSAFE(s->u16, j, c);
        for (size_t k = before; k < (size_t)j; k++)
            s->u8_at[k] = (size_t)start;
    }
    s->u8_at[j] = len;
    *u16_len = j;
    return DPL_OK;
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int push_span(const char *text, size_t from, size_t to, dpl__span **spans,
                     size_t *cap, size_t *count)
{
    while (from < to && is_space((unsigned char)text[from]))
        from++;
    while (to > from && is_space((unsigned char)text[to - 1]))
        to--;
    if (to == from)
        return DPL_OK;
    DPL_TRY(dpl__grow((void **)spans, cap, *count + 1, sizeof **spans));
    (*spans)[(*count)++] = (dpl__span){from, to - from};
    return DPL_OK;
}

/* One piece short enough for ICU. */
static int split_piece(dpl__sentencer *s, UBreakIterator *bi, const char *text, size_t base,
                       size_t len, dpl__span **spans, size_t *cap, size_t *count)
{
    int32_t n;
    DPL_TRY(to_utf16(s, text + base, len, &n));
    UErrorCode err = U_ZERO_ERROR;
    ubrk_setText(bi, s->u16, n, &err);
    if (U_FAILURE(err))
        return DPL_EICU;
    int32_t from = ubrk_first(bi);
    for (int32_t to = ubrk_next(bi); to != UBRK_DONE; from = to, to = ubrk_next(bi))
        DPL_TRY(push_span(text, base + s->u8_at[from], base + s->u8_at[to], spans, cap,
                          count));
    ubrk_setText(bi, NULL, 0, &err); /* do not keep a pointer into the scratch */
    return DPL_OK;
}

/* Languages that write ordinal numbers with a full stop ("am 5. Januar", "5. ledna"). */
static int has_ordinal_dot(const char *lang)
{
    static const char *const langs[] = {"deu", "dan", "nor", "nob", "nno", "fin", "est",
                                        "ces", "slk", "slv", "hrv", "srp", "bos", "pol",
                                        "hun", "tur", "isl", "lav", "lit"};
    for (size_t i = 0; i < sizeof langs / sizeof *langs; i++)
        if (strcmp(langs[i], lang) == 0)
            return 1;
    return 0;
}

/* A span ending in a one- or two-digit number and its full stop: in those languages an
 * ordinal (a day of the month, a rank), not the end of a sentence, which ICU's rules do
 * not know. */
static int ends_in_ordinal(const char *text, const dpl__span *sp)
{
    size_t end = sp->offset + sp->len;
    if (sp->len < 2 || text[end - 1] != '.')
        return 0;
    size_t digits = 0;
    while (digits < sp->len - 1 && text[end - 2 - digits] >= '0' &&
           text[end - 2 - digits] <= '9')
        digits++;
    return digits >= 1 && digits <= 2 &&
           (digits + 1 == sp->len || text[end - 2 - digits] == ' ');
}

/* Join each span that ends in an ordinal with the next one, when on the same line. */
static void join_ordinals(const char *text, dpl__span *spans, size_t *count)
{
    size_t out = 0;
    for (size_t i = 0; i < *count; i++) {
        if (out > 0 && ends_in_ordinal(text, &spans[out - 1]) &&
            !memchr(text + spans[out - 1].offset + spans[out - 1].len, '\n',
                    spans[i].offset - (spans[out - 1].offset + spans[out - 1].len))) {
            spans[out - 1].len = spans[i].offset + spans[i].len - spans[out - 1].offset;
            continue;
        }
        spans[out++] = spans[i];
    }
    *count = out;
}

/* The opening quotes ICU's rules read as closing ones: German and Bulgarian „ (U+201E),
 * ‚ (U+201A), and French «, ‹ (U+00AB, U+2039). Returns the length of the quote at p. */
static size_t opening_quote(const unsigned char *p, size_t left)
{
    if (left >= 3 && p[0] == 0xE2 && p[1] == 0x80 &&
        (p[2] == 0x9E || p[2] == 0x9A || p[2] == 0xB9))
        return 3;
    if (left >= 2 && p[0] == 0xC2 && p[1] == 0xAB)
        return 2;
    return 0;
}

static int is_upper_start(const unsigned char *p, size_t left)
{
    if (left == 0)
        return 0;
    if (p[0] >= 'A' && p[0] <= 'Z')
        return 1;
    /* Latin-1 capitals, Greek and Cyrillic capitals: enough for the languages that write
     * these quotes */
    if (left >= 2 && p[0] == 0xC3 && p[1] >= 0x80 && p[1] <= 0x9E)
        return 1;
    if (left >= 2 && ((p[0] == 0xD0 && p[1] >= 0x80 && p[1] <= 0xAF) ||
                      (p[0] == 0xCE && p[1] >= 0x91 && p[1] <= 0xA9)))
        return 1;
    return 0;
}

/* Where a sentence ends before such a quote: a full stop, question or exclamation mark,
 * spaces, the quote, an optional space (French), a capital. 0 when none. */
static size_t quote_cut(const char *text, size_t from, size_t to)
{
    const unsigned char *t = (const unsigned char *)text;
    for (size_t i = from; i + 2 < to; i++) {
        if (t[i] != '.' && t[i] != '!' && t[i] != '?')
            continue;
        size_t j = i + 1;
        if (j >= to || t[j] != ' ')
            continue;
        while (j < to && t[j] == ' ')
            j++;
        size_t q = opening_quote(t + j, to - j);
        if (!q)
            continue;
        size_t k = j + q;
        if (k < to && t[k] == ' ')
            k++;
        if (is_upper_start(t + k, to - k))
            return j;
    }
    return 0;
}

/* Cut spans at the sentence ends quote_cut() finds. */
static int split_quotes(const char *text, dpl__span **spans, size_t *cap, size_t *count)
{
    for (size_t i = 0; i < *count; i++) {
        dpl__span sp = (*spans)[i];
        size_t cut = quote_cut(text, sp.offset, sp.offset + sp.len);
        if (!cut)
            continue;
        DPL_TRY(dpl__grow((void **)spans, cap, *count + 1, sizeof **spans));
        memmove(*spans + i + 2, *spans + i + 1, (*count - i - 1) * sizeof **spans);
        (*count)++;
        size_t end = sp.offset + sp.len, first_end = cut;
        while (first_end > sp.offset && text[first_end - 1] == ' ')
            first_end--;
        (*spans)[i] = (dpl__span){sp.offset, first_end - sp.offset};
        (*spans)[i + 1] = (dpl__span){cut, end - cut};
    }
    return DPL_OK;
}

int dpl__sentences(dpl__sentencer *s, const char *lang, const char *text, size_t len,
                   dpl__span **spans, size_t *cap, size_t *count)
{
    *count = 0;
    UBreakIterator *bi;
    DPL_TRY(breaker(s, lang, &bi));
    size_t at = 0;
    while (at < len) {
        size_t piece = len - at;
        if (piece > MAX_PIECE) {
            /* cut at the last line break (or UTF-8 boundary) before the limit */
            const char *nl = memrchr(text + at, '\n', MAX_PIECE);
            piece = nl ? (size_t)(nl - (text + at)) + 1 : MAX_PIECE;
            while (!nl && piece > 1 && ((unsigned char)text[at + piece] & 0xC0) == 0x80)
                piece--;
        }
        DPL_TRY(split_piece(s, bi, text, at, piece, spans, cap, count));
        at += piece;
    }
    DPL_TRY(split_quotes(text, spans, cap, count));
    if (has_ordinal_dot(lang))
        join_ordinals(text, *spans, count);
    return DPL_OK;
}
