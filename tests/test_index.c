/* The persistent index (dpl_index_*): adds, queries, removes and commits; settings
 * stored and enforced; damaged and foreign files refused; the same answers as
 * `dedupe --no-verify` on a generated corpus; concurrent queries; and crash safety, with
 * a writer killed by SIGKILL again and again in the middle of its adds. */
#define _GNU_SOURCE
#include "check.h"
#include "doppel.h"

#include <json-c/json.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/test_index.XXXXXX";

static char *path_in(const char *name)
{
    char *p;
    if (asprintf(&p, "%s/%s", dir, name) < 0)
        abort();
    return p;
}

/* ---- generated text ------------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* `words` pseudo-words from a 3,000-word vocabulary, for document `seed`. */
static char *gen_text(uint64_t seed, size_t words)
{
    static const char syll[][4] = {"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "pe", "du"};
    size_t cap = words * 12 + 1, n = 0;
    char *t = malloc(cap);
    uint64_t s = seed;
    for (size_t w = 0; w < words; w++) {
        uint64_t r = rng_next(&s) % 3000;
        for (int k = 0; k < 3; k++, r /= 10)
            n += (size_t)sprintf(t + n, "%s", syll[r % 10]);
        t[n++] = w + 1 < words ? ' ' : '.';
    }
    t[n] = '\0';
    return t;
}

/* A copy of text with `changes` words replaced by another word. */
static char *mutate(const char *text, unsigned changes, uint64_t seed)
{
    char *t = strdup(text);
    size_t len = strlen(t);
    uint64_t s = seed;
    for (unsigned c = 0; c < changes; c++) {
        size_t at = rng_next(&s) % len;
        while (at > 0 && t[at - 1] != ' ')
            at--;
        for (int k = 0; k < 2 && t[at + k] && t[at + k] != ' '; k++)
            t[at + k] = "zx"[k];
    }
    return t;
}

static const char *idstr(const dpl_match *m, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.*s", (int)m->id_len, m->id);
    return buf;
}

static dpl_index *open_at(const char *path, const dpl_options *o, unsigned flags, int *rc)
{
    char msg[512];
    dpl_index *ix = NULL;
    *rc = dpl_index_open(path, o, flags, &ix, msg, sizeof msg);
    if (*rc != DPL_OK)
        fprintf(stderr, "  (open: %s: %s)\n", dpl_errname(*rc), msg);
    return ix;
}

/* ---- basics --------------------------------------------------------------------------- */

static void test_add_query_remove(void)
{
    char *path = path_in("basic");
    int rc;
    dpl_index *ix = open_at(path, NULL, DPL_INDEX_CREATE, &rc);
    CHECK_EQ_INT(rc, DPL_OK);
    if (!ix)
        return;
    dpl_results *res = dpl_results_create();
    char *a = gen_text(1, 120), *near = mutate(a, 2, 7), *other = gen_text(2, 120);
    dpl_match m;
    char buf[64];
    CHECK_EQ_INT(dpl_index_add(ix, "a", 1, a, strlen(a), res), DPL_OK);
    CHECK_EQ_INT(dpl_results_count(res), 0);
    CHECK_EQ_INT(dpl_index_add(ix, "b", 1, near, strlen(near), res), DPL_OK);
    CHECK_EQ_INT(dpl_results_count(res), 1);
    if (dpl_results_get(res, 0, &m) == DPL_OK) {
        CHECK_EQ_STR(idstr(&m, buf, sizeof buf), "a");
        CHECK_EQ_INT(m.kind, DPL_MATCH_NEAR);
        CHECK(m.score >= 0.8 && m.score < 1.0);
    }
    /* an exact copy (case and spacing differ): exact first, then the near one */
    char *copy = strdup(a);
    copy[0] = (char)(copy[0] - 32);
    CHECK_EQ_INT(dpl_index_add(ix, "c", 1, copy, strlen(copy), res), DPL_OK);
    CHECK_EQ_INT(dpl_results_count(res), 2);
    if (dpl_results_get(res, 0, &m) == DPL_OK) {
        CHECK_EQ_STR(idstr(&m, buf, sizeof buf), "a");
        CHECK_EQ_INT(m.kind, DPL_MATCH_EXACT);
        CHECK(m.score == 1.0);
    }
    if (dpl_results_get(res, 1, &m) == DPL_OK)
        CHECK_EQ_STR(idstr(&m, buf, sizeof buf), "b");
    CHECK_EQ_INT(dpl_results_get(res, 2, &m), DPL_EINVAL);
    CHECK_EQ_INT(dpl_index_add(ix, "d", 1, other, strlen(other), res), DPL_OK);
    CHECK_EQ_INT(dpl_results_count(res), 0);
    /* refusals */
    CHECK_EQ_INT(dpl_index_add(ix, "a", 1, other, strlen(other), res), DPL_EDUPID);
    CHECK_EQ_INT(dpl_index_add(ix, "e", 1, " ,; ", 4, res), DPL_EEMPTY);
    CHECK_EQ_INT(dpl_index_add(ix, "f", 1, "a\0b", 3, res), DPL_ENUL);
    CHECK_EQ_INT(dpl_index_add(ix, "", 0, a, strlen(a), res), DPL_EINVAL);
    /* queries see what is committed */
    CHECK_EQ_INT(dpl_index_query(ix, a, strlen(a), res), DPL_OK);
    CHECK_EQ_INT(dpl_results_count(res), 0);
    CHECK_EQ_INT(dpl_index_contains(ix, "a", 1), 0);
    CHECK_EQ_INT(dpl_index_commit(ix), DPL_OK);
    CHECK_EQ_INT(dpl_index_contains(ix, "a", 1), 1);
    CHECK_EQ_INT(dpl_index_contains(ix, "e", 1), 0);
    CHECK_EQ_INT(dpl_index_query(ix, a, strlen(a), res), DPL_OK);
    CHECK_EQ_INT(dpl_results_count(res), 3); /* a and c exact, b near */
    /* remove */
    CHECK_EQ_INT(dpl_index_remove(ix, "b", 1), DPL_OK);
    CHECK_EQ_INT(dpl_index_remove(ix, "b", 1), DPL_ENOENT);
    CHECK_EQ_INT(dpl_index_remove(ix, "zz", 2), DPL_ENOENT);
    CHECK_EQ_INT(dpl_index_commit(ix), DPL_OK);
    CHECK_EQ_INT(dpl_index_query(ix, near, strlen(near), res), DPL_OK);
    CHECK_EQ_INT(dpl_results_count(res), 2); /* a and c, near; b is gone */
    CHECK_EQ_INT(dpl_index_add(ix, "b", 1, near, strlen(near), res), DPL_OK); /* id free */
    dpl_index_stats st;
    CHECK_EQ_INT(dpl_index_stats_get(ix, &st), DPL_OK);
    CHECK_EQ_INT(st.documents, 3); /* the re-added b is not committed */
    CHECK_EQ_INT(st.num_perm, 128);
    CHECK(strstr(st.settings, "\nbands=16\nrows=8\n") != NULL);
    dpl_index_close(ix); /* rolls back the re-added b */
    ix = open_at(path, NULL, 0, &rc);
    CHECK_EQ_INT(rc, DPL_OK);
    CHECK_EQ_INT(dpl_index_contains(ix, "b", 1), 0);
    CHECK_EQ_INT(dpl_index_contains(ix, "d", 1), 1);
    dpl_index_close(ix);
    dpl_results_free(res);
    free(a);
    free(near);
    free(other);
    free(copy);
    free(path);
}

static void test_settings_and_refusals(void)
{
    char *path = path_in("settings");
    int rc;
    dpl_options o;
    dpl_options_init(&o);
    o.num_perm = 64;
    dpl_index *ix = open_at(path, &o, DPL_INDEX_CREATE, &rc);
    CHECK_EQ_INT(rc, DPL_OK);
    char *t = gen_text(3, 50);
    CHECK_EQ_INT(dpl_index_add(ix, "x", 1, t, strlen(t), NULL), DPL_OK);
    CHECK_EQ_INT(dpl_index_commit(ix), DPL_OK);
    dpl_index_close(ix);
    /* its own settings without asking; others refused, naming the setting */
    ix = open_at(path, NULL, 0, &rc);
    CHECK_EQ_INT(rc, DPL_OK);
    dpl_index_stats st;
    if (ix && dpl_index_stats_get(ix, &st) == DPL_OK)
        CHECK_EQ_INT(st.num_perm, 64);
    dpl_index_close(ix);
    char msg[512] = "";
    o.num_perm = 128;
    CHECK_EQ_INT(dpl_index_open(path, &o, 0, &ix, msg, sizeof msg), DPL_EINCOMPATIBLE);
    CHECK(strstr(msg, "num_perm=64") != NULL);
    CHECK(ix == NULL);
    dpl_options_init(&o);
    o.script.translit = "Cyrillic-Latin";
    CHECK_EQ_INT(dpl_index_open(path, &o, 0, &ix, msg, sizeof msg), DPL_EINCOMPATIBLE);
    CHECK(strstr(msg, "translit") != NULL);
    dpl_options_init(&o);
    o.threshold = 0.9; /* only filters */
    CHECK_EQ_INT(dpl_index_open(path, &o, 0, &ix, msg, sizeof msg), DPL_OK);
    dpl_index_close(ix);
    o.containment = 1;
    char *fresh = path_in("new");
    CHECK_EQ_INT(dpl_index_open(fresh, &o, DPL_INDEX_CREATE, &ix, msg, sizeof msg), DPL_EINVAL);
    free(fresh);
    /* read-only */
    ix = open_at(path, NULL, DPL_INDEX_READONLY, &rc);
    CHECK_EQ_INT(rc, DPL_OK);
    CHECK_EQ_INT(dpl_index_add(ix, "y", 1, t, strlen(t), NULL), DPL_EREADONLY);
    CHECK_EQ_INT(dpl_index_remove(ix, "x", 1), DPL_EREADONLY);
    CHECK_EQ_INT(dpl_index_contains(ix, "x", 1), 1);
    dpl_index_close(ix);
    /* absent */
    char *absent = path_in("absent");
    CHECK_EQ_INT(dpl_index_open(absent, NULL, 0, &ix, msg, sizeof msg), DPL_ENOENT);
    CHECK(strstr(msg, absent) != NULL);
    free(absent);
    free(t);
    free(path);
}

static void write_garbage(const char *file, size_t bytes)
{
    FILE *f = fopen(file, "wb");
    uint64_t s = 42;
    for (size_t i = 0; i < bytes; i++)
        fputc((int)(rng_next(&s) & 0xFF), f);
    fclose(f);
}

static void test_damaged(void)
{
    char msg[512];
    dpl_index *ix = NULL;
    /* an index whose data file is overwritten with garbage */
    char *path = path_in("garbage");
    mkdir(path, 0777);
    char *file = path_in("garbage/data.mdb");
    write_garbage(file, 65536);
    CHECK_EQ_INT(dpl_index_open(path, NULL, DPL_INDEX_CREATE, &ix, msg, sizeof msg),
                 DPL_ENOTINDEX);
    CHECK(strstr(msg, path) != NULL);
    write_garbage(file, 10); /* shorter than a page */
    CHECK_EQ_INT(dpl_index_open(path, NULL, 0, &ix, msg, sizeof msg), DPL_ENOTINDEX);
    free(file);
    free(path);
    /* a real index whose meta pages are intact and whose other pages are garbage: LMDB
     * would follow them out of its map; the check at open refuses them */
    path = path_in("inner");
    int rc;
    dpl_index *real = open_at(path, NULL, DPL_INDEX_CREATE, &rc);
    for (int i = 0; real && i < 300; i++) {
        char id[16], *t = gen_text(20000 + (uint64_t)i, 50);
        snprintf(id, sizeof id, "i%d", i);
        dpl_index_add(real, id, strlen(id), t, strlen(t), NULL);
        free(t);
    }
    dpl_index_commit(real);
    dpl_index_close(real);
    CHECK_EQ_INT(dpl_index_open(path, NULL, DPL_INDEX_READONLY, &ix, msg, sizeof msg), DPL_OK);
    dpl_index_close(ix);
    file = path_in("inner/data.mdb");
    FILE *f = fopen(file, "r+b");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    uint64_t s = 7;
    long psize = sysconf(_SC_PAGESIZE);
    for (long at = 2 * psize; at < size; at++) {
        fseek(f, at, SEEK_SET);
        fputc((int)(rng_next(&s) & 0xFF), f);
    }
    fclose(f);
    CHECK_EQ_INT(dpl_index_open(path, NULL, DPL_INDEX_READONLY, &ix, msg, sizeof msg),
                 DPL_ENOTINDEX);
    CHECK_EQ_INT(dpl_index_open(path, NULL, 0, &ix, msg, sizeof msg), DPL_ENOTINDEX);
    free(file);
    free(path);
    /* another program's LMDB environment */
    path = path_in("foreign");
    mkdir(path, 0777);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    mdb_env_create(&env);
    mdb_env_open(env, path, 0, 0664);
    mdb_txn_begin(env, NULL, 0, &txn);
    mdb_dbi_open(txn, NULL, 0, &dbi);
    MDB_val k = {3, "key"}, v = {5, "value"};
    mdb_put(txn, dbi, &k, &v, 0);
    mdb_txn_commit(txn);
    mdb_env_close(env);
    CHECK_EQ_INT(dpl_index_open(path, NULL, DPL_INDEX_CREATE, &ix, msg, sizeof msg),
                 DPL_ENOTINDEX);
    free(path);
}

static void test_in_memory(void)
{
    int rc;
    dpl_index *ix = open_at(NULL, NULL, DPL_INDEX_CREATE, &rc);
    CHECK_EQ_INT(rc, DPL_OK);
    if (!ix)
        return;
    dpl_results *res = dpl_results_create();
    char *t = gen_text(9, 80);
    CHECK_EQ_INT(dpl_index_add(ix, "m", 1, t, strlen(t), res), DPL_OK);
    CHECK_EQ_INT(dpl_index_add(ix, "n", 1, t, strlen(t), res), DPL_OK);
    CHECK_EQ_INT(dpl_results_count(res), 1);
    CHECK_EQ_INT(dpl_index_commit(ix), DPL_OK);
    CHECK_EQ_INT(dpl_index_contains(ix, "n", 1), 1);
    dpl_index_close(ix);
    dpl_results_free(res);
    free(t);
    CHECK_EQ_INT(dpl_index_open(NULL, NULL, DPL_INDEX_READONLY, &ix, NULL, 0), DPL_EINVAL);
}

/* ---- the same answers as dedupe --no-verify ------------------------------------------ */

#define CORPUS 400

typedef struct corpus {
    char *text[CORPUS];
    char id[CORPUS][16];
} corpus;

/* Families of near duplicates at falling similarity, exact copies, and singletons. */
static void make_corpus(corpus *c, const char *jsonl)
{
    FILE *f = fopen(jsonl, "w");
    for (size_t i = 0; i < CORPUS; i++) {
        snprintf(c->id[i], sizeof c->id[i], "d%03zu", i);
        size_t base = i - i % 8;
        if (i % 8 == 0 || i >= 320)
            c->text[i] = gen_text(1000 + i, 60 + i % 90);
        else if (i % 8 == 7)
            c->text[i] = strdup(c->text[base]);
        else
            c->text[i] = mutate(c->text[base], (unsigned)(i % 8), 77 + i);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string(c->id[i]));
        json_object_object_add(o, "text", json_object_new_string(c->text[i]));
        fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
    }
    fclose(f);
}

