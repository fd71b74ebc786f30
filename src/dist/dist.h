/* Internal interface of the dist family: dpl_job_run_mpi() and its stages. A dedupe job
 * over the processes of an MPI communicator, each holding a contiguous range of the
 * global document numbers (input order, as dpl_job_run() numbers them). */
#ifndef DPL_DIST_H
#define DPL_DIST_H

#include "doppel_mpi.h"
#include "pipeline/job_internal.h"

typedef struct dpl__dist {
    MPI_Comm comm;
    int rank, size;
    dpl_job *job;
    /* partition.c: every file of the inputs; this process reads part[first, first+n) */
    dpl__part *files;
    size_t n_files;
    char *file_strings;
    /* global document numbers: rank r holds [bases[r], bases[r + 1]) */
    uint64_t *bases;
    uint32_t base, n;
    /* resolve.c */
    uint32_t *exact_first;   /* global: the first document with its exact text */
    dpl__pair_list edges;    /* (a << 32) | b, a < b: exact copies and near pairs */
    doc_msg *dupid;          /* duplicate-id errors, by document; text in dupid_text */
    size_t n_dupid, dupid_cap;
    dpl__buf dupid_text;
    /* components.c */
    uint32_t *root;          /* global: the cluster's smallest document */
    uint32_t *rep;           /* global: the cluster's kept document */
    dpl_mpi_stats stats;
    size_t round_bytes;      /* the most one process sends another per MPI_Alltoallv */
    int failed;              /* a local failure inside a collective stage (sticky) */
} dpl__dist;

/* exchange.c: the collective building blocks. They do not fail: running out of memory
 * stops the whole run with a message (dpl__dist_abort), since the other processes could
 * not be told otherwise. Exchanges larger than MPI's int counts go in rounds. */
uint32_t dpl__dist_owner(const dpl__dist *d, uint32_t g); /* the rank holding document g */
/* MPI counts and displacements are ints, so exchanges go in rounds of at most this many
 * bytes per pair of processes: 1 GiB / processes, at least 1 MiB, or
 * $DOPPEL_MPI_ROUND_BYTES (tests set it small to exercise the rounds). */
size_t dpl__dist_round_bytes(int processes);
/* Every process's rc agreed on: the first failing rank's code, and its message copied
 * into every job->errmsg; an interrupt anywhere is DPL_EINTERRUPTED everywhere. */
int dpl__dist_agree(dpl__dist *d, int rc);
/* n records of rec_size bytes, record i to rank dest[i]; *out receives those sent to this
 * process, by sending rank, each rank's in its order. */
void dpl__dist_route(dpl__dist *d, const void *recs, size_t n, size_t rec_size,
                    const uint32_t *dest, dpl__buf *out, size_t *n_out);
/* The bytes the owner of each want[i] (global document numbers) appends with serve();
 * result i is data->data + offs[i] .. offs[i + 1]. offs has n + 1 entries. */
typedef int (*dpl__dist_serve)(dpl__dist *d, void *user, uint32_t local, dpl__buf *out);
void dpl__dist_fetch(dpl__dist *d, const uint32_t *want, size_t n, dpl__dist_serve serve,
                    void *user, dpl__buf *data, uint64_t *offs);
/* The entries of `table` (one per document of its owner) for want[0..*n), which is
 * sorted and deduplicated first (*n shrinks); dpl__dist_u32_at() looks one up. */
void dpl__dist_fetch_u32(dpl__dist *d, uint32_t *table, uint32_t *want, size_t *n,
                         dpl__buf *vals);
uint32_t dpl__dist_u32_at(const uint32_t *want, size_t n, const dpl__buf *vals, uint32_t g);
uint64_t dpl__dist_sum(dpl__dist *d, uint64_t v);
uint64_t dpl__dist_max(dpl__dist *d, uint64_t v);
/* Stop the whole run (MPI_Abort) after a message: for failures inside a collective
 * exchange, where the other processes cannot be told otherwise. */
_Noreturn void dpl__dist_abort(dpl__dist *d, const char *what);
/* Where x is, or would go, in the sorted v[0..n). */
size_t dpl__u32_position(const uint32_t *v, size_t n, uint32_t x);

/* partition.c: the inputs walked by rank 0, split by file in input order, weighted by
 * size; the job reads only its share. */
int dpl__dist_partition(dpl__dist *d);

/* resolve.c: duplicate ids (the first document keeps its id) and exact copies (each
 * joined to the first document with its text), settled by the owner of their hash. */
int dpl__dist_resolve(dpl__dist *d);

/* near.c: band keys sent to the owner of each bucket, candidates to the owner of their
 * first document, verified there, the other side's shingles fetched. */
int dpl__dist_near(dpl__dist *d);

/* components.c: clusters from the edges (hooking and pointer jumping; each cluster is
 * labelled by its smallest document, as the union-find of one process labels it), then
 * each document's representative by --keep. */
int dpl__dist_components(dpl__dist *d);

/* against.c: --against. After resolve, matches of documents that turned out to be
 * errors are dropped; after components, a cluster with a matched member becomes a
 * duplicate of the archive, as in one process (pipeline/against.c). */
void dpl__dist_against_prune(dpl__dist *d);
int dpl__dist_against_clusters(dpl__dist *d);

/* output.c: manifest, pairs and corpus, each process's part streamed to rank 0 in rank
 * order. */
int dpl__dist_write(dpl__dist *d);

#endif
