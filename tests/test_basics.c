/* Versions, errors, the exact fingerprint and the first-seen table. */
#include "check.h"
#include "doppel.h"
#include "match/match.h"

#include <stdlib.h>

/* The table finds the first document of every hash through its growth, and hashes that
 * share a home slot and the 32 bits its slots keep (which it then tells apart by the
 * whole hash) stay distinct. */
static void test_first_table(void)
{
    dpl__first_table t = {0};
    uint32_t first = 0;
    enum { N = 5000 };
    for (uint32_t d = 0; d < N; d++) {
        dpl_hash128 h = {(uint64_t)d * 0x9E3779B97F4A7C15ull, d % 7}; /* hi: tags repeat */
        CHECK_EQ_INT(dpl__first_insert(&t, h, d, &first), DPL_OK);
        CHECK_EQ_INT(first, d);
    }
    CHECK(t.cap >= 1024 && t.count == N);
    int right = 0;
    for (uint32_t d = 0; d < N; d++) {
        dpl_hash128 h = {(uint64_t)d * 0x9E3779B97F4A7C15ull, d % 7};
        right += dpl__first_insert(&t, h, N + d, &first) == DPL_OK && first == d;
    }
    CHECK_EQ_INT(right, N);
    CHECK_EQ_INT(t.count, N);
    /* same tag (so the same home) and low half, other high bits: a different hash */
    dpl_hash128 twin = {0, (uint64_t)1 << 40};
    CHECK_EQ_INT(dpl__first_insert(&t, twin, 9000, &first), DPL_OK);
    CHECK_EQ_INT(first, 9000);
    dpl_hash128 twin_again = {0, (uint64_t)1 << 40};
    CHECK_EQ_INT(dpl__first_insert(&t, twin_again, 9001, &first), DPL_OK);
    CHECK_EQ_INT(first, 9000);
    dpl_hash128 zero = {0, 0}; /* document 0's hash */
    CHECK_EQ_INT(dpl__first_insert(&t, zero, 9002, &first), DPL_OK);
    CHECK_EQ_INT(first, 0);
    dpl__first_free(&t);
    CHECK(t.slots == NULL && t.count == 0);
}

static dpl_hash128 hash_of(uint32_t d)
{
    return (dpl_hash128){d, (uint64_t)d * 0x9E3779B97F4A7C15ull};
}

/* Sized ahead, then filled past the size: every hash found again; sizing a table that
 * holds hashes keeps them. */
static void test_first_presize(void)
{
    dpl__first_table t = {0};
    uint32_t first = 0;
    int ok = 0;
    CHECK_EQ_INT(dpl__first_presize(&t, 3000), DPL_OK);
    CHECK(t.cap * 3 >= 3001 * 4 && t.hashes_cap >= 3000 && t.docs_cap >= 3000);
    for (uint32_t d = 0; d < 2000; d++)
        ok += dpl__first_insert(&t, hash_of(d), d, &first) == DPL_OK && first == d;
    CHECK_EQ_INT(dpl__first_presize(&t, 100000), DPL_OK); /* grows the slots, rehashing */
    for (uint32_t d = 2000; d < 9000; d++)
        ok += dpl__first_insert(&t, hash_of(d), d, &first) == DPL_OK && first == d;
    for (uint32_t d = 0; d < 9000; d++)
        ok += dpl__first_insert(&t, hash_of(d), d + 1, &first) == DPL_OK && first == d;
    CHECK_EQ_INT(ok, 18000);
    CHECK_EQ_INT(t.count, 9000);
    dpl__first_free(&t);
}

/* Arrays that cross 2 MiB move to huge-page blocks: their contents come along, and
 * dpl__calloc_big gives zeroed memory on both sides of the line. */
static void test_big_arrays(void)
{
    uint32_t *a = NULL;
    size_t cap = 0, wrong = 0;
    for (uint32_t i = 0; i < (3u << 20); i++) { /* 12 MiB by the end */
        if (dpl__grow((void **)&a, &cap, i + 1, sizeof *a) != DPL_OK)
            break;
        a[i] = i * 2654435761u;
    }
    for (uint32_t i = 0; i < (3u << 20); i++)
        wrong += a[i] != i * 2654435761u;
    CHECK_EQ_INT(wrong, 0);
    free(a);
    for (size_t n = 1000; n <= 1000000; n *= 1000) {
        unsigned char *z = dpl__calloc_big(n, 8);
        CHECK(z != NULL);
        size_t nonzero = 0;
        for (size_t i = 0; z && i < n * 8; i++)
            nonzero += z[i] != 0;
        CHECK_EQ_INT(nonzero, 0);
        free(z);
    }
}

