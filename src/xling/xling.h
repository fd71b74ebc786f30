/* The cross-lingual family: what its modules share. Not part of the public API.
 *
 * The pivot language is English. A document in any language becomes a bag of pivot
 * terms: English Snowball stems (through the dictionary, or its own words when it is
 * English), numbers, and the transliterated spelling of words the dictionary lacks.
 * A pivot term is the 64-bit hash of its text, so terms from different sources meet. */
#ifndef DPL_XLING_H
#define DPL_XLING_H

#include "common/common.h"

#include <stddef.h>
#include <stdint.h>

#define DPL__PIVOT_SEED 0x7069766f74ull /* "pivot" */

/* Characters in UTF-8 text (continuation bytes not counted). */
static inline size_t dpl__utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* Byte length of the first `chars` characters of UTF-8 text. */
static inline size_t dpl__utf8_prefix(const char *s, size_t len, size_t chars)
{
    size_t i = 0;
    while (i < len && chars > 0) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        chars--;
    }
    return i;
}

/* Sort terms and drop repeats in place; returns how many remain (df.c). */
size_t dpl__sort_unique_terms(uint64_t *terms, size_t n);

/* The pivot term of an English stem, a number or a transliterated word. */
uint64_t dpl__pivot_hash(const char *text, size_t len);

/* 1 when a casefolded English word is a function word, left out of the pivot space. */
int dpl__eng_stopword(const char *word, size_t len);

/* The ISO 639-3 code of a language as records write it: ISO 639-1 ("de"), 639-2/B
 * ("ger") or 639-3 ("deu"), with any region or script subtag ("zh-CN", "en_US") dropped;
 * "und" when it is none of those. */
void dpl__lang_code(const char *given, char lang[4]);

/* Document frequencies of pivot terms over a corpus (df.c). Thread safety: adding is not
 * thread safe; once filled, any number of threads may read weights. */
typedef struct dpl__term_df dpl__term_df;
dpl__term_df *dpl__term_df_create(void);
void dpl__term_df_free(dpl__term_df *df);
/* Count one document's term set (unique terms). */
int dpl__term_df_add(dpl__term_df *df, const uint64_t *terms, size_t n);
/* 1 for a term in at most 1% of the documents, falling with the log of its share to 0 for
 * a term in all; always 1 with no table (NULL) or fewer than 100 documents. */
float dpl__term_weight(const dpl__term_df *df, uint64_t term);

/* Dictionary lookups (dict.c). A key is a stemmed, casefolded word of `lang` (for Chinese
 * the word itself). On a hit, *terms and *weights (largest first, the largest 1.0) list the
 * key's pivot terms, as indexes for dpl__dict_term(); returns their count, 0 on a miss.
 * Thread safety: a loaded dictionary is immutable; any number of threads may look up. */
size_t dpl__dict_lookup(const dpl_dict *dict, const char *lang, const char *key, size_t len,
                        const uint32_t **terms, const float **weights);
/* The term a function word ("der", "the") maps to: the text "", never emitted. A key whose
 * strongest term is this one is a function word. */
#define DPL__DICT_FUNCTION_WORD 0u
/* The pivot hash and the text of term `id`. */
uint64_t dpl__dict_term_hash(const dpl_dict *dict, uint32_t id);
const char *dpl__dict_term_text(const dpl_dict *dict, uint32_t id, size_t *len);
/* The longest key of `lang` in characters (for Chinese maximum matching); 0 if none. */
unsigned dpl__dict_max_key_chars(const dpl_dict *dict, const char *lang);
/* 1 when the dictionary has any entry for `lang`. */
int dpl__dict_has_lang(const dpl_dict *dict, const char *lang);

#endif
