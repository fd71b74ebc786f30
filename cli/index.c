/* doppel index add|query|remove|stats PATH ...: the persistent index from the command
 * line. add and query read records as dedupe does (files, folders, JSONL, .gz, .zst,
 * "-") and print one JSON line per record on stdout:
 *
 *   {"id":"...","status":"added","duplicates":[{"id":"...","kind":"near","score":0.86}]}
 *
 * status is "added" or "error" (with "error": the reason) for add, "ok" or "error" for
 * query. remove prints {"id":"...","removed":true|false}; stats one JSON object. A
 * record that cannot be added (bad JSON, an id already indexed, no text) is reported
 * and the run goes on; a failure of the index itself stops it (exit 2). SIGINT or
 * SIGTERM stop add after the current record, with what was added committed (exit 130).
 *
 * Exit codes as dedupe: 0 done, 1 done but --strict and some records failed, 2 usage or
 * fatal error, 130 interrupted. */
#include "cli.h"

#include <getopt.h> /* optind */
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_COMMIT_EVERY 10000

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct counts {
    unsigned long long records, done, with_dups, errors;
} counts;

/* Four decimals, as dedupe writes scores. */
static json_object *fixed(double v)
{
    char text[32];
    snprintf(text, sizeof text, "%.4f", v);
    return json_object_new_double_s(v, text);
}

static json_object *duplicates_json(const dpl_results *res)
{
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < dpl_results_count(res); i++) {
        dpl_match m;
        dpl_results_get(res, i, &m);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string_len(m.id, (int)m.id_len));
        json_object_object_add(o, "kind", json_object_new_string(
                                              m.kind == DPL_MATCH_EXACT ? "exact" : "near"));
        json_object_object_add(o, "score", fixed(m.score));
        json_object_array_add(list, o);
    }
    return list;
}

static void print_line(json_object *o)
{
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
}

static json_object *record_json(const dpl_record *rec)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string_len(rec->id, (int)rec->id_len));
    return o;
}

static void print_error(const dpl_record *rec, const char *why, counts *n)
{
    json_object *o = record_json(rec);
    json_object_object_add(o, "status", json_object_new_string("error"));
    json_object_object_add(o, "error", json_object_new_string(why));
    print_line(o);
    n->errors++;
}

static void print_found(const dpl_record *rec, const char *status, const dpl_results *res,
                        counts *n)
{
    json_object *o = record_json(rec);
    json_object_object_add(o, "status", json_object_new_string(status));
    json_object_object_add(o, "duplicates", duplicates_json(res));
    print_line(o);
    n->done++;
    n->with_dups += dpl_results_count(res) > 0;
}

/* A record's failure that concerns only it; anything else stops the run. */
static int record_level(int rc)
{
    return rc == DPL_EDUPID || rc == DPL_EEMPTY || rc == DPL_ENUL || rc == DPL_EINVAL;
}

static const char *record_error(int rc)
{
    switch (rc) {
    case DPL_EDUPID: return "the id is already indexed (remove it first)";
    case DPL_EEMPTY: return "empty document: no text left after normalization";
    case DPL_EINVAL: return "the id is empty or longer than 65,535 bytes";
    default: return dpl_strerror(rc);
    }
}

/* One record through add or query. Returns DPL_OK, or the error that stops the run. */
static int one_record(dpl_index *ix, int adding, const dpl_record *rec, dpl_results *res,
                      counts *n)
{
    n->records++;
    if (rec->error) {
        print_error(rec, rec->error_msg, n);
        return DPL_OK;
    }
    int rc = adding ? dpl_index_add(ix, rec->id, rec->id_len, rec->text, rec->text_len, res)
                    : dpl_index_query(ix, rec->text, rec->text_len, res);
    if (rc == DPL_OK)
        print_found(rec, adding ? "added" : "ok", res, n);
    else if (record_level(rc))
        print_error(rec, record_error(rc), n);
    return rc == DPL_OK || record_level(rc) ? DPL_OK : rc;
}

static int feed(const cli *c, dpl_index *ix, int adding, char **inputs, int n_inputs,
                counts *n)
{
    dpl_reader *reader = dpl_reader_create(&c->opts.reader);
    dpl_results *res = dpl_results_create();
    int rc = reader && res ? DPL_OK : DPL_ENOMEM;
    for (int i = 0; i < n_inputs && rc == DPL_OK; i++) {
        rc = dpl_reader_add(reader, inputs[i]);
        if (rc != DPL_OK)
            fprintf(stderr, "doppel: %s: %s\n", inputs[i], dpl_strerror(rc));
    }
    unsigned long every = c->commit_every ? c->commit_every : DEFAULT_COMMIT_EVERY;
    dpl_record rec;
    while (rc == DPL_OK && !stop_requested && (rc = dpl_reader_next(reader, &rec)) == DPL_OK) {
        rc = one_record(ix, adding, &rec, res, n);
        if (rc == DPL_OK && adding && n->records % every == 0)
            rc = dpl_index_commit(ix);
    }
    if (rc == DPL_EEOF)
        rc = DPL_OK;
    if (adding && rc == DPL_OK) /* interrupted too: what was added is kept */
        rc = dpl_index_commit(ix);
    dpl_results_free(res);
    dpl_reader_free(reader);
    return rc;
}

/* Settings for the index: what the command line gave, and nothing else, so that an
 * existing index is opened with its own. */
static dpl_options index_options(const cli *c)
{
    dpl_options o = c->opts;
    if (!c->norm_given)
        o.norm_flags = 0;
    /* what dedupe does within its batch, not how documents are fingerprinted */
    o.containment = o.xling = o.exact_only = o.no_verify = 0;
    return o;
}

