/* jansson side of bench_json: parse one line, return the text length. */
#include <jansson.h>
#include <stddef.h>
#include <string.h>
size_t parse_jansson(const char *line, size_t len);

size_t parse_jansson(const char *line, size_t len)
{
    json_error_t err;
    json_t *root = json_loadb(line, len, JSON_ALLOW_NUL, &err);
    size_t got = 0;
    json_t *text = json_object_get(root, "text");
    json_t *id = json_object_get(root, "id");
    if (json_is_string(text) && json_is_string(id))
        got = json_string_length(text);
    json_decref(root);
    return got;
}
