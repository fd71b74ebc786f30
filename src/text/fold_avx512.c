/* The normalizer's ASCII fast path, 64 bytes at a time with AVX-512 (F, BW, VBMI and
 * VBMI2, chosen at run time before fold_avx2.c; test_normalize checks that every path
 * agrees).
 *
 * One byte permute through the fold's 128-byte table both lowers a byte and marks the
 * ones that fold to a space (as 0); the bytes to write (visible ones, and the last space
 * of a run that a visible byte follows) are packed with one byte compression. The last,
 * shorter block is loaded under a mask, so no byte is left to a scalar loop. */
#include "text/text.h"

#if defined(__x86_64__) && defined(__GNUC__) /* text.h has included immintrin.h */

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vbmi,avx512vbmi2")))

TARGET size_t dpl__ascii_fold_avx512(const dpl__ascii_fold *f, const unsigned char *s,
                                     size_t len, char **o, const char *start, int *pending)
{
    const __m512i map_lo = _mm512_loadu_si512(f->map), map_hi = _mm512_loadu_si512(f->map + 64);
    const __m512i blank = _mm512_set1_epi8(' ');
    char *out = *o;
    int pend = *pending;
    size_t i = 0;
    while (i < len) {
        size_t n = len - i < 64 ? len - i : 64;
        __mmask64 in = dpl__first_bits(n);
        __m512i v = _mm512_maskz_loadu_epi8(in, s + i);
        if (_mm512_movepi8_mask(v))
            break; /* not ASCII: the caller's byte path */
        __m512i mapped = _mm512_permutex2var_epi8(map_lo, v, map_hi);
        __mmask64 space = _mm512_mask_cmpeq_epi8_mask(in, mapped, _mm512_setzero_si512());
        __mmask64 visible = in & ~space;
        i += n;
        if (!visible) {
            pend = 1;
            continue;
        }
        /* As in fold_avx2.c: a space is written when a visible byte follows it and
         * something was written before it. */
        uint64_t keep = visible | (space & (visible >> 1));
        unsigned first = (unsigned)__builtin_ctzll(visible);
        if (out == start)
            keep &= ~dpl__first_bits(first); /* no leading space */
        else if (pend && first == 0)
            *out++ = ' ';
        mapped = _mm512_mask_mov_epi8(mapped, space, blank);
        _mm512_storeu_si512(out, _mm512_maskz_compress_epi8(keep, mapped));
        out += __builtin_popcountll(keep);
        pend = (int)((space >> (n - 1)) & 1);
    }
    *o = out;
    *pending = pend;
    return i;
}

int dpl__cpu_has_avx512vbmi2(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512vbmi2");
}

#else

size_t dpl__ascii_fold_avx512(const dpl__ascii_fold *f, const unsigned char *s, size_t len,
                              char **o, const char *start, int *pending)
{
    (void)f, (void)s, (void)len, (void)o, (void)start, (void)pending;
    return 0;
}

int dpl__cpu_has_avx512vbmi2(void)
{
    return 0;
}

#endif
