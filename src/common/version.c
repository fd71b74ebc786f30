/* Library, Unicode and ICU versions. Results depend on all three, so they are reported. */
#include "doppel.h"

#include <string.h>

#include <unicode/uversion.h>
#include <utf8proc.h>

unsigned dpl_version_number(void)
{
    return DPL_VERSION_NUMBER;
}

#define DPL__STR2(x) #x
#define DPL__STR(x) DPL__STR2(x)

const char *dpl_version_string(void)
{
    return DPL__STR(DPL_VERSION_MAJOR) "." DPL__STR(DPL_VERSION_MINOR) "." DPL__STR(
        DPL_VERSION_PATCH);
}

const char *dpl_unicode_version(void)
{
    return utf8proc_unicode_version();
}

const char *dpl_icu_version(void)
{
    /* U_ICU_VERSION is the version this was built against; ICU's C API guarantees the
     * runtime library matches it (symbols are suffixed with the major version). */
    return U_ICU_VERSION;
}

size_t dpl_struct_size(const char *name)
{
#define DPL__SIZE(type) {#type, sizeof(type)}
    static const struct {
        const char *name;
        size_t size;
    } sizes[] = {
        DPL__SIZE(dpl_options),     DPL__SIZE(dpl_reader_options), DPL__SIZE(dpl_script_options),
        DPL__SIZE(dpl_summary),     DPL__SIZE(dpl_record),         DPL__SIZE(dpl_token),
        DPL__SIZE(dpl_hash128),     DPL__SIZE(dpl_alignment),      DPL__SIZE(dpl_align_link),
        DPL__SIZE(dpl_index_stats), DPL__SIZE(dpl_match),
    };
#undef DPL__SIZE
    for (size_t i = 0; name && i < sizeof sizes / sizeof *sizes; i++)
        if (strcmp(sizes[i].name, name) == 0)
            return sizes[i].size;
    return 0;
}
