/* End-to-end tests of the doppel command: each test builds its inputs in a temporary
 * folder, runs the real binary through the shell, and checks exit codes, messages and the
 * JSON outputs (parsed with json-c).
 *
 * Usage: test_cli DOPPEL_BINARY [WRAPPER]
 * A WRAPPER ("valgrind -q --error-exitcode=99") runs every doppel command under it. */
#define _GNU_SOURCE
#include "check.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *doppel;
static char root[256];

/* Run a shell command in `root`; returns the exit code. */
static int run(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(cmd, sizeof cmd, "cd '%s' && ", root);
    vsnprintf(cmd + n, sizeof cmd - (size_t)n, fmt, ap);
    va_end(ap);
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *slurp(const char *rel, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    size_t got = fread(buf, 1, (size_t)size, f);
    buf[got] = '\0';
    fclose(f);
    if (len)
        *len = got;
    return buf;
}

static void put(const char *rel, const char *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, len, f);
    fclose(f);
}

static void puts_file(const char *rel, const char *s)
{
    put(rel, s, strlen(s));
}

/* The manifest, one parsed object per line. */
typedef struct manifest {
    struct json_object **lines;
    int n;
} manifest;

static manifest load_manifest(const char *rel)
{
    manifest m = {0};
    char *text = slurp(rel, NULL);
    if (!text)
        return m;
    int cap = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (m.n == cap) {
            cap = cap ? cap * 2 : 64;
            m.lines = realloc(m.lines, (size_t)cap * sizeof *m.lines);
        }
        m.lines[m.n++] = json_tokener_parse(line);
    }
    free(text);
    return m;
}

static void free_manifest(manifest *m)
{
    for (int i = 0; i < m->n; i++)
        json_object_put(m->lines[i]);
    free(m->lines);
    memset(m, 0, sizeof *m);
}

static const char *field(const manifest *m, int i, const char *key)
{
    struct json_object *v;
    if (i >= m->n || !m->lines[i] || !json_object_object_get_ex(m->lines[i], key, &v))
        return "";
    return json_object_get_string(v);
}

static int count_status(const manifest *m, const char *status)
{
    int n = 0;
    for (int i = 0; i < m->n; i++)
        n += strcmp(field(m, i, "status"), status) == 0;
    return n;
}

static int find_id(const manifest *m, const char *id)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(field(m, i, "id"), id) == 0)
            return i;
    return -1;
}

/* ------------------------------------------------------------------------------------ */

static void test_usage_errors(void)
{
    CHECK_EQ_INT(run("%s >/dev/null 2>&1", doppel), 2);
    CHECK_EQ_INT(run("%s frobnicate 2>/dev/null", doppel), 2);
    CHECK_EQ_INT(run("%s dedupe 2>/dev/null", doppel), 2);
    CHECK_EQ_INT(run("%s dedupe --bogus x 2>/dev/null", doppel), 2);
    CHECK_EQ_INT(run("%s dedupe --keep oldest x 2>/dev/null", doppel), 2);
    CHECK_EQ_INT(run("%s dedupe --threads 0 x 2>/dev/null", doppel), 2);
    CHECK_EQ_INT(run("%s --help >/dev/null", doppel), 0);
    CHECK_EQ_INT(run("%s version > version.txt", doppel), 0);
    char *v = slurp("version.txt", NULL);
    CHECK(v && strstr(v, "Unicode") && strstr(v, "ICU"));
    free(v);
    /* a missing input fails fast, names the file, and writes nothing */
    CHECK_EQ_INT(run("%s dedupe -m typo.manifest no-such-file 2> err.txt", doppel), 2);
    char *err = slurp("err.txt", NULL);
    CHECK(err && strstr(err, "no-such-file") && strstr(err, "No such file"));
    free(err);
    CHECK(access("typo.manifest", F_OK) != 0);
}

