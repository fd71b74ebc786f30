/* Exact-duplicate fingerprint: XXH3-128 over the normalized text. 128 bits make an
 * accidental collision across 10^10 documents about 10^-19 likely. */
#include "doppel.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

dpl_hash128 dpl_exact_hash(const char *normalized, size_t len)
{
    XXH128_hash_t h = XXH3_128bits(normalized, len);
    return (dpl_hash128){h.low64, h.high64};
}
