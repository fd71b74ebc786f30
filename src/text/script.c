/* The script stage (ICU), between normalization and tokenization: scripts written without
 * spaces are cut into words, Traditional Chinese is optionally folded to Simplified, and
 * other scripts are transliterated to Latin.
 *
 * Only "foreign runs" reach ICU: maximal stretches of non-ASCII code points and the single
 * spaces between them. The ASCII around them is copied as it is, and a text without a
 * non-ASCII byte is returned untouched, so English pays one scan for the stage.
 *
 * Inside a run every word boundary (a space, or a cut the break iterator made) is marked,
 * and transliteration goes word by word through a cache: ICU's transforms run at 0.5 to
 * 15 MB/s (Han-Latin spends ~6 us per character), while words repeat, so most words cost
 * one hash lookup. ICU's Han-Latin puts a space between syllables and Latin-ASCII turns
 * modifier letters into apostrophes; since a word holds no real boundary, any space or
 * punctuation in ICU's output of it is ICU's own and is dropped, so that 成都 is one word
 * ("chengdou"), not two, and Cyrillic "объявить" stays one word. */
#include "text/text.h"

#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>
#include <unicode/utrans.h>

/* Marks a word boundary inside a run; ICU's transforms leave it alone. */
#define BOUNDARY 0x1F

/* DPL_TRANSLIT_DEFAULT with the Serbian and Macedonian letters that Serbian Latin writes
 * as two letters (lj, nj, dz) spelled so first: ICU's Cyrillic-Latin gives them one
 * letter with a diacritic, and a Serbian text in Cyrillic would then miss its Latin
 * twin on every such word. Escapes keep this file ASCII. */
static const char default_rules[] = "\\u0459 > lj; \\u0409 > Lj; \\u045A > nj; \\u040A > Nj; "
                                    "\\u045F > dz; \\u040F > Dz; "
                                    "::Any-Latin; ::Latin-ASCII;";

/* The caches: open-addressing hash tables (XXH3 of the key) over an arena holding each
 * key and its result.
 *   words  key: a word's UTF-16 units; result: what ICU and the filters made of it. It
 *          grows with the vocabulary, a few thousand words per language in news text.
 *   runs   key: a short run's UTF-8 bytes and the few facts its output depends on
 *          (whether ASCII word bytes touch it, whether the output so far is empty or ends
 *          with a space); result: the bytes the run appended. A foreign word or name in
 *          other text recurs, and then takes no UTF-16 conversion, word marking or
 *          lookup per word.
 * Past its arena or entry limit a cache starts over, which bounds its memory per handle
 * (words 48 MB, runs 6 MB) whatever the input. */
#define CACHE_WORD_MAX 64 /* longer words go to ICU every time */
#define RUN_CACHE_MAX 64  /* longer runs are processed every time */

typedef struct cached_word {
    uint64_t hash;
    uint32_t off;        /* the key in the arena, then its UTF-8 result */
    uint16_t key_bytes;  /* 0: an empty slot */
    uint16_t result_len;
} cached_word;

typedef struct word_cache {
    cached_word *slots;
    size_t cap, used;   /* cap: a power of two, kept at least twice `used` */
    dpl__buf arena;
    size_t arena_max, entries_max;
} word_cache;

struct dpl_script {
    UTransliterator *translit; /* NULL: no transliteration */
    UTransliterator *simplify; /* NULL: no Traditional-Simplified folding */
    UBreakIterator *words;     /* NULL under DPL_SEGMENT_CHARS */
    dpl_segment_mode segment;
    dpl_normalizer *norm;      /* reapplied to what transliteration wrote */
    unsigned norm_flags;
    UChar *run;                /* the current run in UTF-16 */
    int32_t run_cap;
    UChar *marked;             /* the run with its word boundaries marked */
    int32_t marked_cap;
    UChar *spare;              /* a copy to retry from when a transform outgrows its buffer */
    int32_t spare_cap;
    UChar *word;               /* one word being transliterated */
    int32_t word_cap;
    dpl__buf word_out;         /* its result, filtered, before normalization */
    word_cache cache;          /* words */
    word_cache runs;
    UChar *simplified;         /* Traditional-Simplified per BMP Han character, 0: not yet */
    int pending_space;         /* a boundary was passed since the last output */
    dpl__buf out;
};

/* DPL_OK, DPL_ENOMEM or DPL_EICU for an ICU status. */
static int icu_status(UErrorCode err)
{
    return err == U_MEMORY_ALLOCATION_ERROR ? DPL_ENOMEM : U_FAILURE(err) ? DPL_EICU : DPL_OK;
}

