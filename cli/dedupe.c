/* doppel dedupe: a job from the command line, run by dpl_job_run() or, in doppel-mpi,
 * by dpl_job_run_mpi(). */
#include "cli.h"
#include "progress.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static dpl_job *volatile running_job;

static void on_signal(int sig)
{
    (void)sig;
    if (running_job)
        dpl_job_interrupt(running_job);
}

/* Load the dictionaries named by --dict, or the installed ones. NULL after a message. */
dpl_dict *load_dicts(const cli *c)
{
    char msg[1200];
    dpl_dict *dict = NULL;
    int rc = dpl_dict_load(c->n_dicts ? c->dicts : NULL, c->n_dicts, c->dict_cache, &dict,
                           msg, sizeof msg);
    if (rc != DPL_OK) {
        cli_error("%s", msg);
        return NULL;
    }
    const char *warnings = dpl_dict_warnings(dict);
    if (*warnings && !c->quiet && !cli_silent && !dpl_dict_cached(dict)) /* when parsed */
        fprintf(stderr, "doppel: warning: %s", warnings);
    return dict;
}

static void print_summary(const dpl_summary *s)
{
    char a[32], b[32], c[32], d[32], e[32];
    double mb = (double)s->bytes / 1e6;
    fprintf(stderr,
            "doppel: %s records read (%.1f MB) in %.2f s, %.1f MB/s, %.0f docs/s: %s kept, "
            "%s duplicates (%llu exact, %llu near, %llu translations), %s errors",
            grouped(s->records, a, sizeof a), mb, s->seconds,
            s->seconds > 0 ? mb / s->seconds : 0.0,
            s->seconds > 0 ? (double)s->records / s->seconds : 0.0,
            grouped(s->kept, b, sizeof b), grouped(s->duplicates, c, sizeof c),
            (unsigned long long)s->exact, (unsigned long long)s->near,
            (unsigned long long)s->xling, grouped(s->errors, d, sizeof d));
    if (s->warnings)
        fprintf(stderr, ", %s kept with warnings", grouped(s->warnings, e, sizeof e));
    if (s->archived)
        fprintf(stderr, "; %s duplicates of indexed documents", grouped(s->archived, e, sizeof e));
    if (s->xling_candidates)
        fprintf(stderr, "; translations: %s cross-language candidates, %llu aligned",
                grouped(s->xling_candidates, e, sizeof e),
                (unsigned long long)s->xling_aligned);
    fputs(s->errors || s->warnings ? " (the manifest gives each reason).\n" : ".\n", stderr);
}

/* The job as the command line describes it, with its dictionaries and index (the
 * caller frees them); NULL after a message (cli_error). */
static dpl_job *make_job(cli *c, char **inputs, int n_inputs, dpl_dict **dict,
                         dpl_index **against)
{
    if (c->opts.xling && !(*dict = load_dicts(c)))
        return NULL;
    c->opts.dict = *dict;
    if (c->against && !(*against = cli_open_index(c, c->against, DPL_INDEX_READONLY)))
        return NULL;
    c->opts.against = *against;
    dpl_job *job = dpl_job_create(&c->opts);
    if (!job) {
        cli_error("%s", "out of memory");
        return NULL;
    }
    int rc = DPL_OK;
    for (int i = 0; i < n_inputs && rc == DPL_OK; i++)
        rc = dpl_job_add_input(job, inputs[i]);
    for (int k = 0; k < DPL_OUTPUT__COUNT && rc == DPL_OK; k++)
        rc = dpl_job_set_output(job, (dpl_output_kind)k, c->outputs[k]);
    if (rc != DPL_OK) {
        const char *msg = dpl_job_errmsg(job);
        cli_error("%s", *msg ? msg : dpl_strerror(rc));
        dpl_job_free(job);
        return NULL;
    }
    return job;
}

static int run_job(cli *c, char **inputs, int n_inputs, const dedupe_runner *runner)
{
    dpl_dict *dict = NULL;
    dpl_index *against = NULL;
    dpl_job *job = make_job(c, inputs, n_inputs, &dict, &against);
    /* doppel-mpi: every process must start, or none does */
    int started = runner->started ? runner->started(job != NULL, runner->user) : job != NULL;
    if (!started) {
        dpl_job_free(job);
        dpl_dict_free(dict);
        dpl_index_close(against);
        return EXIT_USAGE;
    }
    progress bar;
    progress_init(&bar, runner->reports && !c->quiet && isatty(STDERR_FILENO));
    dpl_job_set_progress(job, progress_update, &bar);
    dpl_summary sum = {0};
    running_job = job;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int rc = runner->run(job, &sum, runner->user);
    running_job = NULL;
    progress_clear(&bar);
    int exit_code = 0;
    if (rc != DPL_OK) {
        const char *msg = dpl_job_errmsg(job);
        if (runner->reports)
            fprintf(stderr, "doppel: %s\n", *msg ? msg : dpl_strerror(rc));
        exit_code = rc == DPL_EINTERRUPTED ? EXIT_INTERRUPTED : EXIT_USAGE;
    } else {
        if (!c->quiet && runner->reports)
            print_summary(&sum);
        if (!c->quiet && runner->reports && runner->print_more)
            runner->print_more(runner->user);
        if (c->strict && sum.errors)
            exit_code = EXIT_RECORD_ERRORS;
    }
    dpl_job_free(job);
    dpl_dict_free(dict);
    dpl_index_close(against);
    return exit_code;
}

int cmd_dedupe(int argc, char **argv, const dedupe_runner *runner)
{
    cli c;
    memset(&c, 0, sizeof c);
    int rc = parse_args(&c, argc, argv);
    if (rc >= 0)
        return rc;
    if (optind >= argc)
        return usage_error("%s", "dedupe needs at least one INPUT");
    if (c.outputs[DPL_OUTPUT_ALIGNED] && !c.opts.xling)
        return usage_error("%s", "--aligned needs --xling");
    return run_job(&c, argv + optind, argc - optind, runner);
}
