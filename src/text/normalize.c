/* Normalization with utf8proc: NFC or NFKC, case folding, diacritic stripping, and
 * punctuation and white-space folding, each a flag (see dpl_norm_flag in doppel.h).
 *
 * Text is cut into segments. Runs of ASCII take a table-driven fast path (ASCII is
 * invariant under NFKC, so only case and spacing matter there). Everything else goes
 * through utf8proc one bounded segment at a time, so a 200 MB document never needs a
 * 200 M code point buffer. A segment starts one ASCII byte early, because a combining
 * mark may follow an ASCII letter ("e" + U+0301), and ends before a code point that can
 * never combine with what precedes it. */
#include "text/text.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Non-ASCII segments longer than this are split at a safe boundary. */
#define SEGMENT_TARGET_BYTES (64u * 1024u)
/* If no safe boundary shows up for this long, split anyway (pathological input). */
#define SEGMENT_HARD_LIMIT (1024u * 1024u)

/* ASCII table value meaning "folds to a (collapsible) space". */
#define ASCII_SPACE 0

/* The Latin, Greek, Cyrillic, Hebrew and Arabic letters (U+0080-07FF) and the general
 * punctuation (U+2000-206F) of European text go through a table filled on first sight
 * instead of a utf8proc call per character: French text, an accent every few words,
 * normalized at a fifth of English's speed without it. */
#define FAST_CP_MAX 6 /* longest mapping kept (code points); longer ones take the slow path */

typedef struct fast_cp {
    int8_t state; /* 0 not looked at yet, 1 in the table, -1 slow path */
    uint8_t n;
    /* The mapping as UTF-8 when it is one or more visible code points (no collapsible
     * space): written as one copy. 0 otherwise: `mapped` goes through emit_spaced(). It
     * is past ASCII when it is longer than the code points: they then take 2 bytes. */
    uint8_t utf8_len;
    utf8proc_int32_t mapped[FAST_CP_MAX]; /* after spacing_map(): -1 is a collapsible space */
    uint8_t utf8[FAST_CP_MAX * 4];
} fast_cp;

#define FAST_LOW_FIRST 0x80
#define FAST_LOW_LAST 0x7FF
#define FAST_PUNCT_FIRST 0x2000
#define FAST_PUNCT_LAST 0x206F
#define FAST_CP_SLOTS \
    ((FAST_LOW_LAST - FAST_LOW_FIRST + 1) + (FAST_PUNCT_LAST - FAST_PUNCT_FIRST + 1))

struct dpl_normalizer {
    unsigned flags;
    utf8proc_option_t decompose_options;
    unsigned char ascii_map[128]; /* mapped byte, or ASCII_SPACE */
    fast_cp *fast;                /* FAST_CP_SLOTS entries, allocated on first use */
    utf8proc_int32_t *cps;
    size_t cps_cap;
    dpl__buf out;
    dpl__buf repaired;
    int pending_space;
    int wrote_non_ascii; /* a code point past ASCII went to out */
    int simd; /* the ASCII path's blocks go through fold_avx512.c (2) or fold_avx2.c (1) */
    dpl__ascii_fold fold;
};

enum cp_class { CP_EMIT, CP_SPACE, CP_PUNCT };

static enum cp_class classify(utf8proc_int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC:
        return CP_SPACE;
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
        return CP_PUNCT;
    default:
        return CP_EMIT;
    }
}

/* What a code point becomes under the spacing flags: a collapsible space (-1), a literal
 * space (' '), or itself. Both paths use this, which keeps them identical. */
static utf8proc_int32_t spacing_map(unsigned flags, utf8proc_int32_t cp)
{
    enum cp_class cls = classify(cp);
    if (cls == CP_PUNCT && (flags & DPL_NORM_PUNCT))
        return (flags & DPL_NORM_WHITESPACE) ? -1 : ' ';
    if (cls == CP_SPACE && (flags & DPL_NORM_WHITESPACE))
        return -1;
    return cp;
}