static int id_index(const char *id)
{
    return atoi(id + 1);
}

/* cluster[i]: the batch run's representative of document i (itself when kept). */
static void batch(const char *jsonl, const char *pairs, const char *manifest, int *cluster,
                  unsigned char pair_seen[CORPUS][CORPUS], float score[CORPUS][CORPUS])
{
    dpl_options o;
    dpl_options_init(&o);
    o.no_verify = 1;
    o.threads = 1;
    dpl_job *job = dpl_job_create(&o);
    dpl_job_add_input(job, jsonl);
    dpl_job_set_output(job, DPL_OUTPUT_PAIRS, pairs);
    dpl_job_set_output(job, DPL_OUTPUT_MANIFEST, manifest);
    CHECK_EQ_INT(dpl_job_run(job, NULL), DPL_OK);
    dpl_job_free(job);
    char line[4096];
    FILE *f = fopen(manifest, "r");
    while (f && fgets(line, sizeof line, f)) {
        json_object *rec = json_tokener_parse(line), *id, *rep;
        json_object_object_get_ex(rec, "id", &id);
        int i = id_index(json_object_get_string(id));
        cluster[i] = json_object_object_get_ex(rec, "rep", &rep)
                         ? id_index(json_object_get_string(rep)) : i;
        json_object_put(rec);
    }
    if (f)
        fclose(f);
    f = fopen(pairs, "r");
    while (f && fgets(line, sizeof line, f)) {
        json_object *rec = json_tokener_parse(line), *a, *b, *s;
        json_object_object_get_ex(rec, "a", &a);
        json_object_object_get_ex(rec, "b", &b);
        json_object_object_get_ex(rec, "score", &s);
        int x = id_index(json_object_get_string(a)), y = id_index(json_object_get_string(b));
        pair_seen[x][y] = pair_seen[y][x] = 1;
        score[x][y] = score[y][x] = (float)json_object_get_double(s);
        json_object_put(rec);
    }
    if (f)
        fclose(f);
}

