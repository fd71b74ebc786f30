/* A document's sketch as a dedupe job and the persistent index both take it (sketch.h). */
#include "sketch/sketch.h"

#include <stdio.h>

int dpl__sketch_settings(const dpl_options *o, unsigned *k, double *threshold,
                         uint64_t *seed, char *msg, size_t msg_cap)
{
    *k = o->num_perm ? o->num_perm : DPL_DEFAULT_NUM_PERM;
    *threshold = o->threshold > 0 ? o->threshold : DPL__DEFAULT_THRESHOLD;
    *seed = o->seed ? o->seed : DPL_DEFAULT_SEED;
    if (*k > DPL_MAX_NUM_PERM || *threshold > 1 || o->ngram > 64) {
        snprintf(msg, msg_cap, "invalid near-duplicate settings: k=%u (1..%d), threshold=%g "
                 "(0..1], ngram=%u (1..64)", *k, DPL_MAX_NUM_PERM, *threshold, o->ngram);
        return DPL_EINVAL;
    }
    return DPL_OK;
}

dpl_shingle_unit dpl__unit_after_script(dpl_shingle_unit unit)
{
    return unit == DPL_SHINGLE_WORDS ? DPL_SHINGLE_SPACED_WORDS : unit;
}

int dpl__sketch_text(dpl_script *script, dpl_shingler *shingler, const char *norm,
                     size_t len, int ascii, unsigned k, uint64_t seed,
                     const dpl__probes *probes, uint32_t *sig, const uint64_t **shingles,
                     size_t *n)
{
    const char *text = norm;
    size_t text_len = len;
    if (!ascii)
        DPL_TRY(dpl_script_apply(script, norm, len, &text, &text_len));
    DPL_TRY(dpl_shingle(shingler, text, text_len, shingles, n));
    return *n ? dpl__minhash_with(*shingles, *n, k, seed, probes, sig) : DPL_OK;
}