static int open_transform(const char *id, const char *rules, UTransliterator **out)
{
    UErrorCode err = U_ZERO_ERROR;
    UChar uid[256], *urules = NULL;
    int32_t rules_len = 0;
    u_strFromUTF8(uid, (int32_t)(sizeof uid / sizeof *uid), NULL, id, -1, &err);
    if (U_FAILURE(err) || err == U_STRING_NOT_TERMINATED_WARNING)
        return DPL_ETRANSLIT; /* an ID longer than any ICU knows */
    if (rules) {
        rules_len = (int32_t)strlen(rules); /* ASCII: one UTF-16 unit per byte */
        if (!(urules = malloc(((size_t)rules_len + 1) * sizeof *urules)))
            return DPL_ENOMEM;
        u_strFromUTF8(urules, rules_len + 1, NULL, rules, -1, &err);
    }
    UParseError where;
    *out = utrans_openU(uid, -1, UTRANS_FORWARD, urules, rules_len, &where, &err);
    free(urules);
    if (err == U_MEMORY_ALLOCATION_ERROR)
        return DPL_ENOMEM;
    return U_FAILURE(err) ? DPL_ETRANSLIT : DPL_OK;
}

static dpl_script *alloc_script(unsigned norm_flags)
{
    dpl_script *sc = calloc(1, sizeof *sc);
    if (!sc)
        return NULL;
    sc->norm_flags = norm_flags ? norm_flags : DPL_NORM_DEFAULT;
    sc->cache.arena_max = (size_t)16 << 20;
    sc->cache.entries_max = (size_t)1 << 20; /* slots: at most 2^21 x 16 bytes */
    sc->runs.arena_max = (size_t)4 << 20;
    sc->runs.entries_max = (size_t)1 << 16;
    if (!(sc->norm = dpl_normalizer_create(sc->norm_flags))) {
        free(sc);
        return NULL;
    }
    return sc;
}

static int open_word_breaker(UBreakIterator **out)
{
    UErrorCode err = U_ZERO_ERROR;
    *out = ubrk_open(UBRK_WORD, "", NULL, 0, &err); /* root: dictionaries by script */
    return icu_status(err);
}

static int open_parts(dpl_script *sc, const dpl_script_options *o)
{
    if (o->translit && !o->no_translit)
        DPL_TRY(open_transform(o->translit, NULL, &sc->translit));
    else if (!o->no_translit) /* DPL_TRANSLIT_DEFAULT, written out in default_rules */
        DPL_TRY(open_transform("doppel-default", default_rules, &sc->translit));
    /* Transliteration folds Han too: the dictionary cuts the two forms into different
     * words (這是 is one word, 这 是 two), which would keep their readings apart. */
    if (o->han_simplify || !o->no_translit)
        DPL_TRY(open_transform("Traditional-Simplified", NULL, &sc->simplify));
    sc->segment = o->segment;
    if (o->segment != DPL_SEGMENT_CHARS)
        DPL_TRY(open_word_breaker(&sc->words));
    return DPL_OK;
}

/* A new handle whose ICU parts `fill` opens or copies; freed again when that fails. */
static int make_script(unsigned norm_flags, int (*fill)(dpl_script *, const void *),
                       const void *from, dpl_script **out)
{
    *out = NULL;
    dpl_script *sc = alloc_script(norm_flags);
    if (!sc)
        return DPL_ENOMEM;
    int rc = fill(sc, from);
    if (rc != DPL_OK) {
        dpl_script_free(sc);
        return rc;
    }
    *out = sc;
    return DPL_OK;
}

static int fill_opened(dpl_script *sc, const void *opts)
{
    return open_parts(sc, opts);
}

int dpl_script_create(const dpl_script_options *opts, unsigned norm_flags, dpl_script **out)
{
    static const dpl_script_options defaults = {0};
    const dpl_script_options *o = opts ? opts : &defaults;
    if (!out || (o->segment != DPL_SEGMENT_AUTO && o->segment != DPL_SEGMENT_WORDS &&
                 o->segment != DPL_SEGMENT_CHARS))
        return DPL_EINVAL;
    return make_script(norm_flags, fill_opened, o, out);
}

static int clone_transform(const UTransliterator *t, UTransliterator **out)
{
    if (!t)
        return DPL_OK;
    UErrorCode err = U_ZERO_ERROR;
    *out = utrans_clone(t, &err);
    return icu_status(err);
}

