/* dpl_job_run_mpi(): a dedupe job over the processes of a communicator.
 *
 *   partition  rank 0 walks the inputs; each process takes a contiguous run of files
 *   pass 1     each process reads, normalizes, fingerprints and sketches its files, with
 *              its threads, as one process would (pipeline/job.c)
 *   numbering  global document numbers: a process's documents follow those of lower ranks
 *   resolve    duplicate ids, then exact copies, by the owners of their hashes
 *   near       band keys to the owners of their buckets, candidates verified where their
 *              first document lives (dist/near.c)
 *   clusters   distributed hooking and pointer jumping, then --keep (dist/components.c),
 *              and with --against the clusters of archived documents (dist/against.c)
 *   write      rank 0 writes each output, the parts in rank order (dist/output.c)
 *
 * After every stage the processes agree on success, so that a failure anywhere stops all
 * of them with the same code and the failing process's message. */
#include "dist/dist.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int refuse(dpl_job *job, const char *what)
{
    snprintf(job->errmsg, sizeof job->errmsg, "%s is not supported by a distributed run "
             "(doppel-mpi); run doppel dedupe for it", what);
    return DPL_EINVAL;
}

/* What a distributed run cannot do (yet); the same answer on every process. */
static int check_supported(dpl_job *job)
{
    if (job->ran || job->n_inputs == 0) {
        snprintf(job->errmsg, sizeof job->errmsg, "%s",
                 job->ran ? "a job runs only once" : "no input given");
        return DPL_EINVAL;
    }
    for (size_t i = 0; i < job->n_inputs; i++)
        if (strcmp(job->inputs[i], "-") == 0)
            return refuse(job, "standard input as an INPUT");
    if (job->opts.xling)
        return refuse(job, "--xling");
    return DPL_OK;
}

/* Every process's document count, as bases of the global numbering. */
static int number_documents(dpl__dist *d)
{
    uint64_t mine = d->job->n_docs;
    if (!(d->bases = calloc((size_t)d->size + 1, sizeof *d->bases)))
        dpl__dist_abort(d, "out of memory");
    MPI_Allgather(&mine, 1, MPI_UINT64_T, d->bases + 1, 1, MPI_UINT64_T, d->comm);
    for (int r = 0; r < d->size; r++)
        d->bases[r + 1] += d->bases[r];
    if (d->bases[d->size] >= UINT32_MAX) {
        snprintf(d->job->errmsg, sizeof d->job->errmsg,
                 "%llu records: a run takes at most 4,294,967,294",
                 (unsigned long long)d->bases[d->size]);
        return DPL_EINVAL;
    }
    d->base = (uint32_t)d->bases[d->rank];
    d->n = (uint32_t)mine;
    return DPL_OK;
}

/* Each counter replaced by its sum over all processes. */
static void sum_counters(dpl__dist *d, uint64_t *const *fields, int n)
{
    uint64_t mine[16], all[16];
    for (int i = 0; i < n; i++)
        mine[i] = *fields[i];
    MPI_Allreduce(mine, all, n, MPI_UINT64_T, MPI_SUM, d->comm);
    for (int i = 0; i < n; i++)
        *fields[i] = all[i];
}

static void sum_summary(dpl__dist *d, double start)
{
    dpl_summary *s = &d->job->sum;
    uint64_t *const counts[] = {&s->records, &s->kept, &s->duplicates, &s->exact, &s->near,
                                &s->candidates, &s->errors, &s->warnings, &s->bytes,
                                &s->pairs, &s->archived};
    sum_counters(d, counts, (int)(sizeof counts / sizeof *counts));
    s->inputs = d->job->n_inputs;
    double secs = now() - start;
    MPI_Allreduce(&secs, &s->seconds, 1, MPI_DOUBLE, MPI_MAX, d->comm);
    dpl_mpi_stats *t = &d->stats;
    uint64_t *const bytes[] = {&t->bytes_exchanged, &t->bytes_routed, &t->bytes_outputs,
                               &t->routed_ids, &t->routed_bands, &t->routed_verify,
                               &t->routed_clusters, &t->routed_infos};
    sum_counters(d, bytes, (int)(sizeof bytes / sizeof *bytes));
    t->processes = d->size;
}

