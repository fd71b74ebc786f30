/* The LSH buckets of an index as sorted runs, an LSM tree: each commit writes the bucket
 * entries of the documents it adds as one sorted run, and runs of a level are merged
 * into one of the next level once there are RUN_FANOUT of them. A bucket lookup reads
 * each run's directory and a few entries; an add costs no B-tree insert per band, and a
 * commit writes its entries once, in order, instead of dirtying a random page per entry.
 * Not part of the public API. */
#ifndef DPL_STORE_RUNS_H
#define DPL_STORE_RUNS_H

#include "common/common.h"

#define RUN_FANOUT 4

/* An entry: the bucket's 32-bit key << 32 | the document number. */
typedef uint64_t dpl__run_entry;

/* A run as stored: header, directory, entries. Read in place (LMDB's map). */
typedef struct dpl__run_view {
    const unsigned char *dir;     /* (1 << dir_bits) + 1 u64 entry offsets */
    const unsigned char *entries; /* count u64 entries, sorted */
    uint64_t count;
    unsigned dir_bits, level;
} dpl__run_view;

/* Documents found for keys, possibly repeated. */
typedef struct dpl__doc_list {
    uint32_t *docs;
    size_t n, cap;
} dpl__doc_list;

/* DPL_ENOTINDEX when the bytes are no run of this format. */
int dpl__run_parse(const void *blob, size_t size, dpl__run_view *out);
/* Appends the documents of the entries with `key`. */
int dpl__run_find(const dpl__run_view *run, uint32_t key, dpl__doc_list *out);
/* The stored form of `count` sorted entries at `level`, in a new buffer (free it). */
int dpl__run_build(const dpl__run_entry *sorted, uint64_t count, unsigned level,
                   unsigned char **out, size_t *size);
/* The entries of several runs and of `extra` (sorted), merged, without the documents
 * marked in `removed` (one bit per document number; NULL: none): a new sorted array. */
int dpl__run_merge(const dpl__run_view *runs, size_t n_runs, const dpl__run_entry *extra,
                   uint64_t n_extra, const uint8_t *removed, uint64_t n_removed_bits,
                   dpl__run_entry **out, uint64_t *count);

/* The entries added since the last commit, with a hash table over their keys. */
typedef struct dpl__pending {
    dpl__run_entry *entries;
    uint32_t *next;  /* chain of entries with the same table slot; UINT32_MAX ends */
    uint32_t *heads; /* table: first entry of each slot */
    size_t n, cap, next_cap, table_size;
} dpl__pending;

int dpl__pending_add(dpl__pending *p, uint32_t key, uint32_t doc);
int dpl__pending_find(const dpl__pending *p, uint32_t key, dpl__doc_list *out);
/* Sorts the entries (the table is then stale: clear before adding again). */
void dpl__pending_sort(dpl__pending *p);
void dpl__pending_clear(dpl__pending *p);
void dpl__pending_free(dpl__pending *p);

#endif
