/* The simdjson fast path of JSONL parsing (json_fast.h): the C++ shim over simdjson's DOM
 * API, which validates the whole line, unlike its On-Demand API, which leaves skipped
 * values unchecked (a line json-c rejects must not pass here). Errors come back as codes
 * (no exceptions from simdjson's .get()); the allocations that may throw are caught, so
 * nothing throws into C. */
#include "io/json_fast.h"

#include <cstring>
#include <new>
#include <string_view>

#include <simdjson.h>

/* Buffers for a line of this many bytes to start with; simdjson grows them as needed. */
#define FIRST_CAPACITY ((size_t)4 << 10)

struct dpl__json_fast {
    simdjson::dom::parser parser;
    std::string_view names[3]; /* id, text, lang: lengths measured once */
};

dpl__json_fast *dpl__json_fast_create(const char *const names[3])
{
    try {
        /* (), not {}: clang reads {} as copy-initializing the parser, whose constructor
         * is explicit */
        dpl__json_fast *f = new dpl__json_fast();
        for (int i = 0; i < 3; i++)
            f->names[i] = names[i];
        /* simdjson keeps this depth when it grows the buffers. */
        if (f->parser.allocate(FIRST_CAPACITY, DPL__JSON_FAST_MAX_DEPTH) != simdjson::SUCCESS) {
            delete f;
            return nullptr;
        }
        return f;
    } catch (...) {
        return nullptr;
    }
}

void dpl__json_fast_free(dpl__json_fast *f)
{
    delete f;
}

/* simdjson 3.0 rejects a byte order mark; later versions may skip one at the start of a
 * document, which json-c calls malformed. The reader removes it from a file's first line
 * only, so such a line must stay json-c's. */
static bool starts_with_bom(const char *line, size_t len)
{
    return len >= 3 && std::memcmp(line, "\xEF\xBB\xBF", 3) == 0;
}

/* Puts the value of `field` into each of out[0..2] whose name it has (two options may
 * name one field, as json-c then gives both its value). 0 when json-c must decide. */
static int take_field(const simdjson::dom::key_value_pair &field,
                      const std::string_view names[3], dpl__json_str out[3])
{
    if (std::memchr(field.key.data(), '\0', field.key.size()))
        return 0; /* json-c would cut the key at the NUL */
    for (int i = 0; i < 3; i++) {
        if (field.key != names[i])
            continue;
        std::string_view s;
        if (out[i].s || field.value.get_string().get(s) != simdjson::SUCCESS)
            return 0; /* named twice, or not a string */
        /* DOM strings are NUL-terminated in the parser's string buffer. */
        out[i] = dpl__json_str{s.data(), s.size()};
    }
    return 1;
}

static_assert(simdjson::SIMDJSON_PADDING <= 64, "a padded record has DPL__RAW_PADDING (64) bytes after it");

int dpl__json_fast_parse(dpl__json_fast *f, const char *line, size_t len, int padded,
                         dpl__json_str out[3])
{
    if (len > DPL__JSON_FAST_MAX_LINE || starts_with_bom(line, len))
        return 0;
    try {
        simdjson::dom::object obj;
        /* simdjson reads up to 64 bytes past the end: parse() copies a line without them
         * into a padded buffer. It grows its buffers to the longest line yet, at the depth
         * set in dpl__json_fast_create. */
        if (f->parser.parse(line, len, !padded).get_object().get(obj) != simdjson::SUCCESS)
            return 0;
        for (int i = 0; i < 3; i++)
            out[i] = dpl__json_str{nullptr, 0};
        for (simdjson::dom::key_value_pair field : obj)
            if (!take_field(field, f->names, out))
                return 0;
        return out[1].s != nullptr;
    } catch (...) {
        return 0;
    }
}

const char *dpl__json_fast_kernel(void)
{
    /* The name lives in simdjson's static implementation table. */
    return simdjson::get_active_implementation()->name().data();
}