static void test_same_as_batch(void)
{
    static corpus c;
    static unsigned char batch_pair[CORPUS][CORPUS], index_pair[CORPUS][CORPUS];
    static float batch_score[CORPUS][CORPUS], index_score[CORPUS][CORPUS];
    static int cluster[CORPUS];
    char *jsonl = path_in("corpus.jsonl"), *pairs = path_in("pairs.jsonl"),
         *manifest = path_in("manifest.jsonl");
    make_corpus(&c, jsonl);
    batch(jsonl, pairs, manifest, cluster, batch_pair, batch_score);
    int rc;
    dpl_index *ix = open_at(NULL, NULL, DPL_INDEX_CREATE, &rc);
    dpl_results *res = dpl_results_create();
    size_t found = 0;
    for (size_t i = 0; ix && i < CORPUS; i++) {
        CHECK_EQ_INT(dpl_index_add(ix, c.id[i], strlen(c.id[i]), c.text[i], strlen(c.text[i]),
                                   res), DPL_OK);
        for (size_t k = 0; k < dpl_results_count(res); k++) {
            dpl_match m;
            char buf[32];
            dpl_results_get(res, k, &m);
            int j = id_index(idstr(&m, buf, sizeof buf));
            index_pair[i][j] = index_pair[j][i] = 1;
            index_score[i][j] = index_score[j][i] = (float)m.score;
            found++;
        }
    }
    size_t batch_pairs = 0, missing = 0, other_cluster = 0, score_off = 0;
    for (size_t i = 0; i < CORPUS; i++) {
        for (size_t j = i + 1; j < CORPUS; j++) {
            batch_pairs += batch_pair[i][j];
            missing += batch_pair[i][j] && !index_pair[i][j];
            score_off += batch_pair[i][j] && index_pair[i][j] &&
                         (batch_score[i][j] - index_score[i][j] > 1.0f / 128 ||
                          index_score[i][j] - batch_score[i][j] > 1.0f / 128);
            other_cluster += index_pair[i][j] && cluster[i] != cluster[j];
        }
    }
    printf("  same as batch: %zu batch pairs, %zu index pairs; %zu batch pairs missing, %zu "
           "index pairs across batch clusters, %zu scores off by more than 1/k\n",
           batch_pairs, found, missing, other_cluster, score_off);
    CHECK(batch_pairs > 100); /* the corpus does have duplicates of every kind */
    CHECK_EQ_INT(missing, 0);
    CHECK_EQ_INT(other_cluster, 0);
    CHECK_EQ_INT(score_off, 0);
    dpl_index_close(ix);
    dpl_results_free(res);
    for (size_t i = 0; i < CORPUS; i++)
        free(c.text[i]);
    free(jsonl);
    free(pairs);
    free(manifest);
}

