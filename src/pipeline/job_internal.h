/* Internal state of a dedupe job, shared by the pipeline's modules: job.c (reading,
 * clusters, outputs) and near.c (the near-duplicate pass). */
#ifndef DPL_JOB_INTERNAL_H
#define DPL_JOB_INTERNAL_H

#include "io/io.h"
#include "io/writer.h"
#include "match/match.h"
#include "xling/pivot.h"

#include <signal.h>
#include <stdio.h>

/* A batch ends at this many records, or at this many bytes per thread (up to 32 MiB): a
 * batch small enough to stay in the caches between its filling and its parsing made a
 * job 3% faster on one and two threads than 32 MiB ones; 2 MiB rather than 1 halves the
 * waits at the end of each batch (4% on two threads, side by side). */
#define BATCH_RECORDS 4096
#define BATCH_BYTES_PER_THREAD ((size_t)2 << 20)
#define BATCH_BYTES_MAX ((size_t)32 << 20)
#define BATCH_SLOTS 2 /* one batch is processed while the other is merged and refilled */

enum kind { KIND_NONE, KIND_EXACT, KIND_NEAR, KIND_XLING };

/* What stays in memory per document until the outputs are written (80 bytes), besides
 * its id and its band keys. */
typedef struct doc {
    dpl_hash128 hash;
    uint64_t raw_len;
    uint64_t line;
    uint64_t id_off;
    uint64_t spill_off;   /* its shingles (or signature): spill file << 48 | offset */
    uint32_t n_spilled;   /* how many 32-bit values are there; 0: not in the near pass */
    uint32_t id_len;
    uint32_t file;        /* index into job->files */
    uint32_t rep;         /* representative, once the clusters are final */
    uint32_t exact_first; /* the first document with the same exact fingerprint */
    uint8_t status;       /* enum dpl__status */
    uint8_t has_msg;
    uint8_t archived;     /* its representative is a document of the `against` index */
    uint8_t pad;
    float near_score;     /* best score of a verified near pair it is part of */
} doc;

/* The error or warning of one document; most documents have none. */
typedef struct doc_msg {
    uint32_t doc;
    uint32_t len;
    uint64_t off;
} doc_msg;

/* One record of the batch being processed. */
typedef struct item {
    size_t data_off, len;
    uint64_t line, offset;
    uint32_t file;
    size_t source_off;  /* the file path, copied into the batch's data */
    int jsonl;
    int raw_error;
    size_t raw_msg_off; /* into the batch arena, when raw_error */
    /* results of the parallel step */
    int fatal;
    int error;
    dpl_hash128 hash;
    dpl_hash128 id_hash;
    int thread;
    int slot;
    size_t id_off, id_len;   /* into the thread's arena for this slot */
    size_t msg_off, msg_len; /* error or warning message, in the thread's arena */
    size_t keys_off;         /* band keys, in the thread's arena */
    uint64_t spill_off;        /* where its values go in the spill (file << 48 | offset) */
    size_t n_spill;            /* how many 32-bit values */
    /* cross-lingual pass: language, band keys, term set and text, in the arena */
    char lang[4];
    size_t x_set_off, x_set_n, x_text_off, x_text_len;
    /* against an index: its best match there (arch_len 0: none), id in the arena */
    size_t arch_off, arch_len;
    uint8_t arch_kind;
    float arch_score;
} item;

typedef struct thread_ctx {
    dpl__parser *parser;
    dpl_normalizer *norm;
    dpl_shingler *shingler;
    dpl_script *script; /* NULL when the near-duplicate pass is off */
    uint32_t *sig;
    dpl__pivot *pivot;           /* NULL without the cross-lingual pass */
    dpl__pivot_text pivot_text;
    dpl__buf arena[BATCH_SLOTS]; /* results of the items it processed, per batch slot */
    dpl__buf spill;              /* 32-bit values for a region of the spill, until written */
    uint64_t spill_region;       /* the region reserved for them (file << 48 | offset) */
    size_t spill_region_cap;
    int spill_errno;             /* a write to the spill failed: why */
    dpl_results *against;        /* NULL without an `against` index */
} thread_ctx;

/* A batch of raw records and, after processing, their results. */
typedef struct batch_slot {
    item *items;
    size_t n_items, items_cap;
    dpl__buf data;      /* raw record bytes, error messages, source paths */
    uint32_t last_file; /* the file whose path was copied last, and where */
    size_t last_source_off;
} batch_slot;

/* A document's best match in the `against` index. */
typedef struct arch_match {
    uint32_t doc;
    uint32_t id_len;
    uint64_t id_off;   /* into job->arch_ids */
    float score;
    uint8_t kind;      /* dpl_match_kind */
    uint8_t pad[3];
} arch_match;

/* An accepted near pair. */
typedef struct near_pair {
    uint32_t a, b;
    float score;
} near_pair;

