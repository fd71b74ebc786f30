/* Verification: the exact size of the intersection of two shingle sets, on sorted,
 * deduplicated 32-bit shingle hashes. (32 bits: two sets of 10,000 shingles share a
 * spurious value with probability ~2%, moving Jaccard by 1/10,000.) */
#include "common/common.h"

#include <stdlib.h>
#include <string.h>

/* LSD radix sort, 8 bits a pass: linear time, which matters for long documents. */
static int radix_sort(uint32_t *a, size_t n)
{
    uint32_t *tmp = malloc(n * sizeof *tmp);
    if (!tmp)
        return DPL_ENOMEM;
    uint32_t *src = a, *dst = tmp;
    for (unsigned shift = 0; shift < 32; shift += 8) {
        size_t counts[257] = {0};
        for (size_t i = 0; i < n; i++)
            counts[((src[i] >> shift) & 0xFF) + 1]++;
        for (int d = 0; d < 256; d++)
            counts[d + 1] += counts[d];
        for (size_t i = 0; i < n; i++)
            dst[counts[(src[i] >> shift) & 0xFF]++] = src[i];
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    /* four passes: the result is back in `a` */
    free(tmp);
    return DPL_OK;
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

size_t dpl_set_normalize(uint32_t *items, size_t count)
{
    if (count < 2)
        return count;
    if (count < 256 || radix_sort(items, count) != DPL_OK)
        qsort(items, count, sizeof *items, cmp_u32);
    size_t out = 1;
    for (size_t i = 1; i < count; i++)
        if (items[i] != items[out - 1])
            items[out++] = items[i];
    return out;
}

size_t dpl_set_intersection(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    size_t i = 0, j = 0, common = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j])
            i++;
        else if (a[i] > b[j])
            j++;
        else {
            common++;
            i++;
            j++;
        }
    }
    return common;
}
