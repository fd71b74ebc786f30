/* Fuzz target: a whole dedupe job (read, normalize, script stage, fingerprints, LSH,
 * verification, clusters, outputs) over an arbitrary JSONL or text file. The first byte
 * picks the options: exact only, containment, --keep longest, no transliteration, one or
 * two threads, and the file's name. Checks the promise that matters most: the run
 * completes, and every record the reader sees has exactly one manifest line, in order,
 * and the summary adds up (kept + duplicates + errors = records). */
#define _GNU_SOURCE
#include "doppel.h"
#include "replay.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_job: %s\n", what);
        abort();
    }
}

static size_t count_records(const char *path)
{
    dpl_reader *r = dpl_reader_create(NULL);
    check(r && dpl_reader_add(r, path) == DPL_OK, "reader");
    dpl_record rec;
    size_t n = 0;
    while (dpl_reader_next(r, &rec) == DPL_OK)
        n++;
    dpl_reader_free(r);
    return n;
}

static size_t count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    check(f != NULL, "the manifest was not written");
    size_t n = 0;
    int c, last = '\n';
    while ((c = fgetc(f)) != EOF) {
        n += c == '\n';
        last = c;
    }
    fclose(f);
    check(last == '\n', "the manifest ends inside a line");
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned char opt = data[0];
    const char *tmp = getenv("TMPDIR");
    char dir[256], input[300], manifest[300], pairs[300];
    snprintf(dir, sizeof dir, "%s/fuzz_job.XXXXXX", tmp ? tmp : "/tmp");
    check(mkdtemp(dir) != NULL, "cannot create a temporary folder");
    snprintf(input, sizeof input, "%s/in.%s", dir, (opt & 0x40) ? "txt" : "jsonl");
    snprintf(manifest, sizeof manifest, "%s/manifest.jsonl", dir);
    snprintf(pairs, sizeof pairs, "%s/pairs.jsonl", dir);
    FILE *f = fopen(input, "wb");
    check(f && fwrite(data + 1, 1, size - 1, f) == size - 1 && fclose(f) == 0, "input");

    dpl_options o;
    dpl_options_init(&o);
    o.exact_only = opt & 1;
    o.containment = (opt >> 1) & 1;
    o.keep = (opt & 4) ? DPL_KEEP_LONGEST : DPL_KEEP_FIRST;
    o.script.no_translit = (opt >> 3) & 1;
    o.threads = (opt & 0x10) ? 2 : 1;
    o.threshold = (opt & 0x20) ? 0.5 : 0;
    dpl_job *job = dpl_job_create(&o);
    check(job != NULL, "job");
    check(dpl_job_add_input(job, input) == DPL_OK, "add input");
    check(dpl_job_set_output(job, DPL_OUTPUT_MANIFEST, manifest) == DPL_OK, "manifest");
    check(dpl_job_set_output(job, DPL_OUTPUT_PAIRS, pairs) == DPL_OK, "pairs");
    dpl_summary sum;
    int rc = dpl_job_run(job, &sum);
    if (rc != DPL_OK)
        fprintf(stderr, "fuzz_job: %s\n", dpl_job_errmsg(job));
    check(rc == DPL_OK, "the job failed");
    size_t records = count_records(input);
    check(sum.records == records, "summary records differ from the reader's count");
    check(count_lines(manifest) == records, "manifest lines differ from the records");
    check(sum.kept + sum.duplicates + sum.errors == sum.records, "summary does not add up");
    check(sum.exact + sum.near == sum.duplicates, "duplicate kinds do not add up");
    dpl_job_free(job);
    unlink(input);
    unlink(manifest);
    unlink(pairs);
    rmdir(dir);
    return 0;
}
