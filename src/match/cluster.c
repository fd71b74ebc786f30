/* Clusters: union-find over confirmed duplicate pairs, and the first-seen table that
 * finds exact duplicates (and duplicate ids) by their 128-bit hashes. */
#include "match/match.h"

#include <stdlib.h>
#include <string.h>

int dpl__uf_push(dpl__uf *uf)
{
    if (uf->n >= UINT32_MAX)
        return DPL_ENOMEM;
    DPL_TRY(dpl__grow((void **)&uf->parent, &uf->cap, uf->n + 1, sizeof *uf->parent));
    uf->parent[uf->n] = (uint32_t)uf->n;
    uf->n++;
    return DPL_OK;
}

int dpl__uf_reserve(dpl__uf *uf, size_t more)
{
    return dpl__grow_mapped((void **)&uf->parent, &uf->cap, uf->n, more, sizeof *uf->parent);
}

uint32_t dpl__uf_find(dpl__uf *uf, uint32_t x)
{
    while (uf->parent[x] != x) {
        uf->parent[x] = uf->parent[uf->parent[x]]; /* path halving */
        x = uf->parent[x];
    }
    return x;
}

void dpl__uf_union(dpl__uf *uf, uint32_t a, uint32_t b)
{
    a = dpl__uf_find(uf, a);
    b = dpl__uf_find(uf, b);
    if (a == b)
        return;
    if (a < b)
        uf->parent[b] = a;
    else
        uf->parent[a] = b;
}

void dpl__uf_free(dpl__uf *uf)
{
    free(uf->parent);
    memset(uf, 0, sizeof *uf);
}

static uint64_t slot_of(dpl_hash128 hash, size_t entry)
{
    return (uint64_t)(uint32_t)hash.hi << 32 | (uint64_t)(entry + 1);
}

/* The most slots a table has: homes are taken from 32 bits. At the load limit of 3/4,
 * that is 3.2 billion hashes (entry numbers would allow 4.29 billion). */
#define FIRST_CAP_MAX ((uint64_t)1 << 32)

/* Whether `count` hashes need more than `cap` slots: the load stays under 3/4. */
static int over_load(size_t count, size_t cap)
{
    return (count + 1) * 4 > cap * 3;
}

#define FIRST_CAP_MIN 1024

/* A larger slot array (zeroed, so written whole at once), filled from the old one. Walked
 * from an empty slot on (where no probe run wraps around), the old slots come nearly in
 * the order of their homes, and so do their new places: the new array is written nearly
 * in order. */
static int first_grow(dpl__first_table *t, size_t new_cap)
{
    if ((uint64_t)new_cap > FIRST_CAP_MAX)
        return DPL_ENOMEM;
    uint64_t *slots = dpl__calloc_big(new_cap, sizeof *slots);
    if (!slots)
        return DPL_ENOMEM;
    size_t start = 0;
    while (t->cap && t->slots[start]) /* there is one: the load stays under 3/4 */
        start++;
    for (size_t k = 0; k < t->cap; k++) {
        uint64_t s = t->slots[(start + k) & (t->cap - 1)];
        if (!s)
            continue;
        size_t j = dpl__first_home_of_tag((uint32_t)(s >> 32), new_cap);
        while (slots[j])
            j = (j + 1) & (new_cap - 1);
        slots[j] = s;
    }
    free(t->slots);
    t->slots = slots;
    t->cap = new_cap;
    return DPL_OK;
}

int dpl__first_reserve(dpl__first_table *t, size_t more)
{
    DPL_TRY(dpl__grow_mapped((void **)&t->hashes, &t->hashes_cap, t->count, more,
                             sizeof *t->hashes));
    return dpl__grow_mapped((void **)&t->docs, &t->docs_cap, t->count, more, sizeof *t->docs);
}

int dpl__first_presize(dpl__first_table *t, size_t count)
{
    DPL_TRY(dpl__grow((void **)&t->hashes, &t->hashes_cap, count, sizeof *t->hashes));
    DPL_TRY(dpl__grow((void **)&t->docs, &t->docs_cap, count, sizeof *t->docs));
    size_t cap = t->cap ? t->cap : FIRST_CAP_MIN;
    while ((uint64_t)cap < FIRST_CAP_MAX && over_load(count, cap))
        cap *= 2;
    return cap > t->cap ? first_grow(t, cap) : DPL_OK;
}

int dpl__first_insert(dpl__first_table *t, dpl_hash128 hash, uint32_t doc, uint32_t *first)
{
    if (t->count >= UINT32_MAX - 1)
        return DPL_ENOMEM; /* entry numbers are 32-bit, like document numbers */
    if (over_load(t->count, t->cap))
        DPL_TRY(first_grow(t, t->cap ? t->cap * 2 : FIRST_CAP_MIN));
    size_t j = dpl__first_home(hash, t->cap);
    uint32_t tag = (uint32_t)hash.hi;
    for (uint64_t s; (s = t->slots[j]) != 0; j = (j + 1) & (t->cap - 1)) {
        if ((uint32_t)(s >> 32) != tag)
            continue;
        size_t e = (uint32_t)s - 1; /* the tag matched: compare the whole hash */
        if (t->hashes[e].lo == hash.lo && t->hashes[e].hi == hash.hi) {
            *first = t->docs[e];
            return DPL_OK;
        }
    }
    DPL_TRY(dpl__grow((void **)&t->hashes, &t->hashes_cap, t->count + 1, sizeof *t->hashes));
    DPL_TRY(dpl__grow((void **)&t->docs, &t->docs_cap, t->count + 1, sizeof *t->docs));
    t->hashes[t->count] = hash;
    t->docs[t->count] = doc;
    t->slots[j] = slot_of(hash, t->count);
    t->count++;
    *first = doc;
    return DPL_OK;
}

void dpl__first_free(dpl__first_table *t)
{
    free(t->slots);
    free(t->hashes);
    free(t->docs);
    memset(t, 0, sizeof *t);
}
