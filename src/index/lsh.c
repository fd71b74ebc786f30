/* LSH banding: which (bands, rows) to use for a threshold, and band keys. */
#include "index/lsh.h"

#include <stdio.h>

#include <math.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* Weights of the false-positive and false-negative areas (see dpl_lsh_params). */
#define WEIGHT_FALSE_POSITIVE 0.05
#define WEIGHT_FALSE_NEGATIVE 0.95
#define INTEGRATION_STEPS 200

double dpl_lsh_probability(double s, unsigned bands, unsigned rows)
{
    return 1.0 - pow(1.0 - pow(s, rows), bands);
}

/* Midpoint rule; the integrands are smooth, 200 steps are plenty. */
static double area(double from, double to, unsigned b, unsigned r, int above)
{
    double h = (to - from) / INTEGRATION_STEPS, sum = 0;
    for (int i = 0; i < INTEGRATION_STEPS; i++) {
        double p = dpl_lsh_probability(from + (i + 0.5) * h, b, r);
        sum += above ? 1.0 - p : p;
    }
    return sum * h;
}

int dpl_lsh_params(double threshold, unsigned k, unsigned *bands, unsigned *rows)
{
    if (!(threshold > 0 && threshold <= 1) || k == 0 || !bands || !rows)
        return DPL_EINVAL;
    double best = INFINITY;
    for (unsigned b = 1; b <= k; b++) {
        for (unsigned r = 1; r <= k / b; r++) {
            double err = WEIGHT_FALSE_POSITIVE * area(0, threshold, b, r, 0) +
                         WEIGHT_FALSE_NEGATIVE * area(threshold, 1, b, r, 1);
            if (err < best) {
                best = err;
                *bands = b;
                *rows = r;
            }
        }
    }
    return DPL_OK;
}

void dpl__band_keys(const uint32_t *sig, unsigned bands, unsigned rows, uint64_t *keys)
{
    for (unsigned b = 0; b < bands; b++)
        keys[b] = XXH3_64bits_withSeed(sig + (size_t)b * rows, rows * sizeof *sig, b);
}

int dpl__lsh_resolve(double threshold, unsigned k, unsigned bands, unsigned rows,
                     unsigned *bands_out, unsigned *rows_out, char *msg, size_t msg_cap)
{
    if (!bands && !rows)
        return dpl_lsh_params(threshold, k, bands_out, rows_out);
    if (!bands)
        bands = k / rows;
    if (!rows)
        rows = k / bands;
    if (bands == 0 || rows == 0 || (uint64_t)bands * rows > k) {
        snprintf(msg, msg_cap,
                 "bands x rows (%u x %u) must be at least 1 and at most the number of "
                 "MinHash values (%u)", bands, rows, k);
        return DPL_EINVAL;
    }
    *bands_out = bands;
    *rows_out = rows;
    return DPL_OK;
}