/* Cross-lingual state of a document (--xling only). */
typedef struct xdoc {
    char lang[4];      /* ISO 639-3, "und" when unknown */
    uint32_t n_set;    /* pivot terms in the spill; 0: takes no part */
    uint64_t set_off;  /* its term set in the cross-lingual spill */
    uint64_t text_off; /* its text there */
    uint64_t text_len;
    float score;       /* best accepted alignment score */
    uint32_t pad;
} xdoc;

/* An accepted translation pair. */
typedef struct xling_pair {
    uint32_t a, b;
    float score, coverage_a, coverage_b;
} xling_pair;

/* Candidate pairs (a << 32) | b with a < b. */
typedef struct dpl__pair_list {
    uint64_t *items;
    size_t n, cap;
} dpl__pair_list;

/* A file of a distributed job's share of the inputs (dist/partition.c). */
typedef struct dpl__part {
    uint32_t input;     /* which input path it was found under */
    dpl__walk_entry e;
    dpl__range range;   /* a piece of a large JSONL file; end 0: the whole file */
} dpl__part;

struct dpl_job {
    dpl_options opts;
    char **inputs;
    size_t n_inputs, inputs_cap;
    char *outputs[DPL_OUTPUT__COUNT];
    dpl_progress_fn progress;
    void *progress_user;
    volatile sig_atomic_t stop;
    int ran;
    int threads;
    /* a distributed job (dist/): reads only its share of the walked inputs, and leaves
     * ids and exact copies to be settled across processes */
    int dist;
    const dpl__part *part;
    size_t n_part;
    /* near-duplicate settings, resolved from opts */
    int near;
    unsigned k, bands, rows;
    double threshold;
    uint64_t seed;
    dpl_script *script;        /* the script stage as opened; threads use clones */
    struct dpl__probes *probes; /* MinHash densification's probes, shared read-only */
    /* documents */
    doc *docs;
    size_t n_docs, docs_cap;
    dpl__buf ids;
    doc_msg *msgs;
    size_t n_msgs, msgs_cap;
    dpl__buf msg_text;
    dpl__buf files; /* NUL-separated source paths */
    uint64_t *file_offs;
    size_t n_files, files_cap;
    dpl__first_table ids_seen; /* XXH3-128 of an id -> the document that has it */
    dpl__first_table exact;    /* exact fingerprint -> the first document with it */
    dpl__uf uf;
    uint32_t *band_keys;       /* bands per document, in document order (see near.c) */
    size_t band_keys_cap;
    /* unlinked temporary files: shingles for verification, one per thread (up to 64,
     * then shared), written by the workers in regions they reserve */
    int *spill_fds;
    uint64_t *spill_lens;
    unsigned n_spills;
    near_pair *near_pairs;
    size_t n_near, near_cap;
    /* cross-lingual pass, resolved from opts */
    int xling;
    unsigned xk, xbands, xrows;
    struct dpl__probes *xprobes; /* densification's for the term sets' MinHash (k = xk) */
    double xthreshold;
    dpl_script *xscript;       /* transliterates words the dictionaries lack */
    struct dpl__langid *langid;
    dpl__term_df *df;          /* document frequencies of pivot terms */
    xdoc *xdocs;
    size_t xdocs_cap;
    uint64_t *xband_keys;
    size_t xband_keys_cap;
    FILE *xspill;              /* unlinked temporary file: term sets and texts */
    int xspill_fd;
    uint64_t xspill_len;
    xling_pair *xpairs;
    size_t n_xpairs, xpairs_cap;
    /* against an index: the documents with a match there, in document order */
    arch_match *arch;
    size_t n_arch, arch_cap;
    dpl__buf arch_ids;
    /* the batches */
    batch_slot slots[BATCH_SLOTS];
    thread_ctx *ctx;
    /* outputs */
    dpl__out out[DPL_OUTPUT__COUNT];
    char *stdin_spool_path;
    FILE *stdin_spool;
    dpl_summary sum;
    char errmsg[1100];
};

/* job.c: the stages of dpl_job_run, for a distributed run (dist/run.c) */
extern const char *const dpl__kind_names[]; /* by enum kind */
int dpl__job_setup(dpl_job *job);        /* settings resolved, spills opened */
int dpl__job_open_outputs(dpl_job *job); /* temporary outputs created */
int dpl__job_read(dpl_job *job);         /* pass 1 */
int dpl__job_copy_kept(dpl_job *job);    /* pass 3: kept records copied, by status */
/* The pairs of documents with a match in the `against` index (local numbers). */
int dpl__job_write_archived_pairs(dpl_job *job, FILE *f);
/* A corpus output's name for an input file: without .gz, .zst or .zstd (in place). */
const char *dpl__strip_compression_suffix(char *name);
int dpl__job_commit_outputs(dpl_job *job);
void dpl__job_abort_outputs(dpl_job *job);
const char *dpl__job_doc_id(const dpl_job *job, const doc *d);
const char *dpl__job_file_path(const dpl_job *job, uint32_t file);

