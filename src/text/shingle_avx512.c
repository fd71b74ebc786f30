/* Word shingles eight at a time with AVX-512 (F, BW, DQ and VL, chosen at run time; shingle.c
 * keeps the portable paths, and test_sketch checks that both give the same hashes):
 *
 *   token hashes   XXH3-64 of eight tokens of up to 8 bytes at once, from one gather of
 *                  their first 8 bytes: XXH3's 1-3 and 4-8 byte formulas both computed and
 *                  blended by length; then the tokens of 9 to 16 bytes among those left,
 *                  eight at a time (their first and last 8 bytes gathered, the 64x64-bit
 *                  product folded from 32-bit products). The same values as
 *                  XXH3_64bits() to the bit.
 *   shingles       the portable path rolls the polynomial along the text, a chain of
 *                  dependent multiplies; here each of eight shingles takes its polynomial
 *                  afresh, so that nothing waits on the shingle before. Mod 2^64 both are
 *                  the same sum, to the bit. */
#include "text/text.h"

#if defined(__x86_64__) && defined(__GNUC__) /* text.h has included immintrin.h */

#define XXH_INLINE_ALL
#include <xxhash.h>

#define RRMXMX_PRIME 0x9FB21C651E98DF25ull /* XXH3_rrmxmx()'s, a literal in xxhash.h */

/* XXH3_len_1to3_64b() with seed 0, from x (the token's first bytes) and its length. */
__attribute__((target("avx512f,avx512dq,avx512vl"))) static __m512i
xxh3_1to3(__m512i x, __m512i len, __m512i bitflip)
{
    const __m512i byte = _mm512_set1_epi64(0xFF);
    __m512i c1 = _mm512_and_si512(x, byte);
    __m512i c2 = _mm512_and_si512(
        _mm512_srlv_epi64(x, _mm512_slli_epi64(_mm512_srli_epi64(len, 1), 3)), byte);
    __m512i c3 = _mm512_and_si512(
        _mm512_srlv_epi64(x, _mm512_slli_epi64(_mm512_sub_epi64(len, _mm512_set1_epi64(1)), 3)),
        byte);
    __m512i h = _mm512_or_si512(_mm512_or_si512(_mm512_slli_epi64(c1, 16), _mm512_slli_epi64(c2, 24)),
                                _mm512_or_si512(c3, _mm512_slli_epi64(len, 8)));
    h = _mm512_xor_si512(h, bitflip);
    /* XXH64_avalanche */
    h = _mm512_xor_si512(h, _mm512_srli_epi64(h, 33));
    h = _mm512_mullo_epi64(h, _mm512_set1_epi64((long long)XXH_PRIME64_2));
    h = _mm512_xor_si512(h, _mm512_srli_epi64(h, 29));
    h = _mm512_mullo_epi64(h, _mm512_set1_epi64((long long)XXH_PRIME64_3));
    return _mm512_xor_si512(h, _mm512_srli_epi64(h, 32));
}

/* XXH3_len_4to8_64b() with seed 0. */
__attribute__((target("avx512f,avx512dq,avx512vl"))) static __m512i
xxh3_4to8(__m512i x, __m512i len, __m512i bitflip)
{
    const __m512i low32 = _mm512_set1_epi64(0xFFFFFFFF);
    const __m512i prime = _mm512_set1_epi64((long long)RRMXMX_PRIME);
    __m512i first = _mm512_and_si512(x, low32);
    __m512i last = _mm512_and_si512(
        _mm512_srlv_epi64(x, _mm512_slli_epi64(_mm512_sub_epi64(len, _mm512_set1_epi64(4)), 3)),
        low32);
    __m512i h = _mm512_xor_si512(_mm512_add_epi64(last, _mm512_slli_epi64(first, 32)), bitflip);
    /* XXH3_rrmxmx */
    h = _mm512_xor_si512(h, _mm512_xor_si512(_mm512_rol_epi64(h, 49), _mm512_rol_epi64(h, 24)));
    h = _mm512_mullo_epi64(h, prime);
    h = _mm512_xor_si512(h, _mm512_add_epi64(_mm512_srli_epi64(h, 35), len));
    h = _mm512_mullo_epi64(h, prime);
    return _mm512_xor_si512(h, _mm512_srli_epi64(h, 28));
}

#define AVALANCHE_PRIME 0x165667919E3779F9ull /* XXH3_avalanche()'s, a literal in xxhash.h */

