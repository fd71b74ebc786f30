/* Sorted runs of bucket entries (see runs.h).
 *
 * Stored form, little-endian as the machine writes it:
 *   u32 magic "DPLR", u32 level, u64 count, u32 dir_bits, u32 reserved,
 *   u64 dir[(1 << dir_bits) + 1]: where the entries whose key starts with each dir_bits
 *                                 prefix begin (about 16 entries a slot),
 *   u64 entries[count], sorted.
 * Keys are hashes, so prefixes are uniform and a lookup reads one directory slot and a
 * cache line or two of entries. Offsets read from a run are clamped to its size, so a
 * damaged run gives wrong candidates (which scoring drops), never a read outside it. */
#include "store/runs.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#define RUN_MAGIC 0x524C5044u /* "DPLR" */
#define RUN_HEADER 24
#define ENTRIES_PER_SLOT 16
#define MAX_DIR_BITS 24

static unsigned dir_bits_for(uint64_t count)
{
    unsigned bits = 0;
    while (bits < MAX_DIR_BITS && ((uint64_t)ENTRIES_PER_SLOT << (bits + 1)) <= count)
        bits++;
    return bits;
}

static size_t run_size(uint64_t count, unsigned dir_bits)
{
    return RUN_HEADER + (((size_t)1 << dir_bits) + 1) * 8 + (size_t)count * 8;
}

int dpl__run_parse(const void *blob, size_t size, dpl__run_view *out)
{
    const unsigned char *p = blob;
    uint32_t magic, level, dir_bits;
    if (size < RUN_HEADER)
        return DPL_ENOTINDEX;
    memcpy(&magic, p, 4);
    memcpy(&level, p + 4, 4);
    memcpy(&dir_bits, p + 16, 4);
    uint64_t count = dpl__load64(p + 8);
    if (magic != RUN_MAGIC || dir_bits > MAX_DIR_BITS || count > (SIZE_MAX - RUN_HEADER) / 16 ||
        run_size(count, dir_bits) != size)
        return DPL_ENOTINDEX;
    out->dir = p + RUN_HEADER;
    out->entries = out->dir + (((size_t)1 << dir_bits) + 1) * 8;
    out->count = count;
    out->dir_bits = dir_bits;
    out->level = level;
    return DPL_OK;
}

static uint64_t clamp(uint64_t v, uint64_t max)
{
    return v < max ? v : max;
}

static int push_doc(dpl__doc_list *out, uint32_t doc)
{
    DPL_TRY(dpl__grow((void **)&out->docs, &out->cap, out->n + 1, sizeof *out->docs));
    out->docs[out->n++] = doc;
    return DPL_OK;
}

