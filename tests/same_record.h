/* Whether two parses of one raw record agree in every field a caller can see: the id,
 * text and language bytes, the flags, the error and its message. For the tests that
 * compare simdjson's fast path with json-c (test_reader, fuzz_reader). */
#ifndef DOPPEL_TEST_SAME_RECORD_H
#define DOPPEL_TEST_SAME_RECORD_H

#include "doppel.h"

#include <string.h>

static int same_bytes(const char *a, size_t a_len, const char *b, size_t b_len)
{
    return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

static int same_record(const dpl_record *a, const dpl_record *b)
{
    if (a->error != b->error || a->flags != b->flags || a->utf8_replaced != b->utf8_replaced)
        return 0;
    if (!same_bytes(a->id, a->id_len, b->id, b->id_len) || a->id[a->id_len] || b->id[b->id_len])
        return 0;
    if (a->error)
        return strcmp(a->error_msg, b->error_msg) == 0;
    return same_bytes(a->text, a->text_len, b->text, b->text_len) && !a->text[a->text_len] &&
           !b->text[b->text_len] && strcmp(a->lang, b->lang) == 0;
}

#endif
