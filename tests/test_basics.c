/* Versions, errors, the exact fingerprint and the first-seen table. */
#include "check.h"
#include "doppel.h"
#include "match/match.h"

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
    /* same low half and same tag, other high bits: a different hash */
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

int main(void)
{
    test_first_table();
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
