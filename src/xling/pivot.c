/* Words to pivot terms. English words are stemmed; words of other languages are stemmed
 * in their language and looked up in the dictionary (Chinese by longest match, German and
 * other compounding languages split against it when whole words miss); what is still
 * unknown (names, numbers, loanwords) is transliterated to Latin and stemmed as English,
 * so "Трамп" and "Trump" at least share their numbers and cognates. */
#include "xling/pivot.h"

#include "xling/stem.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

/* Case is kept at first, to tell names, then folded word by word. */
#define NORM_FLAGS (DPL_NORM_NFKC | DPL_NORM_PUNCT | DPL_NORM_WHITESPACE)
#define FOLD_FLAGS (DPL_NORM_NFKC | DPL_NORM_CASEFOLD)
/* Skeletons shorter than this match too much by chance. */
#define MIN_SKELETON 3
#define MAX_TERMS_PER_TOKEN 6
/* Compound parts shorter than this are too ambiguous to trust ("ab", "ein"). */
#define MIN_PART_CHARS 4
#define MAX_COMPOUND_PARTS 4
#define MAX_ZHO_WORD_CHARS 8
/* Shorter spellings meet by chance too often to count as cognates. */
#define MIN_COGNATE_CHARS 5

struct dpl__pivot {
    const dpl_dict *dict;
    dpl_normalizer *norm;
    dpl_normalizer *fold;
    dpl__stemmers *stemmers;
    dpl_script *script;
    dpl_token *tokens;
    size_t cap_tokens;
    dpl__buf word; /* scratch: a word copied out of a stemmer or transliterator buffer */
};

int dpl__pivot_create(const dpl_dict *dict, const dpl_script *script, dpl__pivot **out)
{
    *out = NULL;
    dpl__pivot *p = calloc(1, sizeof *p);
    if (!p)
        return DPL_ENOMEM;
    p->dict = dict;
    p->norm = dpl_normalizer_create(NORM_FLAGS);
    p->fold = dpl_normalizer_create(FOLD_FLAGS);
    p->stemmers = dpl__stemmers_create();
    int rc = p->norm && p->fold && p->stemmers ? dpl_script_clone(script, &p->script)
                                               : DPL_ENOMEM;
    if (rc != DPL_OK) {
        dpl__pivot_free(p);
        return rc;
    }
    *out = p;
    return DPL_OK;
}

void dpl__pivot_free(dpl__pivot *p)
{
    if (!p)
        return;
    dpl_normalizer_free(p->norm);
    dpl_normalizer_free(p->fold);
    dpl__stemmers_free(p->stemmers);
    dpl_script_free(p->script);
    free(p->tokens);
    dpl__buf_free(&p->word);
    free(p);
}

void dpl__pivot_text_free(dpl__pivot_text *pt)
{
    free(pt->terms);
    free(pt->weights);
    free(pt->first);
    free(pt->kind);
    memset(pt, 0, sizeof *pt);
}

/* ---- output ------------------------------------------------------------------------ */

static int add_term(dpl__pivot_text *out, uint64_t term, float weight)
{
    size_t cap = out->cap_terms;
    DPL_TRY(dpl__grow((void **)&out->terms, &cap, out->n_terms + 1, sizeof *out->terms));
    cap = out->cap_terms;
    DPL_TRY(dpl__grow((void **)&out->weights, &cap, out->n_terms + 1, sizeof *out->weights));
    out->cap_terms = cap;
    out->terms[out->n_terms] = term;
    out->weights[out->n_terms++] = weight;
    return DPL_OK;
}

/* Close the token whose terms were added since the last call (none: no token). */
static int end_token(dpl__pivot_text *out, enum dpl__token_kind kind)
{
    if (out->n_terms == out->first[out->n_tokens])
        return DPL_OK;
    size_t cap = out->cap_tokens;
    DPL_TRY(dpl__grow((void **)&out->first, &cap, out->n_tokens + 2, sizeof *out->first));
    out->cap_tokens = cap;
    DPL_TRY(dpl__grow((void **)&out->kind, &out->cap_kind, out->n_tokens + 1,
                      sizeof *out->kind));
    out->kind[out->n_tokens++] = (uint8_t)kind;
    out->first[out->n_tokens] = (uint32_t)out->n_terms;
    return DPL_OK;
}

