/* The benchmarks' seeded text generator (see textgen.h). */
#include "textgen.h"

#include <stdio.h>
#include <string.h>

uint64_t textgen_rand(textgen *g)
{
    uint64_t z = (g->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void textgen_init(textgen *g, uint64_t seed)
{
    static const char *const extras[] = {"café", "über", "naïve", "straße", "город", "новости",
                                         "élan", "façade", "müller", "año"};
    g->state = seed;
    double total = 0;
    for (int i = 0; i < TEXTGEN_VOCAB; i++) {
        if (i % 97 == 5)
            snprintf(g->words[i], sizeof g->words[i], "%s", extras[(size_t)i % 10]);
        else {
            int len = 2 + (int)(textgen_rand(g) % 9);
            for (int k = 0; k < len; k++)
                g->words[i][k] = (char)('a' + textgen_rand(g) % 26);
            g->words[i][len] = '\0';
        }
        total += 1.0 / (i + 1);
        g->cdf[i] = total;
    }
    for (int i = 0; i < TEXTGEN_VOCAB; i++)
        g->cdf[i] /= total;
}

unsigned textgen_word(textgen *g)
{
    double u = (double)(textgen_rand(g) >> 11) / 9007199254740992.0;
    unsigned lo = 0, hi = TEXTGEN_VOCAB - 1;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (g->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t textgen_prose(textgen *g, char *out, size_t target)
{
    size_t n = 0;
    int sentence_start = 1;
    while (n + 40 < target) {
        const char *w = g->words[textgen_word(g)];
        size_t len = strlen(w);
        memcpy(out + n, w, len);
        if (sentence_start && out[n] >= 'a' && out[n] <= 'z')
            out[n] -= 'a' - 'A';
        n += len;
        sentence_start = 0;
        uint64_t r = textgen_rand(g) % 100;
        if (r < 7) {
            out[n++] = '.';
            sentence_start = 1;
        } else if (r < 12)
            out[n++] = ',';
        out[n++] = r == 0 ? '\n' : ' ';
    }
    out[n] = '\0';
    return n;
}

void textgen_json_string(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            fputs("\\n", f);
        else if (s[i] == '"' || s[i] == '\\')
            fprintf(f, "\\%c", s[i]);
        else
            fputc(s[i], f);
    }
}
