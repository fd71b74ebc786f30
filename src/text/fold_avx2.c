/* The normalizer's ASCII fast path, 32 bytes at a time with AVX2 (chosen at run time;
 * normalize.c keeps the portable path, and test_normalize checks that both agree).
 *
 * With white-space folding on, every ASCII byte either folds to a collapsible space or
 * is kept (upper case lowered when case folding is on). A block is classified with two
 * nibble lookups, mapped, and the bytes to write (visible bytes, and the last space of a
 * run that a visible byte follows) are packed to the left eight at a time through a
 * shuffle table. */
#include "text/text.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)

void dpl__ascii_fold_init(dpl__ascii_fold *f, const unsigned char map[128], int casefold)
{
    memset(f, 0, sizeof *f);
    f->casefold = casefold;
    memcpy(f->map, map, sizeof f->map);
    for (unsigned c = 0; c < 128; c++)
        if (map[c] == 0)
            f->space_lo[c & 15] |= (uint8_t)(1u << (c >> 4));
    for (unsigned m = 0; m < 256; m++) {
        /* Byte j of entry m: the index of the j-th set bit of m, then 0x80 (zero). */
        uint64_t entry = 0;
        unsigned j = 0;
        for (unsigned b = 0; b < 8; b++)
            if (m & (1u << b))
                entry |= (uint64_t)b << (8 * j++);
        for (; j < 8; j++)
            entry |= (uint64_t)0x80 << (8 * j);
        f->pack[m] = entry;
    }
}

__attribute__((target("avx2"))) static void pack_store(const dpl__ascii_fold *f, __m256i mapped,
                                                        uint32_t keep, char **o)
{
    if (keep == UINT32_MAX) {
        _mm256_storeu_si256((__m256i *)*o, mapped);
        *o += 32;
        return;
    }
    uint64_t lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, mapped);
    for (int q = 0; q < 4; q++) {
        unsigned m = (keep >> (8 * q)) & 0xFF;
        __m128i x = _mm_cvtsi64_si128((long long)lanes[q]);
        __m128i shuf = _mm_cvtsi64_si128((long long)f->pack[m]);
        _mm_storel_epi64((__m128i *)*o, _mm_shuffle_epi8(x, shuf));
        *o += __builtin_popcount(m);
    }
}

__attribute__((target("avx2"))) size_t dpl__ascii_fold_avx2(const dpl__ascii_fold *f,
                                                            const unsigned char *s, size_t len,
                                                            char **o, const char *start,
                                                            int *pending)
{
    const __m256i upper_lo = _mm256_set1_epi8('A' - 1), upper_hi = _mm256_set1_epi8('Z' + 1);
    const __m256i case_bit = _mm256_set1_epi8(f->casefold ? 0x20 : 0);
    const __m256i blank = _mm256_set1_epi8(' ');
    const __m256i spaces =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)f->space_lo));
    size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(s + i));
        if (_mm256_movemask_epi8(v))
            break; /* not ASCII: the caller's byte path */
        __m256i sp = dpl__avx2_in_ascii_set(v, spaces);
        __m256i upper = _mm256_and_si256(_mm256_cmpgt_epi8(v, upper_lo),
                                         _mm256_cmpgt_epi8(upper_hi, v));
        __m256i mapped = _mm256_add_epi8(v, _mm256_and_si256(upper, case_bit));
        mapped = _mm256_blendv_epi8(mapped, blank, sp);
        uint32_t space = (uint32_t)_mm256_movemask_epi8(sp), visible = ~space;
        if (!visible) {
            *pending = 1;
            continue;
        }
        /* A space is written when a visible byte follows it, and something was written
         * before it; a run's other spaces, and a trailing one, are not. */
        uint32_t keep = visible | (space & (visible >> 1));
        unsigned first = (unsigned)__builtin_ctz(visible);
        if (*o == start)
            keep &= ~((1u << first) - 1); /* no leading space */
        else if (*pending && first == 0)
            *(*o)++ = ' ';
        pack_store(f, mapped, keep, o);
        *pending = (int)(space >> 31);
    }
    return i;
}

int dpl__cpu_has_avx2(void)
{
    return __builtin_cpu_supports("avx2");
}

#else

void dpl__ascii_fold_init(dpl__ascii_fold *f, const unsigned char map[128], int casefold)
{
    (void)map; /* no SIMD path here to set up */
    memset(f, 0, sizeof *f);
    f->casefold = casefold;
}

size_t dpl__ascii_fold_avx2(const dpl__ascii_fold *f, const unsigned char *s, size_t len,
                            char **o, const char *start, int *pending)
{
    (void)f, (void)s, (void)len, (void)o, (void)start, (void)pending;
    return 0;
}

int dpl__cpu_has_avx2(void)
{
    return 0;
}

#endif
