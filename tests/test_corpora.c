/* The project's corpora against their labels (corpora/truth.tsv, written with the
 * corpora, independently of the code):
 *   - the "original" and "exact" members of each group end in one cluster;
 *   - no document is ever a duplicate of a document from another group, and "unique"
 *     documents are never duplicates;
 *   - a "near" member whose word 5-gram Jaccard with its group's original reaches the
 *     threshold (0.8) is in the original's cluster, as kind "near" with that score or
 *     more.
 *   - a "translit" member (the original's text in another script) is in the original's
 *     cluster, at J >= 0.8, when transliteration is on, and apart from it when it is off;
 *     a "hanform" member (the text in Traditional characters) likewise, but it also meets
 *     the original under --simplify-han;
 *   - with --all-near, every "near" member reaches J >= 0.8 (the corpus was written so).
 * The Jaccard values are computed here from the documents themselves, through the same
 * stages (normalize, script, shingle) and options as the run that wrote the manifest.
 *
 * Usage: test_corpora [--no-translit] [--simplify-han] [--all-near] MANIFEST TRUTH_TSV
 *                     PROJECT_DIR INPUT...   (INPUTs relative to PROJECT_DIR) */
#define _GNU_SOURCE
#include "check.h"
#include "doppel.h"

#include <json-c/json.h>
#include <stdlib.h>

#define MAX_DOCS 512
#define THRESHOLD 0.8

typedef struct entry {
    char name[256], group[64], kind[16];
    char id[256];      /* manifest id */
    char cluster[256]; /* id of its cluster's kept document */
    char status[16], dup_kind[16];
    double score;
    uint32_t *set;     /* normalized shingle set */
    size_t set_n;
    int in_manifest;
} entry;

static entry docs[MAX_DOCS];
static int n_docs;

static entry *find(const char *name)
{
    for (int i = 0; i < n_docs; i++)
        if (strcmp(docs[i].name, name) == 0)
            return &docs[i];
    return NULL;
}

/* Manifest sources are "corpora/news/en/x.txt" or "corpora/mixed.jsonl" (+ id); truth
 * names them "news/en/x.txt" and "mixed.jsonl#ID". */
static void truth_name(const char *source, int jsonl, const char *id, char *out, size_t cap)
{
    if (strncmp(source, "corpora/", 8) == 0)
        source += 8;
    if (jsonl)
        snprintf(out, cap, "%s#%s", source, id);
    else
        snprintf(out, cap, "%s", source);
}

static int load_truth(const char *path)
{
    FILE *t = fopen(path, "r");
    if (!t)
        return -1;
    char row[1024];
    if (!fgets(row, sizeof row, t)) {
        fclose(t);
        return -1;
    }
    while (fgets(row, sizeof row, t) && n_docs < MAX_DOCS) {
        entry *e = &docs[n_docs];
        if (sscanf(row, "%255[^\t]\t%63[^\t]\t%15s", e->name, e->group, e->kind) == 3)
            n_docs++;
    }
    fclose(t);
    return 0;
}

static void load_manifest(const char *path)
{
    FILE *m = fopen(path, "r");
    CHECK(m != NULL);
    if (!m)
        return;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, m) > 0) {
        struct json_object *o = json_tokener_parse(line), *v;
        CHECK(o != NULL);
        if (!o)
            continue;
        const char *id = json_object_object_get_ex(o, "id", &v) ? json_object_get_string(v) : "";
        const char *src = json_object_object_get_ex(o, "source", &v) ? json_object_get_string(v) : "";
        char name[300];
        truth_name(src, json_object_object_get_ex(o, "line", &v), id, name, sizeof name);
        entry *e = find(name);
        CHECK(e != NULL);
        if (!e) {
            fprintf(stderr, "  %s is not in truth.tsv\n", name);
            json_object_put(o);
            continue;
        }
        e->in_manifest++;
        snprintf(e->id, sizeof e->id, "%s", id);
        snprintf(e->status, sizeof e->status, "%s",
                 json_object_object_get_ex(o, "status", &v) ? json_object_get_string(v) : "");
        const char *rep = json_object_object_get_ex(o, "rep", &v) ? json_object_get_string(v) : id;
        snprintf(e->cluster, sizeof e->cluster, "%s", rep);
        snprintf(e->dup_kind, sizeof e->dup_kind, "%s",
                 json_object_object_get_ex(o, "kind", &v) ? json_object_get_string(v) : "");
        e->score = json_object_object_get_ex(o, "score", &v) ? json_object_get_double(v) : 0;
        json_object_put(o);
    }
    free(line);
    fclose(m);
}

static dpl_script_options script_opts;
static int all_near;

/* The shingle set of every document, through the library's reader, normalizer, script
 * stage and shingler, as the job does it. */