static void test_exact_duplicates_and_outputs(void)
{
    puts_file("in.jsonl",
              "{\"id\":\"a\",\"text\":\"The Quick brown fox.\"}\n"
              "{\"id\":\"b\",\"text\":\"the quick   brown fox\"}\n"
              "{\"id\":\"c\",\"text\":\"Something else\"}\n"
              "{\"id\":\"d\",\"text\":\"THE QUICK BROWN FOX!!! and more words here\"}\n"
              "{\"id\":\"e\",\"text\":\"\\u201cthe quick brown fox\\u201d\"}\n");
    CHECK_EQ_INT(run("%s dedupe -q -m m.jsonl -p p.jsonl -o out.jsonl in.jsonl", doppel), 0);
    manifest m = load_manifest("m.jsonl");
    CHECK_EQ_INT(m.n, 5);
    CHECK_EQ_STR(field(&m, 0, "status"), "kept");
    CHECK_EQ_STR(field(&m, 1, "status"), "duplicate");
    CHECK_EQ_STR(field(&m, 1, "kind"), "exact");
    CHECK_EQ_STR(field(&m, 1, "rep"), "a");
    CHECK_EQ_STR(field(&m, 1, "source"), "in.jsonl");
    CHECK_EQ_STR(field(&m, 1, "line"), "2");
    CHECK_EQ_STR(field(&m, 2, "status"), "kept");
    CHECK_EQ_STR(field(&m, 3, "status"), "kept");
    CHECK_EQ_STR(field(&m, 4, "rep"), "a");
    free_manifest(&m);
    manifest p = load_manifest("p.jsonl");
    CHECK_EQ_INT(p.n, 2);
    CHECK_EQ_STR(field(&p, 0, "a"), "a");
    CHECK_EQ_STR(field(&p, 0, "b"), "b");
    CHECK_EQ_STR(field(&p, 1, "b"), "e");
    CHECK_EQ_STR(field(&p, 1, "kind"), "exact");
    free_manifest(&p);
    /* the corpus keeps the lines of a, c and d byte for byte */
    char *out = slurp("out.jsonl", NULL);
    CHECK_EQ_STR(out, "{\"id\":\"a\",\"text\":\"The Quick brown fox.\"}\n"
                      "{\"id\":\"c\",\"text\":\"Something else\"}\n"
                      "{\"id\":\"d\",\"text\":\"THE QUICK BROWN FOX!!! and more words here\"}\n");
    free(out);

    /* --keep longest keeps e (its raw line is the longest of its cluster) */
    CHECK_EQ_INT(run("%s dedupe -q --keep longest -m m2.jsonl in.jsonl", doppel), 0);
    m = load_manifest("m2.jsonl");
    CHECK_EQ_STR(field(&m, 0, "status"), "duplicate");
    CHECK_EQ_STR(field(&m, 0, "rep"), "e");
    CHECK_EQ_STR(field(&m, 4, "status"), "kept");
    free_manifest(&m);

    /* standard input, compressed, with the corpus written from a spool */
    CHECK_EQ_INT(run("gzip -c in.jsonl | %s dedupe -q -m m3.jsonl -o out3.jsonl -", doppel), 0);
    char *out3 = slurp("out3.jsonl", NULL);
    out = slurp("out.jsonl", NULL);
    CHECK(out && out3 && strcmp(out, out3) == 0);
    free(out);
    free(out3);
    m = load_manifest("m3.jsonl");
    CHECK_EQ_INT(m.n, 5);
    CHECK_EQ_STR(field(&m, 0, "source"), "-");
    free_manifest(&m);

    /* plain standard input past the 256 KiB that the format check reads ahead and past
     * one read chunk: the same records, statuses and kept corpus as from the file */
    size_t big_len = 0;
    char *big = malloc(3000 * 512);
    for (int i = 0; big && i < 3000; i++)
        big_len += (size_t)sprintf(big + big_len, "{\"id\":\"r%d\",\"text\":\"record %d of a "
                                   "corpus read from standard input, %0*d\"}\n", i, i % 2500,
                                   300, i % 2500);
    put("big.jsonl", big, big_len);
    free(big);
    CHECK_EQ_INT(run("cat big.jsonl | %s dedupe -q -m mb1.jsonl -o ob1.jsonl -", doppel), 0);
    CHECK_EQ_INT(run("%s dedupe -q -m mb2.jsonl -o ob2.jsonl big.jsonl", doppel), 0);
    size_t n1 = 0, n2 = 0;
    char *ob1 = slurp("ob1.jsonl", &n1), *ob2 = slurp("ob2.jsonl", &n2);
    CHECK(ob1 && ob2 && n1 == n2 && n1 > 0 && memcmp(ob1, ob2, n1) == 0);
    free(ob1);
    free(ob2);
    manifest m1 = load_manifest("mb1.jsonl"), m2 = load_manifest("mb2.jsonl");
    CHECK_EQ_INT(m1.n, 3000);
    CHECK_EQ_INT(m2.n, 3000);
    CHECK_EQ_INT(count_status(&m1, "duplicate"), 500);
    int same = m1.n == m2.n;
    for (int i = 0; same && i < m1.n; i++)
        same = strcmp(field(&m1, i, "id"), field(&m2, i, "id")) == 0 &&
               strcmp(field(&m1, i, "status"), field(&m2, i, "status")) == 0;
    CHECK(same);
    free_manifest(&m1);
    free_manifest(&m2);

    /* the manifest to stdout, the summary to stderr */
    CHECK_EQ_INT(run("%s dedupe -m - in.jsonl > so.jsonl 2> se.txt", doppel), 0);
    m = load_manifest("so.jsonl");
    CHECK_EQ_INT(m.n, 5);
    free_manifest(&m);
    char *summary = slurp("se.txt", NULL);
    CHECK(summary && strstr(summary, "5 records read") && strstr(summary, "3 kept") &&
          strstr(summary, "2 duplicates"));
    free(summary);
}

static void test_text_folder_output(void)
{
    run("mkdir -p docs/sub && printf 'Hello world.' > docs/a.txt && printf 'HELLO  WORLD' > "
        "docs/sub/b.txt && printf 'Other text' > docs/c.txt && gzip -c docs/c.txt > docs/d.txt.gz"
        " && printf 'x' > docs/.hidden");
    CHECK_EQ_INT(run("%s dedupe -q -m fm.jsonl -o folder-out docs", doppel), 0);
    manifest m = load_manifest("fm.jsonl");
    CHECK_EQ_INT(m.n, 4);
    CHECK_EQ_STR(field(&m, 0, "id"), "docs/a.txt");
    CHECK_EQ_STR(field(&m, 3, "status"), "duplicate"); /* sub/b.txt */
    CHECK_EQ_STR(field(&m, 2, "status"), "duplicate"); /* d.txt.gz = c.txt */
    free_manifest(&m);
    CHECK(access("folder-out/a.txt", F_OK) == 0 || run("test -f folder-out/a.txt") == 0);
    CHECK_EQ_INT(run("cmp -s docs/a.txt folder-out/a.txt"), 0);
    CHECK_EQ_INT(run("cmp -s docs/c.txt folder-out/c.txt"), 0);
    CHECK(run("test -e folder-out/sub/b.txt") != 0);
    /* a second run replaces the folder, and no temporary is left behind */
    CHECK_EQ_INT(run("%s dedupe -q -o folder-out docs/sub", doppel), 0);
    CHECK_EQ_INT(run("test -f folder-out/b.txt && test ! -e folder-out/a.txt"), 0);
    CHECK_EQ_INT(run("ls -a | grep -c doppel-tmp > tmpcount.txt; exit 0"), 0);
    char *count = slurp("tmpcount.txt", NULL);
    CHECK_EQ_STR(count, "0\n");
    free(count);
}

static void test_failed_run_leaves_outputs_alone(void)
{
    puts_file("keep.txt", "old manifest");
    /* the corpus folder cannot be created: the run fails before reading, and the old
     * manifest is still there, untouched */
    CHECK_EQ_INT(run("%s dedupe -q -m keep.txt -o no/such/dir/out docs 2> fail.txt", doppel), 2);
    char *old = slurp("keep.txt", NULL);
    CHECK_EQ_STR(old, "old manifest");
    free(old);
    char *err = slurp("fail.txt", NULL);
    CHECK(err && strstr(err, "no/such/dir/out"));
    free(err);
}

