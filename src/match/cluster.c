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

static int first_grow(dpl__first_table *t)
{
    size_t new_cap = t->cap ? t->cap * 2 : 1024;
    dpl__first_slot *slots = calloc(new_cap, sizeof *slots);
    if (!slots)
        return DPL_ENOMEM;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i].doc_plus_one)
            continue;
        size_t j = dpl__first_home(t->slots[i].hash, new_cap);
        while (slots[j].doc_plus_one)
            j = (j + 1) & (new_cap - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->cap = new_cap;
    return DPL_OK;
}

int dpl__first_insert(dpl__first_table *t, dpl_hash128 hash, uint32_t doc, uint32_t *first)
{
    if ((t->count + 1) * 4 > t->cap * 3) /* keep the load under 3/4 */
        DPL_TRY(first_grow(t));
    size_t j = dpl__first_home(hash, t->cap);
    while (t->slots[j].doc_plus_one) {
        if (t->slots[j].hash.lo == hash.lo && t->slots[j].hash.hi == hash.hi) {
            *first = t->slots[j].doc_plus_one - 1;
            return DPL_OK;
        }
        j = (j + 1) & (t->cap - 1);
    }
    t->slots[j].hash = hash;
    t->slots[j].doc_plus_one = doc + 1;
    t->count++;
    *first = doc;
    return DPL_OK;
}

void dpl__first_free(dpl__first_table *t)
{
    free(t->slots);
    memset(t, 0, sizeof *t);
}
