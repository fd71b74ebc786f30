/* Checks the translation pairs of a `doppel dedupe --xling` run against labels.
 *
 *   test_xling_pairs PAIRS --truth TSV [--min-precision P] [--min-recall R]
 *                          [--min-pair-recall R]
 *   test_xling_pairs PAIRS --ntrex DIR  [same options]
 *
 * With --truth, TSV has a header and the columns id, lang, event, group, kind
 * (corpora/xling.tsv): documents of one group translate each other, and every other pair
 * must stay apart, reports of the same event in other words included. With --ntrex, the
 * ids are "<doc>/<lang>" and documents sharing <doc> translate each other. Precision and
 * recall are over pairs; --min-pair-recall applies to each pair of languages. Prints the
 * figures and every wrong pair; exits 1 when a floor is not met. */
#define _GNU_SOURCE
#include "check.h"

#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DOCS 4096
#define MAX_LANGS 16

typedef struct label {
    char *id, *group, lang[8];
} label;

static label labels[MAX_DOCS];
static size_t n_labels;
static char langs[MAX_LANGS][8];
static size_t n_langs;

static int lang_index(const char *lang)
{
    for (size_t i = 0; i < n_langs; i++)
        if (strcmp(langs[i], lang) == 0)
            return (int)i;
    if (n_langs == MAX_LANGS)
        return 0;
    snprintf(langs[n_langs], sizeof langs[n_langs], "%s", lang);
    return (int)n_langs++;
}

static void add_label(const char *id, const char *group, const char *lang)
{
    if (n_labels == MAX_DOCS)
        return;
    label *l = &labels[n_labels++];
    l->id = strdup(id);
    l->group = strdup(group);
    snprintf(l->lang, sizeof l->lang, "%.3s", lang);
    lang_index(l->lang);
}

static const label *find(const char *id)
{
    for (size_t i = 0; i < n_labels; i++)
        if (strcmp(labels[i].id, id) == 0)
            return &labels[i];
    return NULL;
}

static int read_tsv(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    int header = 1;
    while (getline(&line, &cap, f) > 0) {
        if (header) {
            header = 0;
            continue;
        }
        line[strcspn(line, "\r\n")] = '\0';
        char *save, *id = strtok_r(line, "\t", &save), *lang = strtok_r(NULL, "\t", &save);
        strtok_r(NULL, "\t", &save); /* event */
        char *group = strtok_r(NULL, "\t", &save);
        if (id && lang && group)
            add_label(id, group, lang);
    }
    free(line);
    fclose(f);
    return 0;
}

/* ntrex-dev: one JSONL file per language; the id is "<doc>/<lang>". */
static int read_ntrex(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 7 || strcmp(e->d_name + len - 6, ".jsonl") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        char *line = NULL;
        size_t cap = 0;
        while (f && getline(&line, &cap, f) > 0) {
            json_object *o = json_tokener_parse(line), *id, *doc, *lang;
            if (o && json_object_object_get_ex(o, "id", &id) &&
                json_object_object_get_ex(o, "doc", &doc) &&
                json_object_object_get_ex(o, "lang", &lang))
                add_label(json_object_get_string(id), json_object_get_string(doc),
                          json_object_get_string(lang));
            json_object_put(o);
        }
        free(line);
        if (f)
            fclose(f);
    }
    closedir(d);
    return 0;
}

typedef struct counts {
    size_t found[MAX_LANGS][MAX_LANGS], right[MAX_LANGS][MAX_LANGS];
} counts;

static void order(int *a, int *b)
{
    if (*a > *b) {
        int t = *a;
        *a = *b;
        *b = t;
    }
}

static int read_pairs(const char *path, counts *c, size_t *wrong)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_object *o = json_tokener_parse(line), *kind, *a, *b;
        if (o && json_object_object_get_ex(o, "kind", &kind) &&
            strcmp(json_object_get_string(kind), "xling") == 0 &&
            json_object_object_get_ex(o, "a", &a) && json_object_object_get_ex(o, "b", &b)) {
            const label *la = find(json_object_get_string(a));
            const label *lb = find(json_object_get_string(b));
            CHECK(la && lb);
            if (la && lb) {
                int x = lang_index(la->lang), y = lang_index(lb->lang);
                order(&x, &y);
                int right = strcmp(la->group, lb->group) == 0;
                c->found[x][y]++;
                c->right[x][y] += (size_t)right;
                if (!right) {
                    (*wrong)++;
                    printf("  wrong pair: %s %s\n", la->id, lb->id);
                }
            }
        }
        json_object_put(o);
    }
    free(line);
    fclose(f);
    return 0;
}

static size_t true_pairs(int x, int y)
{
    size_t n = 0;
    for (size_t i = 0; i < n_labels; i++)
        for (size_t j = i + 1; j < n_labels; j++) {
            int a = lang_index(labels[i].lang), b = lang_index(labels[j].lang);
            order(&a, &b);
            n += a == x && b == y && a != b && strcmp(labels[i].group, labels[j].group) == 0;
        }
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    double min_p = 1, min_r = 1, min_pair_r = 0;
    int loaded = -1;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--truth") == 0)
            loaded = read_tsv(argv[i + 1]);
        else if (strcmp(argv[i], "--ntrex") == 0)
            loaded = read_ntrex(argv[i + 1]);
        else if (strcmp(argv[i], "--min-precision") == 0)
            min_p = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--min-recall") == 0)
            min_r = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--min-pair-recall") == 0)
            min_pair_r = atof(argv[i + 1]);
    }
    CHECK(loaded == 0 && n_labels > 0);
    static counts c;
    size_t wrong = 0;
    CHECK(read_pairs(argv[1], &c, &wrong) == 0);
    size_t found = 0, right = 0, truth = 0;
    for (int x = 0; x < (int)n_langs; x++) {
        for (int y = x + 1; y < (int)n_langs; y++) {
            size_t t = true_pairs(x, y);
            found += c.found[x][y];
            right += c.right[x][y];
            truth += t;
            if (t == 0)
                continue;
            double r = (double)c.right[x][y] / (double)t;
            printf("  %s-%s: %zu of %zu true pairs, %zu wrong\n", langs[x], langs[y],
                   c.right[x][y], t, c.found[x][y] - c.right[x][y]);
            CHECK(r >= min_pair_r);
        }
    }
    double p = found ? (double)right / (double)found : 1.0;
    double r = truth ? (double)right / (double)truth : 1.0;
    printf("pairs: %zu found, %zu right, %zu true: precision %.4f, recall %.4f\n", found,
           right, truth, p, r);
    CHECK(p >= min_p);
    CHECK(r >= min_r);
    return check_report("test_xling_pairs");
}