/* ---- a dedupe job against an index ---------------------------------------------------- */

/* The index holds A. The batch: B1 (A with 6 words changed), B2 (B1 with 6 more: near B1,
 * not near A), C (unrelated). B1 is a duplicate of the archived A; B2, in B1's cluster,
 * is a duplicate of B1, and nothing of the cluster is kept; C is kept. */
static void test_job_against(void)
{
    char *a = gen_text(42, 400), *b1 = mutate(a, 6, 1), *b2 = mutate(b1, 6, 2),
         *c = gen_text(43, 200);
    int rc;
    dpl_index *ix = open_at(NULL, NULL, DPL_INDEX_CREATE, &rc);
    dpl_results *res = dpl_results_create();
    CHECK_EQ_INT(dpl_index_add(ix, "A", 1, a, strlen(a), NULL), DPL_OK);
    CHECK_EQ_INT(dpl_index_commit(ix), DPL_OK);
    CHECK_EQ_INT(dpl_index_query(ix, b2, strlen(b2), res), DPL_OK);
    CHECK_EQ_INT(dpl_results_count(res), 0); /* the premise: B2 is not near A */
    char *jsonl = path_in("against.jsonl"), *manifest = path_in("against.manifest");
    FILE *f = fopen(jsonl, "w");
    const char *ids[] = {"B1", "B2", "C"}, *texts[] = {b1, b2, c};
    for (int i = 0; i < 3; i++)
        fprintf(f, "{\"id\":\"%s\",\"text\":\"%s\"}\n", ids[i], texts[i]);
    fclose(f);
    dpl_options o;
    dpl_options_init(&o);
    o.against = ix;
    o.no_verify = 1;
    dpl_job *job = dpl_job_create(&o);
    dpl_job_add_input(job, jsonl);
    dpl_job_set_output(job, DPL_OUTPUT_MANIFEST, manifest);
    dpl_summary sum;
    CHECK_EQ_INT(dpl_job_run(job, &sum), DPL_OK);
    dpl_job_free(job);
    CHECK_EQ_INT(sum.kept, 1);
    CHECK_EQ_INT(sum.archived, 1);
    CHECK_EQ_INT(sum.near, 2);
    char line[65536];
    f = fopen(manifest, "r");
    const char *want[] = {"\"rep\":\"A\",", "\"rep\":\"B1\",", "\"status\":\"kept\""};
    for (int i = 0; i < 3 && f && fgets(line, sizeof line, f); i++) {
        CHECK(strstr(line, want[i]) != NULL);
        CHECK((strstr(line, "\"archived\":true") != NULL) == (i == 0));
    }
    if (f)
        fclose(f);
    dpl_index_close(ix);
    dpl_results_free(res);
    free(jsonl);
    free(manifest);
    free(a);
    free(b1);
    free(b2);
    free(c);
}

