/* The reader: folder walking order, hidden entries, JSONL details (custom fields, BOM,
 * CRLF, blank lines, no final newline), gzip and zstd (whole, concatenated, truncated,
 * corrupt), size limits, unreadable entries, simdjson's fast path against json-c.
 * Fixtures are written into a fresh temporary folder. */
#define _GNU_SOURCE
#include "check.h"
#include "doppel.h"
#include "io/io.h"
#include "io/json_fast.h"
#include "same_record.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

static char root[256];

static void write_file(const char *rel, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, len, f);
    fclose(f);
}

static void write_str(const char *rel, const char *s)
{
    write_file(rel, s, strlen(s));
}

static size_t gzip_bytes(const char *s, unsigned char *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (unsigned char *)s;
    z.avail_in = (uInt)strlen(s);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    size_t n = z.total_out;
    deflateEnd(&z);
    return n;
}

static char *path_of(const char *rel)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    return path;
}

typedef struct seen {
    int n;
    char ids[32][128];
    int errors[32];
    char msgs[32][512];
    uint64_t lines[32];
    char texts[32][128];
} seen;

static int read_all(const char *rel, const dpl_reader_options *opts, seen *s)
{
    dpl_reader *r = dpl_reader_create(opts);
    int rc = dpl_reader_add(r, rel ? path_of(rel) : root);
    memset(s, 0, sizeof *s);
    dpl_record rec;
    while (rc == DPL_OK && (rc = dpl_reader_next(r, &rec)) == DPL_OK && s->n < 32) {
        snprintf(s->ids[s->n], 128, "%s", rec.id);
        s->errors[s->n] = rec.error;
        snprintf(s->msgs[s->n], 512, "%s", rec.error_msg ? rec.error_msg : "");
        snprintf(s->texts[s->n], 128, "%.*s", (int)(rec.text_len > 100 ? 100 : rec.text_len),
                 rec.text);
        s->lines[s->n] = rec.line;
        s->n++;
    }
    dpl_reader_free(r);
    return rc == DPL_EEOF ? DPL_OK : rc;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void test_folder_order_and_hidden(void)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/tree", root);
    mkdir(dir, 0777);
    strcat(dir, "/sub");
    mkdir(dir, 0777);
    snprintf(dir, sizeof dir, "%s/tree/.git", root);
    mkdir(dir, 0777);
    write_str("tree/b.txt", "bee");
    write_str("tree/a.txt", "ay");
    write_str("tree/sub/c.txt", "sea");
    write_str("tree/.hidden.txt", "no");
    write_str("tree/.git/config", "no");
    seen s;
    CHECK_EQ_INT(read_all("tree", NULL, &s), DPL_OK);
    CHECK_EQ_INT(s.n, 3);
    CHECK(ends_with(s.ids[0], "tree/a.txt"));
    CHECK(ends_with(s.ids[1], "tree/b.txt"));
    CHECK(ends_with(s.ids[2], "tree/sub/c.txt"));
    CHECK_EQ_STR(s.texts[2], "sea");
    dpl_reader_options o;
    dpl_reader_options_init(&o);
    o.include_hidden = 1;
    CHECK_EQ_INT(read_all("tree", &o, &s), DPL_OK);
    CHECK_EQ_INT(s.n, 5);
}

static void test_jsonl_details(void)
{
    /* BOM, CRLF, a blank line, custom fields, integer id, missing id, no final newline */
    write_str("fields.jsonl", "\xEF\xBB\xBF{\"doc\":\"d1\",\"body\":\"one\"}\r\n"
                              "\n   \n"
                              "{\"doc\":7,\"body\":\"two\",\"lang\":\"en\"}\n"
                              "{\"body\":\"three\"}");
    dpl_reader_options o;
    dpl_reader_options_init(&o);
    o.id_field = "doc";
    o.text_field = "body";
    seen s;
    CHECK_EQ_INT(read_all("fields.jsonl", &o, &s), DPL_OK);
    CHECK_EQ_INT(s.n, 3);
    CHECK_EQ_STR(s.ids[0], "d1");
    CHECK_EQ_INT(s.errors[0], DPL_OK);
    CHECK_EQ_STR(s.texts[0], "one");
    CHECK_EQ_STR(s.ids[1], "7");
    CHECK_EQ_INT(s.lines[1], 4);
    CHECK(ends_with(s.ids[2], "fields.jsonl:5"));
    CHECK_EQ_STR(s.texts[2], "three");
}

