/* The script stage: segmentation of scripts without spaces, Traditional-Simplified folding,
 * transliteration; and the spaced tokenizer that reads its output. */
#define _GNU_SOURCE
#include "check.h"
#include "doppel.h"
#include "text/text.h"

#include <stdlib.h>

/* Normalize with the defaults, then apply a script stage made with `o`; returns a copy. */
static char *staged(const dpl_script_options *o, const char *text)
{
    dpl_normalizer *n = dpl_normalizer_create(0);
    dpl_script *sc = NULL;
    const char *norm, *out = "";
    size_t len, out_len = 0;
    CHECK_EQ_INT(dpl_normalize(n, text, strlen(text), &norm, &len, NULL), DPL_OK);
    CHECK_EQ_INT(dpl_script_create(o, 0, &sc), DPL_OK);
    if (sc)
        CHECK_EQ_INT(dpl_script_apply(sc, norm, len, &out, &out_len), DPL_OK);
    char *copy = strndup(out, out_len);
    dpl_script_free(sc);
    dpl_normalizer_free(n);
    return copy;
}

static void expect(const dpl_script_options *o, const char *text, const char *want)
{
    char *got = staged(o, text);
    CHECK_EQ_STR(got, want);
    free(got);
}

static const dpl_script_options translit = {0};
static const dpl_script_options translit_words = {.segment = DPL_SEGMENT_WORDS};
static const dpl_script_options plain = {.no_translit = 1};
static const dpl_script_options words = {.no_translit = 1, .segment = DPL_SEGMENT_WORDS};
static const dpl_script_options chars = {.no_translit = 1, .segment = DPL_SEGMENT_CHARS};
static const dpl_script_options simplify = {.no_translit = 1, .han_simplify = 1,
                                            .segment = DPL_SEGMENT_WORDS};

static void test_ascii_untouched(void)
{
    dpl_script *sc;
    CHECK_EQ_INT(dpl_script_create(NULL, 0, &sc), DPL_OK);
    const char *text = "plain ascii text, no work to do", *out;
    size_t len;
    CHECK_EQ_INT(dpl_script_apply(sc, text, strlen(text), &out, &len), DPL_OK);
    CHECK(out == text); /* returned as it is, not copied */
    CHECK_EQ_INT(len, strlen(text));
    CHECK_EQ_INT(dpl_script_apply(sc, "", 0, &out, &len), DPL_OK);
    CHECK_EQ_INT(len, 0);
    dpl_script_free(sc);
}

static void test_segmentation(void)
{
    /* By default Han and kana go by character, Thai by dictionary word. */
    expect(&plain, "成都是中国", "成 都 是 中 国");
    expect(&plain, "ภาษาไทยเป็นภาษาที่สวยงาม", "ภาษา ไทย เป็น ภาษา ที่ สวยงาม");
    expect(&plain, "東京ภาษาไทย", "東 京 ภาษา ไทย");
    expect(&words, "成都是中国的城市", "成都 是 中国 的 城市");
    expect(&chars, "ภาษา", "ภ า ษ า");
    /* The prolonged sound mark is Common script but belongs to the katakana word. */
    expect(&words, "コーヒーを飲む", "コーヒー を 飲む");
    /* Spaced scripts and ASCII around unspaced ones are left as they are. */
    expect(&words, "Москва и 東京で tower", "москва и 東京 で tower");
    expect(&words, "hello東京tower", "hello 東京 tower");
    expect(&plain, "한국어 서울", "한국어 서울");
}

static void test_simplify(void)
{
    expect(&simplify, "東京國際機場", "东京 国际 机场");
    expect(&words, "東京國際機場", "東京 國際機場");
}