static void load_sets(const char *project, char **inputs, int n_inputs)
{
    dpl_reader *r = dpl_reader_create(NULL);
    dpl_normalizer *n = dpl_normalizer_create(0);
    dpl_script *sc = NULL;
    CHECK_EQ_INT(dpl_script_create(&script_opts, 0, &sc), DPL_OK);
    dpl_shingler *sh = dpl_shingler_create(DPL_SHINGLE_SPACED_WORDS, 0);
    for (int i = 0; i < n_inputs; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", project, inputs[i]);
        CHECK_EQ_INT(dpl_reader_add(r, path), DPL_OK);
    }
    dpl_record rec;
    while (dpl_reader_next(r, &rec) == DPL_OK) {
        const char *src = strstr(rec.source, "corpora/");
        char name[300];
        truth_name(src ? src : rec.source, rec.line != 0, rec.id, name, sizeof name);
        entry *e = find(name);
        if (!e || rec.error)
            continue;
        const char *norm;
        size_t len;
        const uint64_t *shingles;
        size_t count;
        dpl_normalize(n, rec.text, rec.text_len, &norm, &len, NULL);
        dpl_script_apply(sc, norm, len, &norm, &len);
        dpl_shingle(sh, norm, len, &shingles, &count);
        e->set = malloc((count ? count : 1) * sizeof *e->set);
        for (size_t i = 0; i < count; i++)
            e->set[i] = (uint32_t)shingles[i];
        e->set_n = dpl_set_normalize(e->set, count);
    }
    dpl_shingler_free(sh);
    dpl_script_free(sc);
    dpl_normalizer_free(n);
    dpl_reader_free(r);
}

static double jaccard(const entry *a, const entry *b)
{
    size_t common = dpl_set_intersection(a->set, a->set_n, b->set, b->set_n);
    return (double)common / (double)(a->set_n + b->set_n - common);
}

static const entry *original_of(const entry *e)
{
    for (int i = 0; i < n_docs; i++)
        if (strcmp(docs[i].group, e->group) == 0 && strcmp(docs[i].kind, "original") == 0)
            return &docs[i];
    return NULL;
}

static const entry *by_id(const char *id)
{
    for (int i = 0; i < n_docs; i++)
        if (strcmp(docs[i].id, id) == 0)
            return &docs[i];
    return NULL;
}

/* Whether a document in another script than its original should meet it. */
static int script_twin_meets(const entry *e)
{
    if (strcmp(e->kind, "translit") == 0)
        return !script_opts.no_translit;
    return !script_opts.no_translit || script_opts.han_simplify; /* hanform */
}

static void check_script_twin(const entry *e, const entry *orig, double j)
{
    int meets = script_twin_meets(e);
    if (meets) {
        CHECK(j >= THRESHOLD);
        CHECK_EQ_STR(e->cluster, orig->cluster);
    } else if (strcmp(e->cluster, orig->cluster) == 0) {
        CHECK(!"paired across scripts without transliteration");
    }
    printf("  %-8s %-34s J=%.3f with its original: %s (expected %s)\n", e->kind, e->name, j,
           strcmp(e->cluster, orig->cluster) == 0 ? "same cluster" : "separate",
           meets ? "same" : "separate");
}

static int parse_flags(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--no-translit") == 0)
            script_opts.no_translit = 1;
        else if (strcmp(argv[i], "--simplify-han") == 0)
            script_opts.han_simplify = 1;
        else if (strcmp(argv[i], "--all-near") == 0)
            all_near = 1;
        else
            return -1;
    }
    return i;
}

int main(int argc, char **argv)
{
    int a = parse_flags(argc, argv);
    if (a < 0 || argc - a < 4)
        return 2;
    if (load_truth(argv[a + 1]) != 0) {
        printf("test_corpora: no %s, skipped\n", argv[a + 1]);
        return 0;
    }
    CHECK(n_docs > 20);
    load_manifest(argv[a]);
    load_sets(argv[a + 2], argv + a + 3, argc - a - 3);
    int near_expected = 0, near_found = 0;
    for (int i = 0; i < n_docs; i++) {
        entry *e = &docs[i];
        CHECK_EQ_INT(e->in_manifest, 1);
        CHECK(e->set != NULL);
        if (!e->set)
            continue;
        const entry *rep = by_id(e->cluster);
        CHECK(rep != NULL);
        if (rep && strcmp(rep->group, e->group) != 0) {
            CHECK(!"clustered across groups");
            fprintf(stderr, "  %s is in the cluster of %s (another group)\n", e->name, rep->name);
        }
        if (strcmp(e->kind, "unique") == 0)
            CHECK_EQ_STR(e->status, "kept");
        const entry *orig = original_of(e);
        if (!orig || strcmp(e->kind, "unique") == 0)
            continue;
        if (strcmp(e->kind, "exact") == 0) {
            CHECK_EQ_STR(e->cluster, orig->cluster);
            if (!strcmp(e->status, "duplicate") && !strcmp(orig->status, "duplicate"))
                CHECK_EQ_STR(e->dup_kind, orig->dup_kind);
        }
        if (strcmp(e->kind, "translit") == 0 || strcmp(e->kind, "hanform") == 0)
            check_script_twin(e, orig, jaccard(e, orig));
        if (strcmp(e->kind, "near") == 0) {
            double j = jaccard(e, orig);
            if (all_near)
                CHECK(j >= THRESHOLD);
            if (j >= THRESHOLD) {
                near_expected++;
                near_found += strcmp(e->cluster, orig->cluster) == 0;
                CHECK_EQ_STR(e->cluster, orig->cluster);
                if (strcmp(e->status, "duplicate") == 0) {
                    CHECK_EQ_STR(e->dup_kind, "near");
                    CHECK(e->score >= THRESHOLD);
                }
            }
            printf("  near %-32s J=%.3f with its original: %s\n", e->name, j,
                   strcmp(e->cluster, orig->cluster) == 0 ? "same cluster" : "separate");
        }
    }
    for (int i = 0; i < n_docs; i++)
        free(docs[i].set);
    printf("test_corpora: %d documents; %d of %d near variants at J >= %.1f found\n", n_docs,
           near_found, near_expected, THRESHOLD);
    return check_report("test_corpora");
}