static int is_strippable_mark(utf8proc_int32_t cp)
{
    return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
           (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
           (cp >= 0xFE20 && cp <= 0xFE2F) || (cp >= 0x0483 && cp <= 0x0489) || /* Cyrillic */
           (cp >= 0x0591 && cp <= 0x05C7 && utf8proc_category(cp) == UTF8PROC_CATEGORY_MN) ||
           (cp >= 0x064B && cp <= 0x065F) || cp == 0x0670; /* Arabic vowel marks */
}

/* The SIMD blocks know two kinds of ASCII byte: folds to a collapsible space, or is kept
 * (lowered when case folding). Use them only when the table says exactly that. */
static void init_simd(dpl_normalizer *n)
{
    int casefold = (n->flags & DPL_NORM_CASEFOLD) != 0;
    for (int c = 0; c < 128; c++) {
        int lower = casefold && c >= 'A' && c <= 'Z';
        if (n->ascii_map[c] != ASCII_SPACE && n->ascii_map[c] != (lower ? c + ('a' - 'A') : c))
            return;
    }
    if (!(n->flags & DPL_NORM_WHITESPACE) || (n->flags & DPL_NORM_NO_SIMD))
        return;
    if (!(n->flags & DPL_NORM_NO_AVX512) && dpl__cpu_has_avx512vbmi2())
        n->simd = 2;
    else if (dpl__cpu_has_avx2())
        n->simd = 1;
    if (n->simd)
        dpl__ascii_fold_init(&n->fold, n->ascii_map, casefold);
}

dpl_normalizer *dpl_normalizer_create(unsigned flags)
{
    dpl_normalizer *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->flags = flags ? flags : DPL_NORM_DEFAULT;
    n->decompose_options = UTF8PROC_DECOMPOSE;
    if (n->flags & DPL_NORM_NFKC)
        n->decompose_options |= UTF8PROC_COMPAT | UTF8PROC_IGNORE;
    if (n->flags & DPL_NORM_CASEFOLD)
        n->decompose_options |= UTF8PROC_CASEFOLD;
    for (int c = 0; c < 128; c++) {
        utf8proc_int32_t m = spacing_map(n->flags, c);
        if (m >= 'A' && m <= 'Z' && (n->flags & DPL_NORM_CASEFOLD))
            m += 'a' - 'A';
        n->ascii_map[c] = m < 0 ? ASCII_SPACE : (unsigned char)m;
    }
    init_simd(n);
    return n;
}

void dpl_normalizer_free(dpl_normalizer *n)
{
    if (!n)
        return;
    free(n->cps);
    free(n->fast);
    dpl__buf_free(&n->out);
    dpl__buf_free(&n->repaired);
    free(n);
}

/* Before a visible character: the held-back space, unless nothing was written yet. */
static void put_pending_space(dpl_normalizer *n)
{
    dpl__buf *o = &n->out;
    if (n->pending_space && o->len)
        o->data[o->len++] = ' ';
    n->pending_space = 0;
}

/* Emit one already-mapped code point, applying the collapsible-space rule: spaces are
 * held back and written only between two visible characters. */
static void emit_spaced(dpl_normalizer *n, utf8proc_int32_t mapped)
{
    dpl__buf *o = &n->out;
    if (mapped < 0) {
        n->pending_space = 1;
        return;
    }
    put_pending_space(n);
    n->wrote_non_ascii |= mapped >= 0x80;
    o->len += (size_t)utf8proc_encode_char(mapped, (utf8proc_uint8_t *)o->data + o->len);
}

/* The common case of eight letters, digits and single spaces, copied (and lower-cased)
 * in one step; returns 1. Otherwise returns -k: the first k bytes need the byte-by-byte
 * path (k reaches the first byte that breaks the block), after which the block step is
 * tried again, instead of at every following offset. */
static int ascii_block(dpl_normalizer *n, const unsigned char *s, char **o, const char *start,
                       int *pending)
{
    uint64_t x;
    memcpy(&x, s, 8);
    uint64_t upper = dpl__bytes_in_range(x, 'A', 'Z');
    uint64_t space = dpl__bytes_in_range(x, ' ', ' ');
    uint64_t plain = upper | space | dpl__bytes_in_range(x, 'a', 'z') | dpl__bytes_in_range(x, '0', '9');
    uint64_t bad = (~plain & DPL__HIGHS) | (space & (space >> 8));
    if (bad)
        return (int)-((__builtin_ctzll(bad) >> 3) + 1); /* bytes for the slow path */
    if ((space & 0x80) && (*pending || *o == start))
        return -1; /* a leading space, or one that follows a folded one */
    if (*pending && *o != start)
        *(*o)++ = ' ';
    *pending = 0;
    if (n->flags & DPL_NORM_CASEFOLD)
        x += upper >> 2; /* 'A' + 0x20 == 'a' */
    memcpy(*o, &x, 8);
    if (space >> 63) { /* a trailing space waits, like any other */
        *o += 7;
        *pending = 1;
    } else
        *o += 8;
    return 1;
}

static int normalize_ascii(dpl_normalizer *n, const unsigned char *s, size_t len)
{
    DPL_TRY(dpl__buf_reserve(&n->out, len + 64));
    char *o = n->out.data + n->out.len;
    const char *start = n->out.data;
    int pending = n->pending_space;
    int fold_space = (n->flags & DPL_NORM_WHITESPACE) != 0;
    size_t i = n->simd == 2 ? dpl__ascii_fold_avx512(&n->fold, s, len, &o, start, &pending)
               : n->simd   ? dpl__ascii_fold_avx2(&n->fold, s, len, &o, start, &pending)
                           : 0;
    size_t slow_until = 0;
    while (i < len) {
        if (fold_space && i >= slow_until && i + 8 <= len) {
            int k = ascii_block(n, s + i, &o, start, &pending);
            if (k > 0) {
                i += 8;
                continue;
            }
            slow_until = i + (size_t)-k;
        }
        unsigned char m = n->ascii_map[s[i]];
        if (m == ASCII_SPACE && fold_space) {
            pending = 1;
            i++;
            continue;
        }
        if (pending && o != start)
            *o++ = ' ';
        pending = 0;
        *o++ = m == ASCII_SPACE ? (char)s[i] : (char)m;
        i++;
    }
    n->pending_space = pending;
    n->out.len = (size_t)(o - n->out.data);
    return DPL_OK;
}

static int decompose(dpl_normalizer *n, const unsigned char *s, size_t len,
                     utf8proc_ssize_t *count)
{
    for (;;) {
        utf8proc_ssize_t need = utf8proc_decompose(s, (utf8proc_ssize_t)len, n->cps,
                                                   (utf8proc_ssize_t)n->cps_cap,
                                                   n->decompose_options);
        if (need < 0)
            return need == UTF8PROC_ERROR_NOMEM ? DPL_ENOMEM : DPL_EINVAL;
        if ((size_t)need <= n->cps_cap) {
            *count = need;
            return DPL_OK;
        }
        DPL_TRY(dpl__grow((void **)&n->cps, &n->cps_cap, (size_t)need + 1, sizeof *n->cps));
    }
}

static utf8proc_ssize_t strip_marks(utf8proc_int32_t *cps, utf8proc_ssize_t count)
{
    utf8proc_ssize_t kept = 0;
    for (utf8proc_ssize_t i = 0; i < count; i++)
        if (!is_strippable_mark(cps[i]))
            cps[kept++] = cps[i];
    return kept;
}

static int normalize_segment(dpl_normalizer *n, const unsigned char *s, size_t len)
{
    utf8proc_ssize_t count;
    DPL_TRY(decompose(n, s, len, &count));
    if (n->flags & DPL_NORM_STRIPMARK)
        count = strip_marks(n->cps, count);
    count = utf8proc_normalize_utf32(n->cps, count, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    if (count < 0)
        return DPL_EINVAL;
    DPL_TRY(dpl__buf_reserve(&n->out, (size_t)count * 4 + 2));
    for (utf8proc_ssize_t i = 0; i < count; i++)
        emit_spaced(n, spacing_map(n->flags, n->cps[i]));
    return DPL_OK;
}

/* ---- the table path for common 2-byte letters and general punctuation ---- */

static fast_cp *fast_slot(dpl_normalizer *n, utf8proc_int32_t cp)
{
    if (cp >= FAST_LOW_FIRST && cp <= FAST_LOW_LAST)
        return &n->fast[cp - FAST_LOW_FIRST];
    if (cp >= FAST_PUNCT_FIRST && cp <= FAST_PUNCT_LAST)
        return &n->fast[(FAST_LOW_LAST - FAST_LOW_FIRST + 1) + (cp - FAST_PUNCT_FIRST)];
    return NULL;
}

/* What one code point normalizes to on its own, when that is also what it becomes
 * inside any text: it is a starter that nothing before it can compose with (the first
 * code point of its decomposition has combining class 0), and what follows it is
 * checked by the caller. In these ranges no starter is the second half of a canonical
 * composition (those are Indic vowel signs and Hangul jamo). */
static void fill_fast(dpl_normalizer *n, utf8proc_int32_t cp, fast_cp *f)
{
    utf8proc_int32_t buf[32];
    int last;
    utf8proc_ssize_t count =
        utf8proc_decompose_char(cp, buf, 32, n->decompose_options, &last);
    f->state = -1;
    if (count <= 0 || count > 32 || utf8proc_get_property(buf[0])->combining_class != 0)
        return;
    if (n->flags & DPL_NORM_STRIPMARK)
        count = strip_marks(buf, count);
    count = utf8proc_normalize_utf32(buf, count, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    if (count < 0 || count > FAST_CP_MAX)
        return;
    int visible = count > 0;
    size_t bytes = 0;
    for (utf8proc_ssize_t i = 0; i < count; i++) {
        f->mapped[i] = spacing_map(n->flags, buf[i]);
        visible &= f->mapped[i] >= 0;
        if (f->mapped[i] >= 0)
            bytes += (size_t)utf8proc_encode_char(f->mapped[i], f->utf8 + bytes);
    }
    f->n = (uint8_t)count;
    f->utf8_len = visible ? (uint8_t)bytes : 0;
    f->state = 1;
}

/* The table entry of the code point at s[i] (its length in *k), or NULL when it has
 * none or must take the slow path. */
static const fast_cp *fast_lookup(dpl_normalizer *n, const unsigned char *s, size_t i,
                                  size_t len, size_t *k)
{
    /* The text is valid UTF-8: the table's 2- and 3-byte forms are decoded here, without
     * a utf8proc call per character. */
    utf8proc_int32_t cp;
    if ((s[i] & 0xE0) == 0xC0 && i + 2 <= len) {
        cp = (s[i] & 0x1F) << 6 | (s[i + 1] & 0x3F);
        *k = 2;
    } else if (s[i] == 0xE2 && i + 3 <= len) {
        cp = (s[i] & 0x0F) << 12 | (s[i + 1] & 0x3F) << 6 | (s[i + 2] & 0x3F);
        *k = 3;
    } else
        return NULL;
    fast_cp *f = fast_slot(n, cp);
    if (!f)
        return NULL;
    if (f->state == 0)
        fill_fast(n, cp, f);
    return f->state > 0 ? f : NULL;
}

/* One table entry to the output (which has room), as emit_spaced() would write it. */
static void emit_fast(dpl_normalizer *n, const fast_cp *f)
{
    if (!f->utf8_len) {
        for (unsigned j = 0; j < f->n; j++)
            emit_spaced(n, f->mapped[j]);
        return;
    }
    dpl__buf *o = &n->out;
    put_pending_space(n);
    n->wrote_non_ascii |= f->utf8_len > f->n;
    memcpy(o->data + o->len, f->utf8, sizeof f->utf8);
    o->len += f->utf8_len;
}

/* Emit table entries from s[i] on while each one is followed by ASCII, the end, or
 * another table entry (never by a mark that could combine with it). Returns where it
 * stopped; the slow path takes over there. */
static int fast_run(dpl_normalizer *n, const unsigned char *s, size_t i, size_t len,
                    size_t *stop)
{
    size_t k;
    const fast_cp *f = fast_lookup(n, s, i, len, &k);
    while (f) {
        size_t next = i + k, k2 = 0;
        int foreign = next < len && s[next] >= 0x80;
        const fast_cp *g = foreign ? fast_lookup(n, s, next, len, &k2) : NULL;
        if (foreign && !g)
            break; /* the follower may combine with this one: both go the slow way */
        DPL_TRY(dpl__buf_reserve(&n->out, sizeof f->utf8 + 2));
        emit_fast(n, f);
        i = next;
        f = g;
        k = k2;
    }
    *stop = i;
    return DPL_OK;
}

/* A code point before which a segment may end: nothing after the cut can combine with
 * what is before it, because the code point is a starter that never is the second half
 * of a canonical composition (spaces, punctuation, symbols, digits, Han, Hangul
 * syllables). */
static int is_safe_cut(utf8proc_int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_PO:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_SM:
    case UTF8PROC_CATEGORY_SO:
        return 1;
    default:
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7A3);
    }
}

/* End of the non-ASCII segment that starts at `start` (the run of non-ASCII bytes ends
 * at `run_end`). Cuts only at code point boundaries: at a safe cut past
 * SEGMENT_TARGET_BYTES, or, when none comes within SEGMENT_HARD_LIMIT (a megabyte of
 * Greek letters, say), before the last starter seen, so that no mark is parted from its
 * base. */
static size_t segment_end(const unsigned char *s, size_t start, size_t run_end)
{
    if (run_end - start <= SEGMENT_TARGET_BYTES)
        return run_end;
    size_t i = start + SEGMENT_TARGET_BYTES;
    size_t limit = start + SEGMENT_HARD_LIMIT < run_end ? start + SEGMENT_HARD_LIMIT : run_end;
    while (i < limit && (s[i] & 0xC0) == 0x80)
        i++;
    size_t last_starter = 0;
    while (i < limit) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(run_end - i), &cp);
        if (k <= 0 || is_safe_cut(cp))
            return i;
        if (utf8proc_get_property(cp)->combining_class == 0)
            last_starter = i;
        i += (size_t)k;
    }
    return last_starter ? last_starter : i; /* i: the first code point boundary past limit */
}

