/* Stemming: libstemmer's Snowball algorithms by ISO 639-3 code (libstemmer accepts the
 * codes itself); for a language Snowball lacks, hunspell's morphological stem (the
 * lemma) with the language's Debian dictionary (hunspell-bg for Bulgarian) when it is
 * installed; prefix truncation for words neither knows. */
#include "xling/stem.h"
#include "xling/xling.h"

#include <hunspell/hunspell.h>
#include <libstemmer.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LANGS 64

/* Hunspell takes microseconds a word (it tries every affix rule), a hundred times
 * Snowball: its answers, already cut to the prefix, are kept in a direct-mapped cache. */
#define HUN_CACHE_SLOTS ((size_t)1 << 15)
#define HUN_CACHE_BYTES 24 /* DPL__STEM_PREFIX_CHARS characters of up to 4 bytes */

typedef struct hun_entry {
    uint64_t key; /* hash of the word; 0: empty */
    uint8_t len;
    char stem[HUN_CACHE_BYTES];
} hun_entry;

typedef struct lang_stemmer {
    char lang[4];
    struct sb_stemmer *sb; /* NULL: no Snowball algorithm */
    Hunhandle *hun;        /* when sb is NULL: hunspell, or NULL: truncate */
    hun_entry *cache;      /* with hun: allocated on first use */
} lang_stemmer;

struct dpl__stemmers {
    lang_stemmer langs[MAX_LANGS];
    size_t count;
    dpl__buf lemma; /* hunspell's answer, copied before its list is freed */
};

/* Hunspell dictionaries (Debian's hunspell-XX packages) for languages Snowball lacks. */
static const char *hunspell_locale(const char *lang)
{
    static const char *const map[][2] = {
        {"bul", "bg_BG"}, {"ukr", "uk_UA"}, {"pol", "pl_PL"}, {"ces", "cs_CZ"},
        {"slk", "sk_SK"}, {"slv", "sl_SI"}, {"hrv", "hr_HR"}, {"bel", "be_BY"},
        {"mkd", "mk_MK"}, {"lav", "lv_LV"}, {"est", "et_EE"}, {"isl", "is_IS"},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcmp(map[i][0], lang) == 0)
            return map[i][1];
    return NULL;
}

/* Only UTF-8 dictionaries: the words given are UTF-8. */
static Hunhandle *open_hunspell(const char *lang)
{
    const char *locale = hunspell_locale(lang);
    if (!locale)
        return NULL;
    char aff[128], dic[128];
    snprintf(aff, sizeof aff, "/usr/share/hunspell/%s.aff", locale);
    snprintf(dic, sizeof dic, "/usr/share/hunspell/%s.dic", locale);
    if (access(aff, R_OK) != 0 || access(dic, R_OK) != 0)
        return NULL;
    Hunhandle *h = Hunspell_create(aff, dic);
    const char *enc = h ? Hunspell_get_dic_encoding(h) : NULL;
    if (h && (!enc || strcmp(enc, "UTF-8") != 0)) {
        Hunspell_destroy(h);
        h = NULL;
    }
    return h;
}

dpl__stemmers *dpl__stemmers_create(void)
{
    return calloc(1, sizeof(dpl__stemmers));
}

void dpl__stemmers_free(dpl__stemmers *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->count; i++) {
        sb_stemmer_delete(st->langs[i].sb);
        if (st->langs[i].hun)
            Hunspell_destroy(st->langs[i].hun);
        free(st->langs[i].cache);
    }
    dpl__buf_free(&st->lemma);
    free(st);
}

int dpl__stem_has_snowball(const char *lang)
{
    struct sb_stemmer *sb = sb_stemmer_new(lang, "UTF_8");
    sb_stemmer_delete(sb);
    return sb != NULL;
}

