/* Word tokenization by Unicode general category (utf8proc) and script (ICU).
 *
 * A word is a maximal run of letters, marks, numbers and connector punctuation. Scripts
 * written without spaces between words (Han, Hiragana, Katakana, Thai, Lao, Khmer,
 * Myanmar) would make a whole sentence one "word", so each of their characters, with the
 * marks that follow it, is a token of its own. dpl_tokenize_spaced() is for text whose
 * word boundaries the script stage (script.c) has already marked with spaces: there
 * those characters are ordinary word characters. */
#include "text/text.h"

#include <string.h>

#include <unicode/uscript.h>
#include <utf8proc.h>

static int is_word_category(utf8proc_int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
    case UTF8PROC_CATEGORY_PC:
        return 1;
    default:
        return 0;
    }
}

static int is_mark(utf8proc_int32_t cp)
{
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC || c == UTF8PROC_CATEGORY_ME;
}

static int is_unspaced_script(utf8proc_int32_t cp)
{
    if (cp < 0x0E00)
        return 0; /* below Thai: no script written without spaces */
    UErrorCode err = U_ZERO_ERROR;
    UScriptCode script = uscript_getScript(cp, &err);
    if (U_FAILURE(err))
        return 0;
    switch (script) {
    case USCRIPT_HAN:
    case USCRIPT_HIRAGANA:
    case USCRIPT_KATAKANA:
    case USCRIPT_THAI:
    case USCRIPT_LAO:
    case USCRIPT_KHMER:
    case USCRIPT_MYANMAR:
        return 1;
    default:
        return 0;
    }
}

/* Decode one code point at s[i]; ASCII without a call. Invalid bytes give -1, length 1. */
static size_t decode(const unsigned char *s, size_t i, size_t len, utf8proc_int32_t *cp)
{
    if (s[i] < 0x80) {
        *cp = s[i];
        return 1;
    }
    utf8proc_ssize_t n = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), cp);
    if (n <= 0) {
        *cp = -1;
        return 1;
    }
    return (size_t)n;
}

static int is_ascii_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
}

/* The end of the run of ASCII word bytes starting at i. */
static size_t ascii_word_end(const unsigned char *s, size_t i, size_t len)
{
    /* Eight bytes at a time: stop at the first byte that is non-ASCII or not a word
     * byte. */
    while (i + 8 <= len) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        if (x & DPL__HIGHS) /* non-ASCII inside: the byte loop finds where */
            break;
        uint64_t stop = ~dpl__ascii_word_bytes(x) & DPL__HIGHS;
        if (stop)
            return i + (size_t)(__builtin_ctzll(stop) >> 3);
        i += 8;
    }
    while (i < len && s[i] < 0x80 && is_ascii_word_byte(s[i]))
        i++;
    return i;
}


static void emit(dpl_token *tokens, size_t cap, size_t *count, size_t start, size_t end)
{
    if (*count < cap)
        tokens[*count] = (dpl_token){start, end - start};
    (*count)++;
}

/* Word bytes of 64 ASCII bytes as a bit mask (bit j: byte j), or 0 with *ascii = 0 when
 * the block holds a non-ASCII byte. Eight bytes at a time, each byte's high bit
 * gathered into one bit by a multiplication. */