/* Whether the text at s[i] (non-ASCII) starts with a table entry. */
static int starts_fast(dpl_normalizer *n, const unsigned char *s, size_t i, size_t len)
{
    size_t k;
    if (!n->fast && !(n->fast = calloc(FAST_CP_SLOTS, sizeof *n->fast)))
        return 0; /* no memory for the table: the slow path still works */
    return fast_lookup(n, s, i, len, &k) != NULL;
}

static int normalize_valid(dpl_normalizer *n, const unsigned char *s, size_t len)
{
    int fast = !(n->flags & DPL_NORM_NO_ASCII_FAST_PATH);
    size_t i = 0;
    while (i < len) {
        size_t ascii_end = fast ? dpl__ascii_end((const char *)s, i, len) : i;
        if (fast && ascii_end < len && starts_fast(n, s, ascii_end, len)) {
            /* What follows cannot combine with the last ASCII byte: all of it is fast. */
            if (ascii_end > i)
                DPL_TRY(normalize_ascii(n, s + i, ascii_end - i));
            size_t stop;
            DPL_TRY(fast_run(n, s, ascii_end, len, &stop));
            if (stop > ascii_end) {
                i = stop;
                continue;
            }
            i = ascii_end; /* its follower sent it the slow way */
        }
        /* Leave the last ASCII byte before non-ASCII text to the slow path: it may be
         * the base of a combining mark. */
        size_t fast_end = (ascii_end < len && ascii_end > i) ? ascii_end - 1 : ascii_end;
        if (fast_end > i)
            DPL_TRY(normalize_ascii(n, s + i, fast_end - i));
        i = fast_end;
        if (i >= len)
            break;
        size_t run_end = fast ? dpl__non_ascii_end((const char *)s, ascii_end, len) : len;
        size_t end = segment_end(s, i, run_end);
        DPL_TRY(normalize_segment(n, s + i, end - i));
        i = end;
    }
    return DPL_OK;
}

