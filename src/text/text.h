/* Internal interface of the text family: UTF-8 validation shared by the reader and the
 * normalizer. */
#ifndef DPL_TEXT_H
#define DPL_TEXT_H

#include "common/common.h"

/* Length of the longest prefix of `s` that is valid UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF). ASCII is skipped eight bytes at a time. */
size_t dpl__utf8_valid_prefix(const char *s, size_t len);

/* Append `s` to `out` with every invalid UTF-8 sequence (an invalid byte and the
 * continuation bytes that follow it) replaced by U+FFFD. Returns the number of
 * replacements in *replaced. */
int dpl__utf8_sanitize(const char *s, size_t len, dpl__buf *out, size_t *replaced);

#endif
