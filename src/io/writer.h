/* Internal interface of the writer: atomic outputs and JSON lines. */
#ifndef DPL_WRITER_H
#define DPL_WRITER_H

#include "common/common.h"

#include <stdio.h>

/* An output being written: a temporary file or folder renamed into place on commit. */
typedef struct dpl__out {
    char *path; /* the destination */
    char *tmp;  /* the temporary file or folder */
    FILE *f;    /* for files */
    int is_dir, is_stdout, created;
    char errmsg[1024];
} dpl__out;

/* "-" (files only) writes to standard output directly. */
int dpl__out_open(dpl__out *o, const char *path, int is_dir);
int dpl__out_commit(dpl__out *o);
/* Remove the temporary file or folder; the destination stays as it was. */
void dpl__out_abort(dpl__out *o);
void dpl__out_free(dpl__out *o);

enum dpl__status { DPL__STATUS_KEPT, DPL__STATUS_DUPLICATE, DPL__STATUS_ERROR };

typedef struct dpl__manifest_line {
    const char *id;
    size_t id_len;
    const char *source;
    uint64_t line;
    enum dpl__status status;
    const char *kind;  /* for duplicates */
    const char *rep;   /* for duplicates: the kept document's id */
    size_t rep_len;
    int archived;      /* rep is a document of the `against` index */
    double score;
    const char *error; /* for errors */
    const char *warning;
} dpl__manifest_line;

int dpl__write_manifest_line(FILE *f, const dpl__manifest_line *m);
/* archived: a is a document of the `against` index */
int dpl__write_pair_line(FILE *f, const char *a, size_t a_len, const char *b, size_t b_len,
                         const char *kind, double score, int archived);

/* A translation pair: ids, score, languages and the aligned coverage of each side. */
typedef struct dpl__xling_pair_line {
    const char *a, *b;
    size_t a_len, b_len;
    double score;
    const char *lang_a, *lang_b;
    double coverage_a, coverage_b;
} dpl__xling_pair_line;

int dpl__write_xling_pair_line(FILE *f, const dpl__xling_pair_line *p);

/* One aligned sentence link of a translation pair (--aligned): sentence indexes (0-based)
 * and texts of both sides. */
typedef struct dpl__aligned_line {
    const char *a, *b;
    size_t a_len, b_len;
    size_t a_first, a_count, b_first, b_count;
    const char *a_text, *b_text;
    size_t a_text_len, b_text_len;
    double score;
} dpl__aligned_line;

int dpl__write_aligned_line(FILE *f, const dpl__aligned_line *l);

#endif
