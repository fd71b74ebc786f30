/* simdjson side of bench_json: parse one line with the DOM API (which validates all of
 * it, as doppel's fast path needs), return the text length. One parser for the run, as
 * doppel keeps one per thread. */
#include <cstddef>
#include <string_view>

#include <simdjson.h>

extern "C" size_t parse_simdjson(const char *line, size_t len);

size_t parse_simdjson(const char *line, size_t len)
{
    static simdjson::dom::parser parser;
    simdjson::dom::object obj;
    std::string_view text, id;
    if (parser.parse(line, len).get_object().get(obj) != simdjson::SUCCESS ||
        obj["text"].get_string().get(text) != simdjson::SUCCESS ||
        obj["id"].get_string().get(id) != simdjson::SUCCESS)
        return 0;
    return text.size();
}
