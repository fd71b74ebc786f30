/* Per-document language identification for the cross-lingual pass. Not part of the
 * public API.
 *
 * CLD2 (Compact Language Detector 2) decides, on a bounded prefix of the document; when
 * it has no answer (a short title, say), a script that only one language is written in
 * may decide instead: Han without kana is Chinese, kana Japanese, Hangul Korean, and
 * Greek, Hebrew, Thai, Georgian and Armenian their languages. CLD2 was chosen over
 * libexttextcat on ntrex-dev (8 languages x 61 news documents): whole documents 100% vs
 * 97.1% for exttextcat with the same script rules, first sentences 92.0% vs 82.4%,
 * first 200 bytes 98.4% vs 91.6%, and about four times faster (exttextcat cannot tell
 * Bulgarian from Russian: it names Russian for a quarter of the Bulgarian documents).
 *
 * Thread safety: a dpl__langid is immutable once created, and CLD2 keeps its tables
 * read-only and its per-call state on the stack ("Thread safe" is one of its stated
 * design goals), so any number of threads may share one handle. dpl__langid_clone()
 * exists so that callers can treat this stage like the others (one handle per worker);
 * it is cheap and never needed for safety. */
#ifndef DPL_XLING_LANGID_H
#define DPL_XLING_LANGID_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most of a document that is looked at: CLD2's answer on news text is settled well
 * before this (first 200 bytes: 98.4% on ntrex-dev), and detection costs ~70 us/KB. */
#define DPL__LANGID_MAX_BYTES 4096

typedef struct dpl__langid dpl__langid;

/* A new detector. CLD2's tables are compiled into libcld2, so there are no model files
 * to load; create checks that the linked CLD2 has them (libcld2_dynamic without a data
 * file has not) by identifying a German sentence. Returns DPL_OK, DPL_ENOMEM, or
 * DPL_ENOENT with a sentence in msg (msg_cap bytes; msg may be NULL when msg_cap is 0)
 * when the tables are missing. On failure *out is NULL. */
int dpl__langid_create(dpl__langid **out, char *msg, size_t msg_cap);

/* An independent copy of proto. Returns DPL_OK, DPL_EINVAL or DPL_ENOMEM. */
int dpl__langid_clone(const dpl__langid *proto, dpl__langid **out);

/* Accepts NULL. */
void dpl__langid_free(dpl__langid *id);

/* The language of text (len bytes, UTF-8; need not be NUL-terminated): its ISO 639-3
 * code in lang ("eng", "deu", "zho"; Chinese in either script is "zho"), or "und" when
 * there is nothing to go on (empty, digits, punctuation) or CLD2 and the script rule
 * cannot tell. Only the first DPL__LANGID_MAX_BYTES bytes are read, cut back to a
 * character boundary, so a huge document costs no more than a small one. Invalid UTF-8
 * and control characters are read as spaces. Returns DPL_OK, DPL_EINVAL (a NULL
 * argument) or DPL_ENOMEM (CLD2 ran out of memory); lang is "und" on failure. */
int dpl__langid_detect(const dpl__langid *id, const char *text, size_t len, char lang[4]);

/* The C++ shim over CLD2 (langid_cld2.cc), for langid.c only. */

/* The length of the longest prefix of text that CLD2 accepts: UTF-8 without control
 * characters other than tab, line feed, form feed and carriage return, surrogates or
 * noncharacters. */
int dpl__cld2_valid_prefix(const char *text, int len);

/* CLD2's code for the language of valid text (see above): ISO 639-1 where the language
 * has one ("en", "zh", "zh-Hant", "sr-ME", "iw"), else a three-letter code; "un" when it
 * cannot tell. NULL when CLD2 threw (out of memory). */
const char *dpl__cld2_detect(const char *text, int len);

#ifdef __cplusplus
}
#endif

#endif
