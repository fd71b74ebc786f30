/* doppel-mpi: `doppel dedupe` over the processes of an MPI job,
 *
 *     mpirun -np N doppel-mpi dedupe [OPTION]... INPUT...
 *
 * with the options and outputs of doppel dedupe. It calls only the public API
 * (doppel.h, doppel_mpi.h). Rank 0 writes the outputs and prints the summary; every
 * process exits with the same code. */
#include "cli.h"
#include "doppel_mpi.h"

#include <stdio.h>
#include <string.h>

typedef struct mpi_run {
    dpl_mpi_stats stats;
    uint64_t records;
} mpi_run;

static int run_mpi(dpl_job *job, dpl_summary *sum, void *user)
{
    mpi_run *m = user;
    int rc = dpl_job_run_mpi(job, MPI_COMM_WORLD, sum, &m->stats);
    m->records = sum->records;
    return rc;
}

/* Every process could make its job, or none runs: a rank that failed alone (an index or
 * input missing on its machine) would leave the others waiting. The first that failed
 * says why. */
static int all_started(int ok, void *user)
{
    (void)user;
    int rank, size, first_failed;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int mine = ok ? size : rank;
    MPI_Allreduce(&mine, &first_failed, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (first_failed == rank)
        cli_print_held();
    return first_failed == size;
}

static void print_exchange(void *user)
{
    const mpi_run *m = user;
    const dpl_mpi_stats *s = &m->stats;
    double per_doc = m->records ? (double)s->bytes_exchanged / (double)m->records : 0;
    fprintf(stderr, "doppel: %d process%s, %llu file%s", s->processes,
            s->processes == 1 ? "" : "es", (unsigned long long)s->files,
            s->files == 1 ? "" : "s");
    if (s->pieces)
        fprintf(stderr, " (the large JSONL ones cut into %llu pieces)",
                (unsigned long long)s->pieces);
    fprintf(stderr,
            ": %.1f MB exchanged (%.0f bytes a record), %.1f MB of "
            "outputs sent to process 0; read %.2f s, exchange %.2f s, write %.2f s\n",
            (double)s->bytes_exchanged / 1e6, per_doc,
            (double)s->bytes_outputs / 1e6, s->seconds_read, s->seconds_exchange,
            s->seconds_write);
}

int main(int argc, char **argv)
{
    int provided, rank;
    /* Only the main thread calls MPI; OpenMP workers never do. */
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    cli_silent = rank != 0;
    cli_hold_errors = 1;
    int code;
    if (argc < 2 || strcmp(argv[1], "dedupe") != 0) {
        int help = argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0);
        if (help)
            print_usage();
        code = help ? 0 : usage_error("%s", "doppel-mpi runs one command: dedupe");
    } else {
        mpi_run m;
        memset(&m, 0, sizeof m);
        dedupe_runner runner = {run_mpi, &m, rank == 0, print_exchange, all_started};
        code = cmd_dedupe(argc - 1, argv + 1, &runner);
    }
    MPI_Finalize();
    return code;
}
