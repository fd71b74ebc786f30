/* Fuzz target: the index open path on damaged files. The input is written as an index's
 * data.mdb; the index is then opened read-only and, if that succeeds, queried, asked for
 * an id and for its statistics; then opened for writing, given one document and
 * committed. Whatever the bytes, each call must return a code (never crash, hang or
 * leak): a damaged file is DPL_ENOTINDEX or DPL_EINCOMPATIBLE, not a crash.
 *
 * The seed corpus (corpus/index/) holds the data files of small real indexes, so that the
 * fuzzer starts from valid LMDB pages and mutates them. */
#define _GNU_SOURCE
#include "doppel.h"
#include "replay.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256], data[300], lock[300];

static void setup(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/fuzz_index.XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        abort();
    snprintf(data, sizeof data, "%s/data.mdb", dir);
    snprintf(lock, sizeof lock, "%s/lock.mdb", dir);
}

static void write_input(const uint8_t *bytes, size_t size)
{
    FILE *f = fopen(data, "wb");
    if (!f || fwrite(bytes, 1, size, f) != size || fclose(f) != 0)
        abort();
    unlink(lock); /* a fresh lock file, as after a reboot */
}

static const char text[] = "The river rose by two metres on Monday and the old bridge was "
                           "closed to traffic while the town council met.";

static void use_readonly(void)
{
    dpl_index *ix = NULL;
    char msg[512];
    if (dpl_index_open(dir, NULL, DPL_INDEX_READONLY, &ix, msg, sizeof msg) != DPL_OK)
        return;
    dpl_results *res = dpl_results_create();
    dpl_index_query(ix, text, sizeof text - 1, res);
    for (size_t i = 0; i < dpl_results_count(res); i++) {
        dpl_match m;
        if (dpl_results_get(res, i, &m) != DPL_OK || (m.id_len && !m.id))
            abort(); /* a match that cannot be read */
    }
    dpl_index_contains(ix, "a", 1);
    dpl_index_stats st;
    dpl_index_stats_get(ix, &st);
    dpl_results_free(res);
    dpl_index_close(ix);
}

static void use_writable(void)
{
    dpl_index *ix = NULL;
    if (dpl_index_open(dir, NULL, 0, &ix, NULL, 0) != DPL_OK)
        return;
    if (dpl_index_add(ix, "fuzz", 4, text, sizeof text - 1, NULL) == DPL_OK)
        dpl_index_commit(ix);
    dpl_index_remove(ix, "a", 1);
    dpl_index_close(ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
    if (!dir[0])
        setup();
    write_input(bytes, size);
    use_readonly();
    write_input(bytes, size);
    use_writable();
    return 0;
}
