/* doppel_mpi.h: the dedupe job over MPI, for corpora larger than one machine.
 *
 * Every process of a communicator calls dpl_job_run_mpi() with a job made the same way
 * (same options, inputs and outputs). The inputs are walked once and split by file
 * across the processes, each reads and fingerprints its share, and the band keys,
 * candidates and clusters are exchanged so that the outputs are those of dpl_job_run()
 * on the same input, byte for byte. Process 0 writes the manifest and the pairs.
 *
 * Link with doppel_mpi (CMake option DOPPEL_MPI). */
#ifndef DOPPEL_MPI_H
#define DOPPEL_MPI_H

#include "doppel.h"

#include <mpi.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What a distributed run sent between processes, summed over all of them. Bytes a
 *  process sends to itself are not counted. */
typedef struct dpl_mpi_stats {
    int processes;
    uint64_t files;           /**< files read, after walking the inputs */
    uint64_t pieces;          /**< pieces the large JSONL files among them were cut into
                                   (0: none was), each read by one process */
    uint64_t bytes_exchanged; /**< ids, fingerprints, band keys, candidates, shingle sets
                                   fetched for verification, cluster labels */
    uint64_t bytes_routed;    /**< the same, with what each process routed to itself: at
                                   N processes about (N-1)/N of it crosses between them */
    uint64_t bytes_outputs;   /**< manifest, pairs and corpus streamed to process 0 */
    /* bytes_routed by stage */
    uint64_t routed_ids;      /**< ids and exact fingerprints, and their verdicts */
    uint64_t routed_bands;    /**< band keys and candidate pairs */
    uint64_t routed_verify;   /**< shingle sets fetched for verification, scores */
    uint64_t routed_clusters; /**< union-find labels and hooks, --keep longest */
    uint64_t routed_infos;    /**< other documents' ids, fingerprints and scores that
                                   the manifest and pairs name */
    uint64_t rounds;          /**< rounds of the distributed union-find */
    double seconds_read;      /**< pass 1 (reading, fingerprinting), slowest process */
    double seconds_exchange;  /**< ids, exact copies, candidates, verification, clusters */
    double seconds_write;     /**< outputs */
} dpl_mpi_stats;

/** Run `job` with every process of `comm`; a collective call. Each process must have
 *  added the same inputs and outputs and made the job with the same options; the inputs
 *  must be readable by every process (a shared file system, or copies at the same
 *  paths), and with a folder corpus output the folder too; with `against`, every
 *  process opens the index, read-only (a copy on each machine: LMDB is not for network
 *  file systems). Standard input and --xling are not supported (DPL_EINVAL with a
 *  message). On failure every process
 *  returns the same code, and dpl_job_errmsg() gives the failing process's message on
 *  each. `summary` and `stats` (either may be NULL) are the whole run's, on every
 *  process. Thread safety: as dpl_job_run(); MPI must be initialized, and the calling
 *  thread is the only one that calls MPI (MPI_THREAD_FUNNELED is enough). Exchanges go
 *  in rounds of at most 1 GiB / processes (at least 1 MiB) between two processes, or
 *  $DOPPEL_MPI_ROUND_BYTES (the smallest over all processes). */
DPL_API int dpl_job_run_mpi(dpl_job *job, MPI_Comm comm, dpl_summary *summary,
                            dpl_mpi_stats *stats);

#ifdef __cplusplus
}
#endif

#endif