/* near.c */
int dpl__near_setup(dpl_job *job);          /* resolve settings, open the spill files */
/* sketch one text, as the thread's normalizer just wrote it, into its arena and spill */
int dpl__near_item(dpl_job *job, thread_ctx *c, item *it, const char *norm, size_t len);
/* The rest of a thread's values written to the spill, at the end of pass 1. */
int dpl__near_flush(dpl_job *job, thread_ctx *c);
/* Room in the band keys for `more` documents after the merged ones, mapped. */
int dpl__near_reserve(dpl_job *job, size_t more);
int dpl__near_merge(dpl_job *job, uint32_t d, const item *it); /* after exact lookup */
int dpl__near_pass(dpl_job *job);           /* LSH, verification, unions */
void dpl__near_free(dpl_job *job);
int dpl__pairs_sort_unique(dpl__pair_list *p); /* radix sort, duplicates dropped */
int dpl__pairs_append(dpl__pair_list *to, const uint64_t *pairs, size_t n);
/* The LSH buckets of one band. Members are added in document order; each pairs with the
 * first and the previous member of its bucket (pairs (a << 32) | b into `out`). */
typedef struct dpl__bucket {
    uint32_t key;
    uint32_t first_plus_one, last; /* first_plus_one 0: an empty slot */
} dpl__bucket;
typedef struct dpl__buckets {
    dpl__bucket *table;
    size_t cap;
} dpl__buckets;
int dpl__buckets_reset(dpl__buckets *b, size_t members); /* empty, room for `members` */
int dpl__buckets_add(dpl__buckets *b, uint32_t key, uint32_t member, dpl__pair_list *out);
/* Where key's bucket is looked for first: keys are uniform, their low bits do. */
static inline size_t dpl__buckets_home(const dpl__buckets *b, uint32_t key)
{
    return (size_t)key & (b->cap - 1);
}
/* A hint: key is about to be added. The table outgrows the caches, and adding waited on
 * a miss for each key; callers hint this many keys ahead. */
#define DPL__BUCKET_PREFETCH_AHEAD 16
static inline void dpl__buckets_prefetch(const dpl__buckets *b, uint32_t key)
{
    __builtin_prefetch(&b->table[dpl__buckets_home(b, key)], 1);
}
void dpl__buckets_free(dpl__buckets *b);
/* Document d's spilled values as they were written, `bytes` of them, into dst. */
int dpl__near_read_raw(const dpl_job *job, uint32_t d, void *dst, size_t bytes);
/* Document d's spilled values into *items (grown to *cap): a shingle set, sorted and
 * deduplicated, or a signature under --no-verify; *n their count. */
int dpl__near_read_spill(const dpl_job *job, uint32_t d, uint32_t **items, size_t *cap,
                         size_t *n);
/* A set given raw (as spilled) made ready for dpl__near_score: sorted and deduplicated
 * unless it is a signature. Returns its new count. */
size_t dpl__near_prepare(const dpl_job *job, uint32_t *items, size_t n);
/* The pair's score as the near pass computes it: Jaccard, containment or the estimate. */
double dpl__near_score(const dpl_job *job, const uint32_t *a, size_t na, const uint32_t *b,
                       size_t nb);
/* An unlinked temporary file in $TMPDIR ("doppel-NAME.XXXXXX"); on failure job->errmsg
 * says which (`what`) could not be created. */
int dpl__open_spill_fd(dpl_job *job, const char *name, const char *what, int *fd);
/* The same with a stdio stream on it, buffered by 1 MiB. */
int dpl__open_spill(dpl_job *job, const char *name, const char *what, int *fd, FILE **out);
/* Read exactly `bytes` at `off` (pread loops on short reads); DPL_EIO otherwise. */
int dpl__pread_all(int fd, uint64_t off, void *dst, size_t bytes);

/* xling.c */
int dpl__xling_setup(dpl_job *job);
int dpl__xling_thread_init(dpl_job *job, thread_ctx *c);
void dpl__xling_thread_free(thread_ctx *c);
int dpl__xling_item(dpl_job *job, thread_ctx *c, item *it, const dpl_record *rec);
int dpl__xling_merge(dpl_job *job, uint32_t d, const item *it);

/* against.c */
int dpl__against_thread_init(dpl_job *job, thread_ctx *c);
int dpl__against_item(dpl_job *job, thread_ctx *c, item *it, const dpl_record *rec);
int dpl__against_merge(dpl_job *job, uint32_t d, const item *it);
/* Clusters with a member that matched the index: every member becomes a duplicate, of
 * the archived document (its own match) or of the member that matched. */
int dpl__against_clusters(dpl_job *job);
/* The match of document d, or NULL. */
const arch_match *dpl__against_of(const dpl_job *job, uint32_t d);
void dpl__against_free(dpl_job *job);
int dpl__xling_pass(dpl_job *job);       /* candidates, alignment, unions */
int dpl__xling_write_aligned(dpl_job *job, FILE *f); /* --aligned */
void dpl__xling_free(dpl_job *job);
const char *dpl__xling_lang(const dpl_job *job, uint32_t d);

#endif