static void test_bad_records(void)
{
    write_str("bad.jsonl", "{\"id\":\"a\",\"text\":\"fine\"}\n"
                           "{\"id\":\"b\",\"text\":\"trunc\n"
                           "[1,2]\n"
                           "{\"id\":\"c\"}\n"
                           "{\"id\":\"d\",\"text\":null}\n"
                           "{\"id\":[1],\"text\":\"x\"}\n"
                           "{\"id\":\"e\",\"text\":\"\"}\n"
                           "{\"id\":\"f\",\"text\":\"a\\u0000b\"}\n"
                           "{\"id\":\"g\",\"text\":\"x\"} trailing\n"
                           "{\"id\":\"h\",\"text\":\"ok\",\"lang\":5}\n");
    seen s;
    CHECK_EQ_INT(read_all("bad.jsonl", NULL, &s), DPL_OK);
    CHECK_EQ_INT(s.n, 10);
    CHECK_EQ_INT(s.errors[0], DPL_OK);
    CHECK_EQ_INT(s.errors[1], DPL_EJSON);
    CHECK(strstr(s.msgs[1], "bad.jsonl:2: malformed JSON") != NULL);
    CHECK_EQ_INT(s.errors[2], DPL_EJSON);
    CHECK(strstr(s.msgs[2], "not a JSON object") != NULL);
    CHECK_EQ_INT(s.errors[3], DPL_EFIELD);
    CHECK(strstr(s.msgs[3], "missing field \"text\"") != NULL);
    CHECK_EQ_INT(s.errors[4], DPL_EFIELD);
    CHECK_EQ_INT(s.errors[5], DPL_EFIELD);
    CHECK(strstr(s.msgs[5], "field \"id\" is array") != NULL);
    CHECK_EQ_INT(s.errors[6], DPL_EEMPTY);
    CHECK_EQ_INT(s.errors[7], DPL_ENUL);
    CHECK_EQ_INT(s.errors[8], DPL_EJSON);
    CHECK(strstr(s.msgs[8], "after the JSON value") != NULL);
    CHECK_EQ_INT(s.errors[9], DPL_EFIELD);
}

static void test_invalid_utf8_is_replaced(void)
{
    write_str("latin1.txt", "caf\xE9 au lait");
    dpl_reader *r = dpl_reader_create(NULL);
    dpl_record rec;
    CHECK_EQ_INT(dpl_reader_add(r, path_of("latin1.txt")), DPL_OK);
    CHECK_EQ_INT(dpl_reader_next(r, &rec), DPL_OK);
    CHECK_EQ_INT(rec.error, DPL_OK);
    CHECK(rec.flags & DPL_RECORD_UTF8_REPLACED);
    CHECK_EQ_INT(rec.utf8_replaced, 1);
    CHECK_EQ_STR(rec.text, "caf\xEF\xBF\xBD au lait");
    CHECK_EQ_INT(dpl_reader_next(r, &rec), DPL_EEOF);
    dpl_reader_free(r);
}

/* simdjson's fast path must give the very record json-c gives, and must leave to json-c
 * every line the two might read differently. Each line: whether the fast path takes it. */
