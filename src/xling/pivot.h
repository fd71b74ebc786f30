/* The pivot representation: a text of any language as a sequence of content tokens, each
 * with the English pivot terms it may mean. Not part of the public API. */
#ifndef DPL_XLING_PIVOT_H
#define DPL_XLING_PIVOT_H

#include "xling/xling.h"

/* Translations weaker than this (relative to a word's strongest) are left out: rare senses
 * add more chance matches than true ones. */
#define DPL__PIVOT_MIN_WEIGHT 0.25f
/* Terms of this weight make a document's term set, the sketch that finds candidates:
 * each word's strongest translation, English words, numbers and names. Weaker senses and
 * untranslated common words only help the alignment: in the set they dilute the overlap
 * of true translations (measured on ntrex-dev: Jaccard of English-German translations
 * 0.19 with all senses, 0.30 with the strongest only). */
#define DPL__PIVOT_SET_WEIGHT 1.0f
/* The weight of a word the dictionary lacks and that is not a name. */
#define DPL__PIVOT_UNKNOWN_WEIGHT 0.5f

/* What a token is. Names and numbers are shared by any two reports of one event, so the
 * alignment counts them as weaker evidence of translation than translated words. */
enum dpl__token_kind {
    DPL__TOKEN_WORD = 0,   /* an English word, or one the dictionary translated */
    DPL__TOKEN_NUMBER = 1,
    DPL__TOKEN_NAME = 2,   /* capitalized and untranslated (or English and capitalized) */
    DPL__TOKEN_UNKNOWN = 3 /* untranslated, not a name */
};

/* Tokens and their terms. Token t owns terms[first[t] .. first[t + 1]). */
typedef struct dpl__pivot_text {
    uint64_t *terms;
    float *weights;
    size_t n_terms, cap_terms;
    uint32_t *first;   /* n_tokens + 1 entries */
    uint8_t *kind;     /* enum dpl__token_kind */
    size_t n_tokens, cap_tokens;
    size_t cap_kind;
} dpl__pivot_text;

void dpl__pivot_text_free(dpl__pivot_text *pt);

/* Per-thread state: normalizer, stemmers, transliterator, scratch.
 * Thread safety: not thread safe; one per thread. The dictionary is shared. */
typedef struct dpl__pivot dpl__pivot;

/* `script` is cloned (it transliterates the words the dictionary lacks). */
int dpl__pivot_create(const dpl_dict *dict, const dpl_script *script, dpl__pivot **out);
void dpl__pivot_free(dpl__pivot *p);

/* Map `text` (UTF-8) of language `lang` (ISO 639-3) to pivot tokens, replacing what `out`
 * held. Function words are dropped; numbers and words the dictionary lacks pass through
 * transliterated and stemmed as English. Returns DPL_OK, DPL_ENOMEM or DPL_EICU. */
int dpl__pivot_map(dpl__pivot *p, const char *lang, const char *text, size_t len,
                   dpl__pivot_text *out);

#endif