/* Every kind of bad input, in one run: the run completes (exit 0), every record is in the
 * manifest exactly once, and each bad one carries the right reason. */
static void test_bad_input_matrix(void)
{
    run("mkdir -p bad && cd bad && printf '' > empty.txt && printf '   \\n\\t ' > blank.txt && "
        "printf 'bin\\000ary' > nul.txt && printf 'caf\\351 latin-1' > latin1.txt && "
        "printf '\\357\\273\\277with BOM' > bom.txt && printf 'crlf\\r\\nlines\\r\\n' > crlf.txt && "
        "ln -s /nonexistent dangling.txt && ln -s /proc/self/mem unreadable.txt && "
        "printf '{\"id\":\"ok1\",\"text\":\"fine\"}\\n{\"id\":\"ok1\",\"text\":\"again\"}\\n"
        "{bad json\\n{\"id\":\"t\",\"text\":7}\\n{\"id\":\"m\"}\\n\\n{\"id\":\"z\",\"text\":\"\"}\\n' > "
        "records.jsonl && printf '{\"id\":\"g1\",\"text\":\"one\"}\\n{\"id\":\"g2\",\"text\":\"two\"}\\n' "
        "| gzip -c | head -c 30 > truncated.jsonl.gz");
    /* a 200 MB single document */
    CHECK_EQ_INT(run("head -c 200000000 /dev/zero | tr '\\0' 'a' > bad/huge.txt"), 0);
    CHECK_EQ_INT(run("%s dedupe -m bad.jsonl bad 2> bad-err.txt", doppel), 0);
    manifest m = load_manifest("bad.jsonl");
    /* 9 text files + 6 JSONL records (the blank line is not a record) + 1 record standing
     * for the lost rest of the truncated file */
    CHECK_EQ_INT(m.n, 16);
    for (int i = 0; i < m.n; i++) {
        CHECK(m.lines[i] != NULL);
        if (strcmp(field(&m, i, "status"), "error") == 0)
            CHECK(strlen(field(&m, i, "error")) > 10);
    }
    struct {
        const char *id, *status, *reason;
    } want[] = {
        {"bad/empty.txt", "error", "empty document"},
        {"bad/blank.txt", "error", "empty document"},
        {"bad/nul.txt", "error", "NUL byte"},
        {"bad/latin1.txt", "kept", ""},
        {"bad/bom.txt", "kept", ""},
        {"bad/crlf.txt", "kept", ""},
        {"bad/dangling.txt", "error", "dangling"},
        {"bad/unreadable.txt", "error", "read error"},
        {"bad/huge.txt", "kept", ""},
        {"ok1", "kept", ""},
        {"t", "error", "expected a string"},
        {"m", "error", "missing field"},
        {"z", "error", "empty document"},
        {"bad/records.jsonl:3", "error", "malformed JSON"},
    };
    for (size_t k = 0; k < sizeof want / sizeof *want; k++) {
        int i = find_id(&m, want[k].id);
        CHECK(i >= 0);
        if (i < 0) {
            fprintf(stderr, "  missing id %s\n", want[k].id);
            continue;
        }
        CHECK_EQ_STR(field(&m, i, "status"), want[k].status);
        CHECK(strstr(field(&m, i, "error"), want[k].reason) != NULL);
    }
    int latin = find_id(&m, "bad/latin1.txt");
    CHECK(strstr(field(&m, latin, "warning"), "invalid UTF-8") != NULL);
    /* the duplicate id: the second ok1 record */
    int dup = -1;
    for (int i = 0; i < m.n; i++)
        if (strstr(field(&m, i, "error"), "duplicate id \"ok1\""))
            dup = i;
    CHECK(dup >= 0);
    int trunc = -1;
    for (int i = 0; i < m.n; i++)
        if (strstr(field(&m, i, "error"), "truncated gzip"))
            trunc = i;
    CHECK(trunc >= 0);
    CHECK_EQ_STR(field(&m, trunc, "source"), "bad/truncated.jsonl.gz");
    free_manifest(&m);
    char *err = slurp("bad-err.txt", NULL);
    CHECK(err && strstr(err, "16 records read") && strstr(err, "errors"));
    free(err);
    CHECK_EQ_INT(run("%s dedupe -q --strict bad/records.jsonl", doppel), 1);
    /* the size limit turns the huge document into an error, not a crash */
    CHECK_EQ_INT(run("%s dedupe -q --max-doc-bytes 1M -m lim.jsonl bad/huge.txt", doppel), 0);
    m = load_manifest("lim.jsonl");
    CHECK_EQ_INT(m.n, 1);
    CHECK(strstr(field(&m, 0, "error"), "larger than the limit") != NULL);
    free_manifest(&m);
    run("rm -f bad/huge.txt");
}

/* Many records across batches and files, some bad: the manifest has one line per record,
 * in input order, and is byte-identical for 1 and 2 threads. */
static void test_accounting_and_determinism(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/many", root);
    mkdir(path, 0777);
    int records = 0;
    unsigned seed = 12345;
    for (int file = 0; file < 3; file++) {
        snprintf(path, sizeof path, "%s/many/part%d.jsonl", root, file);
        FILE *out = fopen(path, "w");
        for (int i = 0; i < 4000; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = (seed >> 16) % 100;
            if (r < 3)
                fprintf(out, "{\"id\":\"f%d-%d\",\"text\":broken\n", file, i);
            else if (r < 30) /* a duplicate of an earlier document */
                fprintf(out, "{\"id\":\"f%d-%d\",\"text\":\"Document number %u!\"}\n", file, i, r);
            else
                fprintf(out, "{\"id\":\"f%d-%d\",\"text\":\"unique text %d %d\"}\n", file, i, file, i);
            records++;
        }
        fclose(out);
    }
    CHECK_EQ_INT(run("%s dedupe -q -t 1 -m t1.jsonl -p p1.jsonl many", doppel), 0);
    CHECK_EQ_INT(run("%s dedupe -q -t 2 -m t2.jsonl -p p2.jsonl many", doppel), 0);
    CHECK_EQ_INT(run("cmp -s t1.jsonl t2.jsonl && cmp -s p1.jsonl p2.jsonl"), 0);
    manifest m = load_manifest("t1.jsonl");
    CHECK_EQ_INT(m.n, records);
    int in_order = 1;
    for (int i = 0; i < m.n; i++) {
        char want[64];
        snprintf(want, sizeof want, "f%d-%d", i / 4000, i % 4000);
        const char *id = field(&m, i, "id");
        if (strcmp(id, want) != 0 && !strstr(id, ".jsonl:"))
            in_order = 0;
    }
    CHECK(in_order);
    int dups = count_status(&m, "duplicate"), kept = count_status(&m, "kept"),
        errors = count_status(&m, "error");
    CHECK_EQ_INT(dups + kept + errors, records);
    CHECK(dups > 3000);
    CHECK(errors > 100);
    free_manifest(&m);
}

