/* Stemming for the cross-lingual pass: Snowball (libstemmer) where it has the language,
 * prefix truncation where it does not, so that inflected forms of a word meet the
 * dictionary's headword. Not part of the public API. */
#ifndef DPL_XLING_STEM_H
#define DPL_XLING_STEM_H

#include "common/common.h"

/* Letters kept by the fallback for languages Snowball lacks (Bulgarian, Chinese...):
 * truncation to a fixed prefix is a crude but well-tried stemmer for retrieval. */
#define DPL__STEM_PREFIX_CHARS 6

/* Stemmers for every language met so far, opened on first use.
 * Thread safety: not thread safe (libstemmer keeps per-stemmer buffers); one per thread. */
typedef struct dpl__stemmers dpl__stemmers;

dpl__stemmers *dpl__stemmers_create(void);
void dpl__stemmers_free(dpl__stemmers *st);

/* Stem one casefolded word of language `lang` (ISO 639-3). *out points into `word` or into
 * the stemmer's buffer, valid until the next call. "zho" and other languages written
 * without spaces are returned as they are. Returns DPL_OK or DPL_ENOMEM. */
int dpl__stem(dpl__stemmers *st, const char *lang, const char *word, size_t len,
              const char **out, size_t *out_len);

/* 1 when Snowball has an algorithm for `lang`. */
int dpl__stem_has_snowball(const char *lang);

#endif
