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

#define FIRST_CAPACITY ((size_t)4 << 10)

struct dpl__json_fast {
    simdjson::dom::parser parser;
};

dpl__json_fast *dpl__json_fast_create(void)
{
    try {
        dpl__json_fast *f = new dpl__json_fast{simdjson::dom::parser(DPL__JSON_FAST_MAX_LINE)};
        /* The depth set here stays: simdjson keeps it when it grows the buffers. */
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

/* Which of the three names `key` is: 0-2, or -1. */
static int field_index(std::string_view key, const char *const names[3])
{
    for (int i = 0; i < 3; i++)
        if (key == names[i])
            return i;
    return -1;
}

int dpl__json_fast_parse(dpl__json_fast *f, const char *line, size_t len,
                         const char *const names[3], dpl__json_str out[3])
{
    if (len > DPL__JSON_FAST_MAX_LINE)
        return 0;
    try {
        /* Buffers grow in powers of two up to DPL__JSON_FAST_MAX_LINE, not line by line
         * (simdjson alone would grow them to each new longest line). */
        size_t cap = f->parser.capacity();
        if (cap < len) {
            while (cap < len)
                cap *= 2;
            if (f->parser.allocate(cap < DPL__JSON_FAST_MAX_LINE ? cap : DPL__JSON_FAST_MAX_LINE,
                                   DPL__JSON_FAST_MAX_DEPTH) != simdjson::SUCCESS)
                return 0;
        }
        simdjson::dom::object obj;
        /* parse() copies the line into a padded buffer of the parser's (simdjson reads
         * up to 64 bytes past the end). */
        if (f->parser.parse(line, len).get_object().get(obj) != simdjson::SUCCESS)
            return 0;
        for (int i = 0; i < 3; i++)
            out[i] = dpl__json_str{nullptr, 0};
        for (simdjson::dom::key_value_pair field : obj) {
            if (std::memchr(field.key.data(), '\0', field.key.size()))
                return 0; /* json-c would cut the key at the NUL */
            int i = field_index(field.key, names);
            if (i < 0)
                continue;
            std::string_view s;
            if (out[i].s || field.value.get_string().get(s) != simdjson::SUCCESS)
                return 0; /* named twice, or not a string: json-c decides */
            /* DOM strings are NUL-terminated in the parser's string buffer. */
            out[i] = dpl__json_str{s.data(), s.size()};
        }
        return out[1].s != nullptr;
    } catch (...) {
        return 0;
    }
}