/* Near duplicates: 100 documents with one word substituted (Jaccard ~0.9) must be found,
 * truncated copies only under --containment, nothing across unrelated documents; output
 * identical for 1 and 2 threads. */
static void write_near_corpus(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/near.jsonl", root);
    FILE *f = fopen(path, "w");
    unsigned seed = 777;
    char words[120][16];
    for (int d = 0; d < 200; d++) {
        for (int w = 0; w < 120; w++) {
            seed = seed * 1103515245u + 12345u;
            snprintf(words[w], sizeof words[w], "w%u", (seed >> 8) % 5000);
        }
        fprintf(f, "{\"id\":\"base%d\",\"text\":\"", d);
        for (int w = 0; w < 120; w++)
            fprintf(f, "%s%s", w ? " " : "", words[w]);
        fputs("\"}\n", f);
        if (d < 100) { /* one word replaced in the middle */
            fprintf(f, "{\"id\":\"sub%d\",\"text\":\"", d);
            for (int w = 0; w < 120; w++)
                fprintf(f, "%s%s", w ? " " : "", w == 60 ? "CHANGED" : words[w]);
            fputs("\"}\n", f);
        } else if (d < 130) { /* the first 70 words only */
            fprintf(f, "{\"id\":\"cut%d\",\"text\":\"", d);
            for (int w = 0; w < 70; w++)
                fprintf(f, "%s%s", w ? " " : "", words[w]);
            fputs("\"}\n", f);
        }
    }
    fclose(f);
}

static int count_kind(const manifest *m, const char *prefix, const char *kind)
{
    int n = 0;
    for (int i = 0; i < m->n; i++)
        if (strncmp(field(m, i, "id"), prefix, strlen(prefix)) == 0 && m->lines[i] &&
            strcmp(field(m, i, "kind"), kind) == 0)
            n++;
    return n;
}

static void test_near_duplicates(void)
{
    write_near_corpus();
    CHECK_EQ_INT(run("%s dedupe -q -t 1 -m n1.jsonl -p np1.jsonl near.jsonl", doppel), 0);
    CHECK_EQ_INT(run("%s dedupe -q -t 2 -m n2.jsonl -p np2.jsonl near.jsonl", doppel), 0);
    CHECK_EQ_INT(run("cmp -s n1.jsonl n2.jsonl && cmp -s np1.jsonl np2.jsonl"), 0);
    manifest m = load_manifest("n1.jsonl");
    CHECK_EQ_INT(m.n, 330);
    int found = count_kind(&m, "sub", "near");
    CHECK(found >= 98);
    printf("near: %d of 100 one-word substitutions found\n", found);
    CHECK_EQ_INT(count_kind(&m, "base", "near"), 0); /* the bases are all kept */
    CHECK_EQ_INT(count_kind(&m, "cut", "near"), 0);   /* Jaccard 0.58: not at 0.8 */
    for (int i = 0; i < m.n; i++) {
        if (strcmp(field(&m, i, "kind"), "near") != 0)
            continue;
        char want[32];
        snprintf(want, sizeof want, "base%s", field(&m, i, "id") + 3);
        CHECK_EQ_STR(field(&m, i, "rep"), want);
        double score = atof(field(&m, i, "score"));
        CHECK(score >= 0.8 && score < 1.0);
    }
    free_manifest(&m);
    manifest p = load_manifest("np1.jsonl");
    CHECK_EQ_INT(p.n, found);
    free_manifest(&p);

    /* containment pairs the truncated copies with their bases */
    CHECK_EQ_INT(run("%s dedupe -q --containment -m nc.jsonl near.jsonl", doppel), 0);
    m = load_manifest("nc.jsonl");
    CHECK(count_kind(&m, "cut", "near") >= 29);
    free_manifest(&m);
    /* exact only: no near pairs */
    CHECK_EQ_INT(run("%s dedupe -q --exact-only -m ne.jsonl near.jsonl", doppel), 0);
    m = load_manifest("ne.jsonl");
    CHECK_EQ_INT(count_status(&m, "duplicate"), 0);
    free_manifest(&m);
    /* without verification the MinHash estimate decides; it still finds them */
    CHECK_EQ_INT(run("%s dedupe -q --no-verify -m nv.jsonl near.jsonl", doppel), 0);
    m = load_manifest("nv.jsonl");
    CHECK(count_kind(&m, "sub", "near") >= 90);
    CHECK_EQ_INT(count_kind(&m, "base", "near"), 0);
    free_manifest(&m);
    CHECK_EQ_INT(run("%s dedupe -q --containment --no-verify near.jsonl 2>/dev/null", doppel), 2);
    /* bad banding is a usage error */
    CHECK_EQ_INT(run("%s dedupe -q --bands 64 --rows 4 near.jsonl 2>/dev/null", doppel), 2);
}