int dpl_normalize(dpl_normalizer *n, const char *text, size_t len, const char **out,
                  size_t *out_len, size_t *replaced)
{
    if (!n || (!text && len) || !out || !out_len)
        return DPL_EINVAL;
    size_t fixes = 0;
    if (dpl__utf8_valid_prefix(text, len) != len) {
        dpl__buf_clear(&n->repaired);
        DPL_TRY(dpl__utf8_sanitize(text, len, &n->repaired, &fixes));
        text = n->repaired.data;
        len = n->repaired.len;
    }
    if (replaced)
        *replaced = fixes;
    return dpl__normalize_valid(n, text, len, out, out_len);
}

int dpl__normalize_valid(dpl_normalizer *n, const char *text, size_t len, const char **out,
                         size_t *out_len)
{
    dpl__buf_clear(&n->out);
    DPL_TRY(dpl__buf_reserve(&n->out, len + 1));
    n->pending_space = 0;
    n->wrote_non_ascii = 0;
    DPL_TRY(normalize_valid(n, (const unsigned char *)text, len));
    n->out.data[n->out.len] = '\0';
    *out = n->out.data;
    *out_len = n->out.len;
    return DPL_OK;
}

int dpl__normalized_ascii(const dpl_normalizer *n)
{
    return !n->wrote_non_ascii;
}
