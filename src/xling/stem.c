/* Stemming: libstemmer's Snowball algorithms by ISO 639-3 code (libstemmer accepts the
 * codes itself), with prefix truncation for the languages it lacks. */
#include "xling/stem.h"

#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LANGS 64

typedef struct lang_stemmer {
    char lang[4];
    struct sb_stemmer *sb; /* NULL: no Snowball algorithm, truncate */
} lang_stemmer;

struct dpl__stemmers {
    lang_stemmer langs[MAX_LANGS];
    size_t count;
};

dpl__stemmers *dpl__stemmers_create(void)
{
    return calloc(1, sizeof(dpl__stemmers));
}

void dpl__stemmers_free(dpl__stemmers *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->count; i++)
        sb_stemmer_delete(st->langs[i].sb);
    free(st);
}

int dpl__stem_has_snowball(const char *lang)
{
    struct sb_stemmer *sb = sb_stemmer_new(lang, "UTF_8");
    sb_stemmer_delete(sb);
    return sb != NULL;
}

/* The stemmer of `lang`, opened on first use. NULL in *out means "truncate". */
static int find_stemmer(dpl__stemmers *st, const char *lang, struct sb_stemmer **out)
{
    for (size_t i = 0; i < st->count; i++) {
        if (strcmp(st->langs[i].lang, lang) == 0) {
            *out = st->langs[i].sb;
            return DPL_OK;
        }
    }
    *out = NULL;
    if (st->count == MAX_LANGS)
        return DPL_OK; /* more languages in one corpus than slots: truncate the rest */
    *out = sb_stemmer_new(lang, "UTF_8");
    lang_stemmer *slot = &st->langs[st->count++];
    memcpy(slot->lang, lang, strnlen(lang, 3));
    slot->lang[3] = '\0';
    slot->sb = *out;
    return DPL_OK;
}

static int is_unspaced_language(const char *lang)
{
    return strcmp(lang, "zho") == 0 || strcmp(lang, "jpn") == 0 || strcmp(lang, "tha") == 0;
}

/* Byte length of the first `chars` UTF-8 characters of word. */
static size_t prefix_bytes(const char *word, size_t len, size_t chars)
{
    size_t i = 0;
    while (i < len && chars > 0) {
        i++;
        while (i < len && ((unsigned char)word[i] & 0xC0) == 0x80)
            i++;
        chars--;
    }
    return i;
}

int dpl__stem(dpl__stemmers *st, const char *lang, const char *word, size_t len,
              const char **out, size_t *out_len)
{
    *out = word;
    *out_len = len;
    if (is_unspaced_language(lang))
        return DPL_OK;
    struct sb_stemmer *sb = NULL;
    DPL_TRY(find_stemmer(st, lang, &sb));
    if (!sb) {
        *out_len = prefix_bytes(word, len, DPL__STEM_PREFIX_CHARS);
        return DPL_OK;
    }
    if (len > 1000)
        return DPL_OK; /* not a word; spare Snowball the work */
    const sb_symbol *s = sb_stemmer_stem(sb, (const sb_symbol *)word, (int)len);
    if (!s)
        return DPL_ENOMEM;
    *out = (const char *)s;
    *out_len = (size_t)sb_stemmer_length(sb);
    return DPL_OK;
}