/* Field `key` of the first duplicate of line i ("duplicates": [...]), "" when none. */
static const char *first_dup(const manifest *m, int i, const char *key)
{
    struct json_object *list, *v;
    if (i >= m->n || !m->lines[i] || !json_object_object_get_ex(m->lines[i], "duplicates",
                                                                 &list) ||
        json_object_array_length(list) == 0 ||
        !json_object_object_get_ex(json_object_array_get_idx(list, 0), key, &v))
        return "";
    return json_object_get_string(v);
}

/* SIGINT during index add: exit 130, what was added committed (the output lines and the
 * index agree), and the index opens and takes the rest of the input afterwards. */
static void test_index_interrupt(void)
{
    CHECK_EQ_INT(run("awk 'BEGIN { for (i = 0; i < 200000; i++) printf \"{\\\"id\\\":\\\"%%d\\\","
                     "\\\"text\\\":\\\"w%%d alpha beta gamma delta %%d\\\"}\\n\", i, i %% 997, i }' "
                     "> ixbig.jsonl"), 0);
    int wait_ms = strchr(doppel, ' ') ? 8000 : 700;
    CHECK_EQ_INT(run("(%s index add ixint ixbig.jsonl > ixint.jsonl 2> ixint-err.txt & pid=$!; "
                     "sleep %d.%03d; kill -INT $pid; wait $pid; echo $? > ixint-rc.txt)",
                     doppel, wait_ms / 1000, wait_ms % 1000), 0);
    char *rc = slurp("ixint-rc.txt", NULL);
    CHECK_EQ_STR(rc, "130\n");
    free(rc);
    char *err = slurp("ixint-err.txt", NULL);
    CHECK(err && strstr(err, "interrupted, what was added is committed"));
    free(err);
    CHECK_EQ_INT(run("n=$(wc -l < ixint.jsonl) && test $n -gt 0 && test $n -lt 200000 && "
                     "%s index stats ixint | grep -q \"\\\"documents\\\":$n,\"", doppel), 0);
    /* the rest: the ids added already are errors, the others are added */
    CHECK_EQ_INT(run("%s index add -q ixint ixbig.jsonl > ixint2.jsonl && "
                     "%s index stats ixint | grep -q '\"documents\":200000,'", doppel, doppel), 0);
}

/* dedupe --against: the bases indexed, the rest deduped against them; each one-word
 * substitution is a duplicate of its archived base, the truncated copies (Jaccard 0.58)
 * are kept, and only they reach the output corpus. */
static void test_against(void)
{
    CHECK_EQ_INT(run("grep '\"base' near.jsonl > bases.jsonl && grep -v '\"base' near.jsonl "
                     "> rest.jsonl"), 0);
    CHECK_EQ_INT(run("%s index add -q ixb bases.jsonl > /dev/null", doppel), 0);
    CHECK_EQ_INT(run("%s dedupe -q --against ixb -m ag.jsonl -p agp.jsonl -o agk.jsonl "
                     "rest.jsonl", doppel), 0);
    manifest m = load_manifest("ag.jsonl");
    CHECK_EQ_INT(m.n, 130);
    int archived = 0;
    for (int i = 0; i < m.n; i++) {
        const char *id = field(&m, i, "id");
        if (strncmp(id, "sub", 3) == 0 && strcmp(field(&m, i, "archived"), "true") == 0) {
            char want[32];
            snprintf(want, sizeof want, "base%s", id + 3);
            archived += strcmp(field(&m, i, "rep"), want) == 0;
        }
        if (strncmp(id, "cut", 3) == 0)
            CHECK_EQ_STR(field(&m, i, "status"), "kept");
    }
    CHECK(archived >= 90);
    printf("against: %d of 100 substitutions are duplicates of their archived base\n",
           archived);
    free_manifest(&m);
    m = load_manifest("agk.jsonl");
    CHECK_EQ_INT(m.n, 130 - archived);
    free_manifest(&m);
    m = load_manifest("agp.jsonl");
    CHECK_EQ_INT(m.n, archived);
    CHECK(m.n > 0 && strcmp(field(&m, 0, "archived"), "true") == 0);
    free_manifest(&m);
    CHECK_EQ_INT(run("%s dedupe -q --against nosuch rest.jsonl 2> /dev/null", doppel), 2);
    CHECK_EQ_INT(run("%s dedupe -q --num-perm 64 --against ixb rest.jsonl 2> /dev/null",
                     doppel), 2);
}

/* doppel index end to end on the near-duplicate corpus: added in two halves across two
 * runs (so the second half finds the first, committed by the first run), every
 * one-word substitution reports its base; query, remove, stats; a second add of the same
 * ids reports each as an error; other settings, a garbage data file and a missing index
 * are refused with exit 2. */