/* ---- words ------------------------------------------------------------------------- */

static int is_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return len > 0;
}

/* An English word: function words dropped, others stemmed. */
static int add_english(dpl__pivot *p, const char *w, size_t len, float weight,
                       dpl__pivot_text *out)
{
    if (len < 2 || dpl__eng_stopword(w, len))
        return DPL_OK;
    const char *stem;
    size_t stem_len;
    DPL_TRY(dpl__stem(p->stemmers, "eng", w, len, &stem, &stem_len));
    return add_term(out, dpl__pivot_hash(stem, stem_len), weight);
}

/* A consonant skeleton of a Latin spelling, so that a name meets its transliteration:
 * Trump and Трамп ("tramp") are both "trmp", Johnson and Джонсон ("dzonson") "jnsn".
 * Vowels and h go, digraphs that transliterations spell differently are unified, and
 * doubled letters collapse. */
static int add_skeleton(const char *w, size_t len, dpl__pivot_text *out)
{
    char sk[64];
    size_t n = 0;
    sk[n++] = '~'; /* never equal to a word's own term */
    for (size_t i = 0; i < len && n + 2 < sizeof sk; i++) {
        char c = w[i], next = i + 1 < len ? w[i + 1] : 0;
        if (strchr("aeiouyh'", c))
            continue;
        if ((c == 'd' && (next == 'z' || next == 'j')) || (c == 'z' && next == 'h')) {
            c = 'j'; /* dzh, dz, dj, zh: the sounds of English j */
            i++;
        } else if (c == 'c' || c == 'q') {
            c = 'k';
        } else if (c == 'w') {
            c = 'v';
        } else if (c == 'x') {
            sk[n++] = 'k';
            c = 's';
        }
        if (sk[n - 1] != c)
            sk[n++] = c;
    }
    if (n - 1 < MIN_SKELETON)
        return DPL_OK;
    return add_term(out, dpl__pivot_hash(sk, n), DPL__PIVOT_SET_WEIGHT);
}

/* Look a key up; on a hit add its terms (nothing for a function word). Returns 1 on a
 * hit, 0 on a miss, or a negative error. */
static int add_entry(dpl__pivot *p, const char *lang, const char *key, size_t len,
                     dpl__pivot_text *out)
{
    const uint32_t *terms;
    const float *weights;
    size_t n = dpl__dict_lookup(p->dict, lang, key, len, &terms, &weights);
    if (n == 0)
        return 0;
    if (terms[0] == DPL__DICT_FUNCTION_WORD)
        return 1;
    for (size_t i = 0; i < n && i < MAX_TERMS_PER_TOKEN; i++) {
        if (weights[i] < DPL__PIVOT_MIN_WEIGHT || terms[i] == DPL__DICT_FUNCTION_WORD)
            continue;
        if (add_term(out, dpl__dict_term_hash(p->dict, terms[i]), weights[i]) != DPL_OK)
            return -DPL_ENOMEM;
    }
    return 1;
}

static int lookup_word(dpl__pivot *p, const char *lang, const char *w, size_t len,
                       dpl__pivot_text *out)
{
    const char *stem;
    size_t stem_len;
    int rc = dpl__stem(p->stemmers, lang, w, len, &stem, &stem_len);
    if (rc != DPL_OK)
        return -rc;
    return add_entry(p, lang, stem, stem_len, out);
}

static int is_compounding(const char *lang)
{
    static const char *const langs[] = {"deu", "nld", "swe", "dan", "nor", "nob", "isl"};
    for (size_t i = 0; i < sizeof langs / sizeof *langs; i++)
        if (strcmp(lang, langs[i]) == 0)
            return 1;
    return 0;
}

/* Is w[0..len) a chain of known words (each at least MIN_PART_CHARS, a linking "s" allowed
 * after a part)? Greedy: the longest known head first. Adds the parts' terms, each part a
 * token, only when the whole chain is known. Returns 1, 0, or a negative error. */