static int clone_parts(const dpl_script *proto, dpl_script *sc)
{
    sc->segment = proto->segment;
    DPL_TRY(clone_transform(proto->translit, &sc->translit));
    DPL_TRY(clone_transform(proto->simplify, &sc->simplify));
    if (proto->words) {
        UErrorCode err = U_ZERO_ERROR;
        sc->words = ubrk_clone(proto->words, &err);
        DPL_TRY(icu_status(err));
    }
    return DPL_OK;
}

static int fill_cloned(dpl_script *sc, const void *proto)
{
    return clone_parts(proto, sc);
}

int dpl_script_clone(const dpl_script *proto, dpl_script **out)
{
    if (!proto || !out)
        return DPL_EINVAL;
    return make_script(proto->norm_flags, fill_cloned, proto, out);
}

void dpl_script_free(dpl_script *sc)
{
    if (!sc)
        return;
    if (sc->translit)
        utrans_close(sc->translit);
    if (sc->simplify)
        utrans_close(sc->simplify);
    if (sc->words)
        ubrk_close(sc->words);
    dpl_normalizer_free(sc->norm);
    free(sc->run);
    free(sc->marked);
    free(sc->spare);
    free(sc->word);
    free(sc->cache.slots);
    dpl__buf_free(&sc->cache.arena);
    free(sc->runs.slots);
    dpl__buf_free(&sc->runs.arena);
    free(sc->simplified);
    dpl__buf_free(&sc->word_out);
    dpl__buf_free(&sc->out);
    free(sc);
}

/* ---- classifying text ------------------------------------------------------------- */

/* Scripts written without spaces, in two classes that segment differently by default:
 * Han and kana, whose characters are morphemes or syllables (one word each), and the
 * alphabets of South-East Asia, whose characters are letters (dictionary words). */
enum unspaced_class { SPACED = 0, HAN_KANA, SEA_ALPHABET };

static enum unspaced_class class_of_script(UScriptCode sc)
{
    if (sc == USCRIPT_HAN || sc == USCRIPT_HIRAGANA || sc == USCRIPT_KATAKANA)
        return HAN_KANA;
    if (sc == USCRIPT_THAI || sc == USCRIPT_LAO || sc == USCRIPT_KHMER || sc == USCRIPT_MYANMAR)
        return SEA_ALPHABET;
    return SPACED;
}

/* The class of c by its Script or, for shared characters such as the prolonged sound
 * mark ー or combining kana marks, by its Script_Extensions. */
static enum unspaced_class unspaced_class(UChar32 c)
{
    if (c < 0x0E00)
        return SPACED; /* below Thai: no such script */
    UErrorCode err = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript(c, &err);
    if (U_FAILURE(err))
        return SPACED;
    enum unspaced_class cls = class_of_script(sc);
    if (cls != SPACED || (sc != USCRIPT_COMMON && sc != USCRIPT_INHERITED))
        return cls;
    if (uscript_hasScript(c, USCRIPT_HAN) || uscript_hasScript(c, USCRIPT_HIRAGANA) ||
        uscript_hasScript(c, USCRIPT_KATAKANA))
        return HAN_KANA;
    if (uscript_hasScript(c, USCRIPT_THAI) || uscript_hasScript(c, USCRIPT_LAO) ||
        uscript_hasScript(c, USCRIPT_KHMER) || uscript_hasScript(c, USCRIPT_MYANMAR))
        return SEA_ALPHABET;
    return SPACED;
}

static int is_unspaced(UChar32 c)
{
    return unspaced_class(c) != SPACED;
}

static int is_mark(UChar32 c)
{
    return (U_GET_GC_MASK(c) & U_GC_M_MASK) != 0;
}

static int is_ascii_alnum(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A byte the tokenizer puts inside words (letters, digits, '_'). */
static int is_ascii_word_byte(int c)
{
    return is_ascii_alnum(c) || c == '_';
}

/* Longer runs are cut (at a code point): it bounds the UTF-16 buffers and keeps every
 * length ICU sees far inside int32_t, whatever the document's size. */
#define RUN_MAX_BYTES ((size_t)1 << 20)

/* The end of the foreign run starting at the non-ASCII byte s[i]: it takes non-ASCII code
 * points and single spaces between them, and ends after its last non-ASCII code point. */
static size_t run_end(const char *s, size_t i, size_t len)
{
    size_t end = i, limit = len - i > RUN_MAX_BYTES ? i + RUN_MAX_BYTES : len;
    while (i < limit) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) { /* valid UTF-8: the non-ASCII bytes up to limit, then the rest of
                            * a code point cut there */
            i = dpl__non_ascii_end(s, i, limit);
            while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
                i++;
            end = i;
        } else if (c == ' ') {
            i++;
        } else {
            break;
        }
    }
    return end;
}

