/* Growable buffers: the one place that reallocates byte storage. */
#include "common/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Fresh memory is dear on a virtual machine whose host backs a guest page on first touch:
 * measured on the development VM, a 4 KiB page cost 15 us when written, 6.1 when mapped
 * first with MADV_POPULATE_WRITE (Linux 5.14), and 0.4 when it lies in a transparent huge
 * page (2 MiB, one host mapping). Where the system gives huge pages on request (the
 * "madvise" setting, or "always"), every large array is asked for them before it is
 * first written; the kernel uses them for its 2 MiB-aligned inside. Elsewhere the calls
 * fail, and pages fault as before. */
#define HUGE_PAGE ((uintptr_t)2 << 20)

/* Asks the kernel `advice` for the whole pages of [p, p + bytes), rounded outwards: the
 * first and the last page hold bytes of the range, so they are mapped, and neither
 * advice here changes their other bytes. (A block that malloc mapped on its own is then
 * advised whole, and its mapping is not split: realloc could not move a split one with
 * mremap, and would copy it.) Failures change nothing but speed. */
#if defined(MADV_HUGEPAGE) || defined(MADV_POPULATE_WRITE)
static void advise_pages(void *p, size_t bytes, int advice)
{
    long size = sysconf(_SC_PAGESIZE);
    uintptr_t page = size > 0 ? (uintptr_t)size : 4096;
    uintptr_t start = (uintptr_t)p & ~(page - 1);
    uintptr_t end = ((uintptr_t)p + bytes + page - 1) & ~(page - 1);
    if (bytes)
        (void)madvise((void *)start, end - start, advice);
}
#endif

/* Huge pages for a block of at least HUGE_PAGE, before it is first written. */
static void advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    if (bytes >= HUGE_PAGE)
        advise_pages(p, bytes, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* MADV_POPULATE_WRITE (Linux 5.14); elsewhere, and on older kernels (EINVAL), the pages
 * fault as they are first written. A batch's arrays span a few pages; rounded inwards,
 * their edges faulted one by one. */
void dpl__prefault(void *p, size_t bytes)
{
#ifdef MADV_POPULATE_WRITE
    advise_pages(p, bytes, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* A large block, 2 MiB-aligned and a whole number of huge pages long, advised before
 * anything touches it; free() releases it like any other. */
static void *alloc_big(size_t bytes)
{
    size_t size = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    if (size < bytes)
        return NULL;
    void *p = aligned_alloc(HUGE_PAGE, size);
    if (p)
        advise_huge(p, size);
    return p;
}

void *dpl__calloc_big(size_t n, size_t elem)
{
    size_t bytes;
    if (dpl__mul_overflows(n, elem, &bytes))
        return NULL;
    if (bytes < HUGE_PAGE)
        return calloc(n ? n : 1, elem);
    void *p = alloc_big(bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

/* Arrays of 2 MiB or more move to a new huge-page block when they grow, their contents
 * copied: realloc() would move their pages without a copy, but the new half would then
 * come in 4 KiB pages, and fresh 4 KiB pages cost more than the copy (0.3-0.7 GB/s of
 * them against several GB/s of copying on the development VM). Both blocks live for a
 * moment, so past GROW_COPY_MAX arrays grow by realloc() again: a copy of gigabytes
 * could double what a job needs at its peak. */
#define GROW_COPY_MAX ((size_t)1 << 30)

static void *grow_big(void *old, size_t old_bytes, size_t bytes)
{
    void *p = alloc_big(bytes);
    if (p && old) {
        memcpy(p, old, old_bytes);
        free(old);
    }
    return p;
}

int dpl__grow(void **array, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return DPL_OK;
    size_t new_cap = *cap ? *cap : 16;
    while (new_cap < need) {
        if (new_cap > SIZE_MAX / 2)
            return DPL_ENOMEM;
        new_cap *= 2;
    }
    size_t bytes;
    if (dpl__mul_overflows(new_cap, elem, &bytes))
        return DPL_ENOMEM;
    int copy = bytes >= HUGE_PAGE && bytes <= GROW_COPY_MAX;
    void *p = copy ? grow_big(*array, *cap * elem, bytes) : realloc(*array, bytes);
    if (!p)
        return DPL_ENOMEM;
    if (!copy)
        advise_huge(p, bytes); /* past GROW_COPY_MAX: at least the new part */
    *array = p;
    *cap = new_cap;
    return DPL_OK;
}

int dpl__grow_mapped(void **array, size_t *cap, size_t used, size_t more, size_t elem)
{
    size_t need;
    if (__builtin_add_overflow(used, more, &need))
        return DPL_ENOMEM;
    DPL_TRY(dpl__grow(array, cap, need, elem));
    dpl__prefault((char *)*array + used * elem, more * elem);
    return DPL_OK;
}

int dpl__buf_grow_for(dpl__buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return DPL_ENOMEM;
    return dpl__grow((void **)&b->data, &b->cap, b->len + extra + 1, 1);
}

int dpl__buf_printf(dpl__buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return DPL_EINVAL;
    DPL_TRY(dpl__buf_reserve(b, (size_t)n));
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return DPL_OK;
}

void dpl__buf_clear(dpl__buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void dpl__buf_free(dpl__buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
