/* json-c side of bench_json: parse one line, return the text length. */
#include <json-c/json.h>
#include <stddef.h>
#include <string.h>
size_t parse_jsonc(const char *line, size_t len);

size_t parse_jsonc(const char *line, size_t len)
{
    struct json_tokener *tok = json_tokener_new();
    struct json_object *root = json_tokener_parse_ex(tok, line, (int)len);
    size_t got = 0;
    struct json_object *text, *id;
    if (root && json_object_object_get_ex(root, "text", &text) &&
        json_object_object_get_ex(root, "id", &id) && json_object_is_type(text, json_type_string))
        got = (size_t)json_object_get_string_len(text);
    json_object_put(root);
    json_tokener_free(tok);
    return got;
}