static int run_has_unspaced(const char *s, size_t len)
{
    for (int32_t i = 0; i < (int32_t)len;) { /* a run: len <= RUN_MAX_BYTES */
        UChar32 c;
        U8_NEXT(s, i, (int32_t)len, c);
        if (c >= 0 && is_unspaced(c))
            return 1;
    }
    return 0;
}

/* Whether any run of the text holds a script written without spaces (its first non-ASCII
 * byte at `first`). */
static int text_has_unspaced(const char *s, size_t len, size_t first)
{
    for (size_t i = first; i < len;) {
        size_t end = run_end(s, i, len);
        if (run_has_unspaced(s + i, end - i))
            return 1;
        i = dpl__ascii_end(s, end, len);
    }
    return 0;
}

/* ---- UTF-16 buffers ---------------------------------------------------------------- */

static int reserve16(UChar **buf, int32_t *cap, size_t need)
{
    if (need > INT32_MAX / 2)
        return DPL_ENOMEM; /* runs are cut at RUN_MAX_BYTES long before */
    if ((int32_t)need <= *cap)
        return DPL_OK;
    int32_t grown = *cap ? *cap : 256;
    while (grown < (int32_t)need)
        grown *= 2;
    UChar *p = realloc(*buf, (size_t)grown * sizeof *p);
    if (!p)
        return DPL_ENOMEM;
    *buf = p;
    *cap = grown;
    return DPL_OK;
}

static int run_to_utf16(dpl_script *sc, const char *s, size_t len, int32_t *n16)
{
    DPL_TRY(reserve16(&sc->run, &sc->run_cap, len + 1)); /* never more units than bytes */
    UErrorCode err = U_ZERO_ERROR;
    u_strFromUTF8(sc->run, sc->run_cap, n16, s, (int32_t)len, &err);
    return U_FAILURE(err) ? DPL_EICU : DPL_OK;
}

/* Apply a transform to buf[0, *len) in place, growing the buffer when the result needs
 * more room (Han-Latin writes up to seven units per character). */
static int transform(dpl_script *sc, UTransliterator *t, UChar **buf, int32_t *cap,
                     int32_t *len)
{
    DPL_TRY(reserve16(&sc->spare, &sc->spare_cap, (size_t)*len + 1));
    memcpy(sc->spare, *buf, (size_t)*len * sizeof **buf);
    DPL_TRY(reserve16(buf, cap, (size_t)*len * 4 + 16));
    for (;;) {
        UErrorCode err = U_ZERO_ERROR;
        int32_t n = *len, limit = *len;
        utrans_transUChars(t, *buf, &n, *cap, 0, &limit, &err);
        if (err != U_BUFFER_OVERFLOW_ERROR) {
            if (U_FAILURE(err))
                return DPL_EICU;
            *len = n;
            return DPL_OK;
        }
        DPL_TRY(reserve16(buf, cap, (size_t)*cap * 2));
        memcpy(*buf, sc->spare, (size_t)*len * sizeof **buf);
    }
}

/* Han folding goes character by character through a table filled on first sight: ICU's
 * Traditional-Simplified maps single characters but for a few context rules, which this
 * forgoes (it runs at ~15 MB/s over whole text; a character folded once costs one
 * lookup after). The table covers the BMP's Han
 * blocks (U+3400-9FFF, U+F900-FAFF); rarer Han goes to ICU each time. */
#define HAN_FIRST 0x3400
#define HAN_LAST 0xFAFF

static int fold_with_icu(dpl_script *sc, UChar32 c, UChar *out, int32_t *n)
{
    UChar one[8];
    int32_t len = 0;
    U16_APPEND_UNSAFE(one, len, c);
    UErrorCode err = U_ZERO_ERROR;
    int32_t limit = len;
    utrans_transUChars(sc->simplify, one, &len, 8, 0, &limit, &err);
    if (U_FAILURE(err) || len > 2)
        return DPL_EICU;
    memcpy(out, one, (size_t)len * sizeof *one);
    *n = len;
    return DPL_OK;
}

