/* Fuzz target: the reader and the record parser on arbitrary file contents. The first
 * byte picks how the bytes are named (JSONL, text, .gz, .zst: compression is recognized
 * by magic bytes, so any of them can hold a compressed stream) and a small size limit;
 * the rest is written to a temporary file and read back record by record. Checks: every
 * record has a counted, NUL-terminated id; a record without an error has text without a
 * NUL byte, one with an error has a message; reading ends with DPL_EEOF. Then the raw
 * records again, each parsed twice, with simdjson's fast path and with json-c alone: the
 * two records must be the same (tests/same_record.h), except on lines with a surrogate
 * escape, where json-c 0.16 is wrong for some pairs (test_reader's
 * test_json_c_surrogate_bugs). */
#define _GNU_SOURCE
#include "doppel.h"
#include "io/io.h"
#include "replay.h"
#include "same_record.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_reader: %s\n", what);
        abort();
    }
}

static const char *const suffixes[] = {".jsonl", ".txt", ".jsonl.gz", ".jsonl.zst"};

static int has_surrogate_escape(const char *s, size_t n)
{
    for (size_t i = 0; i + 3 < n; i++)
        if (s[i] == '\\' && s[i + 1] == 'u' && (s[i + 2] | 0x20) == 'd' &&
            strchr("89abAB", s[i + 3]) && s[i + 3])
            return 1;
    return 0;
}

static void compare_parsers(const char *path, const dpl_reader_options *o)
{
    dpl_reader *r = dpl_reader_create(o);
    dpl__parser *fast = dpl__parser_create(o), *plain = dpl__parser_create(o);
    check(r && fast && plain, "reader and parsers");
    dpl__parser_disable_fast(plain);
    check(dpl_reader_add(r, path) == DPL_OK, "add");
    dpl__raw raw;
    while (dpl__reader_next_raw(r, &raw) == DPL_OK) {
        dpl_record a, b;
        check(dpl__parse_record(fast, &raw, &a) == DPL_OK, "fast parse");
        check(dpl__parse_record(plain, &raw, &b) == DPL_OK, "json-c parse");
        check(same_record(&a, &b) || has_surrogate_escape(raw.data, raw.len),
              "simdjson's fast path and json-c disagree");
    }
    dpl__parser_free(fast);
    dpl__parser_free(plain);
    dpl_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned char opt = data[0];
    char path[256];
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/fuzz_reader.XXXXXX%s", tmp ? tmp : "/tmp", suffixes[opt & 3]);
    int fd = mkstemps(path, (int)strlen(suffixes[opt & 3]));
    check(fd >= 0, "cannot create a temporary file");
    check(write(fd, data + 1, size - 1) == (ssize_t)(size - 1), "cannot write it");
    close(fd);

    dpl_reader_options o;
    dpl_reader_options_init(&o);
    o.max_doc_bytes = (opt & 4) ? 64 : 0;
    o.id_field = (opt & 8) ? "url" : NULL;
    dpl_reader *r = dpl_reader_create(&o);
    check(r != NULL, "reader");
    check(dpl_reader_add(r, path) == DPL_OK, "add");
    dpl_record rec;
    size_t records = 0;
    int rc;
    while ((rc = dpl_reader_next(r, &rec)) == DPL_OK) {
        records++;
        /* A few compressed bytes may expand to many lines, so this only catches a reader
         * that never ends; libFuzzer's -timeout catches a slow one. */
        check(records <= 10000000, "ten million records from one small input");
        /* An id may hold NUL bytes (JSON "\u0000"): counted, and terminated after. */
        check(rec.id != NULL && rec.id[rec.id_len] == '\0', "record without an id");
        if (!rec.error) {
            check(rec.text != NULL, "record without text");
            check(memchr(rec.text, '\0', rec.text_len) == NULL, "NUL byte in a good record");
        } else {
            check(rec.error_msg != NULL && rec.error_msg[0], "error without a message");
        }
    }
    check(rc == DPL_EEOF, "reading ended with an error instead of the end");
    dpl_reader_free(r);
    compare_parsers(path, &o);
    unlink(path);
    return 0;
}
