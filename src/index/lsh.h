/* Internal interface of the index family: LSH band keys. */
#ifndef DPL_LSH_H
#define DPL_LSH_H

#include "common/common.h"

/* One 64-bit key per band: a hash of the band's `rows` signature values, seeded with the
 * band number so that equal rows in different bands do not share a bucket. */
void dpl__band_keys(const uint32_t *sig, unsigned bands, unsigned rows, uint64_t *keys);

/* Bands and rows for a threshold and k: both derived (dpl_lsh_params) when neither is
 * given, the missing one derived from the other when one is. DPL_EINVAL with a message
 * when bands x rows exceeds k. */
int dpl__lsh_resolve(double threshold, unsigned k, unsigned bands, unsigned rows,
                     unsigned *bands_out, unsigned *rows_out, char *msg, size_t msg_cap);

#endif