static int fold_char(dpl_script *sc, UChar32 c, UChar *out, int32_t *n)
{
    UErrorCode err = U_ZERO_ERROR;
    if (c < HAN_FIRST || uscript_getScript(c, &err) != USCRIPT_HAN) {
        *n = 0;
        U16_APPEND_UNSAFE(out, *n, c);
        return DPL_OK;
    }
    if (c > HAN_LAST || U_IS_SURROGATE(c))
        return fold_with_icu(sc, c, out, n);
    if (!sc->simplified && !(sc->simplified = calloc(HAN_LAST - HAN_FIRST + 1, sizeof(UChar))))
        return DPL_ENOMEM;
    UChar *known = &sc->simplified[c - HAN_FIRST];
    if (!*known) {
        UChar folded[2];
        int32_t len;
        DPL_TRY(fold_with_icu(sc, c, folded, &len));
        *known = len == 1 ? folded[0] : (UChar)c; /* BMP Han folds to BMP Han */
    }
    out[0] = *known;
    *n = 1;
    return DPL_OK;
}

/* Fold sc->run[0, *n) in place: a character never grows (checked in fold_with_icu:
 * two units at most, which only a supplementary character, itself two units, may take). */
static int simplify_run(dpl_script *sc, int32_t *n)
{
    int32_t w = 0;
    for (int32_t i = 0; i < *n;) {
        UChar32 c;
        int32_t from = i, len;
        U16_NEXT(sc->run, i, *n, c);
        UChar folded[2];
        DPL_TRY(fold_char(sc, c, folded, &len));
        if (len > i - from)
            return DPL_EICU; /* a BMP character folding to a supplementary one: not in ICU */
        memcpy(sc->run + w, folded, (size_t)len * sizeof *folded);
        w += len;
    }
    *n = w;
    return DPL_OK;
}

/* ---- marking word boundaries -------------------------------------------------------- */

typedef struct marker {
    dpl_script *sc;
    int32_t n;      /* units written to sc->marked */
    UChar boundary; /* BOUNDARY before transliteration, else a space */
} marker;

static void put_unit(marker *m, UChar u)
{
    m->sc->marked[m->n++] = u;
}

/* A boundary, unless the text so far is empty or already ends with one. */
static void put_boundary(marker *m)
{
    if (m->n > 0 && m->sc->marked[m->n - 1] != m->boundary)
        put_unit(m, m->boundary);
}

static void put_units(marker *m, const UChar *u, int32_t n)
{
    memcpy(m->sc->marked + m->n, u, (size_t)n * sizeof *u);
    m->n += n;
}

/* The end of the span of characters of class `cls` (and their marks) starting at i. */
static int32_t unspaced_span_end(const UChar *u, int32_t i, int32_t n, enum unspaced_class cls)
{
    while (i < n) {
        int32_t next = i;
        UChar32 c;
        U16_NEXT(u, next, n, c);
        enum unspaced_class k = unspaced_class(c);
        if (k != cls && !(k == SPACED && is_mark(c)))
            break;
        i = next;
    }
    return i;
}

/* Dictionary words or single characters for a span of class `cls`. By default Han and
 * kana go by character: on the Chinese news of ntrex-dev that keeps near-duplicate
 * variants ~0.03 higher in Jaccard (57% against 36% of them at 0.8), unrelated pairs
 * still below 0.02, at 4.8x the speed (bench_script). */
static int cuts_words(const dpl_script *sc, enum unspaced_class cls)
{
    return sc->segment == DPL_SEGMENT_WORDS ||
           (sc->segment == DPL_SEGMENT_AUTO && cls == SEA_ALPHABET);
}

static int cut_into_words(marker *m, const UChar *span, int32_t n)
{
    UErrorCode err = U_ZERO_ERROR;
    UBreakIterator *bi = m->sc->words;
    ubrk_setText(bi, span, n, &err);
    if (U_FAILURE(err))
        return DPL_EICU;
    for (int32_t from = ubrk_first(bi), to; (to = ubrk_next(bi)) != UBRK_DONE; from = to) {
        put_boundary(m);
        put_units(m, span + from, to - from);
    }
    return DPL_OK;
}

/* Marks, and modifier letters such as the prolonged sound mark ー and the iteration mark
 * 々, lengthen or repeat the character before them: they are part of it. */
static int extends_character(UChar32 c)
{
    return (U_GET_GC_MASK(c) & (U_GC_M_MASK | U_GC_LM_MASK)) != 0;
}

static void cut_into_characters(marker *m, const UChar *span, int32_t n)
{
    for (int32_t i = 0; i < n;) {
        int32_t from = i;
        UChar32 c;
        U16_NEXT(span, i, n, c);
        while (i < n) {
            int32_t next = i;
            U16_NEXT(span, next, n, c);
            if (!extends_character(c))
                break;
            i = next;
        }
        put_boundary(m);
        put_units(m, span + from, i - from);
    }
}

