/* The project's corpora against their labels (corpora/truth.tsv, written with the
 * corpora, independently of the code): the "original" and "exact" members of each group
 * form one cluster (exactly one of them kept, the others duplicates of a member of the
 * same group, whichever comes first in input order), and "near" and "unique" documents
 * are never exact duplicates.
 *
 * Usage: test_corpora MANIFEST TRUTH_TSV */
#define _GNU_SOURCE
#include "check.h"

#include <json-c/json.h>
#include <stdlib.h>

#define MAX_DOCS 512

typedef struct label {
    char doc[256], group[64], kind[16];
} label;

static label labels[MAX_DOCS];
static int kept_in_group[MAX_DOCS]; /* per label: an original/exact member that was kept */
static int n_labels;

static const label *label_of(const char *doc)
{
    for (int i = 0; i < n_labels; i++)
        if (strcmp(labels[i].doc, doc) == 0)
            return &labels[i];
    return NULL;
}

/* Manifest ids are paths for text files ("corpora/news/en/x.txt") and ids for JSONL;
 * truth.tsv names them "news/en/x.txt" and "mixed.jsonl#ID". */
static void truth_name(struct json_object *line, char *out, size_t cap)
{
    struct json_object *id, *src, *ln;
    json_object_object_get_ex(line, "id", &id);
    json_object_object_get_ex(line, "source", &src);
    const char *s = json_object_get_string(src);
    if (strncmp(s, "corpora/", 8) == 0)
        s += 8;
    if (json_object_object_get_ex(line, "line", &ln))
        snprintf(out, cap, "%s#%s", s, json_object_get_string(id));
    else
        snprintf(out, cap, "%s", s);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    FILE *t = fopen(argv[2], "r");
    if (!t) {
        printf("test_corpora: no %s, skipped\n", argv[2]);
        return 0;
    }
    char row[1024];
    if (!fgets(row, sizeof row, t)) /* header */
        return 2;
    while (fgets(row, sizeof row, t) && n_labels < MAX_DOCS) {
        label *l = &labels[n_labels];
        if (sscanf(row, "%255[^\t]\t%63[^\t]\t%15s", l->doc, l->group, l->kind) == 3)
            n_labels++;
    }
    fclose(t);
    CHECK(n_labels > 20);

    FILE *m = fopen(argv[1], "r");
    CHECK(m != NULL);
    if (!m)
        return check_report("test_corpora");
    char *line = NULL;
    size_t cap = 0;
    int seen = 0, exact_found = 0, exact_labelled = 0;
    /* id -> truth name of kept docs, to resolve "rep" */
    static char ids[MAX_DOCS][256], names[MAX_DOCS][256];
    int n_ids = 0;
    struct json_object *lines[MAX_DOCS];
    int n_lines = 0;
    while (getline(&line, &cap, m) > 0 && n_lines < MAX_DOCS) {
        struct json_object *o = json_tokener_parse(line);
        CHECK(o != NULL);
        if (!o)
            continue;
        lines[n_lines++] = o;
        struct json_object *id;
        json_object_object_get_ex(o, "id", &id);
        snprintf(ids[n_ids], 256, "%s", json_object_get_string(id));
        truth_name(o, names[n_ids], 256);
        n_ids++;
    }
    free(line);
    fclose(m);
    for (int i = 0; i < n_lines; i++) {
        const label *l = label_of(names[i]);
        CHECK(l != NULL);
        if (!l) {
            fprintf(stderr, "  %s is not in truth.tsv\n", names[i]);
            continue;
        }
        seen++;
        struct json_object *status, *rep;
        json_object_object_get_ex(lines[i], "status", &status);
        int is_dup = strcmp(json_object_get_string(status), "duplicate") == 0;
        int exact_member = strcmp(l->kind, "exact") == 0 || strcmp(l->kind, "original") == 0;
        exact_labelled += strcmp(l->kind, "exact") == 0;
        if (!exact_member) {
            CHECK(!is_dup);
            if (is_dup)
                fprintf(stderr, "  %s (%s) reported as an exact duplicate\n", names[i], l->kind);
            continue;
        }
        if (!is_dup) {
            kept_in_group[l - labels] = 1;
            continue;
        }
        exact_found++;
        json_object_object_get_ex(lines[i], "rep", &rep);
        const char *rep_name = NULL;
        for (int k = 0; k < n_ids; k++)
            if (strcmp(ids[k], json_object_get_string(rep)) == 0)
                rep_name = names[k];
        const label *rl = rep_name ? label_of(rep_name) : NULL;
        CHECK(rl && strcmp(rl->group, l->group) == 0);
        if (!(rl && strcmp(rl->group, l->group) == 0))
            fprintf(stderr, "  %s paired with %s across groups\n", names[i],
                    rep_name ? rep_name : "?");
    }
    /* one kept document per group of original + exact copies */
    for (int g = 0; g < n_labels; g++) {
        if (strcmp(labels[g].kind, "original") != 0)
            continue;
        int kept = 0;
        for (int k = 0; k < n_labels; k++)
            kept += kept_in_group[k] && strcmp(labels[k].group, labels[g].group) == 0;
        CHECK_EQ_INT(kept, 1);
        if (kept != 1)
            fprintf(stderr, "  group %s has %d kept documents\n", labels[g].group, kept);
    }
    CHECK_EQ_INT(seen, n_labels);
    for (int i = 0; i < n_lines; i++)
        json_object_put(lines[i]);
    printf("test_corpora: %d labelled documents, %d labelled exact, %d reported duplicates\n",
           n_labels, exact_labelled, exact_found);
    return check_report("test_corpora");
}