static void test_index(void)
{
    CHECK_EQ_INT(run("head -n 150 near.jsonl > ix1.jsonl && tail -n +151 near.jsonl > "
                     "ix2.jsonl"), 0);
    CHECK_EQ_INT(run("%s index add -q ix ix1.jsonl > ixa1.jsonl", doppel), 0);
    CHECK_EQ_INT(run("%s index add -q ix ix2.jsonl > ixa2.jsonl", doppel), 0);
    CHECK_EQ_INT(run("cat ixa1.jsonl ixa2.jsonl > ixa.jsonl"), 0);
    manifest m = load_manifest("ixa.jsonl");
    CHECK_EQ_INT(m.n, 330);
    int subs = 0, right = 0;
    for (int i = 0; i < m.n; i++) {
        CHECK_EQ_STR(field(&m, i, "status"), "added");
        const char *id = field(&m, i, "id");
        if (strncmp(id, "sub", 3) == 0) {
            char want[48];
            snprintf(want, sizeof want, "base%s", id + 3);
            subs++;
            right += strcmp(first_dup(&m, i, "id"), want) == 0 &&
                     strcmp(first_dup(&m, i, "kind"), "near") == 0;
        }
        if (strncmp(id, "base", 4) == 0)
            CHECK_EQ_STR(first_dup(&m, i, "id"), "");
    }
    CHECK_EQ_INT(subs, 100);
    CHECK(right >= 90); /* MinHash estimate, as dedupe --no-verify */
    printf("index: %d of 100 one-word substitutions report their base\n", right);
    free_manifest(&m);
    /* the same ids again: one error each, exit 0, or 1 under --strict */
    CHECK_EQ_INT(run("%s index add -q ix ix1.jsonl > ixa3.jsonl", doppel), 0);
    m = load_manifest("ixa3.jsonl");
    CHECK_EQ_INT(count_status(&m, "error"), 150);
    free_manifest(&m);
    CHECK_EQ_INT(run("%s index add -q --strict ix ix1.jsonl > /dev/null", doppel), 1);
    /* query finds each document itself, exactly */
    CHECK_EQ_INT(run("%s index query -q ix ix1.jsonl > ixq.jsonl", doppel), 0);
    m = load_manifest("ixq.jsonl");
    CHECK_EQ_INT(count_status(&m, "ok"), 150);
    CHECK_EQ_STR(first_dup(&m, 0, "id"), "base0");
    CHECK_EQ_STR(first_dup(&m, 0, "kind"), "exact");
    CHECK_EQ_STR(first_dup(&m, 0, "score"), "1.0000");
    free_manifest(&m);
    /* remove, stats */
    CHECK_EQ_INT(run("%s index remove -q ix base0 nosuch > ixr.jsonl", doppel), 0);
    char *out = slurp("ixr.jsonl", NULL);
    CHECK(out && strstr(out, "{\"id\":\"base0\",\"removed\":true}") &&
          strstr(out, "{\"id\":\"nosuch\",\"removed\":false}"));
    free(out);
    CHECK_EQ_INT(run("%s index stats ix > ixs.json", doppel), 0);
    out = slurp("ixs.json", NULL);
    CHECK(out && strstr(out, "\"documents\":329,") && strstr(out, "\"num_perm\":128"));
    free(out);
    /* refusals */
    CHECK_EQ_INT(run("%s index add -q --num-perm 64 ix ix1.jsonl 2> ixe.txt", doppel), 2);
    out = slurp("ixe.txt", NULL);
    CHECK(out && strstr(out, "num_perm=128, not 64"));
    free(out);
    CHECK_EQ_INT(run("%s index query -q noindex ix1.jsonl 2> /dev/null", doppel), 2);
    CHECK_EQ_INT(run("mkdir -p garbage && head -c 100000 /dev/urandom > garbage/data.mdb && "
                     "%s index query -q garbage ix1.jsonl 2> ixg.txt", doppel), 2);
    out = slurp("ixg.txt", NULL);
    CHECK(out && strstr(out, "garbage"));
    free(out);
    CHECK_EQ_INT(run("%s index frob ix 2> /dev/null", doppel), 2);
    CHECK_EQ_INT(run("%s index stats 2> /dev/null", doppel), 2);
    test_against();
    test_index_interrupt();
}

/* SIGINT or SIGTERM in the middle of a run: exit 130, a message that says how far it got, and no
 * output, finished or partial, left behind (outputs are written to temporary files that
 * are renamed only at the end). */
/* The cross-lingual commands and options with small dictionaries written here, so the
 * test needs nothing installed; a cache folder of its own keeps it from the user's. */
static void test_xling(void)
{
    puts_file("d.tsv", "deu\tHaus\thouse\ndeu\tgroß\tbig\ndeu\tStadt\tcity\n"
                       "deu\tder\tthe\ndeu\tdie\tthe\ndeu\tdas\tthe\ndeu\tin\tin\n"
                       "deu\tist\tis\ndeu\tsteht\tstands\ndeu\talt\told\n"
                       "a broken line\n");
    puts_file("en.txt", "The house is big. The house stands in the old city.");
    puts_file("de.txt", "Das Haus ist groß. Das Haus steht in der alten Stadt.");
    const char *d = "--dict d.tsv --dict-cache dcache";
    /* align: two files side by side */
    CHECK_EQ_INT(run("%s align %s --lang-a en --lang-b de en.txt de.txt > al.txt 2> al.err",
                     doppel, d), 0);
    char *al = slurp("al.txt", NULL), *err = slurp("al.err", NULL);
    CHECK(al && strstr(al, "2 links") && strstr(al, "coverage A 1.000"));
    CHECK(err && strstr(err, "d.tsv: 1 broken lines skipped")); /* warned, not fatal */
    free(al);
    free(err);
    CHECK_EQ_INT(run("%s align %s en.txt 2>/dev/null", doppel, d), 2);
    /* a record of a JSONL file, its language from its "lang" field */
    puts_file("two.jsonl", "{\"id\":\"e\",\"lang\":\"en\",\"text\":\"The house is big. The "
                           "house stands in the old city.\"}\n"
                           "{\"id\":\"d\",\"lang\":\"de\",\"text\":\"Das Haus ist gro\u00df. "
                           "Das Haus steht in der alten Stadt.\"}\n");
    CHECK_EQ_INT(run("%s align %s 'two.jsonl#e' 'two.jsonl#d' > al2.txt 2>/dev/null", doppel, d),
                 0);
    al = slurp("al2.txt", NULL);
    CHECK(al && strstr(al, "A eng") && strstr(al, "B deu") && strstr(al, "2 links"));
    free(al);
    CHECK_EQ_INT(run("%s align %s 'two.jsonl#zz' 'two.jsonl#d' 2> err.txt", doppel, d), 2);
    err = slurp("err.txt", NULL);
    CHECK(err && strstr(err, "no record with id \"zz\""));
    free(err);
    CHECK_EQ_INT(run("%s align %s en.txt missing.txt 2> err.txt", doppel, d), 2);
    err = slurp("err.txt", NULL);
    CHECK(err && strstr(err, "missing.txt"));
    free(err);
    /* dict: a word's pivot terms, from the compiled cache the second time */
    CHECK_EQ_INT(run("%s dict %s deu Häuser > w.txt 2>/dev/null", doppel, d), 0);
    char *w = slurp("w.txt", NULL);
    CHECK(w && strstr(w, "hous 1.00"));
    free(w);
    CHECK_EQ_INT(run("%s dict %s > l.txt 2>/dev/null", doppel, d), 0);
    char *l = slurp("l.txt", NULL);
    CHECK(l && strstr(l, "languages: deu") && strstr(l, "compiled cache"));
    free(l);
    /* dedupe --xling: the pair, its kind, languages and coverage */
    puts_file("x.jsonl", "{\"id\":\"en\",\"lang\":\"en\",\"text\":\"The house is big. "
                         "The house stands in the old city.\"}\n"
                         "{\"id\":\"de\",\"lang\":\"de\",\"text\":\"Das Haus ist gro\u00df. "
                         "Das Haus steht in der alten Stadt.\"}\n");
    CHECK_EQ_INT(run("%s dedupe -q --xling %s -m xm.jsonl -p xp.jsonl --aligned xa.jsonl "
                     "x.jsonl", doppel, d), 0);
    char *p = slurp("xp.jsonl", NULL), *m = slurp("xm.jsonl", NULL), *a = slurp("xa.jsonl", NULL);
    CHECK(p && strstr(p, "\"kind\":\"xling\"") && strstr(p, "\"langs\":[\"eng\",\"deu\"]") &&
          strstr(p, "\"coverage\":[1.0000,1.0000]"));
    CHECK(m && strstr(m, "\"status\":\"duplicate\",\"kind\":\"xling\",\"rep\":\"en\""));
    CHECK(a && strstr(a, "\"a_sentences\":[1],\"b_sentences\":[1]"));
    free(p);
    free(m);
    free(a);
    /* bad options and dictionaries: exit 2, the file named, no output */
    CHECK_EQ_INT(run("%s dedupe --aligned a.jsonl x.jsonl 2>/dev/null", doppel), 2);
    CHECK_EQ_INT(run("%s dedupe --xling --xling-threshold 2 x.jsonl 2>/dev/null", doppel), 2);
    CHECK_EQ_INT(run("%s dedupe --xling --dict nope.tsv -m nm.jsonl x.jsonl 2> err.txt",
                     doppel), 2);
    err = slurp("err.txt", NULL);
    CHECK(err && strstr(err, "nope.tsv"));
    free(err);
    CHECK(access("nm.jsonl", F_OK) != 0);
    puts_file("garbage.index", "\x01\x02\x03 not a dictionary");
    CHECK_EQ_INT(run("%s dedupe --xling --dict garbage.index --dict-cache none x.jsonl "
                     "2> err.txt", doppel), 2);
    err = slurp("err.txt", NULL);
    CHECK(err && strstr(err, "garbage.index"));
    free(err);
}

