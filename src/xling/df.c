/* Document frequencies of pivot terms, for weighting them as Bitextor's document aligner
 * does: a term found in many documents ("year", "government", a dictionary's catch-all
 * sense) says little about whether two documents translate each other. */
#include "xling/xling.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Below this many documents the counts are too noisy to weight by. */
#define MIN_DOCS 1000
/* Terms in at most this share of the documents weigh fully; above, the weight falls with
 * the logarithm, to 0 for a term in every document. */
#define FULL_WEIGHT_SHARE 0.01

typedef struct df_slot {
    uint64_t term; /* 0: empty (a term hash of 0 is counted in zero_count) */
    uint32_t count;
} df_slot;

struct dpl__term_df {
    df_slot *slots;
    size_t cap, used;
    uint32_t zero_count;
    uint64_t docs;
};

dpl__term_df *dpl__term_df_create(void)
{
    dpl__term_df *df = calloc(1, sizeof *df);
    if (!df)
        return NULL;
    df->cap = 1 << 16;
    df->slots = calloc(df->cap, sizeof *df->slots);
    if (!df->slots) {
        free(df);
        return NULL;
    }
    return df;
}

void dpl__term_df_free(dpl__term_df *df)
{
    if (!df)
        return;
    free(df->slots);
    free(df);
}

static size_t slot_of(const df_slot *slots, size_t cap, uint64_t term)
{
    size_t i = (size_t)(term ^ (term >> 29)) & (cap - 1);
    while (slots[i].term && slots[i].term != term)
        i = (i + 1) & (cap - 1);
    return i;
}

static int grow(dpl__term_df *df)
{
    size_t cap = df->cap * 2;
    df_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return DPL_ENOMEM;
    for (size_t i = 0; i < df->cap; i++)
        if (df->slots[i].term)
            slots[slot_of(slots, cap, df->slots[i].term)] = df->slots[i];
    free(df->slots);
    df->slots = slots;
    df->cap = cap;
    return DPL_OK;
}

int dpl__term_df_add(dpl__term_df *df, const uint64_t *terms, size_t n)
{
    df->docs++;
    for (size_t k = 0; k < n; k++) {
        if (terms[k] == 0) {
            df->zero_count++;
            continue;
        }
        if (2 * (df->used + 1) > df->cap)
            DPL_TRY(grow(df));
        df_slot *s = &df->slots[slot_of(df->slots, df->cap, terms[k])];
        if (!s->term) {
            s->term = terms[k];
            df->used++;
        }
        s->count++;
    }
    return DPL_OK;
}

static uint32_t count_of(const dpl__term_df *df, uint64_t term)
{
    if (term == 0)
        return df->zero_count;
    return df->slots[slot_of(df->slots, df->cap, term)].count;
}

float dpl__term_weight(const dpl__term_df *df, uint64_t term)
{
    if (!df || df->docs < MIN_DOCS)
        return 1.0f;
    double share = (double)count_of(df, term) / (double)df->docs;
    if (share <= FULL_WEIGHT_SHARE)
        return 1.0f;
    double w = log(share) / log(FULL_WEIGHT_SHARE);
    return (float)(w < 0 ? 0 : w);
}

static int compare_term(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

size_t dpl__sort_unique_terms(uint64_t *terms, size_t n)
{
    qsort(terms, n, sizeof *terms, compare_term);
    size_t unique = 0;
    for (size_t i = 0; i < n; i++)
        if (unique == 0 || terms[unique - 1] != terms[i])
            terms[unique++] = terms[i];
    return unique;
}