static void test_transliteration(void)
{
    /* Syllables of one word stay one word: ICU's own spaces are dropped. */
    expect(&translit_words, "成都是中国的城市", "chengdou shi zhongguo de chengshi");
    expect(&translit, "成都是中国", "cheng dou shi zhong guo");
    /* Serbian in Cyrillic meets Serbian in Latin letters, digraphs included. */
    char *cyr = staged(&translit, "Ђорђе и Љиљана су њихови људи, џеп и ћерка.");
    char *lat = staged(&translit, "Đorđe i Ljiljana su njihovi ljudi, džep i ćerka.");
    CHECK_EQ_STR(cyr, lat);
    CHECK_EQ_STR(cyr, "dorde i ljiljana su njihovi ljudi dzep i cerka");
    free(cyr);
    free(lat);
    /* Soft signs do not split a word. */
    expect(&translit, "объявить", "obavit");
    expect(&translit, "Ελληνικά σοφία", "ellenika sophia");
    expect(&translit_words, "コーヒー カタカナ", "kohi katakana");
    expect(&translit, "コーヒー カタカナ", "ko hi ka ta ka na"); /* ー stays with コ */
    expect(&translit, "हिन्दी भाषा", "hindi bhasa");
    expect(&translit_words, "hello東京tower café", "hello dongjing tower cafe");
    /* Traditional and Simplified meet through their readings too. */
    char *hant = staged(&translit, "這是繁體中文的報紙");
    char *hans = staged(&translit, "这是繁体中文的报纸");
    CHECK_EQ_STR(hant, hans);
    free(hant);
    free(hans);
}

static void test_custom_and_bad_ids(void)
{
    dpl_script_options cyr = {.translit = "Cyrillic-Latin"};
    /* Only Cyrillic changes; the result is normalized again (the diacritics go). */
    expect(&cyr, "Чехов и Ελλάδα", "cehov i ελλαδα");
    dpl_script *sc = (dpl_script *)1;
    dpl_script_options bad = {.translit = "No-Such-Transform"};
    CHECK_EQ_INT(dpl_script_create(&bad, 0, &sc), DPL_ETRANSLIT);
    CHECK(sc == NULL);
    dpl_script_options bad_segment = {.segment = (dpl_segment_mode)7};
    CHECK_EQ_INT(dpl_script_create(&bad_segment, 0, &sc), DPL_EINVAL);
    CHECK_EQ_STR(dpl_errname(DPL_ETRANSLIT), "DPL_ETRANSLIT");
}

static uint64_t rng(uint64_t *st)
{
    *st ^= *st << 13;
    *st ^= *st >> 7;
    *st ^= *st << 17;
    return *st;
}

static uint32_t decode(const char *s, size_t *i)
{
    const unsigned char *u = (const unsigned char *)s + *i;
    int n = u[0] < 0x80 ? 1 : u[0] < 0xE0 ? 2 : u[0] < 0xF0 ? 3 : 4;
    uint32_t cp = n == 1 ? u[0] : u[0] & (0x7F >> n);
    for (int k = 1; k < n; k++)
        cp = (cp << 6) | (u[k] & 0x3F);
    *i += (size_t)n;
    return cp;
}

/* Any-Latin; Latin-ASCII writes ASCII, but for U+02BF (ayin, which Latin-ASCII keeps),
 * and leaves Lao and Khmer, for which ICU has no transform to Latin. */
static int is_latin_output(uint32_t cp)
{
    return cp < 0x80 || cp == 0x2BF || (cp >= 0x0E80 && cp <= 0x0EFF) ||
           (cp >= 0x1780 && cp <= 0x17FF);
}

/* Random text from pieces of many scripts: the output is single-spaced, Latin (but for
 * what ICU cannot transliterate), and the same from a clone as from the original. */
static void test_random_mixtures(void)
{
    static const char *const pieces[] = {
        "abc",  "東京",   "で",    "コーヒー", "ภาษา", "ไทย", "москва", "ђак", "σοφία",
        "עברית", "العربية", "हिन्दी", "한국어",   "42",    " ",    "中国",   "ລາວ",  "ខ្មែរ",
        "မြန်မာ", "ß",     "é",      "ь",      " ь ",   "ъ ь"}; /* soft and hard signs: nothing */
    dpl_script *a, *b;
    CHECK_EQ_INT(dpl_script_create(NULL, 0, &a), DPL_OK);
    CHECK_EQ_INT(dpl_script_clone(a, &b), DPL_OK);
    dpl_script *uncached;
    CHECK_EQ_INT(dpl_script_clone(a, &uncached), DPL_OK);
    dpl__script_disable_run_cache(uncached);
    dpl_normalizer *n = dpl_normalizer_create(0);
    uint64_t st = 0x5eed;
    int bad = 0;
    for (int round = 0; round < 2000; round++) {
        char text[1024] = "";
        int parts = 1 + (int)(rng(&st) % 12);
        for (int p = 0; p < parts; p++)
            strcat(text, pieces[rng(&st) % (sizeof pieces / sizeof *pieces)]);
        const char *norm, *x, *y;
        size_t len, xl, yl;
        dpl_normalize(n, text, strlen(text), &norm, &len, NULL);
        if (dpl_script_apply(a, norm, len, &x, &xl) != DPL_OK) {
            bad++;
            continue;
        }
        char *first = strndup(x, xl);
        CHECK_EQ_INT(dpl_script_apply(b, norm, len, &y, &yl), DPL_OK);
        if (xl != yl || memcmp(first, y, xl) != 0)
            bad++;
        /* the run cache changes nothing: the same as every run processed afresh */
        CHECK_EQ_INT(dpl_script_apply(uncached, norm, len, &y, &yl), DPL_OK);
        if (xl != yl || memcmp(first, y, xl) != 0)
            bad++;
        if (strstr(first, "  ") || (xl && (first[0] == ' ' || first[xl - 1] == ' ')))
            bad++;
        for (size_t i = 0; i < xl;)
            bad += !is_latin_output(decode(first, &i));
        free(first);
    }
    CHECK_EQ_INT(bad, 0);
    dpl_normalizer_free(n);
    dpl_script_free(a);
    dpl_script_free(b);
    dpl_script_free(uncached);
}

