/* Internal interface of the sketch family: what a dedupe job and the persistent index
 * share, so that a document is sketched the same way by both (the index promises the
 * pairs batch mode reports). Not part of the public API. */
#ifndef DPL_SKETCH_H
#define DPL_SKETCH_H

#include "common/common.h"

#define DPL__DEFAULT_THRESHOLD 0.8

/* The MinHash settings of `o` with their defaults: k, threshold and seed; DPL_EINVAL with
 * a message when k, the threshold or the n-gram size is out of range. */
int dpl__sketch_settings(const dpl_options *o, unsigned *k, double *threshold,
                         uint64_t *seed, char *msg, size_t msg_cap);

/* The shingle unit to give a shingler that reads the script stage's output: the stage
 * marks word boundaries in every script itself, so words become spaced words. */
dpl_shingle_unit dpl__unit_after_script(dpl_shingle_unit unit);

/* The start of every bin's densification probe sequence for (k, seed), computed once:
 * read-only, shared by any number of threads. */
typedef struct dpl__probes dpl__probes;
/* NULL: out of memory, or k outside 1..DPL_MAX_NUM_PERM (callers have checked it). */
dpl__probes *dpl__probes_create(unsigned k, uint64_t seed);
void dpl__probes_free(dpl__probes *p);

/* dpl_minhash() with a probe table for the same k and seed (NULL: probes computed as
 * needed); the same signature either way. */
int dpl__minhash_with(const uint64_t *shingles, size_t count, unsigned k, uint64_t seed,
                      const dpl__probes *table, uint32_t *sig);

/* Normalized text through the script stage, shingles and MinHash (k values into sig,
 * with `probes` for k and seed, or NULL). `ascii` says the text is known to be all ASCII
 * (dpl__normalized_ascii()): the script stage, which would leave it as it is, is skipped.
 * *shingles and *n give the shingles (in the shingler's buffer); with n == 0 (no words)
 * sig is left alone: only exact duplicates apply. */
int dpl__sketch_text(dpl_script *script, dpl_shingler *shingler, const char *norm,
                     size_t len, int ascii, unsigned k, uint64_t seed, const dpl__probes *probes,
                     uint32_t *sig, const uint64_t **shingles, size_t *n);

#endif
