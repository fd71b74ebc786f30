/* cJSON side of bench_json: parse one line, return the text length. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <string.h>
size_t parse_cjson(const char *line, size_t len);

size_t parse_cjson(const char *line, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(line, len);
    size_t got = 0;
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(root, "text");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    if (cJSON_IsString(text) && cJSON_IsString(id))
        got = strlen(text->valuestring);
    cJSON_Delete(root);
    return got;
}
