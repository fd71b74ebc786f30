/* Sentence boundaries with ICU's sentence break iterator, for the alignment pass.
 * Not part of the public API. */
#ifndef DPL_XLING_SENTENCE_H
#define DPL_XLING_SENTENCE_H

#include "common/common.h"

typedef struct dpl__span {
    size_t offset;
    size_t len;
} dpl__span;

/* One ICU break iterator per language met, opened on first use, and the UTF-16 scratch.
 * Thread safety: not thread safe; one per thread. */
typedef struct dpl__sentencer dpl__sentencer;

dpl__sentencer *dpl__sentencer_create(void);
void dpl__sentencer_free(dpl__sentencer *s);

/* Cut valid UTF-8 text into sentences: byte spans with surrounding white space trimmed,
 * empty ones dropped. Line breaks always end a sentence. `lang` (ISO 639-3) picks ICU's
 * abbreviation exceptions ("Mr.", "z. B.") where ICU has them. *spans is grown as needed
 * (*cap its capacity); *count receives the number. Returns DPL_OK, DPL_EICU, DPL_ENOMEM. */
int dpl__sentences(dpl__sentencer *s, const char *lang, const char *text, size_t len,
                   dpl__span **spans, size_t *cap, size_t *count);

#endif
