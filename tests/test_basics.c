/* Versions, errors and the exact fingerprint. */
#include "check.h"
#include "doppel.h"

int main(void)
{
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