static uint64_t word_mask64(const unsigned char *s, int *ascii)
{
    uint64_t mask = 0, high = 0;
    for (int k = 0; k < 8; k++) {
        uint64_t x;
        memcpy(&x, s + 8 * k, 8);
        high |= x;
        uint64_t w = dpl__ascii_word_bytes(x) >> 7;
        mask |= ((w * 0x0102040810204080ull) >> 56) << (8 * k);
    }
    *ascii = !(high & DPL__HIGHS);
    return mask;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* word_mask64() with AVX2, chosen at run time: 0-9 A-Z _ a-z as a nibble table (bit h of
 * entry l: the byte 0xhl is a word byte). */
__attribute__((target("avx2"))) static uint32_t word_mask32_avx2(const unsigned char *s,
                                                                  int *ascii)
{
    const __m256i word_bytes = _mm256_setr_epi8(
        (char)0xA8, (char)0xF8, (char)0xF8, (char)0xF8, (char)0xF8, (char)0xF8, (char)0xF8,
        (char)0xF8, (char)0xF8, (char)0xF8, (char)0xF0, 0x50, 0x50, 0x50, 0x50, 0x70,
        (char)0xA8, (char)0xF8, (char)0xF8, (char)0xF8, (char)0xF8, (char)0xF8, (char)0xF8,
        (char)0xF8, (char)0xF8, (char)0xF8, (char)0xF0, 0x50, 0x50, 0x50, 0x50, 0x70);
    __m256i v = _mm256_loadu_si256((const __m256i *)s);
    *ascii &= _mm256_movemask_epi8(v) == 0;
    return (uint32_t)_mm256_movemask_epi8(dpl__avx2_in_ascii_set(v, word_bytes));
}

__attribute__((target("avx2"))) static uint64_t word_mask64_avx2(const unsigned char *s,
                                                                  int *ascii)
{
    *ascii = 1;
    uint64_t low = word_mask32_avx2(s, ascii);
    return low | (uint64_t)word_mask32_avx2(s + 32, ascii) << 32;
}

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vbmi,avx512vbmi2")))

/* word_mask64() with AVX-512: letters (case folded by the 0x20 bit), digits and '_' by
 * range compares. */
AVX512 static uint64_t word_mask64_avx512(const unsigned char *s, int *ascii)
{
    __m512i v = _mm512_loadu_si512(s);
    *ascii = _mm512_movepi8_mask(v) == 0;
    __m512i folded = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
    __mmask64 letter = _mm512_cmple_epu8_mask(_mm512_sub_epi8(folded, _mm512_set1_epi8('a')),
                                              _mm512_set1_epi8('z' - 'a'));
    __mmask64 digit = _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('0')),
                                             _mm512_set1_epi8(9));
    return letter | digit | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('_'));
}

/* ascii_block_tokens() below, when `tokens` has room for 64 more: the byte positions of
 * the block's word starts and ends are packed by a byte compression, then written as
 * tokens eight at a time, with no branch per word. */