/* ---- concurrent queries --------------------------------------------------------------- */

typedef struct query_job {
    dpl_index *ix;
    char **texts;
    size_t n;
    size_t *expected, mismatches;
} query_job;

static void *query_all(void *arg)
{
    query_job *q = arg;
    dpl_results *res = dpl_results_create();
    for (size_t round = 0; round < 3; round++)
        for (size_t i = 0; i < q->n; i++)
            if (dpl_index_query(q->ix, q->texts[i], strlen(q->texts[i]), res) != DPL_OK ||
                dpl_results_count(res) != q->expected[i])
                q->mismatches++;
    dpl_results_free(res);
    return NULL;
}

static void test_concurrent_queries(void)
{
    int rc;
    dpl_index *ix = open_at(NULL, NULL, DPL_INDEX_CREATE, &rc);
    if (!ix)
        return;
    enum { N = 60 };
    char *texts[N];
    size_t expected[N];
    dpl_results *res = dpl_results_create();
    for (size_t i = 0; i < N; i++) {
        texts[i] = i % 3 ? mutate(texts[i - i % 3], 1, i) : gen_text(500 + i, 80);
        char id[16];
        snprintf(id, sizeof id, "q%zu", i);
        dpl_index_add(ix, id, strlen(id), texts[i], strlen(texts[i]), NULL);
    }
    dpl_index_commit(ix);
    for (size_t i = 0; i < N; i++) {
        dpl_index_query(ix, texts[i], strlen(texts[i]), res);
        expected[i] = dpl_results_count(res);
        CHECK(expected[i] >= 1); /* itself at least */
    }
    /* four threads query while this one keeps adding (uncommitted: invisible to them) */
    query_job q[4];
    pthread_t th[4];
    for (int t = 0; t < 4; t++) {
        q[t] = (query_job){ix, texts, N, expected, 0};
        pthread_create(&th[t], NULL, query_all, &q[t]);
    }
    for (size_t i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof id, "r%zu", i);
        CHECK_EQ_INT(dpl_index_add(ix, id, strlen(id), texts[i], strlen(texts[i]), NULL),
                     DPL_OK);
    }
    for (int t = 0; t < 4; t++) {
        pthread_join(th[t], NULL);
        CHECK_EQ_INT(q[t].mismatches, 0);
    }
    dpl_index_close(ix);
    dpl_results_free(res);
    for (size_t i = 0; i < N; i++)
        free(texts[i]);
}