static void test_interrupt(void)
{
    CHECK_EQ_INT(run("mkdir -p intr && awk 'BEGIN { for (i = 0; i < 400000; i++) printf "
                     "\"{\\\"id\\\":\\\"%%d\\\",\\\"text\\\":\\\"w%%d alpha beta gamma "
                     "delta epsilon %%d\\\"}\\n\", i, i %% 997, i }' > intr/big.jsonl"), 0);
    /* Under a wrapper such as valgrind, start-up alone takes seconds. */
    int wait_ms = strchr(doppel, ' ') ? 8000 : 500;
    static const char *const signals[] = {"INT", "TERM"};
    for (int k = 0; k < 2; k++) {
        CHECK_EQ_INT(run("cd intr && (%s dedupe -m out.jsonl -p pairs.jsonl -o kept.jsonl "
                         "big.jsonl 2> ../intr-err.txt & pid=$!; sleep %d.%03d; kill -%s $pid; "
                         "wait $pid; echo $? > ../intr-rc.txt)",
                         doppel, wait_ms / 1000, wait_ms % 1000, signals[k]), 0);
        char *rc = slurp("intr-rc.txt", NULL);
        CHECK_EQ_STR(rc, "130\n");
        free(rc);
        char *err = slurp("intr-err.txt", NULL);
        CHECK(err && strstr(err, "interrupted after") && strstr(err, "no output was written"));
        free(err);
        CHECK_EQ_INT(run("test \"$(ls -A intr)\" = big.jsonl"), 0);
    }
}

/* The script stage from the command line: the same text in Cyrillic and Latin letters,
 * in Traditional and Simplified characters, pairs with transliteration and not without;
 * a mixed-script corpus of 3,000 documents gives identical output on 1 and 2 threads
 * (every thread has its own ICU objects and word cache). */
static const char *const script_sentences[] = {
    "Градска библиотека у Новом Саду отвара нову читаоницу за децу и њихове родитеље.",
    "Ђаци основне школе посадили су љубичице и џиновски сунцокрет у дворишту.",
    "市政府宣布，新的公交线路将于下个月开通，连接火车站和大学城。",
    "這座橋樑經過兩年的維修，終於在星期一重新開放給行人和自行車。",
    "駅前の新しいコーヒーショップは朝七時から営業しています。",
    "ตลาดนัดริมแม่น้ำเปิดทุกวันเสาร์ตั้งแต่เช้าจนถึงค่ำ",
    "Η δημοτική βιβλιοθήκη θα μείνει ανοιχτή μέχρι τα μεσάνυχτα το Σάββατο.",
    "המוזיאון העירוני פותח תערוכה חדשה על תולדות הנמל.",
    "नगर निगम ने बताया कि नई पानी की टंकी अगले महीने से काम करेगी।",
    "시립 도서관은 이번 주말에 어린이 독서 행사를 연다.",
    "The harbour ferry will run every twenty minutes during the festival weekend.",
};

