/* bench_memory: does a large input run in bounded memory? Writes N GB of generated
 * English-like JSONL (textgen; 2% exact copies in other case, 2% near copies with a
 * word changed) to a temporary file, runs `doppel dedupe` on it in a child process,
 * and reports time, peak RSS and bytes per document.
 *
 *   bench_memory --doppel PATH [--gb N] [--doc-bytes B] [--threads T] [--seed S]
 *
 * The file and the outputs go to $TMPDIR (default /tmp) and are removed at the end;
 * doppel's shingle spill needs about 0.65x the input there too. */
#define _GNU_SOURCE
#include "textgen.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A near copy: the same text with one word (after the middle) replaced. */
static size_t near_copy(const char *text, size_t len, char *out)
{
    memcpy(out, text, len);
    const char *space = memchr(text + len / 2, ' ', len - len / 2);
    if (space && space + 1 < text + len)
        out[space + 1 - text] = out[space + 1 - text] == 'q' ? 'z' : 'q';
    return len;
}

static int write_corpus(const char *path, uint64_t bytes, size_t doc_bytes, uint64_t seed,
                        uint64_t *docs)
{
    static textgen g;
    textgen_init(&g, seed);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    char *prev = malloc(doc_bytes * 2 + 64), *cur = malloc(doc_bytes * 2 + 64);
    size_t prev_len = 0;
    uint64_t written = 0;
    *docs = 0;
    while (written < bytes) {
        unsigned pick = (unsigned)(textgen_rand(&g) % 100);
        size_t len;
        if (prev_len && pick < 2) { /* an exact copy, upper-cased */
            for (size_t i = 0; i < prev_len; i++)
                cur[i] = prev[i] >= 'a' && prev[i] <= 'z' ? (char)(prev[i] - 32) : prev[i];
            len = prev_len;
        } else if (prev_len && pick < 4) {
            len = near_copy(prev, prev_len, cur);
        } else {
            len = textgen_prose(&g, cur, doc_bytes / 2 + textgen_rand(&g) % doc_bytes);
        }
        fprintf(f, "{\"id\":\"d%llu\",\"text\":\"", (unsigned long long)*docs);
        textgen_json_string(f, cur, len);
        fputs("\"}\n", f);
        written += len + 24;
        (*docs)++;
        char *t = prev;
        prev = cur;
        cur = t;
        prev_len = len;
    }
    free(prev);
    free(cur);
    return fclose(f);
}

int main(int argc, char **argv)
{
    const char *doppel = NULL;
    double gb = 10;
    size_t doc_bytes = 3000;
    int threads = 2;
    uint64_t seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--doppel") == 0)
            doppel = argv[i + 1];
        else if (strcmp(argv[i], "--gb") == 0)
            gb = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--doc-bytes") == 0)
            doc_bytes = (size_t)atol(argv[i + 1]);
        else if (strcmp(argv[i], "--threads") == 0)
            threads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--seed") == 0)
            seed = (uint64_t)atoll(argv[i + 1]);
    }
    if (!doppel || gb <= 0 || doc_bytes < 100 || threads < 1) {
        fprintf(stderr, "usage: bench_memory --doppel PATH [--gb N] [--doc-bytes B>=100] "
                        "[--threads T] [--seed S]\n");
        return 2;
    }
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char input[512], manifest[512], threads_arg[16];
    snprintf(input, sizeof input, "%s/bench_memory.%d.jsonl", tmp, (int)getpid());
    snprintf(manifest, sizeof manifest, "%s/bench_memory.%d.manifest", tmp, (int)getpid());
    snprintf(threads_arg, sizeof threads_arg, "%d", threads);
    uint64_t docs;
    double t0 = now();
    if (write_corpus(input, (uint64_t)(gb * 1e9), doc_bytes, seed, &docs) != 0) {
        perror("bench_memory: cannot write the corpus");
        unlink(input);
        return 1;
    }
    printf("corpus: %.2f GB of JSONL, %llu documents (%.0f s to write)\n", gb,
           (unsigned long long)docs, now() - t0);
    fflush(stdout);
    t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        execl(doppel, doppel, "dedupe", "-q", "-t", threads_arg, "-m", manifest, input,
              (char *)NULL);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid) {
        perror("bench_memory: cannot run doppel");
        unlink(input);
        return 1;
    }
    double seconds = now() - t0;
    unlink(input);
    unlink(manifest);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_memory: doppel failed (status %d)\n", status);
        return 1;
    }
    printf("doppel dedupe -t %d: %.1f s, %.1f MB/s, peak RSS %.0f MB, %.0f bytes per document\n",
           threads, seconds, gb * 1e3 / seconds, (double)ru.ru_maxrss / 1024.0,
           (double)ru.ru_maxrss * 1024.0 / (double)docs);
    return 0;
}
