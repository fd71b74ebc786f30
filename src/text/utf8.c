/* UTF-8 validation and repair. utf8proc decides what is valid; this file only finds the
 * invalid spots quickly and replaces them, so that every later stage sees valid text. */
#include "text/text.h"

#include <utf8proc.h>

size_t dpl__utf8_valid_prefix(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        i = dpl__ascii_end(s, i, len);
        if (i >= len)
            break;
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(u + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0)
            return i;
        i += (size_t)n;
    }
    return len;
}

static const char replacement_char[] = "\xEF\xBF\xBD"; /* U+FFFD */

int dpl__utf8_sanitize(const char *s, size_t len, dpl__buf *out, size_t *replaced)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, count = 0;
    while (i < len) {
        size_t valid = dpl__utf8_valid_prefix(s + i, len - i);
        DPL_TRY(dpl__buf_append(out, s + i, valid));
        i += valid;
        if (i >= len)
            break;
        /* Skip the invalid byte and the continuation bytes that dangle after it. */
        i++;
        while (i < len && (u[i] & 0xC0) == 0x80)
            i++;
        DPL_TRY(dpl__buf_append(out, replacement_char, 3));
        count++;
    }
    if (replaced)
        *replaced = count;
    return DPL_OK;
}

#if defined(__x86_64__) && defined(__GNUC__) /* text.h has included immintrin.h */
__attribute__((target("avx512f,avx512bw"))) size_t dpl__ascii_end_avx512(const char *s,
                                                                        size_t i, size_t len)
{
    while (i < len) {
        size_t n = len - i < 64 ? len - i : 64;
        __mmask64 high = _mm512_movepi8_mask(_mm512_maskz_loadu_epi8(dpl__first_bits(n), s + i));
        if (high)
            return i + (size_t)__builtin_ctzll(high);
        i += n;
    }
    return i;
}
#else
size_t dpl__ascii_end_avx512(const char *s, size_t i, size_t len)
{
    return dpl__ascii_end_portable(s, i, len);
}
#endif
