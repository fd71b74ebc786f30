/* The fast path of JSONL record parsing: simdjson (SIMD, chosen at run time among its
 * AVX-512, AVX2, SSE4.2 and portable kernels) decodes the common line, a JSON object
 * whose text is a string and whose id and lang are strings or absent. Anything else is left to json-c
 * (record.c), which stays the reference: every message about a malformed or unusual line
 * comes from it, so the fast path only ever answers where both libraries agree. Not part
 * of the public API.
 *
 * Why the two agree on what the fast path takes: simdjson validates the whole line
 * (UTF-8 included, and it rejects lone surrogate escapes), so its strings are valid
 * UTF-8 and equal to json-c's (but where json-c 0.16 decodes a surrogate pair wrongly,
 * see test_reader); it rejects what json-c only tolerates (comments, single
 * quotes, NaN, control bytes in strings, numbers out of range, nesting deeper than
 * DPL__JSON_FAST_MAX_DEPTH), and those lines go to json-c. A field named twice, a key
 * holding a NUL byte (json-c's keys are C strings) or a line starting with a byte order
 * mark goes to json-c as well.
 * tests/test_reader.c and the fuzz_reader target compare both paths on such lines.
 *
 * Thread safety: one dpl__json_fast per thread. */
#ifndef DPL_IO_JSON_FAST_H
#define DPL_IO_JSON_FAST_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longer lines go to json-c: a simdjson parser keeps ~15 bytes of buffers per byte of
 * the longest line it has seen (3.8 MB per thread at most, then), and longer lines are
 * too rare to be worth more. */
#define DPL__JSON_FAST_MAX_LINE ((size_t)256 << 10)
/* Shallower than json-c's limit of 64 in record.c, so that nesting near that limit is
 * decided by json-c alone. */
#define DPL__JSON_FAST_MAX_DEPTH 32

/* The name of the simdjson kernel this CPU runs ("icelake", "haswell", "westmere",
 * "fallback"), for tests and reports. */
const char *dpl__json_fast_kernel(void);

typedef struct dpl__json_fast dpl__json_fast;

/* One decoded string field: NUL-terminated, valid UTF-8, living in the dpl__json_fast
 * until its next parse. s is NULL when the field is absent. */
typedef struct dpl__json_str {
    const char *s;
    size_t len;
} dpl__json_str;

/* A decoder of the fields named names[0..2] (id, text, lang; two may be the same name,
 * and the strings must outlive it). NULL when out of memory, or when simdjson runs no
 * kernel on this CPU (SIMDJSON_FORCE_IMPLEMENTATION naming none it has). */
dpl__json_fast *dpl__json_fast_create(const char *const names[3]);
void dpl__json_fast_free(dpl__json_fast *f);

/* Decodes `line` when it is a JSON object whose three fields are strings, each named at
 * most once, text present. Returns 1 with them in out[0..2] (id, text, lang); 0 for any
 * other line, which the caller then gives to json-c. `padded`: 64 readable bytes follow
 * the line (DPL__RAW_PADDING), which then is not copied first. */
int dpl__json_fast_parse(dpl__json_fast *f, const char *line, size_t len, int padded,
                         dpl__json_str out[3]);

#ifdef __cplusplus
}
#endif

#endif