/* Copy the run to sc->marked with each word boundary written as m->boundary. `joined`
 * says that ASCII word characters touch the run's start or end, which then needs a
 * boundary of its own when the run starts or ends with an unspaced script. */
static int mark_words(marker *m, const UChar *u, int32_t n, int joined_before,
                      int joined_after)
{
    /* Each unit may gain one boundary before it, and one more may follow the end. */
    DPL_TRY(reserve16(&m->sc->marked, &m->sc->marked_cap, (size_t)n * 2 + 4));
    if (joined_before && n > 0) {
        UChar32 first;
        U16_GET(u, 0, 0, n, first); /* a code point: U+20000 and up are two units */
        if (is_unspaced(first))
            put_unit(m, m->boundary);
    }
    int ends_unspaced = 0;
    for (int32_t i = 0; i < n;) {
        int32_t next = i;
        UChar32 c;
        U16_NEXT(u, next, n, c);
        enum unspaced_class cls = unspaced_class(c);
        if (cls != SPACED) {
            int32_t end = unspaced_span_end(u, i, n, cls);
            if (cuts_words(m->sc, cls))
                DPL_TRY(cut_into_words(m, u + i, end - i));
            else
                cut_into_characters(m, u + i, end - i);
            put_boundary(m);
            ends_unspaced = end == n;
            i = end;
            continue;
        }
        if (c == ' ')
            put_boundary(m);
        else
            put_units(m, u + i, next - i);
        i = next;
    }
    /* A boundary the last span left at the very end goes, unless ASCII follows. */
    if (m->n > 0 && m->sc->marked[m->n - 1] == m->boundary && !(ends_unspaced && joined_after))
        m->n--;
    return DPL_OK;
}

/* ---- writing the result -------------------------------------------------------------- */

static int append_utf16(dpl__buf *out, const UChar *u, int32_t n)
{
    DPL_TRY(dpl__buf_reserve(out, (size_t)n * 3 + 1));
    UErrorCode err = U_ZERO_ERROR;
    int32_t wrote;
    size_t room = out->cap - out->len; /* at least n * 3 + 1, which fits in int32_t */
    u_strToUTF8(out->data + out->len, room > INT32_MAX ? INT32_MAX : (int32_t)room, &wrote, u,
                n, &err);
    if (U_FAILURE(err))
        return DPL_EICU;
    out->len += (size_t)wrote;
    out->data[out->len] = '\0';
    return DPL_OK;
}

/* ICU's result for one word, filtered: ASCII that is neither a letter nor a digit is
 * ICU's own (syllable spaces, apostrophes for soft signs) and goes. Then normalized, so
 * that the result is as normalized as the text around it. */
static int transliterate_word(dpl_script *sc, const UChar *w, int32_t n, const char **out,
                              size_t *out_len)
{
    DPL_TRY(reserve16(&sc->word, &sc->word_cap, (size_t)n + 1));
    memcpy(sc->word, w, (size_t)n * sizeof *w);
    int32_t len = n;
    DPL_TRY(transform(sc, sc->translit, &sc->word, &sc->word_cap, &len));
    dpl__buf *b = &sc->word_out;
    dpl__buf_clear(b);
    DPL_TRY(dpl__buf_reserve(b, (size_t)len * 3 + 1));
    for (int32_t i = 0; i < len;) {
        UChar32 c;
        U16_NEXT(sc->word, i, len, c);
        if (c >= 0x80) {
            UBool bad = 0;
            U8_APPEND((uint8_t *)b->data, b->len, b->cap, c, bad);
            (void)bad; /* room was reserved: three bytes per unit */
        } else if (is_ascii_alnum(c)) {
            b->data[b->len++] = (char)c;
        }
    }
    b->data[b->len] = '\0';
    return dpl__normalize_valid(sc->norm, b->data, b->len, out, out_len);
}

static const void *cached_key(const word_cache *c, const cached_word *e)
{
    return c->arena.data + e->off;
}

/* The slot of a key: its entry, or the empty slot where it belongs. */
static cached_word *cache_find(word_cache *c, const void *key, size_t key_bytes, uint64_t hash)
{
    for (size_t i = hash & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
        cached_word *e = &c->slots[i];
        if (e->key_bytes == 0 || (e->hash == hash && e->key_bytes == key_bytes &&
                                  memcmp(cached_key(c, e), key, key_bytes) == 0))
            return e;
    }
}