static const struct fast_case {
    int fast;
    const char *line;
} fast_cases[] = {
    {1, "{\"id\":\"a\",\"text\":\"hello world\"}"},
    {1, "{\"id\":\"a\\\"b\",\"text\":\"t\\tn\\nq\\\" \\u00e9 \\ud83d\\ude00 \\/\","
        "\"lang\":\"fr\"}"},
    {1, "{\"text\":\"no id\"}"},
    {1, "  {\"text\" : \"spaces\" , \"id\" : \"s\"}  \r"},
    {1, "{\"te\\u0078t\":\"escaped key\"}"},
    {1, "{\"id\":\"n\",\"text\":\"a\\u0000b\"}"},
    {1, "{\"id\":\"e\",\"text\":\"\"}"},
    {1, "{\"id\":\"w\",\"text\":\" \\t\\n \"}"},
    {1, "{\"id\":\"\",\"text\":\"empty id\"}"},
    {1, "{\"text\":\"x\",\"meta\":{\"a\":[1,-0,1E5,2.5e-3,true,false,null,{\"b\":[[[]]]}]}}"},
    {1, "{\"text\":\"\u00e9t\u00e9 \u4e2d\u6587\"}"},
    {0, "{\"id\":7,\"text\":\"integer id\"}"},
    {0, "{\"id\":null,\"text\":\"null id\"}"},
    {0, "{\"id\":[1],\"text\":\"array id\"}"},
    {0, "{\"text\":\"a\",\"text\":\"b\"}"},
    {0, "{\"id\":\"a\",\"id\":\"b\",\"text\":\"t\"}"},
    {0, "{\"te\\u0000xt\":\"NUL in a key\",\"text\":\"b\"}"},
    {0, "{\"text\":\"t\",\"lang\":5}"},
    {0, "{\"id\":\"c\"}"},
    {0, "{\"id\":\"d\",\"text\":null}"},
    {0, "{\"text\":\"lone \\ud800 surrogate\"}"},
    {0, "{\"text\":\"lone \\udc00 low\"}"},
    {0, "{\"text\":\"raw\tcontrol\"}"},
    {0, "{\"text\":\"caf\xE9\"}"},
    {0, "{\"text\":\"x\" /* comment */}"},
    {0, "{\"text\":\"x\",\"v\":NaN}"},
    {0, "{\"text\":\"x\",\"v\":1e400}"},
    {0, "{\"text\":\"x\",\"v\":123456789012345678901234567890}"},
    {0, "{'text':'single quotes'}"},
    {0, "\f{\"text\":\"form feed\"}"},
    {0, "[1,2]"},
    {0, "\"just a string\""},
    {0, "{\"id\":\"b\",\"text\":\"trunc"},
    {0, "{\"text\":\"x\"} trailing"},
    {0, "{\"text\":\"x\"}{\"text\":\"y\"}"},
    {0, ""},
    {0, "\xEF\xBB\xBF{\"text\":\"a byte order mark past the first line\"}"},
};

/* Nesting past the fast path's depth, and past json-c's. */
static char *nested_line(int depth)
{
    char *s = malloc((size_t)depth * 2 + 32);
    size_t n = (size_t)sprintf(s, "{\"text\":\"deep\",\"v\":");
    for (int i = 0; i < depth; i++)
        s[n++] = '[';
    for (int i = 0; i < depth; i++)
        s[n++] = ']';
    strcpy(s + n, "}");
    return s;
}

/* A line of `len` bytes, at or past the fast path's length limit. */
static char *long_line(size_t len)
{
    char *s = malloc(len + 1);
    memcpy(s, "{\"text\":\"", 9);
    memset(s + 9, 'a', len - 11);
    memcpy(s + len - 2, "\"}", 3);
    return s;
}

static const char *const default_names[3] = {"id", "text", "lang"};

/* names: the parsers' id, text and lang fields. */
static void compare_paths(dpl__parser *fast, dpl__parser *plain, const char *const names[3],
                          const char *line, int takes)
{
    dpl__json_fast *probe = dpl__json_fast_create(names);
    dpl__json_str f[3];
    CHECK_EQ_INT(dpl__json_fast_parse(probe, line, strlen(line), 0, f), takes);
    dpl__json_fast_free(probe);
    dpl__raw raw = {.data = line, .len = strlen(line), .source = "cases.jsonl", .line = 3,
                    .jsonl = 1};
    dpl_record a, b;
    CHECK_EQ_INT(dpl__parse_record(fast, &raw, &a), DPL_OK);
    CHECK_EQ_INT(dpl__parse_record(plain, &raw, &b), DPL_OK);
    if (!same_record(&a, &b)) {
        fprintf(stderr, "fast path and json-c differ on: %.80s\n", line);
        CHECK(0);
    }
    /* padded in place, as a job's batch hands records over: the same record, whatever
     * the padding holds */
    size_t n = strlen(line);
    char *padded = malloc(n + DPL__RAW_PADDING);
    memcpy(padded, line, n);
    memset(padded + n, '"', DPL__RAW_PADDING);
    dpl__raw in_place = raw;
    in_place.data = padded;
    in_place.padded = 1;
    CHECK_EQ_INT(dpl__parse_record(fast, &in_place, &a), DPL_OK);
    if (!same_record(&a, &b)) {
        fprintf(stderr, "padded fast path and json-c differ on: %.80s\n", line);
        CHECK(0);
    }
    free(padded);
}

