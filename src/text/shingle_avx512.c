/* Word shingles from token hashes, eight at a time with AVX-512 (F and DQ, chosen at run
 * time; shingle.c keeps the portable rolling path, and test_sketch checks that both give
 * the same hashes). The portable path rolls the polynomial along the text, a chain of
 * dependent multiplies; here each of eight shingles takes its polynomial afresh, so that
 * nothing waits on the shingle before. Mod 2^64 both are the same sum, to the bit. */
#include "text/text.h"

#if defined(__x86_64__) && defined(__GNUC__) /* text.h has included immintrin.h */

#define AVALANCHE_PRIME 0x165667919E3779F9ull /* XXH3_avalanche()'s, see below */

__attribute__((target("avx512f,avx512dq"))) size_t
dpl__combine_shingles_avx512(const uint64_t *h, size_t count, size_t n, uint64_t *out)
{
    if (n > DPL__SIMD_SHINGLE_MAX_N)
        return 0;
    __m512i power[DPL__SIMD_SHINGLE_MAX_N]; /* power[j] = P^(n-1-j) */
    uint64_t p = 1;
    for (size_t j = n; j-- > 0;) {
        power[j] = _mm512_set1_epi64((long long)p);
        p *= DPL__SHINGLE_ROLL_BASE;
    }
    const __m512i tag = _mm512_set1_epi64((long long)n);
    const __m512i prime = _mm512_set1_epi64((long long)AVALANCHE_PRIME);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m512i acc = _mm512_loadu_si512(h + i + n - 1);
        for (size_t j = 0; j + 1 < n; j++)
            acc = _mm512_add_epi64(acc, _mm512_mullo_epi64(_mm512_loadu_si512(h + i + j),
                                                           power[j]));
        /* XXH3_avalanche(acc ^ n): x ^= x >> 37; x *= prime; x ^= x >> 32 */
        acc = _mm512_xor_si512(acc, tag);
        acc = _mm512_xor_si512(acc, _mm512_srli_epi64(acc, 37));
        acc = _mm512_mullo_epi64(acc, prime);
        acc = _mm512_xor_si512(acc, _mm512_srli_epi64(acc, 32));
        _mm512_storeu_si512(out + i, acc);
    }
    return i;
}

int dpl__cpu_has_avx512dq(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
}

#else

size_t dpl__combine_shingles_avx512(const uint64_t *h, size_t count, size_t n, uint64_t *out)
{
    (void)h;
    (void)count;
    (void)n;
    (void)out;
    return 0;
}

int dpl__cpu_has_avx512dq(void)
{
    return 0;
}

#endif