/* The result cached for a key, or NULL. */
static const cached_word *cache_get(const word_cache *c, const void *key, size_t key_bytes,
                                    uint64_t hash)
{
    if (!c->cap)
        return NULL;
    const cached_word *e = cache_find((word_cache *)c, key, key_bytes, hash);
    return e->key_bytes ? e : NULL;
}

static const char *cached_result(const word_cache *c, const cached_word *e)
{
    return c->arena.data + e->off + e->key_bytes;
}

static int cache_grow(word_cache *c)
{
    size_t cap = c->cap ? c->cap * 2 : 4096;
    cached_word *old = c->slots, *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return DPL_ENOMEM;
    for (size_t i = 0; i < c->cap; i++) {
        if (!old[i].key_bytes)
            continue;
        size_t j = old[i].hash & (cap - 1);
        while (slots[j].key_bytes)
            j = (j + 1) & (cap - 1);
        slots[j] = old[i];
    }
    free(old);
    c->slots = slots;
    c->cap = cap;
    return DPL_OK;
}

static int cache_put(word_cache *c, const void *key, size_t key_bytes, uint64_t hash,
                     const char *result, size_t len)
{
    if (len > UINT16_MAX || key_bytes == 0 || key_bytes > UINT16_MAX)
        return DPL_OK; /* not worth keeping */
    if (c->arena.len + key_bytes + len + 1 > c->arena_max || c->used == c->entries_max) {
        memset(c->slots, 0, c->cap * sizeof *c->slots); /* start over */
        c->used = 0;
        dpl__buf_clear(&c->arena);
    }
    if ((c->used + 1) * 2 > c->cap)
        DPL_TRY(cache_grow(c));
    /* All the room first, so that a failure leaves no slot pointing at unwritten bytes. */
    DPL_TRY(dpl__buf_reserve(&c->arena, 1 + key_bytes + len));
    if (c->arena.len & 1)
        c->arena.data[c->arena.len++] = 0; /* keys at even offsets: UTF-16 units align */
    cached_word *e = cache_find(c, key, key_bytes, hash);
    *e = (cached_word){hash, (uint32_t)c->arena.len, (uint16_t)key_bytes, (uint16_t)len};
    memcpy(c->arena.data + c->arena.len, key, key_bytes);
    memcpy(c->arena.data + c->arena.len + key_bytes, result, len);
    c->arena.len += key_bytes + len;
    c->used++;
    return DPL_OK;
}

/* The transliteration of one word, from the cache or from ICU (then cached). */
static int word_result(dpl_script *sc, const UChar *w, int32_t n, const char **out,
                       size_t *out_len)
{
    word_cache *c = &sc->cache;
    size_t key_bytes = (size_t)n * sizeof *w;
    uint64_t hash = XXH3_64bits(w, key_bytes);
    const cached_word *e = n <= CACHE_WORD_MAX ? cache_get(c, w, key_bytes, hash) : NULL;
    if (e) {
        *out = cached_result(c, e);
        *out_len = e->result_len;
        return DPL_OK;
    }
    DPL_TRY(transliterate_word(sc, w, n, out, out_len));
    return n <= CACHE_WORD_MAX ? cache_put(c, w, key_bytes, hash, *out, *out_len) : DPL_OK;
}

/* Append what a word became, after a space when a boundary came before it. */
static int append_word(dpl_script *sc, const char *s, size_t n)
{
    if (n == 0)
        return DPL_OK; /* nothing left of it: the boundary stays pending */
    dpl__buf *out = &sc->out;
    if (sc->pending_space && out->len > 0 && out->data[out->len - 1] != ' ')
        DPL_TRY(dpl__buf_putc(out, ' '));
    sc->pending_space = 0;
    return dpl__buf_append(out, s, n);
}

/* Transliterate marked text word by word; boundaries become single spaces. A boundary
 * at the very end (ASCII letters follow the run) is written at once. */
static int append_transliterated(dpl_script *sc, const UChar *u, int32_t n)
{
    sc->pending_space = 0;
    for (int32_t i = 0; i < n;) {
        if (u[i] == BOUNDARY) {
            sc->pending_space = 1;
            i++;
            continue;
        }
        int32_t end = i;
        while (end < n && u[end] != BOUNDARY)
            end++;
        const char *result;
        size_t len;
        DPL_TRY(word_result(sc, u + i, end - i, &result, &len));
        DPL_TRY(append_word(sc, result, len));
        i = end;
    }
    if (sc->pending_space && sc->out.len > 0 && sc->out.data[sc->out.len - 1] != ' ')
        DPL_TRY(dpl__buf_putc(&sc->out, ' '));
    return DPL_OK;
}