/* Cases a review found: a supplementary-plane Han character right after ASCII letters,
 * '_' as a word character when punctuation is kept, and runs longer than the stage's
 * 1 MiB cut, which must not glue the characters on both sides of the cut. */
static void test_edges(void)
{
    expect(&words, "abc\xF0\xA0\x80\x80", "abc \xF0\xA0\x80\x80"); /* U+20000 */
    unsigned flags = DPL_NORM_NFKC | DPL_NORM_CASEFOLD | DPL_NORM_WHITESPACE; /* no PUNCT */
    dpl_normalizer *n = dpl_normalizer_create(flags);
    dpl_script *sc;
    CHECK_EQ_INT(dpl_script_create(&words, flags, &sc), DPL_OK);
    const char *norm, *out;
    size_t len, out_len;
    dpl_normalize(n, "abc_\xE4\xB8\xAD", 7, &norm, &len, NULL);
    CHECK_EQ_INT(dpl_script_apply(sc, norm, len, &out, &out_len), DPL_OK);
    dpl_token t[4];
    CHECK_EQ_INT(dpl_tokenize_spaced(out, out_len, t, 4), 2);
    dpl_script_free(sc);
    dpl_normalizer_free(n);

    size_t count = 1500000; /* 4.5 MB of 中 in one run: cut four times */
    char *text = malloc(count * 3);
    for (size_t i = 0; i < count; i++)
        memcpy(text + 3 * i, "\xE4\xB8\xAD", 3);
    CHECK_EQ_INT(dpl_script_create(&chars, 0, &sc), DPL_OK);
    CHECK_EQ_INT(dpl_script_apply(sc, text, count * 3, &out, &out_len), DPL_OK);
    CHECK_EQ_INT(out_len, count * 4 - 1); /* every character a word */
    CHECK_EQ_INT(dpl_tokenize_spaced(out, out_len, NULL, 0), count);
    dpl_script_free(sc);
    CHECK_EQ_INT(dpl_script_create(&translit, 0, &sc), DPL_OK);
    CHECK_EQ_INT(dpl_script_apply(sc, text, count * 3, &out, &out_len), DPL_OK);
    CHECK_EQ_INT(out_len, count * 6 - 1); /* "zhong zhong ..." */
    dpl_script_free(sc);
    free(text);
}

static void test_spaced_tokens(void)
{
    dpl_token t[16];
    const char *text = "東京 で コーヒー";
    CHECK_EQ_INT(dpl_tokenize(text, strlen(text), t, 16), 7); /* one per character */
    CHECK_EQ_INT(dpl_tokenize_spaced(text, strlen(text), t, 16), 3);
    dpl_shingler *sh = dpl_shingler_create(DPL_SHINGLE_SPACED_WORDS, 2);
    const uint64_t *s;
    size_t count;
    CHECK(sh != NULL);
    CHECK_EQ_INT(dpl_shingle(sh, text, strlen(text), &s, &count), DPL_OK);
    CHECK_EQ_INT(count, 2);
    dpl_shingler_free(sh);
}

int main(void)
{
    test_ascii_untouched();
    test_segmentation();
    test_simplify();
    test_transliteration();
    test_custom_and_bad_ids();
    test_random_mixtures();
    test_edges();
    test_spaced_tokens();
    return check_report("test_script");
}
