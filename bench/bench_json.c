/* bench_json: which maintained JSON library parses doppel's JSONL fastest (the C ones Debian
 * ships, and simdjson, whose API is C++).
 *
 * Generates seeded JSONL records shaped like a web corpus ({"id","text","lang"} with
 * escapes and non-ASCII text), then parses every line with each library and extracts
 * the text and id fields, as the reader does. Prints MB/s per library; a self-check first
 * makes sure every library extracted the same text lengths. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static const char *const words[] = {"the", "report", "said", "government", "über", "naïve",
    "\\\"quoted\\\"", "line\\nbreak", "tab\\t", "город", "新闻", "market", "année", "2019"};

static char *make_corpus(size_t target, size_t *len, size_t *lines)
{
    char *buf = malloc(target + 65536);
    uint64_t seed = 42;
    size_t n = 0, count = 0;
    while (n < target) {
        n += (size_t)sprintf(buf + n, "{\"id\":\"doc-%zu\",\"lang\":\"en\",\"text\":\"", count);
        size_t nwords = 50 + rng_next(&seed) % 700;
        for (size_t i = 0; i < nwords; i++)
            n += (size_t)sprintf(buf + n, "%s%s", i ? " " : "",
                                 words[rng_next(&seed) % (sizeof words / sizeof *words)]);
        n += (size_t)sprintf(buf + n, "\"}\n");
        count++;
    }
    *len = n;
    *lines = count;
    return buf;
}

typedef size_t (*parse_fn)(const char *line, size_t len);
size_t parse_cjson(const char *line, size_t len);
size_t parse_jansson(const char *line, size_t len);
size_t parse_jsonc(const char *line, size_t len);
size_t parse_simdjson(const char *line, size_t len);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t run(parse_fn fn, const char *buf, size_t len)
{
    size_t total = 0;
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        total += fn(p, (size_t)(nl - p));
        p = nl + 1;
    }
    return total;
}

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? (size_t)atol(argv[1]) : 64;
    size_t len, lines;
    char *buf = make_corpus(mb << 20, &len, &lines);
    static const struct { const char *name; parse_fn fn; } libs[] = {
        {"cJSON 1.7", parse_cjson}, {"jansson 2.14", parse_jansson}, {"json-c 0.16", parse_jsonc},
        {"simdjson 3.0", parse_simdjson}};
    size_t expect = run(parse_jansson, buf, len);
    printf("corpus: %zu lines, %.1f MB\n%-14s %10s %10s\n", lines, (double)len / 1e6, "library",
           "MB/s", "lines/s");
    for (size_t i = 0; i < sizeof libs / sizeof *libs; i++) {
        double best = 1e30;
        for (int rep = 0; rep < 3; rep++) {
            double t = now();
            size_t got = run(libs[i].fn, buf, len);
            t = now() - t;
            if (got != expect) {
                fprintf(stderr, "self-check failed: %s extracted %zu bytes, expected %zu\n",
                        libs[i].name, got, expect);
                return 1;
            }
            if (t < best)
                best = t;
        }
        printf("%-14s %10.1f %10.0f\n", libs[i].name, (double)len / 1e6 / best,
               (double)lines / best);
    }
    free(buf);
    return 0;
}