static int process_run_uncached(dpl_script *sc, const char *s, size_t len, int joined_before,
                                int joined_after)
{
    if (!sc->translit && !sc->simplify && !run_has_unspaced(s, len))
        return dpl__buf_append(&sc->out, s, len); /* nothing for ICU to do */
    int32_t n;
    DPL_TRY(run_to_utf16(sc, s, len, &n));
    if (sc->simplify)
        DPL_TRY(simplify_run(sc, &n));
    if (sc->out.len > 0 && sc->out.data[sc->out.len - 1] == ' ')
        joined_before = 0; /* the run before, cut short, ended with its boundary */
    marker m = {sc, 0, sc->translit ? BOUNDARY : ' '};
    DPL_TRY(mark_words(&m, sc->run, n, joined_before, joined_after));
    if (!sc->translit)
        return append_utf16(&sc->out, sc->marked, m.n);
    return append_transliterated(sc, sc->marked, m.n);
}

/* A run appends to sc->out what depends on its bytes, on the joined flags and on whether
 * the output is empty or ends with a space, nothing else: a short run's bytes are kept
 * in the run cache under those. Without transliteration a run costs little already. */
static int process_run(dpl_script *sc, const char *s, size_t len, int joined_before,
                       int joined_after)
{
    if (!sc->translit || len > RUN_CACHE_MAX || sc->runs.entries_max == 0)
        return process_run_uncached(sc, s, len, joined_before, joined_after);
    const dpl__buf *out = &sc->out;
    unsigned char key[RUN_CACHE_MAX + 1];
    key[0] = (unsigned char)((joined_before ? 1 : 0) | (joined_after ? 2 : 0) |
                             (out->len == 0 ? 4 : out->data[out->len - 1] == ' ' ? 8 : 0));
    memcpy(key + 1, s, len);
    uint64_t hash = XXH3_64bits(key, len + 1);
    const cached_word *e = cache_get(&sc->runs, key, len + 1, hash);
    if (e)
        return dpl__buf_append(&sc->out, cached_result(&sc->runs, e), e->result_len);
    size_t before = out->len;
    DPL_TRY(process_run_uncached(sc, s, len, joined_before, joined_after));
    return cache_put(&sc->runs, key, len + 1, hash, sc->out.data + before, sc->out.len - before);
}

/* Whether the byte next to a run touches it: a word byte, or a non-ASCII byte because
 * the run was cut at RUN_MAX_BYTES. A script without spaces then needs a boundary there. */
static int joins_run(unsigned char c)
{
    return is_ascii_word_byte(c) || c >= 0x80;
}

/* first: the index of the text's first non-ASCII byte */
static int apply_runs(dpl_script *sc, const char *text, size_t len, size_t first)
{
    dpl__buf_clear(&sc->out);
    size_t i = 0, foreign = first; /* foreign: the next non-ASCII byte from i on */
    while (i < len) {
        DPL_TRY(dpl__buf_append(&sc->out, text + i, foreign - i));
        i = foreign;
        if (i == len)
            break;
        size_t end = run_end(text, i, len);
        int before = i > 0 && joins_run((unsigned char)text[i - 1]);
        int after = end < len && joins_run((unsigned char)text[end]);
        DPL_TRY(process_run(sc, text + i, end - i, before, after));
        i = end;
        dpl__buf *b = &sc->out;
        if (i < len && text[i] == ' ' && (b->len == 0 || b->data[b->len - 1] == ' '))
            i++; /* the run's last word came to nothing: one space is enough */
        foreign = dpl__ascii_end(text, i, len);
    }
    return DPL_OK;
}

void dpl__script_disable_run_cache(dpl_script *sc)
{
    sc->runs.entries_max = 0;
}

int dpl_script_apply(dpl_script *sc, const char *text, size_t len, const char **out,
                     size_t *out_len)
{
    if (!sc || (!text && len) || !out || !out_len)
        return DPL_EINVAL;
    size_t first = dpl__ascii_end(text, 0, len);
    if (first == len ||
        (!sc->translit && !sc->simplify && !text_has_unspaced(text, len, first))) {
        *out = text;
        *out_len = len;
        return DPL_OK;
    }
    DPL_TRY(apply_runs(sc, text, len, first));
    dpl__buf *b = &sc->out;
    if (sc->translit && b->len > 0 && b->data[b->len - 1] == ' ' && text[len - 1] != ' ')
        b->data[--b->len] = '\0'; /* the run's last word came to nothing */
    *out = b->data;
    *out_len = b->len;
    return DPL_OK;
}
