/* Sentence alignment of two documents in different languages, hunalign style: monotone
 * dynamic programming over sentence links (1-1, 1-0, 0-1, 2-1, 1-2, 3-1, 1-3) scored by
 * dictionary overlap in pivot space, length (Gale-Church) and matching numbers. Not part
 * of the public API. */
#ifndef DPL_XLING_ALIGN_H
#define DPL_XLING_ALIGN_H

#include "xling/pivot.h"
#include "xling/sentence.h"

/* A document ready to align: its sentences and, per sentence, its pivot tokens. */
typedef struct dpl__align_doc {
    char lang[4];
    dpl__span *sents; /* byte spans in the text it was prepared from */
    size_t n_sents, cap_sents;
    size_t *chars;    /* characters per sentence */
    size_t cap_chars;
    /* sentence s owns tokens tok_first[s] .. tok_first[s + 1] of `tokens`, and
     * set_first[s] .. set_first[s + 1] of `sets` (its terms sorted, unique) */
    dpl__pivot_text tokens;
    float *tok_weight;  /* per token: its kind's weight times its corpus weight */
    size_t cap_tok_weight;
    uint32_t *tok_first;
    size_t cap_tok_first;
    uint64_t *sets;
    size_t n_sets, cap_sets;
    uint32_t *set_first;
    size_t cap_set_first;
    dpl__span *scratch;
    size_t cap_scratch;
    dpl__pivot_text one; /* scratch: one sentence's pivot text */
} dpl__align_doc;

void dpl__align_doc_free(dpl__align_doc *d);

/* Cut `text` into sentences and map each to pivot tokens. `df` (NULL: none) weights
 * tokens by how rare their term is in the corpus. */
int dpl__align_prepare(dpl__pivot *pivot, dpl__sentencer *sentencer, const char *lang,
                       const char *text, size_t len, const dpl__term_df *df,
                       dpl__align_doc *d);

/* One link: sentences [a0, a1) of A with [b0, b1) of B (one side empty for 1-0, 0-1). */
typedef struct dpl__link {
    uint32_t a0, a1, b0, b1;
    float score;    /* the link's similarity, 0..1 */
    uint8_t filled; /* 0: found by words; 1: a small equal gap between links filled;
                       2: a wider gap filled by length (shown, not counted in coverage) */
} dpl__link;

typedef struct dpl__alignment {
    dpl__link *links; /* only the links that pair sentences (no 1-0, 0-1) */
    size_t n_links, cap_links;
    double coverage_a, coverage_b; /* share of each side's characters in links (but
                                      those of kind 2, see dpl__link.filled) */
    double score;                  /* the mean of the two coverages */
    /* DP scratch */
    float *gain;
    uint8_t *step;
    size_t cap_cells;
} dpl__alignment;

void dpl__alignment_free(dpl__alignment *al);

/* Align two prepared documents. Cost O((n + m) * band): the DP runs in a band around the
 * diagonal wide enough for an extra paragraph on either side. */
int dpl__align(const dpl__align_doc *a, const dpl__align_doc *b, dpl__alignment *al);

#endif
