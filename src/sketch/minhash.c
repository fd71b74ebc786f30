/* MinHash by one-permutation hashing with optimal densification (Shrivastava 2017).
 *
 * One 64-bit hash per shingle: its high half picks one of k bins, its low half is the
 * value; each bin keeps its minimum. That is k MinHash values for the price of one hash,
 * instead of k hashes per shingle. Bins that no shingle reached (short documents) borrow
 * the value of a filled bin chosen by a probe sequence seeded with the bin's index, the
 * same for every document, so two documents compare like with like and the estimator
 * stays unbiased. */
#include "sketch/sketch.h"

#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

static inline uint64_t mix(uint64_t x, uint64_t seed)
{
    return XXH3_avalanche(x ^ seed) ^ (seed >> 7);
}

/* Maps a 32-bit value onto [0, k) without a division (Lemire's multiply-shift). */
static inline unsigned bin_of(uint32_t x, unsigned k)
{
    return (unsigned)(((uint64_t)x * k) >> 32);
}

/* Whether a shingle's value is UINT32_MAX, which a bin's initial value cannot tell from
 * an empty bin (one shingle in 4 billion). Without such a shingle, the bins still at
 * UINT32_MAX are the empty ones, and the shingles need no second pass by bin: most
 * documents of a few KB leave a few bins empty. A loop the compiler vectorizes. */
static int some_value_is_max(const uint64_t *shingles, size_t count, uint64_t seed_mix)
{
    int found = 0;
    for (size_t i = 0; i < count; i++)
        found |= (uint32_t)(shingles[i] ^ seed_mix) == UINT32_MAX;
    return found;
}

/* Which bins some shingle reached: needed when a bin still holds UINT32_MAX after the
 * main loop and some shingle's value is UINT32_MAX, so that the value cannot tell. */
static void mark_filled(const uint64_t *shingles, size_t count, unsigned k, uint64_t seed_mix,
                        unsigned char *filled)
{
    memset(filled, 0, k);
    for (size_t i = 0; i < count; i++)
        filled[bin_of((uint32_t)((shingles[i] ^ seed_mix) >> 32), k)] = 1;
}

static inline unsigned probe(unsigned j, uint64_t attempt, unsigned k, uint64_t seed)
{
    uint64_t h = mix(((uint64_t)j << 32) | attempt, seed ^ 0xD6E8FEB86659FD93ull);
    return bin_of((uint32_t)(h >> 32), k);
}

/* The first PROBES bins of every bin's probe sequence. The sequence depends on the bin,
 * k and the seed only, never on the document, yet short documents (a 300-byte one fills
 * about 40 of 128 bins) computed ~200 probes each: densification was a quarter of their
 * job. */
#define PROBES 32

struct dpl__probes {
    unsigned k;
    uint64_t seed;
    uint16_t bins[]; /* k x PROBES */
};

dpl__probes *dpl__probes_create(unsigned k, uint64_t seed)
{
    if (k == 0 || k > DPL_MAX_NUM_PERM)
        return NULL;
    dpl__probes *p = malloc(sizeof *p + (size_t)k * PROBES * sizeof p->bins[0]);
    if (!p)
        return NULL;
    p->k = k;
    p->seed = seed;
    for (unsigned j = 0; j < k; j++)
        for (unsigned a = 0; a < PROBES; a++)
            p->bins[j * PROBES + a] = (uint16_t)probe(j, a + 1, k, seed);
    return p;
}

void dpl__probes_free(dpl__probes *p)
{
    free(p);
}

_Static_assert(PROBES % 8 == 0, "first_filled() tests the probes eight at a time");

/* The first filled bin among a bin's PROBES tabled probes, into *c; else *attempt is the
 * first untabled one. Eight probes a step as a bit mask: where the first filled one lies
 * is random, and a loop that stops at it mispredicted its exit about once a bin. */
static int first_filled(const uint16_t *probes, const unsigned char *filled, unsigned *c,
                        uint64_t *attempt)
{
    for (unsigned base = 0; base < PROBES; base += 8) {
        unsigned mask = 0;
        for (unsigned a = 0; a < 8; a++)
            mask |= (unsigned)filled[probes[base + a]] << a;
        if (mask) {
            *c = probes[base + (unsigned)__builtin_ctz(mask)];
            return 1;
        }
    }
    *attempt = PROBES + 1;
    return 0;
}

/* Optimal densification: an empty bin j probes bins with a hash of (j, attempt) until
 * a filled one turns up, and takes its value; at least one bin is filled, so this ends.
 * The first PROBES attempts come from the table when there is one. */
static void densify(uint32_t *sig, const unsigned char *filled, unsigned k, uint64_t seed,
                    const dpl__probes *table)
{
    for (unsigned j = 0; j < k; j++) {
        if (filled[j])
            continue;
        uint64_t attempt = 1;
        unsigned c = 0;
        int found = table && first_filled(&table->bins[j * PROBES], filled, &c, &attempt);
        while (!found) {
            c = probe(j, attempt++, k, seed);
            found = filled[c];
        }
        sig[j] = sig[c];
    }
}

int dpl__minhash_with(const uint64_t *shingles, size_t count, unsigned k, uint64_t seed,
                      const dpl__probes *table, uint32_t *sig)
{
    if (k == 0 || k > DPL_MAX_NUM_PERM || !sig || (!shingles && count) ||
        (table && (table->k != k || table->seed != seed)))
        return DPL_EINVAL;
    for (unsigned i = 0; i < k; i++)
        sig[i] = UINT32_MAX;
    /* Shingle hashes are already avalanched (uniform 64-bit values), so XOR with a
     * mixed seed is enough to draw a fresh permutation per seed; densification below
     * mixes fully because its inputs are small integers. The minimum is taken without a
     * branch: early in a document most shingles lower their bin, later few do, and a
     * branch would be mispredicted through the change. */
    uint64_t seed_mix = mix(seed, 0x8EBC6AF09C88C6E3ull);
    for (size_t i = 0; i < count; i++) {
        uint64_t h = shingles[i] ^ seed_mix;
        unsigned bin = bin_of((uint32_t)(h >> 32), k);
        uint32_t v = (uint32_t)h, old = sig[bin];
        sig[bin] = v < old ? v : old;
    }
    if (count == 0)
        return DPL_OK;
    unsigned j = 0;
    while (j < k && sig[j] != UINT32_MAX)
        j++;
    if (j == k)
        return DPL_OK; /* every bin reached */
    unsigned char filled[DPL_MAX_NUM_PERM];
    if (some_value_is_max(shingles, count, seed_mix))
        mark_filled(shingles, count, k, seed_mix, filled);
    else /* then a bin left at UINT32_MAX is one no shingle reached */
        for (unsigned b = 0; b < k; b++)
            filled[b] = sig[b] != UINT32_MAX;
    densify(sig, filled, k, seed, table);
    return DPL_OK;
}

int dpl_minhash(const uint64_t *shingles, size_t count, unsigned k, uint64_t seed,
                uint32_t *sig)
{
    return dpl__minhash_with(shingles, count, k, seed, NULL, sig);
}

double dpl_minhash_jaccard(const uint32_t *a, const uint32_t *b, unsigned k)
{
    if (!k)
        return 0;
    unsigned equal = 0;
    for (unsigned i = 0; i < k; i++)
        equal += a[i] == b[i];
    return (double)equal / k;
}
