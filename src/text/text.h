/* Internal interface of the text family: UTF-8 validation shared by the reader and the
 * normalizer. */
#ifndef DPL_TEXT_H
#define DPL_TEXT_H

#include "common/common.h"

/* Length of the longest prefix of `s` that is valid UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF). ASCII is skipped eight bytes at a time. */
size_t dpl__utf8_valid_prefix(const char *s, size_t len);

/* Append `s` to `out` with every invalid UTF-8 sequence (an invalid byte and the
 * continuation bytes that follow it) replaced by U+FFFD. Returns the number of
 * replacements in *replaced. */
int dpl__utf8_sanitize(const char *s, size_t len, dpl__buf *out, size_t *replaced);

/* dpl_normalize() for text already known to be valid UTF-8 (a parsed record's text):
 * skips the validation pass. */
int dpl__normalize_valid(dpl_normalizer *n, const char *text, size_t len, const char **out,
                         size_t *out_len);

/* SWAR over 8 ASCII bytes: each byte's high bit says whether it lies in [lo, hi]. Valid
 * only when every byte is below 0x80; no carry can cross from one byte to the next
 * because every sum stays below 0x100. */
#define DPL__ONES 0x0101010101010101ull
#define DPL__HIGHS 0x8080808080808080ull

static inline uint64_t dpl__bytes_at_least(uint64_t x, unsigned c)
{
    return (x + DPL__ONES * (0x80u - c)) & DPL__HIGHS;
}

static inline uint64_t dpl__bytes_in_range(uint64_t x, unsigned lo, unsigned hi)
{
    return dpl__bytes_at_least(x, lo) & ~dpl__bytes_at_least(x, hi + 1);
}

/* The index of the first non-ASCII byte of s at or after i, or len; eight bytes at a time. */
static inline size_t dpl__ascii_end(const char *s, size_t i, size_t len)
{
    for (; i + 8 <= len; i += 8) {
        uint64_t x;
        __builtin_memcpy(&x, s + i, 8);
        if (x & DPL__HIGHS)
            return i + (size_t)(__builtin_ctzll(x & DPL__HIGHS) >> 3);
    }
    while (i < len && (unsigned char)s[i] < 0x80)
        i++;
    return i;
}

/* High bit set in each byte of x that is an ASCII letter, digit or '_' (x all ASCII). */
static inline uint64_t dpl__ascii_word_bytes(uint64_t x)
{
    return dpl__bytes_in_range(x, 'a', 'z') | dpl__bytes_in_range(x, 'A', 'Z') |
           dpl__bytes_in_range(x, '0', '9') | dpl__bytes_in_range(x, '_', '_');
}

#endif