static int split_compound(dpl__pivot *p, const char *lang, const char *w, size_t len,
                          int depth, dpl__pivot_text *out)
{
    size_t chars = dpl__utf8_count(w, len);
    if (depth == MAX_COMPOUND_PARTS || chars < 2 * MIN_PART_CHARS)
        return 0;
    for (size_t head = chars - MIN_PART_CHARS; head >= MIN_PART_CHARS; head--) {
        size_t hb = dpl__utf8_prefix(w, len, head);
        size_t mark_terms = out->n_terms, mark_tokens = out->n_tokens;
        int hit = lookup_word(p, lang, w, hb, out);
        if (hit < 0)
            return hit;
        if (!hit)
            continue;
        if (end_token(out, DPL__TOKEN_WORD) != DPL_OK)
            return -DPL_ENOMEM;
        const char *rest = w + hb;
        size_t rest_len = len - hb;
        for (int linked = 0; linked < 2; linked++) {
            if (linked) {
                if (rest_len < 2 || rest[0] != 's')
                    break;
                rest++, rest_len--; /* the linking s of "Arbeitsmarkt" */
            }
            int tail = lookup_word(p, lang, rest, rest_len, out);
            if (tail < 0)
                return tail;
            if (tail)
                return end_token(out, DPL__TOKEN_WORD) == DPL_OK ? 1 : -DPL_ENOMEM;
            tail = split_compound(p, lang, rest, rest_len, depth + 1, out);
            if (tail != 0)
                return tail;
        }
        out->n_terms = mark_terms;
        out->n_tokens = mark_tokens;
    }
    return 0;
}

/* A word the dictionary lacks: its Latin transliteration, stemmed as English. A name
 * (capitalized) also gets its skeleton, and a place in the term set. */
/* The word's Latin spelling (ASCII letters and digits only) into p->word. */
static int latin_spelling(dpl__pivot *p, const char *w, size_t len, const char **out)
{
    const char *latin;
    size_t latin_len;
    DPL_TRY(dpl_script_apply(p->script, w, len, &latin, &latin_len));
    dpl__buf_clear(&p->word);
    for (size_t i = 0; i < latin_len; i++) {
        char c = latin[i];
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            DPL_TRY(dpl__buf_putc(&p->word, c));
    }
    *out = p->word.data ? p->word.data : "";
    return DPL_OK;
}

static int add_passthrough(dpl__pivot *p, const char *w, size_t len, int name,
                           dpl__pivot_text *out)
{
    const char *latin_word;
    DPL_TRY(latin_spelling(p, w, len, &latin_word));
    DPL_TRY(add_english(p, latin_word, p->word.len,
                        name ? DPL__PIVOT_SET_WEIGHT : DPL__PIVOT_UNKNOWN_WEIGHT, out));
    if (name)
        DPL_TRY(add_skeleton(latin_word, p->word.len, out));
    return end_token(out, name ? DPL__TOKEN_NAME : DPL__TOKEN_UNKNOWN);
}

static int add_foreign(dpl__pivot *p, const char *lang, const char *w, size_t len, int name,
                       dpl__pivot_text *out)
{
    int hit = lookup_word(p, lang, w, len, out);
    if (hit == 0 && is_compounding(lang))
        hit = split_compound(p, lang, w, len, 0, out);
    if (hit < 0)
        return -hit;
    if (!hit)
        return add_passthrough(p, w, len, name, out);
    if (out->n_terms == out->first[out->n_tokens])
        return DPL_OK; /* a function word */
    /* The spelling too, weakly: cognates and borrowings meet across languages whatever
     * the dictionaries say (Bulgarian "правителство" and Russian "правительство" are
     * both "pravitelstvo", Italian "presidente" and French "président" both "presid"),
     * and a word one dictionary translates still meets its twin that another lacks. */
    const char *latin_word;
    DPL_TRY(latin_spelling(p, w, len, &latin_word));
    if (p->word.len < MIN_COGNATE_CHARS)
        return DPL_OK;
    return add_english(p, latin_word, p->word.len, DPL__PIVOT_UNKNOWN_WEIGHT, out);
}

/* ---- Chinese ------------------------------------------------------------------------ */

static int is_han_token(const char *s, size_t len)
{
    /* Han characters are 3 or 4 UTF-8 bytes; Latin words and numbers are not */
    return (len == 3 && (unsigned char)s[0] >= 0xE3) || (len == 4 && (unsigned char)s[0] == 0xF0);
}

/* Forward maximum matching over a run of adjacent one-character tokens starting at i:
 * the longest dictionary word wins. Returns the tokens consumed (at least 1). */
