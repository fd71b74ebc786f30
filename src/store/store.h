/* Internal interface of the store family: the persistent index (LMDB) and what it keeps
 * per document. Not part of the public API. */
#ifndef DPL_STORE_H
#define DPL_STORE_H

#include "common/common.h"

#include <string.h>

/* Little-endian fields read from stored bytes at any alignment (LMDB's pages, runs). */
static inline uint16_t dpl__load16(const unsigned char *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint32_t dpl__load32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint64_t dpl__load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The settings that decide fingerprints, resolved (no zero "defaults" left), as stored in
 * an index. */
typedef struct dpl__index_settings {
    unsigned k, bands, rows, ngram, norm_flags;
    dpl_shingle_unit unit;
    uint64_t seed;
    double threshold;
    char translit[256];
    int no_translit, han_simplify;
    dpl_segment_mode segment;
} dpl__index_settings;

/* Defaults filled in for every field `opts` leaves at zero. Returns DPL_EINVAL with a
 * message for settings the index cannot hold. */
int dpl__settings_resolve(const dpl_options *opts, dpl__index_settings *out, char *msg,
                          size_t msg_cap);
/* "key=value" lines, one per setting, then the Unicode and ICU versions: what the index
 * stores and compares. */
int dpl__settings_format(const dpl__index_settings *s, dpl__buf *out);
/* Parse what dpl__settings_format() wrote. DPL_ENOTINDEX when it does not parse. */
int dpl__settings_parse(const char *text, size_t len, dpl__index_settings *out);
/* Compare stored settings with those given at open: DPL_OK, or DPL_EINCOMPATIBLE with a
 * message naming the first setting that differs. Only the settings `opts` gives
 * (non-zero) are compared; versions always. *out receives the stored settings once they
 * parse. */
int dpl__settings_check(const char *stored, size_t len, const dpl_options *opts,
                        dpl__index_settings *out, char *msg, size_t msg_cap);

/* The two LMDB meta pages of PATH/data.mdb checked before LMDB reads them: DPL_OK (also
 * when the file is absent or empty), or DPL_ENOTINDEX with a message. */
int dpl__check_data_file(const char *path, char *msg, size_t msg_cap);
/* Every B-tree page of the snapshot `txnid` (which the caller's open transaction keeps
 * from being reused) checked before LMDB follows it: DPL_OK or DPL_ENOTINDEX. */
int dpl__check_trees(const char *path, uint64_t txnid, char *msg, size_t msg_cap);

/* One document's fingerprint as the index keeps it. */
typedef struct dpl__index_fp {
    dpl_hash128 exact;
    int has_sig;                      /* 0: no shingles (only exact copies apply) */
    uint16_t sig[DPL_MAX_NUM_PERM];   /* the low 16 bits of each MinHash value */
} dpl__index_fp;

/* Band keys of a 16-bit signature: what buckets a document lives in. */
void dpl__index_band_keys(const dpl__index_settings *s, const uint16_t *sig, uint64_t *keys);
/* Share of equal values: the Jaccard estimate. */
double dpl__index_estimate(const uint16_t *a, const uint16_t *b, unsigned k);

#endif
