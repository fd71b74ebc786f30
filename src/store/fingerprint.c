/* What the index keeps of a document's MinHash signature: the low 16 bits of each value.
 * Two different minima agree in their low 16 bits with probability 2^-16, so the
 * estimate is the 32-bit one except once in 65,536 differing values, at a quarter of the
 * bytes (256 instead of 1,024 at k=128); minima are small numbers, so it is the low bits,
 * not the high ones, that are uniform. Band keys are hashed from these 16-bit values, so
 * that a document's buckets follow from what the index stores of it. */
#include "store/store.h"
#include "index/lsh.h"

void dpl__index_band_keys(const dpl__index_settings *s, const uint16_t *sig, uint64_t *keys)
{
    uint32_t wide[DPL_MAX_NUM_PERM];
    for (unsigned i = 0; i < s->bands * s->rows; i++)
        wide[i] = sig[i];
    dpl__band_keys(wide, s->bands, s->rows, keys);
}

double dpl__index_estimate(const uint16_t *a, const uint16_t *b, unsigned k)
{
    unsigned same = 0;
    for (unsigned i = 0; i < k; i++)
        same += a[i] == b[i];
    return k ? (double)same / k : 0.0;
}