AVX512 static void ascii_block_tokens_avx512(uint64_t mask, size_t base, int *in_word,
                                             size_t *start, dpl_token *tokens, size_t *count)
{
    uint64_t carry = *in_word == 1;
    uint64_t prev = (mask << 1) | carry;
    uint64_t starts = mask & ~prev, ends = ~mask & prev;
    if (carry && ends) { /* the word that came into the block ends in it */
        tokens[(*count)++] = (dpl_token){*start, base + (size_t)__builtin_ctzll(ends) - *start};
        ends &= ends - 1;
        *in_word = 0;
    }
    if (!starts)
        return;
    const __m512i iota = _mm512_set_epi8(
        63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42,
        41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20,
        19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    /* kept in registers, eight bytes taken at a time by shifting down a quadword: read
     * back from memory, the 64-byte stores stalled the 8-byte loads that followed */
    __m512i from = _mm512_maskz_compress_epi8(starts, iota);
    __m512i to = _mm512_maskz_compress_epi8(ends, iota);
    /* (offset, len) pairs in token order from the offsets and lengths of eight */
    const __m512i first_four = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
    const __m512i last_four = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
    const __m512i at = _mm512_set1_epi64((long long)base);
    const __m512i zero = _mm512_setzero_si512();
    unsigned done = (unsigned)__builtin_popcountll(ends); /* every end pairs with a start */
    dpl_token *out = tokens + *count;
    for (unsigned j = 0; j < done; j += 8) {
        __m512i off = _mm512_cvtepu8_epi64(_mm512_castsi512_si128(from));
        __m512i end = _mm512_cvtepu8_epi64(_mm512_castsi512_si128(to));
        __m512i len = _mm512_sub_epi64(end, off);
        off = _mm512_add_epi64(off, at);
        _mm512_storeu_si512(out + j, _mm512_permutex2var_epi64(off, first_four, len));
        _mm512_storeu_si512(out + j + 4, _mm512_permutex2var_epi64(off, last_four, len));
        from = _mm512_alignr_epi64(zero, from, 1);
        to = _mm512_alignr_epi64(zero, to, 1);
    }
    *count += done;
    if ((unsigned)__builtin_popcountll(starts) > done) { /* the last word runs past */
        *start = base + 63 - (size_t)__builtin_clzll(starts); /* the last start */
        *in_word = 1;
    }
}
#else
static uint64_t word_mask64_avx2(const unsigned char *s, int *ascii)
{
    return word_mask64(s, ascii);
}

static uint64_t word_mask64_avx512(const unsigned char *s, int *ascii)
{
    return word_mask64(s, ascii);
}

static void ascii_block_tokens_avx512(uint64_t mask, size_t base, int *in_word,
                                      size_t *start, dpl_token *tokens, size_t *count)
{
    (void)mask, (void)base, (void)in_word, (void)start, (void)tokens, (void)count;
}
#endif

/* Tokens of a 64-byte all-ASCII block at `base`, from its word mask: starts are 0->1
 * transitions, ends 1->0 transitions, visited in order with count-trailing-zeros, so a
 * word boundary costs no unpredictable branch. */
static void ascii_block_tokens(uint64_t mask, size_t base, int *in_word, size_t *start,
                               dpl_token *tokens, size_t cap, size_t *count)
{
    uint64_t carry = *in_word == 1;
    uint64_t prev = (mask << 1) | carry;
    uint64_t starts = mask & ~prev, ends = ~mask & prev;
    if (*in_word == 1 && ends) {
        emit(tokens, cap, count, *start, base + (size_t)__builtin_ctzll(ends));
        ends &= ends - 1;
        *in_word = 0;
    }
    while (starts) {
        size_t from = base + (size_t)__builtin_ctzll(starts);
        starts &= starts - 1;
        if (!ends) { /* runs past the block */
            *start = from;
            *in_word = 1;
            return;
        }
        emit(tokens, cap, count, from, base + (size_t)__builtin_ctzll(ends));
        ends &= ends - 1;
    }
}

/* Tokens of a 64-byte ASCII block (if it is one: returns 0 otherwise) at s + base, by the
 * CPU's best path up to `level` (0 portable, 1 AVX2, 2 AVX-512). */
static int block_tokens(const unsigned char *s, size_t base, int level, int *in_word,
                        size_t *start, dpl_token *tokens, size_t cap, size_t *count)
{
    int ascii;
    uint64_t mask = level == 2 ? word_mask64_avx512(s + base, &ascii)
                    : level    ? word_mask64_avx2(s + base, &ascii)
                               : word_mask64(s + base, &ascii);
    if (!ascii)
        return 0;
    if (level == 2 && *count + 64 <= cap)
        ascii_block_tokens_avx512(mask, base, in_word, start, tokens, count);
    else
        ascii_block_tokens(mask, base, in_word, start, tokens, cap, count);
    return 1;
}

static size_t tokenize(const char *text, size_t len, int spaced, int level, dpl_token *tokens,
                       size_t cap)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t count = 0, i = 0;
    size_t start = 0;
    int in_word = 0; /* 0: between words; 1: in a word; 2: in a one-character token */
    while (i < len) {
        if (i + 64 <= len && in_word != 2 &&
            block_tokens(s, i, level, &in_word, &start, tokens, cap, &count)) {
            i += 64;
            continue;
        }
        if (s[i] < 0x80) {
            /* ASCII: most text. A word byte continues or starts a word, which then runs
             * on through every following ASCII word byte in one tight loop. */
            if (!is_ascii_word_byte(s[i])) {
                if (in_word)
                    emit(tokens, cap, &count, start, i);
                in_word = 0;
                i++;
                continue;
            }
            if (in_word == 2)
                emit(tokens, cap, &count, start, i);
            if (in_word != 1)
                start = i;
            in_word = 1;
            i = ascii_word_end(s, i, len);
            continue;
        }
        utf8proc_int32_t cp;
        size_t n = decode(s, i, len, &cp);
        /* A mark continues the current token whatever its script. */
        if (in_word && cp >= 0 && is_mark(cp)) {
            i += n;
            continue;
        }
        int word = cp >= 0 && is_word_category(cp);
        int alone = word && !spaced && is_unspaced_script(cp);
        if (in_word && (!word || alone || in_word == 2)) {
            emit(tokens, cap, &count, start, i);
            in_word = 0;
        }
        if (word && !in_word) {
            start = i;
            in_word = alone ? 2 : 1;
        }
        i += n;
    }
    if (in_word)
        emit(tokens, cap, &count, start, i);
    return count;
}

static int best_level(void)
{
    return dpl__cpu_has_avx512vbmi2() ? 2 : dpl__cpu_has_avx2() ? 1 : 0;
}

size_t dpl_tokenize(const char *text, size_t len, dpl_token *tokens, size_t cap)
{
    return tokenize(text, len, 0, best_level(), tokens, cap);
}

size_t dpl_tokenize_spaced(const char *text, size_t len, dpl_token *tokens, size_t cap)
{
    return tokenize(text, len, 1, best_level(), tokens, cap);
}

size_t dpl__tokenize_level(const char *text, size_t len, int spaced, int level,
                           dpl_token *tokens, size_t cap)
{
    int best = best_level();
    return tokenize(text, len, spaced, level < best ? level : best, tokens, cap);
}