/* The stemmers of `lang`, opened on first use; NULL when there are none (truncate). */
static lang_stemmer *find_stemmer(dpl__stemmers *st, const char *lang)
{
    for (size_t i = 0; i < st->count; i++)
        if (strcmp(st->langs[i].lang, lang) == 0)
            return &st->langs[i];
    if (st->count == MAX_LANGS)
        return NULL; /* more languages in one corpus than slots: truncate the rest */
    lang_stemmer *slot = &st->langs[st->count++];
    memcpy(slot->lang, lang, strnlen(lang, 3));
    slot->lang[3] = '\0';
    slot->sb = sb_stemmer_new(lang, "UTF_8");
    slot->hun = slot->sb ? NULL : open_hunspell(lang);
    return slot;
}

/* Hunspell's first stem of a word (it wants a NUL-terminated copy); 0 when it knows none. */
static int hunspell_stem(dpl__stemmers *st, Hunhandle *h, const char *word, size_t len,
                         const char **out, size_t *out_len, int *rc)
{
    *rc = DPL_OK;
    if (len >= 256)
        return 0;
    char copy[256];
    memcpy(copy, word, len);
    copy[len] = '\0';
    char **list = NULL;
    int n = Hunspell_stem(h, &list, copy);
    int found = n > 0 && list && list[0][0];
    if (found) {
        dpl__buf_clear(&st->lemma);
        *rc = dpl__buf_append(&st->lemma, list[0], strlen(list[0]));
        *out = st->lemma.data;
        *out_len = st->lemma.len;
    }
    if (list)
        Hunspell_free_list(h, &list, n);
    return found && *rc == DPL_OK;
}

static int is_unspaced_language(const char *lang)
{
    return strcmp(lang, "zho") == 0 || strcmp(lang, "jpn") == 0 || strcmp(lang, "tha") == 0;
}

static uint64_t word_hash(const char *word, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)word[i]) * 0x100000001b3ull;
    return h ? h : 1;
}

/* Without Snowball: hunspell's lemma when it has one (through the cache), else the word,
 * cut to a prefix: inflection is gone, and the truncation still joins derived forms as a
 * stemmer would. */
static int lemma_prefix(dpl__stemmers *st, lang_stemmer *ls, const char *word, size_t len,
                        const char **out, size_t *out_len)
{
    if (!ls || !ls->hun) {
        *out_len = dpl__utf8_prefix(word, len, DPL__STEM_PREFIX_CHARS);
        return DPL_OK;
    }
    if (!ls->cache && !(ls->cache = calloc(HUN_CACHE_SLOTS, sizeof *ls->cache)))
        return DPL_ENOMEM;
    uint64_t key = word_hash(word, len);
    hun_entry *e = &ls->cache[key & (HUN_CACHE_SLOTS - 1)];
    if (e->key == key) {
        *out = e->stem;
        *out_len = e->len;
        return DPL_OK;
    }
    int rc = DPL_OK;
    if (!hunspell_stem(st, ls->hun, word, len, out, out_len, &rc) && rc != DPL_OK)
        return rc;
    *out_len = dpl__utf8_prefix(*out, *out_len, DPL__STEM_PREFIX_CHARS);
    if (*out_len <= HUN_CACHE_BYTES) {
        e->key = key;
        e->len = (uint8_t)*out_len;
        memcpy(e->stem, *out, *out_len);
    }
    return DPL_OK;
}

int dpl__stem(dpl__stemmers *st, const char *lang, const char *word, size_t len,
              const char **out, size_t *out_len)
{
    *out = word;
    *out_len = len;
    if (is_unspaced_language(lang))
        return DPL_OK;
    lang_stemmer *ls = find_stemmer(st, lang);
    struct sb_stemmer *sb = ls ? ls->sb : NULL;
    if (!sb)
        return lemma_prefix(st, ls, word, len, out, out_len);
    if (len > 1000)
        return DPL_OK; /* not a word; spare Snowball the work */
    const sb_symbol *s = sb_stemmer_stem(sb, (const sb_symbol *)word, (int)len);
    if (!s)
        return DPL_ENOMEM;
    *out = (const char *)s;
    *out_len = (size_t)sb_stemmer_length(sb);
    return DPL_OK;
}
