/* Internal interface of the match family: union-find over documents and the exact
 * first-seen table. */
#ifndef DPL_MATCH_H
#define DPL_MATCH_H

#include "common/common.h"

/* Union-find over document indexes. The root of a set is always its smallest index, so
 * the result does not depend on the order in which pairs are joined. */
typedef struct dpl__uf {
    uint32_t *parent;
    size_t n, cap;
} dpl__uf;

int dpl__uf_push(dpl__uf *uf); /* adds one singleton, index uf->n - 1 */
/* Room for `more` pushes, its memory mapped (dpl__prefault). */
int dpl__uf_reserve(dpl__uf *uf, size_t more);
uint32_t dpl__uf_find(dpl__uf *uf, uint32_t x);
void dpl__uf_union(dpl__uf *uf, uint32_t a, uint32_t b);
void dpl__uf_free(dpl__uf *uf);

/* Open-addressing table from a 128-bit hash (an exact fingerprint, or a hashed id) to
 * the first document that had it. The hashes and their documents are kept in insertion
 * order; the probed slots hold only 32 bits of a hash and an entry number, 8 bytes, so
 * that the table a merge probes at random is a third of what whole hashes would take
 * (fewer cache misses and page faults). A slot's home comes from the 32 bits it holds,
 * their top ones, so slots lie nearly in the order of their homes: growing the table
 * walks the old slots in order and writes the new ones nearly in order, with no read of
 * the entries and no cache miss per entry. Slots that share a home share the top bits
 * of their tags, so the tag tells them apart by its other bits only: at 10 million
 * hashes (2^24 slots) by 8 bits, one whole-hash compare in 256 for an unrelated one. */
typedef struct dpl__first_table {
    uint64_t *slots; /* (uint32_t)hash.hi << 32 | (entry + 1); 0 marks an empty slot */
    size_t cap;
    dpl_hash128 *hashes; /* per entry */
    uint32_t *docs;      /* per entry */
    size_t count, hashes_cap, docs_cap;
} dpl__first_table;

/* Room for `more` new hashes, the memory they take mapped (dpl__prefault). */
int dpl__first_reserve(dpl__first_table *t, size_t more);
/* Sized at once for `count` hashes in all (room only: nothing is mapped but the slots). */
int dpl__first_presize(dpl__first_table *t, size_t count);
/* Looks `hash` up; if absent, records `doc` for it. *first receives the document that
 * first had the hash (doc itself when it is new). */
int dpl__first_insert(dpl__first_table *t, dpl_hash128 hash, uint32_t doc, uint32_t *first);
/* Where a hash whose slot holds `tag` is looked for first, in a table of `cap` slots (a
 * power of two, at most 2^32): the tag's top bits. */
static inline size_t dpl__first_home_of_tag(uint32_t tag, size_t cap)
{
    return (size_t)(((uint64_t)tag * cap) >> 32);
}

static inline size_t dpl__first_home(dpl_hash128 hash, size_t cap)
{
    return dpl__first_home_of_tag((uint32_t)hash.hi, cap);
}

/* A hint: `hash`'s home slot is about to be looked up. */
static inline void dpl__first_prefetch(const dpl__first_table *t, dpl_hash128 hash)
{
    if (t->cap)
        __builtin_prefetch(&t->slots[dpl__first_home(hash, t->cap)]);
}
void dpl__first_free(dpl__first_table *t);

#endif
