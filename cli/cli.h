/* What the commands of the doppel tool share: the parsed command line, usage errors and
 * exit codes. */
#ifndef DOPPEL_CLI_H
#define DOPPEL_CLI_H

#include "doppel.h"

#define EXIT_RECORD_ERRORS 1
#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 130

#define MAX_DICTS 64

typedef struct cli {
    dpl_options opts;
    const char *outputs[DPL_OUTPUT__COUNT];
    int quiet, strict;
    int norm_given;         /* a --no-* normalization option was given */
    unsigned long commit_every; /* doppel index add: documents per commit */
    const char *dicts[MAX_DICTS];
    size_t n_dicts;
    const char *dict_cache; /* NULL: the default; "": none */
    const char *lang_a, *lang_b;
    const char *against;    /* dedupe --against PATH */
} cli;

/* How `dedupe` runs its job: dpl_job_run(), or dpl_job_run_mpi() in doppel-mpi. Only a
 * process that `reports` shows progress, the summary and errors. */
typedef struct dedupe_runner {
    int (*run)(dpl_job *job, dpl_summary *sum, void *user);
    void *user;
    int reports;
    /* after the summary line, when set (doppel-mpi: what crossed between processes) */
    void (*print_more)(void *user);
    /* when set, whether every process could start (doppel-mpi), given this one's answer */
    int (*started)(int ok, void *user);
} dedupe_runner;

/* doppel dedupe [OPTION]... INPUT... (cli/dedupe.c) */
int cmd_dedupe(int argc, char **argv, const dedupe_runner *runner);
/* The dictionaries named by --dict, or the installed ones. NULL after a message. */
dpl_dict *load_dicts(const cli *c);
/* The usage text, to stdout (unless cli_silent). */
void print_usage(void);

/* Set in doppel-mpi's processes other than rank 0, which all parse the same command
 * line: one of them reports a usage error, not every one. */
extern int cli_silent;
/* A failure to start a job ("doppel: " and the message, to stderr): an index, a
 * dictionary or an input that cannot be opened. While cli_hold_errors is set the first
 * one is kept instead, for cli_print_held(): doppel-mpi's processes agree first, then
 * the first that failed prints why, since a file may be missing on one machine only. */
extern int cli_hold_errors;
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_print_held(void);
/* Prints "doppel: " fmt (with arg) and a hint to stderr, unless cli_silent;
 * returns EXIT_USAGE. */
int usage_error(const char *fmt, const char *arg);
/* The options into c (dpl_options_init first). Returns -1 to go on, or an exit code;
 * optind is left at the first operand. */
int parse_args(cli *c, int argc, char **argv);
/* A count with thousands separators. */
const char *grouped(unsigned long long v, char *buf, size_t cap);

/* doppel index add|query|remove|stats PATH ... (cli/index.c) */
int cmd_index(int argc, char **argv);
/* The index at path, opened with the fingerprint settings of the command line (the
 * index's own where none was given); NULL after a message. */
dpl_index *cli_open_index(const cli *c, const char *path, unsigned flags);

#endif