static double max_over(dpl__dist *d, double v)
{
    double all;
    MPI_Allreduce(&v, &all, 1, MPI_DOUBLE, MPI_MAX, d->comm);
    return all;
}

static int read_share(dpl__dist *d)
{
    dpl_job *job = d->job;
    int rc = dpl__dist_agree(d, dpl__job_setup(job));
    if (rc == DPL_OK) /* outputs are written by rank 0 only */
        rc = dpl__dist_agree(d, d->rank == 0 ? dpl__job_open_outputs(job) : DPL_OK);
    if (rc == DPL_OK)
        rc = dpl__dist_partition(d);
    if (rc == DPL_OK)
        rc = dpl__dist_agree(d, dpl__job_read(job));
    return rc;
}

static int run_stages(dpl__dist *d)
{
    double t0 = now();
    int rc = read_share(d);
    double t1 = now();
    d->stats.seconds_read = max_over(d, t1 - t0);
    if (rc == DPL_OK)
        rc = dpl__dist_agree(d, number_documents(d));
    uint64_t before = d->stats.bytes_routed;
    if (rc == DPL_OK)
        rc = dpl__dist_resolve(d);
    if (rc == DPL_OK)
        dpl__dist_against_prune(d);
    d->stats.routed_ids = d->stats.bytes_routed - before;
    if (rc == DPL_OK)
        rc = dpl__dist_near(d);
    before = d->stats.bytes_routed;
    if (rc == DPL_OK)
        rc = dpl__dist_components(d);
    if (rc == DPL_OK)
        rc = dpl__dist_against_clusters(d);
    d->stats.routed_clusters = d->stats.bytes_routed - before;
    double t2 = now();
    d->stats.seconds_exchange = max_over(d, t2 - t1);
    before = d->stats.bytes_routed;
    if (rc == DPL_OK)
        rc = dpl__dist_write(d);
    d->stats.routed_infos = d->stats.bytes_routed - before;
    if (rc == DPL_OK)
        rc = dpl__dist_agree(d, d->rank == 0 ? dpl__job_commit_outputs(d->job) : DPL_OK);
    d->stats.seconds_write = max_over(d, now() - t2);
    return rc;
}

static void dist_free(dpl__dist *d)
{
    free(d->files);
    free(d->file_strings);
    free(d->bases);
    free(d->exact_first);
    free(d->edges.items);
    free(d->dupid);
    dpl__buf_free(&d->dupid_text);
    free(d->rep);
    free(d->root);
}

int dpl_job_run_mpi(dpl_job *job, MPI_Comm comm, dpl_summary *summary, dpl_mpi_stats *stats)
{
    if (!job)
        return DPL_EINVAL;
    double start = now();
    dpl__dist d = {.comm = comm, .job = job};
    MPI_Comm_rank(comm, &d.rank);
    MPI_Comm_size(comm, &d.size);
    uint64_t round_bytes = dpl__dist_round_bytes(d.size); /* the same on every process */
    MPI_Allreduce(MPI_IN_PLACE, &round_bytes, 1, MPI_UINT64_T, MPI_MIN, comm);
    d.round_bytes = (size_t)round_bytes;
    int rc = dpl__dist_agree(&d, check_supported(job));
    job->ran = 1;
    job->dist = 1;
    if (rc == DPL_OK)
        rc = run_stages(&d);
    if (rc != DPL_OK && d.rank == 0)
        dpl__job_abort_outputs(job);
    if (rc == DPL_EINTERRUPTED)
        snprintf(job->errmsg, sizeof job->errmsg,
                 "interrupted after %zu records on this process; no output was written",
                 job->n_docs);
    sum_summary(&d, start);
    job->part = NULL;
    job->n_part = 0;
    if (summary)
        *summary = job->sum;
    if (stats)
        *stats = d.stats;
    dist_free(&d);
    return rc;
}