static void write_script_corpus(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/scripts.jsonl", root);
    FILE *f = fopen(path, "w");
    unsigned seed = 4242;
    size_t n = sizeof script_sentences / sizeof *script_sentences;
    for (int d = 0; d < 3000; d++) {
        fprintf(f, "{\"id\":\"m%d\",\"text\":\"", d);
        for (int k = 0; k < 12; k++) {
            seed = seed * 1103515245u + 12345u;
            fprintf(f, "%s ", script_sentences[(seed >> 8) % n]);
        }
        fputs("\"}\n", f);
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/twins.jsonl", root);
    f = fopen(path, "w");
    fputs("{\"id\":\"sr-cyr\",\"text\":\"Ђаци основне школе у Новом Саду посадили су љубичице, "
          "џиновски сунцокрет и две крушке. Њихови родитељи донели су алат, а учитељица "
          "Љиљана Ђорђевић водила је радове цело јутро.\"}\n"
          "{\"id\":\"sr-lat\",\"text\":\"Đaci osnovne škole u Novom Sadu posadili su ljubičice, "
          "džinovski suncokret i dve kruške. Njihovi roditelji doneli su alat, a učiteljica "
          "Ljiljana Đorđević vodila je radove celo jutro.\"}\n"
          "{\"id\":\"zh-hans\",\"text\":\"这座桥梁经过两年的维修，终于在星期一重新开放给行人和自行车。"
          "市民说，过桥的时间从二十分钟缩短到五分钟。\"}\n"
          "{\"id\":\"zh-hant\",\"text\":\"這座橋樑經過兩年的維修，終於在星期一重新開放給行人和自行車。"
          "市民說，過橋的時間從二十分鐘縮短到五分鐘。\"}\n", f);
    fclose(f);
}

static void test_scripts(void)
{
    write_script_corpus();
    CHECK_EQ_INT(run("%s dedupe -q -t 1 -m s1.jsonl -p sp1.jsonl scripts.jsonl", doppel), 0);
    CHECK_EQ_INT(run("%s dedupe -q -t 2 -m s2.jsonl -p sp2.jsonl scripts.jsonl", doppel), 0);
    CHECK_EQ_INT(run("cmp -s s1.jsonl s2.jsonl && cmp -s sp1.jsonl sp2.jsonl"), 0);
    manifest m = load_manifest("s1.jsonl");
    CHECK_EQ_INT(m.n, 3000);
    free_manifest(&m);

    CHECK_EQ_INT(run("%s dedupe -q -m tw.jsonl twins.jsonl", doppel), 0);
    m = load_manifest("tw.jsonl");
    CHECK_EQ_STR(field(&m, find_id(&m, "sr-lat"), "rep"), "sr-cyr");
    CHECK_EQ_STR(field(&m, find_id(&m, "zh-hant"), "rep"), "zh-hans");
    free_manifest(&m);
    CHECK_EQ_INT(run("%s dedupe -q --no-translit -m tw0.jsonl twins.jsonl", doppel), 0);
    m = load_manifest("tw0.jsonl");
    CHECK_EQ_INT(count_status(&m, "duplicate"), 0);
    free_manifest(&m);
    CHECK_EQ_INT(run("%s dedupe -q --no-translit --simplify-han -m tw1.jsonl twins.jsonl", doppel), 0);
    m = load_manifest("tw1.jsonl");
    CHECK_EQ_INT(count_status(&m, "duplicate"), 1);
    CHECK_EQ_STR(field(&m, find_id(&m, "zh-hant"), "rep"), "zh-hans");
    free_manifest(&m);
    /* Exact fingerprints see the text before the script stage: no exact pair here. */
    CHECK_EQ_INT(run("%s dedupe -q --exact-only -m twe.jsonl twins.jsonl", doppel), 0);
    m = load_manifest("twe.jsonl");
    CHECK_EQ_INT(count_status(&m, "duplicate"), 0);
    free_manifest(&m);

    /* what the shingles see */
    CHECK_EQ_INT(run("printf 'Ђорђе' | %s normalize > n.txt", doppel), 0);
    char *out = slurp("n.txt", NULL);
    CHECK_EQ_STR(out, "dorde\n");
    free(out);
    CHECK_EQ_INT(run("printf 'Ђорђе' | %s normalize --exact-only > n.txt", doppel), 0);
    out = slurp("n.txt", NULL);
    CHECK_EQ_STR(out, "ђорђе\n");
    free(out);
    CHECK_EQ_INT(run("printf 'Ђорђе' | %s normalize --translit Cyrillic-Latin > n.txt", doppel), 0);
    out = slurp("n.txt", NULL);
    CHECK_EQ_STR(out, "\xc4\x91or\xc4\x91" "e\n"); /* đ has no decomposition: it stays */
    free(out);

    /* bad options: usage errors that say what is wrong */
    CHECK_EQ_INT(run("%s dedupe -q --translit No-Such-ID twins.jsonl 2> err.txt", doppel), 2);
    char *err = slurp("err.txt", NULL);
    CHECK(err && strstr(err, "No-Such-ID"));
    free(err);
    CHECK_EQ_INT(run("%s dedupe -q --segment lines twins.jsonl 2>/dev/null", doppel), 2);
    CHECK_EQ_INT(run("%s dedupe -q --translit '' twins.jsonl 2>/dev/null", doppel), 2);
}

/* "WRAPPER BINARY", or BINARY alone; takes `binary` (malloc'd, NULL on error). */
static char *with_wrapper(char *binary, const char *wrapper)
{
    if (!binary || !wrapper)
        return binary;
    size_t n = strlen(wrapper) + strlen(binary) + 2;
    char *cmd = malloc(n);
    if (cmd)
        snprintf(cmd, n, "%s %s", wrapper, binary);
    free(binary);
    return cmd;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: test_cli DOPPEL_BINARY [WRAPPER]\n");
        return 2;
    }
    doppel = with_wrapper(realpath(argv[1], NULL), argc == 3 ? argv[2] : NULL);
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/doppel-test-cli.XXXXXX", tmp ? tmp : "/tmp");
    if (!doppel || !mkdtemp(root)) {
        perror("setup");
        return 2;
    }
    test_usage_errors();
    test_exact_duplicates_and_outputs();
    test_text_folder_output();
    test_failed_run_leaves_outputs_alone();
    test_bad_input_matrix();
    test_accounting_and_determinism();
    test_near_duplicates();
    test_index();
    test_scripts();
    test_xling();
    test_interrupt();
    if (!check_failed)
        run("cd / && rm -rf '%s'", root);
    else
        fprintf(stderr, "test files kept in %s\n", root);
    free((void *)doppel);
    return check_report("test_cli");
}