int dpl__run_find(const dpl__run_view *run, uint32_t key, dpl__doc_list *out)
{
    uint64_t slot = run->dir_bits ? key >> (32 - run->dir_bits) : 0;
    uint64_t lo = clamp(dpl__load64(run->dir + slot * 8), run->count);
    uint64_t hi = clamp(dpl__load64(run->dir + (slot + 1) * 8), run->count);
    uint64_t want = (uint64_t)key << 32;
    while (lo < hi) { /* first entry >= want */
        uint64_t mid = lo + (hi - lo) / 2;
        if (dpl__load64(run->entries + mid * 8) < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (uint64_t i = lo; i < run->count; i++) {
        uint64_t e = dpl__load64(run->entries + i * 8);
        if (e >> 32 != key)
            break;
        DPL_TRY(push_doc(out, (uint32_t)e));
    }
    return DPL_OK;
}

int dpl__run_build(const dpl__run_entry *sorted, uint64_t count, unsigned level,
                   unsigned char **out, size_t *size)
{
    unsigned bits = dir_bits_for(count);
    *size = run_size(count, bits);
    unsigned char *p = malloc(*size);
    if (!p)
        return DPL_ENOMEM;
    uint32_t head[4] = {RUN_MAGIC, level, 0, 0};
    memcpy(p, head, 8);
    memcpy(p + 8, &count, 8);
    uint32_t tail[2] = {bits, 0};
    memcpy(p + 16, tail, 8);
    unsigned char *dir = p + RUN_HEADER, *entries = dir + (((size_t)1 << bits) + 1) * 8;
    uint64_t i = 0;
    for (uint64_t slot = 0; slot <= ((uint64_t)1 << bits); slot++) {
        /* entries whose key's prefix is below this slot come before it */
        while (i < count && bits && (sorted[i] >> 32) >> (32 - bits) < slot)
            i++;
        uint64_t at = slot == ((uint64_t)1 << bits) ? count : (bits ? i : 0);
        memcpy(dir + slot * 8, &at, 8);
    }
    memcpy(entries, sorted, (size_t)count * 8);
    *out = p;
    return DPL_OK;
}

static int removed_doc(const uint8_t *removed, uint64_t bits, uint32_t doc)
{
    return removed && doc < bits && (removed[doc >> 3] >> (doc & 7) & 1);
}

/* The next entry of input i (runs first, then `extra`), or UINT64_MAX when it is done. */
typedef struct cursor {
    const unsigned char *run; /* NULL: the extra array */
    const dpl__run_entry *extra;
    uint64_t at, count;
} cursor;

static uint64_t peek(const cursor *c)
{
    if (c->at >= c->count)
        return UINT64_MAX;
    return c->run ? dpl__load64(c->run + c->at * 8) : c->extra[c->at];
}

int dpl__run_merge(const dpl__run_view *runs, size_t n_runs, const dpl__run_entry *extra,
                   uint64_t n_extra, const uint8_t *removed, uint64_t n_removed_bits,
                   dpl__run_entry **out, uint64_t *count)
{
    uint64_t total = n_extra;
    cursor *c = calloc(n_runs + 1, sizeof *c);
    if (!c)
        return DPL_ENOMEM;
    for (size_t i = 0; i < n_runs; i++) {
        c[i] = (cursor){runs[i].entries, NULL, 0, runs[i].count};
        total += runs[i].count;
    }
    c[n_runs] = (cursor){NULL, extra, 0, n_extra};
    dpl__run_entry *merged = malloc((total ? total : 1) * sizeof *merged);
    if (!merged) {
        free(c);
        return DPL_ENOMEM;
    }
    uint64_t n = 0;
    for (;;) { /* few inputs: a linear scan for the smallest head is enough */
        size_t best = 0;
        uint64_t value = UINT64_MAX;
        for (size_t i = 0; i <= n_runs; i++) {
            uint64_t v = peek(&c[i]);
            if (v < value)
                value = v, best = i;
        }
        if (value == UINT64_MAX)
            break;
        c[best].at++;
        if (!removed_doc(removed, n_removed_bits, (uint32_t)value) &&
            (n == 0 || merged[n - 1] != value))
            merged[n++] = value;
    }
    free(c);
    *out = merged;
    *count = n;
    return DPL_OK;
}

/* ------------------------------------------------------------------ pending ---------- */

static size_t slot_of(const dpl__pending *p, uint32_t key)
{
    return (size_t)((key * 0x9E3779B1u) >> 8) & (p->table_size - 1);
}

/* Twice as many slots as entries, rebuilt as it grows. */
static int rehash(dpl__pending *p, size_t want)
{
    size_t size = 1024;
    while (size < want * 2)
        size *= 2;
    uint32_t *heads = malloc(size * sizeof *heads);
    if (!heads)
        return DPL_ENOMEM;
    free(p->heads);
    p->heads = heads;
    p->table_size = size;
    memset(heads, 0xFF, size * sizeof *heads);
    for (size_t i = 0; i < p->n; i++) {
        size_t s = slot_of(p, (uint32_t)(p->entries[i] >> 32));
        p->next[i] = heads[s];
        heads[s] = (uint32_t)i;
    }
    return DPL_OK;
}

int dpl__pending_add(dpl__pending *p, uint32_t key, uint32_t doc)
{
    if (p->n >= UINT32_MAX - 1)
        return DPL_ENOMEM;
    DPL_TRY(dpl__grow((void **)&p->entries, &p->cap, p->n + 1, sizeof *p->entries));
    DPL_TRY(dpl__grow((void **)&p->next, &p->next_cap, p->n + 1, sizeof *p->next));
    if (p->n + 1 > p->table_size / 2)
        DPL_TRY(rehash(p, p->n + 1));
    size_t s = slot_of(p, key);
    p->entries[p->n] = (uint64_t)key << 32 | doc;
    p->next[p->n] = p->heads[s];
    p->heads[s] = (uint32_t)p->n;
    p->n++;
    return DPL_OK;
}

int dpl__pending_find(const dpl__pending *p, uint32_t key, dpl__doc_list *out)
{
    if (!p || !p->n || !p->heads)
        return DPL_OK;
    for (uint32_t i = p->heads[slot_of(p, key)]; i != UINT32_MAX; i = p->next[i])
        if (p->entries[i] >> 32 == key)
            DPL_TRY(push_doc(out, (uint32_t)p->entries[i]));
    return DPL_OK;
}

static int compare_entry(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

void dpl__pending_sort(dpl__pending *p)
{
    qsort(p->entries, p->n, sizeof *p->entries, compare_entry);
}

void dpl__pending_clear(dpl__pending *p)
{
    p->n = 0;
    if (p->heads)
        memset(p->heads, 0xFF, p->table_size * sizeof *p->heads);
}

void dpl__pending_free(dpl__pending *p)
{
    free(p->entries);
    free(p->next);
    free(p->heads);
    memset(p, 0, sizeof *p);
}