/* Whether simdjson runs here at all: with SIMDJSON_FORCE_IMPLEMENTATION naming no kernel
 * this CPU has, parsers work without the fast path (a ctest run checks that). */
static int have_fast_path(void)
{
    dpl__json_fast *probe = dpl__json_fast_create(default_names);
    dpl__json_fast_free(probe);
    return probe != NULL;
}

/* A line json-c 0.16 decodes wrongly (see test_json_c_surrogate_bugs), so that the fast
 * path's answer shows that it was taken. */
static void check_fast_path_used(dpl__parser *p, const char *line)
{
    dpl__raw raw = {.data = line, .len = strlen(line), .source = "s.jsonl", .line = 1,
                    .jsonl = 1};
    dpl_record rec;
    CHECK_EQ_INT(dpl__parse_record(p, &raw, &rec), DPL_OK);
    CHECK_EQ_INT(rec.error, DPL_OK);
    CHECK(rec.text_len == 6 && memcmp(rec.text, "a\xF0\x9D\xA0\x80" "b", 6) == 0);
}

/* Where json-c 0.16 is wrong, the fast path is right: it decodes a surrogate pair whose
 * code point's low 16 bits look like a high surrogate (U+1D800; json-c made it U+FFFD,
 * json-c pull request #893), so such lines are not compared with json-c. And a line that
 * failed inside a surrogate escape no longer leaves json-c a pending surrogate that turned
 * the next line's first escape into U+FFFD + the character (the integer id keeps the
 * second line on json-c's path). */
static void test_json_c_surrogate_bugs(void)
{
    dpl__parser *p = dpl__parser_create(NULL);
    if (have_fast_path())
        check_fast_path_used(p, "{\"text\":\"a\\ud836\\udc00b\"}");
    dpl__parser_free(p);

    write_str("surrogates.jsonl", "{\"text\":\"x\\ud83d\\u\x9c\x9a\"}\n"
                                  "{\"id\":7,\"text\":\"\\u00e9t\\u00e9\"}\n");
    seen s;
    CHECK_EQ_INT(read_all("surrogates.jsonl", NULL, &s), DPL_OK);
    CHECK_EQ_INT(s.n, 2);
    CHECK_EQ_INT(s.errors[0], DPL_EJSON);
    CHECK_EQ_INT(s.errors[1], DPL_OK);
    CHECK_EQ_STR(s.texts[1], "\xC3\xA9t\xC3\xA9");
}

static void test_fast_path_agrees_with_json_c(void)
{
    if (!have_fast_path()) {
        printf("test_reader: simdjson has no kernel here (%s): json-c alone, nothing to "
               "compare\n", dpl__json_fast_kernel());
        return;
    }
    printf("test_reader: simdjson runs its %s kernel\n", dpl__json_fast_kernel());
    dpl__parser *fast = dpl__parser_create(NULL), *plain = dpl__parser_create(NULL);
    dpl__parser_disable_fast(plain);
    for (size_t i = 0; i < sizeof fast_cases / sizeof *fast_cases; i++)
        compare_paths(fast, plain, default_names, fast_cases[i].line, fast_cases[i].fast);
    const struct { int depth, fast; } depths[] = {{10, 1}, {DPL__JSON_FAST_MAX_DEPTH - 1, 1},
                                                 {DPL__JSON_FAST_MAX_DEPTH + 1, 0}, {70, 0}};
    for (size_t i = 0; i < sizeof depths / sizeof *depths; i++) {
        char *line = nested_line(depths[i].depth);
        compare_paths(fast, plain, default_names, line, depths[i].fast);
        free(line);
    }
    char *line = long_line(DPL__JSON_FAST_MAX_LINE);
    compare_paths(fast, plain, default_names, line, 1);
    free(line);
    line = long_line(DPL__JSON_FAST_MAX_LINE + 1);
    compare_paths(fast, plain, default_names, line, 0);
    free(line);
    dpl__parser_free(fast);
    dpl__parser_free(plain);

    /* Other field names, and two options naming one field (json-c then gives both its
     * value); the surrogate line shows that the fast path was taken. */
    static const char *const custom[3] = {"doc", "body", "l"};
    static const char *const shared[3] = {"id", "text", "text"};
    for (int round = 0; round < 2; round++) {
        const char *const *names = round ? shared : custom;
        dpl_reader_options o;
        dpl_reader_options_init(&o);
        o.id_field = names[0];
        o.text_field = names[1];
        o.lang_field = names[2];
        fast = dpl__parser_create(&o);
        plain = dpl__parser_create(&o);
        dpl__parser_disable_fast(plain);
        compare_paths(fast, plain, names,
                      "{\"doc\":\"d\",\"body\":\"b\",\"l\":\"de\",\"text\":7}", !round);
        compare_paths(fast, plain, names, "{\"id\":\"i\",\"text\":\"both\",\"body\":\"b\"}", 1);
        compare_paths(fast, plain, names, "{\"doc\":\"d\",\"body\":1,\"text\":\"t\"}", round);
        check_fast_path_used(fast, round ? "{\"text\":\"a\\ud836\\udc00b\"}"
                                         : "{\"body\":\"a\\ud836\\udc00b\"}");
        dpl__parser_free(fast);
        dpl__parser_free(plain);
    }
}

