/* Internal interface of the text family: UTF-8 validation shared by the reader and the
 * normalizer. */
#ifndef DPL_TEXT_H
#define DPL_TEXT_H

#include "common/common.h"

/* Length of the longest prefix of `s` that is valid UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF). ASCII is skipped 32 bytes at a time. */
size_t dpl__utf8_valid_prefix(const char *s, size_t len);

/* Append `s` to `out` with every invalid UTF-8 sequence (an invalid byte and the
 * continuation bytes that follow it) replaced by U+FFFD. Returns the number of
 * replacements in *replaced. */
int dpl__utf8_sanitize(const char *s, size_t len, dpl__buf *out, size_t *replaced);

/* dpl_normalize() for text already known to be valid UTF-8 (a parsed record's text):
 * skips the validation pass. */
int dpl__normalize_valid(dpl_normalizer *n, const char *text, size_t len, const char **out,
                         size_t *out_len);

/* Whether the text the last call of dpl_normalize() or dpl__normalize_valid() wrote is all
 * ASCII: the later stages then skip their own scans for other scripts. */
int dpl__normalized_ascii(const dpl_normalizer *n);

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

/* The lowest n bits set (all for n >= 64): which bytes of a 64-byte block a masked load
 * takes when only n are left. */
static inline uint64_t dpl__first_bits(size_t n)
{
    return n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
}

/* dpl__ascii_end() 64 bytes a step in AVX-512 BW, the last block masked (utf8.c). Call
 * only when the CPU has AVX-512 F and BW. */
size_t dpl__ascii_end_avx512(const char *s, size_t i, size_t len);

/* dpl__ascii_end() without SIMD: thirty-two bytes a step while they are all ASCII (four
 * words OR-ed, one test), then eight at a time to find the byte. */
static inline size_t dpl__ascii_end_portable(const char *s, size_t i, size_t len)
{
    for (; i + 32 <= len; i += 32) {
        uint64_t w[4];
        __builtin_memcpy(w, s + i, 32);
        if ((w[0] | w[1] | w[2] | w[3]) & DPL__HIGHS)
            break;
    }
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

/* The index of the first non-ASCII byte of s at or after i, or len. The stages call it
 * at every change of script, hundreds of times a document of mixed text: with AVX-512
 * it needs no tail loops. */
static inline size_t dpl__ascii_end(const char *s, size_t i, size_t len)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
        return dpl__ascii_end_avx512(s, i, len);
#endif
    return dpl__ascii_end_portable(s, i, len);
}

/* The index of the first ASCII byte of s at or after i, or len: the end of a run of
 * non-ASCII bytes (of whole code points, in valid UTF-8). Runs are a word or two. */
static inline size_t dpl__non_ascii_end(const char *s, size_t i, size_t len)
{
    while (i < len && (unsigned char)s[i] >= 0x80)
        i++;
    return i;
}

/* High bit set in each byte of x that is an ASCII letter, digit or '_' (x all ASCII). */
static inline uint64_t dpl__ascii_word_bytes(uint64_t x)
{
    return dpl__bytes_in_range(x, 'a', 'z') | dpl__bytes_in_range(x, 'A', 'Z') |
           dpl__bytes_in_range(x, '0', '9') | dpl__bytes_in_range(x, '_', '_');
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* The bytes of v that belong to a set of ASCII bytes, as 0xFF. `sets` is a nibble table,
 * once per 128-bit lane: bit h of entry l says whether the byte 0xhl belongs. The low
 * nibble picks the entry and the high nibble its bit, so any set costs two shuffles.
 * Bytes from 0x80 up come out as members: callers use ASCII blocks only. */
__attribute__((target("avx2"))) static inline __m256i dpl__avx2_in_ascii_set(__m256i v,
                                                                             __m256i sets)
{
    const __m256i bit_of_high = _mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, (char)128, 0, 0, 0,
                                                 0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64,
                                                 (char)128, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    __m256i set = _mm256_shuffle_epi8(sets, _mm256_and_si256(v, nibble));
    __m256i bit = _mm256_shuffle_epi8(bit_of_high,
                                      _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble));
    return _mm256_cmpeq_epi8(_mm256_and_si256(set, bit), bit);
}
#endif