/* XXH3_avalanche(): x ^= x >> 37; x *= prime; x ^= x >> 32. */
__attribute__((target("avx512f,avx512dq,avx512vl"))) static __m512i xxh3_avalanche(__m512i x)
{
    x = _mm512_xor_si512(x, _mm512_srli_epi64(x, 37));
    x = _mm512_mullo_epi64(x, _mm512_set1_epi64((long long)AVALANCHE_PRIME));
    return _mm512_xor_si512(x, _mm512_srli_epi64(x, 32));
}

/* XXH3_mul128_fold64(): the low and high halves of the 128-bit product a*b, XOR-ed.
 * AVX-512 multiplies 32 by 32 bits into 64, so the product is summed from four. */
__attribute__((target("avx512f,avx512dq,avx512vl"))) static __m512i mul128_fold64(__m512i a,
                                                                                 __m512i b)
{
    const __m512i low32 = _mm512_set1_epi64(0xFFFFFFFF);
    __m512i a_hi = _mm512_srli_epi64(a, 32), b_hi = _mm512_srli_epi64(b, 32);
    __m512i ll = _mm512_mul_epu32(a, b), lh = _mm512_mul_epu32(a, b_hi);
    __m512i hl = _mm512_mul_epu32(a_hi, b), hh = _mm512_mul_epu32(a_hi, b_hi);
    /* bits 32..95 of the product, below 2^34: no carry is lost */
    __m512i mid = _mm512_add_epi64(_mm512_add_epi64(_mm512_srli_epi64(ll, 32),
                                                    _mm512_and_si512(lh, low32)),
                                   _mm512_and_si512(hl, low32));
    __m512i lo = _mm512_or_si512(_mm512_slli_epi64(mid, 32), _mm512_and_si512(ll, low32));
    __m512i hi = _mm512_add_epi64(_mm512_add_epi64(hh, _mm512_srli_epi64(lh, 32)),
                                  _mm512_add_epi64(_mm512_srli_epi64(hl, 32),
                                                   _mm512_srli_epi64(mid, 32)));
    return _mm512_xor_si512(lo, hi);
}

/* XXH3_len_9to16_64b() with seed 0, from the token's first and last 8 bytes. */
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))) static __m512i
xxh3_9to16(__m512i first, __m512i last, __m512i len)
{
    const __m512i bitflip1 = _mm512_set1_epi64(
        (long long)(XXH_readLE64(XXH3_kSecret + 24) ^ XXH_readLE64(XXH3_kSecret + 32)));
    const __m512i bitflip2 = _mm512_set1_epi64(
        (long long)(XXH_readLE64(XXH3_kSecret + 40) ^ XXH_readLE64(XXH3_kSecret + 48)));
    const __m512i byte_swap = _mm512_set_epi8(
        8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7,
        8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7,
        8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7,
        8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    __m512i lo = _mm512_xor_si512(first, bitflip1), hi = _mm512_xor_si512(last, bitflip2);
    return xxh3_avalanche(_mm512_add_epi64(
        _mm512_add_epi64(len, _mm512_shuffle_epi8(lo, byte_swap)),
        _mm512_add_epi64(hi, mul128_fold64(lo, hi))));
}

/* The tokens of 9 to 16 bytes among the n listed in rest, hashed eight at a time (the
 * last group masked); the others stay listed, in order, in place. Returns how many. */
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))) static size_t
hash_listed_9to16(const char *text, const dpl_token *tokens, uint64_t *out, uint32_t *rest,
                  size_t n)
{
    const long long *fields = (const long long *)tokens; /* {offset, len} as 64-bit pairs */
    const __m512i nine = _mm512_set1_epi64(9), seven = _mm512_set1_epi64(7),
                  eight = _mm512_set1_epi64(8);
    size_t kept = 0;
    for (size_t j = 0; j < n; j += 8) {
        __mmask8 lanes = (__mmask8)dpl__first_bits(n - j);
        __m256i index = _mm256_maskz_loadu_epi32(lanes, rest + j);
        __m512i index64 = _mm512_cvtepu32_epi64(index);
        __m512i pair = _mm512_slli_epi64(index64, 1);
        __m512i off = _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), lanes, pair, fields, 8);
        __m512i len = _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), lanes, pair,
                                                  fields + 1, 8);
        /* both 8-byte reads lie inside the token */
        __mmask8 mid = lanes & _mm512_cmple_epu64_mask(_mm512_sub_epi64(len, nine), seven);
        __m512i first = _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), mid, off, text, 1);
        __m512i last = _mm512_mask_i64gather_epi64(
            _mm512_setzero_si512(), mid, _mm512_sub_epi64(_mm512_add_epi64(off, len), eight),
            text, 1);
        _mm512_mask_i64scatter_epi64(out, mid, index64, xxh3_9to16(first, last, len), 8);
        /* written at or below j: the group is already loaded */
        __mmask8 left = lanes & (__mmask8)~mid;
        _mm256_storeu_si256((__m256i *)(rest + kept), _mm256_maskz_compress_epi32(left, index));
        kept += (size_t)__builtin_popcount(left);
    }
    return kept;
}