static void test_compressed(void)
{
    const char *jsonl = "{\"id\":\"z1\",\"text\":\"one\"}\n{\"id\":\"z2\",\"text\":\"two\"}\n";
    unsigned char gz[512], both[1024];
    size_t n = gzip_bytes(jsonl, gz, sizeof gz);
    write_file("c.jsonl.gz", gz, n);
    /* concatenated gzip members, as `cat a.gz b.gz` makes */
    memcpy(both, gz, n);
    memcpy(both + n, gz, n);
    write_file("twice.jsonl.gz", both, 2 * n);
    /* a truncated one */
    write_file("cut.jsonl.gz", gz, n - 10);
    /* zstd, whole and cut */
    unsigned char zs[512];
    size_t zn = ZSTD_compress(zs, sizeof zs, jsonl, strlen(jsonl), 3);
    write_file("c.jsonl.zst", zs, zn);
    write_file("cut.jsonl.zst", zs, zn - 4);
    /* corrupt gzip: a valid header, then garbage */
    unsigned char corrupt[64];
    memcpy(corrupt, gz, 10);
    memset(corrupt + 10, 0xFF, 54);
    write_file("bad.jsonl.gz", corrupt, sizeof corrupt);
    /* a gzipped text file recognized by its magic, whatever its name */
    const char *text = "plain words inside gzip";
    n = gzip_bytes(text, gz, sizeof gz);
    write_file("doc.txt", gz, n);

    seen s;
    CHECK_EQ_INT(read_all("c.jsonl.gz", NULL, &s), DPL_OK);
    CHECK_EQ_INT(s.n, 2);
    CHECK_EQ_STR(s.ids[1], "z2");
    CHECK_EQ_INT(read_all("twice.jsonl.gz", NULL, &s), DPL_OK);
    CHECK_EQ_INT(s.n, 4);
    CHECK_EQ_INT(read_all("cut.jsonl.gz", NULL, &s), DPL_OK);
    CHECK(s.n >= 1);
    CHECK_EQ_INT(s.errors[s.n - 1], DPL_ETRUNCATED);
    CHECK(strstr(s.msgs[s.n - 1], "truncated gzip") != NULL);
    CHECK(strstr(s.msgs[s.n - 1], "is lost") != NULL);
    CHECK_EQ_INT(read_all("c.jsonl.zst", NULL, &s), DPL_OK);
    CHECK_EQ_INT(s.n, 2);
    CHECK_EQ_STR(s.texts[0], "one");
    CHECK_EQ_INT(read_all("cut.jsonl.zst", NULL, &s), DPL_OK);
    CHECK(s.n >= 1);
    CHECK_EQ_INT(s.errors[s.n - 1], DPL_ETRUNCATED);
    CHECK_EQ_INT(read_all("bad.jsonl.gz", NULL, &s), DPL_OK);
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_INT(s.errors[0], DPL_ECORRUPT);
    CHECK_EQ_INT(read_all("doc.txt", NULL, &s), DPL_OK);
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_STR(s.texts[0], text);
}