/* ---- a small map grows ---------------------------------------------------------------- */

/* A 256 KiB map (DOPPEL_INDEX_MAP_SIZE) and 3,000 documents committed every 100: each
 * commit that finds the map half full doubles it, so no add ever fails. */
static void test_map_grows(void)
{
    char *path = path_in("small");
    setenv("DOPPEL_INDEX_MAP_SIZE", "262144", 1);
    int rc;
    dpl_index *ix = open_at(path, NULL, DPL_INDEX_CREATE, &rc);
    unsetenv("DOPPEL_INDEX_MAP_SIZE");
    CHECK_EQ_INT(rc, DPL_OK);
    int failed = 0;
    for (uint32_t n = 0; ix && n < 3000 && !failed; n++) {
        char id[16];
        snprintf(id, sizeof id, "g%u", n);
        char *t = gen_text(7000 + n, 60);
        failed = dpl_index_add(ix, id, strlen(id), t, strlen(t), NULL) != DPL_OK ||
                 (n % 100 == 99 && dpl_index_commit(ix) != DPL_OK);
        free(t);
    }
    CHECK(!failed);
    dpl_index_stats st;
    if (ix && dpl_index_stats_get(ix, &st) == DPL_OK) {
        CHECK_EQ_INT(st.documents, 3000);
        CHECK(st.bytes > 262144); /* it did outgrow the first map */
    }
    dpl_index_close(ix);
    /* one transaction larger than the room: refused, rolled back, the index intact */
    setenv("DOPPEL_INDEX_MAP_SIZE", "262144", 1);
    free(path);
    path = path_in("tiny");
    ix = open_at(path, NULL, DPL_INDEX_CREATE, &rc);
    unsetenv("DOPPEL_INDEX_MAP_SIZE");
    rc = DPL_OK;
    for (uint32_t n = 0; ix && n < 3000 && rc == DPL_OK; n++) {
        char id[16];
        snprintf(id, sizeof id, "t%u", n);
        char *t = gen_text(9000 + n, 60);
        rc = dpl_index_add(ix, id, strlen(id), t, strlen(t), NULL);
        free(t);
    }
    CHECK_EQ_INT(rc, DPL_EINDEXFULL);
    CHECK_EQ_INT(dpl_index_contains(ix, "t0", 2), 0);
    CHECK_EQ_INT(dpl_index_add(ix, "u", 1, "some text here", 14, NULL), DPL_OK);
    CHECK_EQ_INT(dpl_index_commit(ix), DPL_OK);
    CHECK_EQ_INT(dpl_index_contains(ix, "u", 1), 1);
    dpl_index_close(ix);
    free(path);
}

