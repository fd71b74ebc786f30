/* Seeded English-like text for the benchmarks: a vocabulary of made-up words (a few
 * accented or Cyrillic, as in European web text) drawn with a Zipf distribution. */
#ifndef DOPPEL_BENCH_TEXTGEN_H
#define DOPPEL_BENCH_TEXTGEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TEXTGEN_VOCAB 8000

typedef struct textgen {
    uint64_t state;
    char words[TEXTGEN_VOCAB][16];
    double cdf[TEXTGEN_VOCAB];
} textgen;

void textgen_init(textgen *g, uint64_t seed);
uint64_t textgen_rand(textgen *g);
/* A word index, Zipf-distributed. */
unsigned textgen_word(textgen *g);
/* Prose of about `target` bytes into out (capacity >= target + 64): capitalized
 * sentences, commas, an occasional newline. Returns the length. */
size_t textgen_prose(textgen *g, char *out, size_t target);

/* Write n bytes of generated text as the inside of a JSON string. */
void textgen_json_string(FILE *f, const char *s, size_t n);

#endif