__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))) size_t
dpl__hash_tokens_avx512(const char *text, size_t text_len, const dpl_token *tokens,
                        size_t count, uint64_t *out, uint32_t *rest, size_t *n_rest)
{
    const __m512i bitflip13 = _mm512_set1_epi64(
        (long long)(XXH_readLE32(XXH3_kSecret) ^ XXH_readLE32(XXH3_kSecret + 4)));
    const __m512i bitflip48 = _mm512_set1_epi64(
        (long long)(XXH_readLE64(XXH3_kSecret + 8) ^ XXH_readLE64(XXH3_kSecret + 16)));
    /* dpl_token is {offset, len}: two 512-bit loads hold eight, split by these */
    const __m512i pick_off = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
    const __m512i pick_len = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
    const __m512i one = _mm512_set1_epi64(1), three = _mm512_set1_epi64(3),
                  eight = _mm512_set1_epi64(8);
    const __m512i readable_end = _mm512_set1_epi64((long long)(text_len >= 8 ? text_len - 8 : 0));
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    size_t i = 0, r = 0;
    for (; i + 8 <= count && i + 8 <= UINT32_MAX; i += 8) {
        __m512i a = _mm512_loadu_si512(tokens + i), b = _mm512_loadu_si512(tokens + i + 4);
        __m512i off = _mm512_permutex2var_epi64(a, pick_off, b);
        __m512i len = _mm512_permutex2var_epi64(a, pick_len, b);
        /* 8 bytes read from the token's start must lie in the text, and the token must be
         * 1 to 8 bytes long: the others (long words, the text's last bytes) are left to
         * the caller, listed in rest. */
        __mmask8 ok = _mm512_cmple_epu64_mask(off, readable_end) &
                      _mm512_cmple_epu64_mask(_mm512_sub_epi64(len, one), _mm512_sub_epi64(eight, one));
        if (text_len < 8)
            ok = 0;
        __m512i x = _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), ok, off, text, 1);
        __m512i h = _mm512_mask_blend_epi64(_mm512_cmple_epu64_mask(len, three),
                                            xxh3_4to8(x, len, bitflip48),
                                            xxh3_1to3(x, len, bitflip13));
        _mm512_storeu_si512(out + i, h);
        /* compressed in a register, then stored: a compressing store to memory is
         * microcoded, and slow, on some CPUs (AMD Zen 4) */
        __mmask8 left = (__mmask8)~ok;
        _mm256_storeu_si256((__m256i *)(rest + r),
                            _mm256_maskz_compress_epi32(left, _mm256_add_epi32(
                                lane, _mm256_set1_epi32((int)i))));
        r += (size_t)__builtin_popcount(left);
    }
    *n_rest = hash_listed_9to16(text, tokens, out, rest, r);
    return i;
}

__attribute__((target("avx512f,avx512dq,avx512vl"))) size_t
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
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m512i acc = _mm512_loadu_si512(h + i + n - 1);
        for (size_t j = 0; j + 1 < n; j++)
            acc = _mm512_add_epi64(acc, _mm512_mullo_epi64(_mm512_loadu_si512(h + i + j),
                                                           power[j]));
        _mm512_storeu_si512(out + i, xxh3_avalanche(_mm512_xor_si512(acc, tag)));
    }
    return i;
}

int dpl__cpu_has_avx512dq(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}

#else

size_t dpl__hash_tokens_avx512(const char *text, size_t text_len, const dpl_token *tokens,
                               size_t count, uint64_t *out, uint32_t *rest, size_t *n_rest)
{
    (void)text, (void)text_len, (void)tokens, (void)count, (void)out, (void)rest;
    *n_rest = 0;
    return 0;
}

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