static size_t add_chinese_word(dpl__pivot *p, const char *text, const dpl_token *tok,
                               size_t i, size_t n, dpl__pivot_text *out, int *rc)
{
    size_t run = 1;
    unsigned max = dpl__dict_max_key_chars(p->dict, "zho");
    if (max > MAX_ZHO_WORD_CHARS)
        max = MAX_ZHO_WORD_CHARS;
    while (i + run < n && run < max && tok[i + run].offset == tok[i + run - 1].offset +
                                                                 tok[i + run - 1].len &&
           is_han_token(text + tok[i + run].offset, tok[i + run].len))
        run++;
    for (size_t take = run; take >= 1; take--) {
        size_t bytes = tok[i + take - 1].offset + tok[i + take - 1].len - tok[i].offset;
        int hit = add_entry(p, "zho", text + tok[i].offset, bytes, out);
        if (hit < 0) {
            *rc = -hit;
            return 1;
        }
        if (hit) {
            *rc = end_token(out, DPL__TOKEN_WORD);
            return take;
        }
    }
    *rc = add_passthrough(p, text + tok[i].offset, tok[i].len, 0, out);
    if (*rc == DPL_OK)
        *rc = end_token(out, DPL__TOKEN_WORD);
    return 1;
}

/* ---- texts ------------------------------------------------------------------------- */

static int tokenize(dpl__pivot *p, const char *text, size_t len, size_t *count)
{
    size_t n = dpl_tokenize(text, len, p->tokens, p->cap_tokens);
    if (n > p->cap_tokens) {
        dpl_token *t = realloc(p->tokens, n * sizeof *t);
        if (!t)
            return DPL_ENOMEM;
        p->tokens = t;
        p->cap_tokens = n;
        n = dpl_tokenize(text, len, p->tokens, p->cap_tokens);
    }
    *count = n;
    return DPL_OK;
}

static int is_capitalized(const char *w, size_t len)
{
    utf8proc_int32_t cp;
    if (utf8proc_iterate((const utf8proc_uint8_t *)w, (utf8proc_ssize_t)len, &cp) <= 0)
        return 0;
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LT;
}

/* One token of the case-preserving text: folded here, then mapped. */
static int map_token(dpl__pivot *p, const char *lang, const char *w, size_t len,
                     dpl__pivot_text *out)
{
    if (is_digits(w, len)) {
        DPL_TRY(add_term(out, dpl__pivot_hash(w, len), DPL__PIVOT_SET_WEIGHT));
        return end_token(out, DPL__TOKEN_NUMBER);
    }
    int name = is_capitalized(w, len);
    const char *folded;
    size_t folded_len;
    DPL_TRY(dpl_normalize(p->fold, w, len, &folded, &folded_len, NULL));
    if (strcmp(lang, "eng") == 0) {
        DPL_TRY(add_english(p, folded, folded_len, DPL__PIVOT_SET_WEIGHT, out));
        if (name && out->n_terms > out->first[out->n_tokens]) {
            DPL_TRY(add_skeleton(folded, folded_len, out));
            return end_token(out, DPL__TOKEN_NAME);
        }
    } else {
        DPL_TRY(add_foreign(p, lang, folded, folded_len, name, out));
    }
    return end_token(out, DPL__TOKEN_WORD);
}

int dpl__pivot_map(dpl__pivot *p, const char *lang, const char *text, size_t len,
                   dpl__pivot_text *out)
{
    out->n_terms = 0;
    out->n_tokens = 0;
    size_t cap = out->cap_tokens;
    DPL_TRY(dpl__grow((void **)&out->first, &cap, 1, sizeof *out->first));
    out->cap_tokens = cap;
    out->first[0] = 0;
    const char *norm;
    size_t norm_len, n;
    DPL_TRY(dpl_normalize(p->norm, text, len, &norm, &norm_len, NULL));
    DPL_TRY(tokenize(p, norm, norm_len, &n));
    int zho = strcmp(lang, "zho") == 0;
    for (size_t i = 0; i < n;) {
        const char *w = norm + p->tokens[i].offset;
        size_t wlen = p->tokens[i].len;
        if (zho && is_han_token(w, wlen)) {
            int rc = DPL_OK;
            i += add_chinese_word(p, norm, p->tokens, i, n, out, &rc);
            DPL_TRY(rc);
            continue;
        }
        DPL_TRY(map_token(p, lang, w, wlen, out));
        i++;
    }
    return DPL_OK;
}