dpl_index *cli_open_index(const cli *c, const char *path, unsigned flags)
{
    dpl_options o = index_options(c);
    char msg[1024];
    dpl_index *ix = NULL;
    int rc = dpl_index_open(path, &o, flags, &ix, msg, sizeof msg);
    if (rc != DPL_OK)
        cli_error("%s", *msg ? msg : dpl_strerror(rc));
    return ix;
}

static void catch_stops(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static int add_or_query(const cli *c, int adding, const char *path, char **inputs, int n)
{
    dpl_index *ix = cli_open_index(c, path, adding ? DPL_INDEX_CREATE : DPL_INDEX_READONLY);
    if (!ix)
        return EXIT_USAGE;
    catch_stops();
    counts k = {0, 0, 0, 0};
    int rc = feed(c, ix, adding, inputs, n, &k);
    dpl_index_close(ix);
    if (fflush(stdout) != 0 && rc == DPL_OK)
        rc = DPL_EIO;
    char a[32], b[32];
    if (rc != DPL_OK)
        fprintf(stderr, "doppel: %s: %s (after %s records)\n", path, dpl_strerror(rc),
                grouped(k.records, a, sizeof a));
    else if (!c->quiet)
        fprintf(stderr, "doppel: %s records %s, %s with duplicates, %llu errors%s\n",
                grouped(k.records, a, sizeof a), adding ? "read" : "queried",
                grouped(k.with_dups, b, sizeof b), k.errors,
                stop_requested ? "; interrupted, what was added is committed" : "");
    if (rc != DPL_OK)
        return EXIT_USAGE;
    if (stop_requested)
        return EXIT_INTERRUPTED;
    return c->strict && k.errors ? EXIT_RECORD_ERRORS : 0;
}

static int remove_ids(const cli *c, const char *path, char **ids, int n)
{
    dpl_index *ix = cli_open_index(c, path, 0);
    if (!ix)
        return EXIT_USAGE;
    int rc = DPL_OK, absent = 0;
    for (int i = 0; i < n && rc == DPL_OK; i++) {
        rc = dpl_index_remove(ix, ids[i], strlen(ids[i]));
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string(ids[i]));
        json_object_object_add(o, "removed", json_object_new_boolean(rc == DPL_OK));
        print_line(o);
        if (rc == DPL_ENOENT || rc == DPL_EINVAL) {
            absent++;
            rc = DPL_OK;
        }
    }
    if (rc == DPL_OK)
        rc = dpl_index_commit(ix);
    dpl_index_close(ix);
    if (rc != DPL_OK) {
        fprintf(stderr, "doppel: %s: %s (nothing removed)\n", path, dpl_strerror(rc));
        return EXIT_USAGE;
    }
    if (absent && !c->quiet)
        fprintf(stderr, "doppel: %d of %d ids were not in the index\n", absent, n);
    return c->strict && absent ? EXIT_RECORD_ERRORS : 0;
}

/* The stored "key=value" lines as an object. */
static json_object *settings_json(const char *lines)
{
    json_object *o = json_object_new_object();
    for (const char *line = lines; *line;) {
        const char *nl = strchr(line, '\n'), *end = nl ? nl : line + strlen(line);
        const char *eq = memchr(line, '=', (size_t)(end - line));
        if (eq) {
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)(eq - line), line);
            json_object_object_add(o, key, json_object_new_string_len(eq + 1,
                                                                      (int)(end - eq - 1)));
        }
        line = nl ? nl + 1 : end;
    }
    return o;
}

static int stats(const cli *c, const char *path)
{
    dpl_index *ix = cli_open_index(c, path, DPL_INDEX_READONLY);
    if (!ix)
        return EXIT_USAGE;
    dpl_index_stats st;
    int rc = dpl_index_stats_get(ix, &st);
    dpl_index_close(ix);
    if (rc != DPL_OK) {
        fprintf(stderr, "doppel: %s: %s\n", path, dpl_strerror(rc));
        return EXIT_USAGE;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "documents", json_object_new_uint64(st.documents));
    json_object_object_add(o, "bytes", json_object_new_uint64(st.bytes));
    json_object_object_add(o, "bytes_per_document",
                           fixed(st.documents ? (double)st.bytes / (double)st.documents : 0));
    json_object_object_add(o, "num_perm", json_object_new_int((int)st.num_perm));
    json_object_object_add(o, "bands", json_object_new_int((int)st.bands));
    json_object_object_add(o, "rows", json_object_new_int((int)st.rows));
    json_object_object_add(o, "threshold", fixed(st.threshold));
    json_object_object_add(o, "settings", settings_json(st.settings));
    print_line(o);
    return 0;
}

int cmd_index(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("%s", "index needs a subcommand: add, query, remove or stats");
    const char *sub = argv[1];
    cli c;
    memset(&c, 0, sizeof c);
    int rc = parse_args(&c, argc - 1, argv + 1);
    if (rc >= 0)
        return rc;
    char **rest = argv + 1 + optind;
    int n = argc - 1 - optind;
    if (n < 1)
        return usage_error("index %s needs the index PATH", sub);
    if (strcmp(sub, "stats") == 0)
        return n == 1 ? stats(&c, rest[0]) : usage_error("%s", "index stats takes PATH only");
    if (n < 2)
        return usage_error("index %s needs PATH and at least one more argument", sub);
    if (strcmp(sub, "add") == 0 || strcmp(sub, "query") == 0)
        return add_or_query(&c, strcmp(sub, "add") == 0, rest[0], rest + 1, n - 1);
    if (strcmp(sub, "remove") == 0)
        return remove_ids(&c, rest[0], rest + 1, n - 1);
    return usage_error("unknown index subcommand '%s' (add, query, remove, stats)", sub);
}