static void test_size_limit(void)
{
    char big[5000];
    memset(big, 'x', sizeof big);
    write_file("big.txt", big, sizeof big);
    char line[6000];
    int n = snprintf(line, sizeof line, "{\"id\":\"big\",\"text\":\"%.*s\"}\n{\"id\":\"small\",\"text\":\"s\"}\n",
                     4000, big);
    write_file("big.jsonl", line, (size_t)n);
    dpl_reader_options o;
    dpl_reader_options_init(&o);
    o.max_doc_bytes = 1000;
    seen s;
    CHECK_EQ_INT(read_all("big.txt", &o, &s), DPL_OK);
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_INT(s.errors[0], DPL_ETOOBIG);
    CHECK_EQ_INT(read_all("big.jsonl", &o, &s), DPL_OK);
    CHECK_EQ_INT(s.n, 2);
    CHECK_EQ_INT(s.errors[0], DPL_ETOOBIG);
    CHECK_EQ_INT(s.errors[1], DPL_OK);
    CHECK_EQ_STR(s.ids[1], "small");
}

static void test_unreadable(void)
{
    dpl_reader *r = dpl_reader_create(NULL);
    CHECK_EQ_INT(dpl_reader_add(r, path_of("does-not-exist")), DPL_ENOENT);
    CHECK_EQ_INT(dpl_reader_add(r, ""), DPL_EINVAL);
    dpl_reader_free(r);
    /* inside a folder: a dangling link, a file whose reads fail, and a link loop each
     * become one error record, and the good file is still read */
    char dir[300], link[400];
    snprintf(dir, sizeof dir, "%s/odd", root);
    mkdir(dir, 0777);
    write_str("odd/good.txt", "good");
    snprintf(link, sizeof link, "%s/dangling.txt", dir);
    CHECK(symlink("/nonexistent/target", link) == 0);
    snprintf(link, sizeof link, "%s/failing.txt", dir);
    CHECK(symlink("/proc/self/mem", link) == 0); /* open works, read fails with EIO */
    snprintf(link, sizeof link, "%s/loop", dir);
    CHECK(symlink(".", link) == 0);
    seen s;
    CHECK_EQ_INT(read_all("odd", NULL, &s), DPL_OK);
    int good = 0, errors = 0;
    for (int i = 0; i < s.n; i++) {
        good += s.errors[i] == DPL_OK;
        errors += s.errors[i] != DPL_OK;
        if (s.errors[i] != DPL_OK)
            CHECK(strstr(s.msgs[i], "odd/") != NULL);
    }
    CHECK_EQ_INT(good, 1);
    CHECK_EQ_INT(errors, 3);
}

static void remove_root(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

/* Found by fuzz_reader: a gzip stream that fails after it has produced some bytes. A text
 * file made of it once yielded empty records forever; it must be one error record, and
 * as JSONL the lines before the failure and then one error record. */
static void test_stream_failing_midway(void)
{
    static const unsigned char gz[] = {
        0x1f, 0x8b, 0x08, 0x00, 0x40, 0x4e, 0x07, 0x6b, 0x02, 0xff, 0xab, 0x56, 0xca, 0x4c,
        0x51, 0xb2, 0x52, 0x4a, 0x57, 0xd2, 0x51, 0x2a, 0x49, 0xad, 0x28, 0xb5, 0x2f, 0xfd,
        0x73, 0x6f, 0x6e, 0x2e, 0x6a, 0x73, 0x74, 0x00, 0x00};
    write_file("late.txt", gz, sizeof gz);
    write_file("late.jsonl", gz, sizeof gz);
    seen s;
    CHECK_EQ_INT(read_all("late.txt", NULL, &s), DPL_OK);
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_INT(s.errors[0], DPL_ECORRUPT);
    CHECK_EQ_INT(read_all("late.jsonl", NULL, &s), DPL_OK);
    CHECK(s.n >= 1 && s.n <= 2);
    CHECK_EQ_INT(s.errors[s.n - 1], DPL_ECORRUPT);
    CHECK(strstr(s.msgs[s.n - 1], "is lost") != NULL);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/doppel-test-reader.XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 2;
    }
    test_folder_order_and_hidden();
    test_jsonl_details();
    test_bad_records();
    test_invalid_utf8_is_replaced();
    test_fast_path_agrees_with_json_c();
    test_json_c_surrogate_bugs();
    test_compressed();
    test_stream_failing_midway();
    test_size_limit();
    test_unreadable();
    remove_root();
    return check_report("test_reader");
}