/* The ASCII fast path of normalization with white-space folding, in AVX2 (fold_avx2.c)
 * and AVX-512 (fold_avx512.c), set up by dpl__ascii_fold_init. AVX-512 permutes bytes
 * through `map`; AVX2 finds the bytes that fold to a collapsible space through the
 * nibble table `space_lo` (bit c >> 4 of entry c & 15), and `pack` maps an 8-bit mask of
 * bytes to keep to the shuffle that packs them to the left. */
typedef struct dpl__ascii_fold {
    uint8_t map[128]; /* each byte as it is written; 0 for one that folds to a space */
    uint8_t space_lo[16];
    int casefold;
    uint64_t pack[256];
} dpl__ascii_fold;

/* map[c]: ASCII byte c as the normalizer writes it, 0 when it folds to a collapsible
 * space (the normalizer's own table). */
void dpl__ascii_fold_init(dpl__ascii_fold *f, const unsigned char map[128], int casefold);

/* Folds whole 32-byte blocks of s (stopping at one with a non-ASCII byte) into *o, which
 * must have room for 32 bytes more than it receives; `start` is the output's beginning and
 * *pending the held-back space, as in the portable path. Returns the bytes consumed.
 * Call only when dpl__cpu_has_avx2(). */
size_t dpl__ascii_fold_avx2(const dpl__ascii_fold *f, const unsigned char *s, size_t len,
                            char **o, const char *start, int *pending);

/* Whether this CPU runs AVX2: the family's run-time dispatch (normalize.c, tokenize.c). */
int dpl__cpu_has_avx2(void);

/* As dpl__ascii_fold_avx2(), 64 bytes at a time (the last block a shorter, masked one),
 * all of s unless a block has a non-ASCII byte; *o must have room for 64 bytes more than
 * it receives. Call only when dpl__cpu_has_avx512vbmi2(). */
size_t dpl__ascii_fold_avx512(const dpl__ascii_fold *f, const unsigned char *s, size_t len,
                              char **o, const char *start, int *pending);
/* AVX-512 F, BW, VBMI and VBMI2: byte permutes and byte compression. */
int dpl__cpu_has_avx512vbmi2(void);

/* Word shingles (shingle.c): the polynomial h[i]*P^(n-1) + ... + h[i+n-1] of n token
 * hashes, finished with XXH3's avalanche. */
#define DPL__SHINGLE_ROLL_BASE 0x9E3779B97F4A7C15ull
/* Longer n are left to the rolling path, whose cost does not grow with n. */
#define DPL__SIMD_SHINGLE_MAX_N 8

/* XXH3_64bits() of the first tokens (whole groups of 8, of `count`; returned) into out,
 * eight at a time in AVX-512, except for tokens longer than 16 bytes, and tokens of up to
 * 8 bytes too near the text's end to read 8 bytes from their start: their indices go to
 * rest (room for `count`), in order, *n_rest of them, for the caller to hash. Call only
 * when dpl__cpu_has_avx512dq(). */
size_t dpl__hash_tokens_avx512(const char *text, size_t text_len, const dpl_token *tokens,
                               size_t count, uint64_t *out, uint32_t *rest, size_t *n_rest);

/* The first shingles of h (whole groups of 8, of `count`) in AVX-512; returns how many
 * it made: 0 for n > DPL__SIMD_SHINGLE_MAX_N. Call only when dpl__cpu_has_avx512dq(). */
size_t dpl__combine_shingles_avx512(const uint64_t *h, size_t count, size_t n, uint64_t *out);
/* AVX-512 F, BW, DQ and VL: 64-bit multiplies, byte shuffles, 256-bit compressions. */
int dpl__cpu_has_avx512dq(void);

/* All `count` shingles of n token hashes each (h holds count + n - 1): with AVX-512 for
 * the first ones when simd is set (the caller has checked dpl__cpu_has_avx512dq()), the
 * rest rolling. shingle.c uses it, and test_sketch to compare the two paths. */
void dpl__combine_shingles(const uint64_t *h, size_t count, size_t n, int simd, uint64_t *out);

/* Every run of this handle processed afresh, none from the run cache: for the test that
 * the cache changes nothing. */
void dpl__script_disable_run_cache(dpl_script *sc);

/* dpl_tokenize() (spaced 0) or dpl_tokenize_spaced() (1) by the portable path (level 0),
 * AVX2 (1) or AVX-512 (2), or the best this CPU has below the level asked for: for the
 * test that all paths agree. */
size_t dpl__tokenize_level(const char *text, size_t len, int spaced, int level,
                           dpl_token *tokens, size_t cap);

#endif