/* ---- crash safety --------------------------------------------------------------------- */

#define CRASH_ROUNDS 25
#define COMMIT_EVERY 7

/* The writer: adds documents round r, committing every COMMIT_EVERY, and after each
 * commit tells the parent how many of its documents are committed. Runs until killed. */
static void crash_writer(const char *path, int round, int fd)
{
    dpl_index *ix = NULL;
    if (dpl_index_open(path, NULL, DPL_INDEX_CREATE, &ix, NULL, 0) != DPL_OK)
        _exit(3);
    for (uint32_t n = 1;; n++) {
        char id[32];
        snprintf(id, sizeof id, "r%d-%u", round, n);
        char *t = gen_text((uint64_t)round * 100000 + n, 40);
        if (dpl_index_add(ix, id, strlen(id), t, strlen(t), NULL) != DPL_OK)
            _exit(4);
        free(t);
        if (n % COMMIT_EVERY == 0) {
            if (dpl_index_commit(ix) != DPL_OK)
                _exit(5);
            if (write(fd, &n, sizeof n) != sizeof n)
                _exit(6);
        }
    }
}

static void test_crash_safety(void)
{
    char *path = path_in("crash");
    uint64_t committed_total = 0;
    unsigned lost = 0;
    for (int round = 0; round < CRASH_ROUNDS; round++) {
        int fds[2];
        if (pipe(fds) != 0)
            abort();
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            crash_writer(path, round, fds[1]);
        }
        close(fds[1]);
        uint32_t n, last = 0;
        if (read(fds[0], &n, sizeof n) == sizeof n) /* the writer is under way */
            last = n;
        struct timespec nap = {0, (round * 7919 % 50) * 1000000L};
        nanosleep(&nap, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        while (read(fds[0], &n, sizeof n) == sizeof n)
            last = n;
        close(fds[0]);
        committed_total += last;
        dpl_index *ix = NULL;
        int rc = dpl_index_open(path, NULL, 0, &ix, NULL, 0);
        CHECK_EQ_INT(rc, DPL_OK);
        if (!ix)
            continue;
        for (uint32_t k = 1; k <= last; k++) {
            char id[32];
            snprintf(id, sizeof id, "r%d-%u", round, k);
            lost += dpl_index_contains(ix, id, strlen(id)) != 1;
        }
        dpl_index_stats st;
        dpl_index_stats_get(ix, &st);
        CHECK(st.documents >= committed_total);
        dpl_index_close(ix);
    }
    printf("  crash safety: %d writers killed with SIGKILL, %llu committed documents, %u "
           "lost\n", CRASH_ROUNDS, (unsigned long long)committed_total, lost);
    CHECK(committed_total > 0);
    CHECK_EQ_INT(lost, 0);
    free(path);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    test_add_query_remove();
    test_settings_and_refusals();
    test_damaged();
    test_in_memory();
    test_same_as_batch();
    test_job_against();
    test_concurrent_queries();
    test_map_grows();
    test_crash_safety();
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_index: could not remove %s\n", dir);
    return check_report("test_index");
}