/* Hashes with tags drawn from `top_bits` high bits at random (the rest set), through
 * several growths: every one found again, at its first document. With few bits, probe
 * runs are long and wrap around the table's end, where growth starts its walk. */
static void check_first_random(int n, unsigned top_bits)
{
    dpl__first_table t = {0};
    uint64_t x = 0x9E3779B97F4A7C15ull ^ top_bits;
    uint32_t first = 0;
    int new_ok = 0, found = 0;
    uint64_t *lo = malloc((size_t)n * sizeof *lo), *hi = malloc((size_t)n * sizeof *hi);
    for (int d = 0; d < n; d++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        lo[d] = x;
        uint32_t tag = (uint32_t)(x >> 32) | (uint32_t)((uint64_t)UINT32_MAX >> top_bits);
        hi[d] = (uint64_t)d << 32 | tag; /* other high bits: distinct hashes */
        new_ok += dpl__first_insert(&t, (dpl_hash128){lo[d], hi[d]}, (uint32_t)d, &first) ==
                      DPL_OK && first == (uint32_t)d;
    }
    for (int d = 0; d < n; d++)
        found += dpl__first_insert(&t, (dpl_hash128){lo[d], hi[d]}, (uint32_t)(n + d), &first) ==
                     DPL_OK && first == (uint32_t)d;
    CHECK_EQ_INT(new_ok, n);
    CHECK_EQ_INT(found, n);
    CHECK_EQ_INT(t.count, (size_t)n);
    free(lo);
    free(hi);
    dpl__first_free(&t);
}

int main(void)
{
    test_first_table();
    check_first_random(100000, 32);
    check_first_random(3000, 8);
    check_first_random(3000, 1);
    test_first_presize();
    test_big_arrays();
    CHECK_EQ_INT(dpl_version_number(), DPL_VERSION_NUMBER);
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", DPL_VERSION_MAJOR, DPL_VERSION_MINOR,
             DPL_VERSION_PATCH);
    CHECK_EQ_STR(dpl_version_string(), want);
    CHECK(strlen(dpl_unicode_version()) >= 5);
    CHECK(strlen(dpl_icu_version()) >= 2);
    CHECK_EQ_INT(dpl_struct_size("dpl_options"), sizeof(dpl_options));
    CHECK_EQ_INT(dpl_struct_size("dpl_index_stats"), sizeof(dpl_index_stats));
    CHECK_EQ_INT(dpl_struct_size("dpl_match"), sizeof(dpl_match));
    CHECK_EQ_INT(dpl_struct_size("no_such_struct"), 0);
    CHECK_EQ_INT(dpl_struct_size(NULL), 0);

    CHECK_EQ_STR(dpl_errname(DPL_OK), "DPL_OK");
    CHECK_EQ_STR(dpl_errname(DPL_ENOMEM), "DPL_ENOMEM");
    CHECK_EQ_STR(dpl_errname(DPL_EEOF), "DPL_EEOF");
    CHECK_EQ_STR(dpl_strerror(DPL_EJSON), "malformed JSON");
    CHECK_EQ_STR(dpl_strerror(12345), "unknown error");
    CHECK_EQ_STR(dpl_errname(-1000), "unknown");
    /* every code has its own name and a sentence */
    for (int e = DPL__ERR_FIRST + 1; e < DPL__ERR_LAST; e++) {
        CHECK(e < 0);
        CHECK(strcmp(dpl_errname(e), "unknown") != 0);
        CHECK(strcmp(dpl_strerror(e), "unknown error") != 0);
    }

    dpl_hash128 a = dpl_exact_hash("hello world", 11);
    dpl_hash128 b = dpl_exact_hash("hello world", 11);
    dpl_hash128 c = dpl_exact_hash("hello worle", 11);
    CHECK(a.lo == b.lo && a.hi == b.hi);
    CHECK(a.lo != c.lo || a.hi != c.hi);
    /* the fingerprint is XXH3-128: pin one value so a silent change of hash is caught */
    dpl_hash128 empty = dpl_exact_hash("", 0);
    CHECK(empty.lo == 0x6001C324468D497Full && empty.hi == 0x99AA06D3014798D8ull);
    return check_report("test_basics");
}
