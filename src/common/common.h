/* Internal helpers shared by every module: growable byte buffers, checked allocation and
 * the error-propagation macro. Not part of the public API. */
#ifndef DPL_COMMON_H
#define DPL_COMMON_H

#include "doppel.h"

#include <stddef.h>
#include <stdint.h>

/* Keep the happy path readable: return the error code of a failed call. */
#define DPL_TRY(expr)                \
    do {                             \
        int dpl__rc = (expr);        \
        if (dpl__rc != DPL_OK)       \
            return dpl__rc;          \
    } while (0)

/* A growable byte buffer. `data` is always NUL-terminated when non-NULL, so it can be
 * handed to functions that want C strings. */
typedef struct dpl__buf {
    char *data;
    size_t len;
    size_t cap;
} dpl__buf;

/* Room for `extra` bytes more (and the NUL): out of line only when the buffer grows. */
int dpl__buf_grow_for(dpl__buf *b, size_t extra);

static inline int dpl__buf_reserve(dpl__buf *b, size_t extra)
{
    return b->cap > b->len && extra < b->cap - b->len ? DPL_OK : dpl__buf_grow_for(b, extra);
}

static inline int dpl__buf_append(dpl__buf *b, const void *bytes, size_t n)
{
    DPL_TRY(dpl__buf_reserve(b, n));
    if (n)
        __builtin_memcpy(b->data + b->len, bytes, n);
    b->len += n;
    b->data[b->len] = '\0';
    return DPL_OK;
}

static inline int dpl__buf_putc(dpl__buf *b, char c)
{
    return dpl__buf_append(b, &c, 1);
}

int dpl__buf_printf(dpl__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dpl__buf_clear(dpl__buf *b);
void dpl__buf_free(dpl__buf *b);

/* Multiplication that reports overflow instead of wrapping. */
static inline int dpl__mul_overflows(size_t a, size_t b, size_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}

/* Grow an array of `elem` sized items to hold at least `need`, doubling. Arrays of 2 MiB
 * and more get blocks of transparent huge pages where the system gives them. */
int dpl__grow(void **array, size_t *cap, size_t need, size_t elem);

/* dpl__grow() to hold `more` items after the first `used`, those `more` mapped at once
 * (dpl__prefault): for arrays about to be appended to. */
int dpl__grow_mapped(void **array, size_t *cap, size_t used, size_t more, size_t elem);

/* calloc() that gives blocks of 2 MiB and more huge pages, as dpl__grow() does; NULL when
 * out of memory. Released with free(). */
void *dpl__calloc_big(size_t n, size_t elem);

/* A hint: the whole pages of [p, p + bytes), allocated and about to be written, are mapped
 * now, in one system call, instead of a page fault each as they are first written. */
void dpl__prefault(void *p, size_t bytes);

#endif
