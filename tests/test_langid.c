/* Language identification (src/xling/langid.c): sentences written for this test, texts
 * with nothing to go on, the script rule, the bound on what is read, invalid UTF-8, clones
 * and a handle shared between threads; then, when the ntrex-dev corpus is present (path in
 * argv[1]), the accuracy on its documents. */
#define _GNU_SOURCE
#include "check.h"
#include "doppel.h"
#include "xling/langid.h"

#include <dirent.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct sample {
    const char *lang;
    const char *text;
} sample;

/* Two sentences per language, written for this test. */
static const sample samples[] = {
    {"eng", "The old bridge over the river was closed for repairs after the storm damaged "
            "its railings last winter."},
    {"eng", "Our neighbours grow tomatoes, beans and pumpkins in a small garden behind the "
            "library."},
    {"deu", "Die alte Brücke über den Fluss wurde gesperrt, weil der Sturm im letzten Winter "
            "das Geländer beschädigt hat."},
    {"deu", "Unsere Nachbarn ziehen Tomaten, Bohnen und Kürbisse in einem kleinen Garten "
            "hinter der Bücherei."},
    {"fra", "Le vieux pont sur la rivière a été fermé pour des travaux après que la tempête "
            "a abîmé ses garde-corps l'hiver dernier."},
    {"fra", "Nos voisins cultivent des tomates, des haricots et des citrouilles dans un petit "
            "jardin derrière la bibliothèque."},
    {"spa", "El viejo puente sobre el río se cerró por obras después de que la tormenta "
            "dañara sus barandillas el invierno pasado."},
    {"spa", "Nuestros vecinos cultivan tomates, judías y calabazas en un pequeño huerto detrás "
            "de la biblioteca."},
    {"ita", "Il vecchio ponte sul fiume è stato chiuso per lavori dopo che la tempesta ne ha "
            "danneggiato le ringhiere l'inverno scorso."},
    {"ita", "I nostri vicini coltivano pomodori, fagioli e zucche in un piccolo orto dietro la "
            "biblioteca."},
    {"bul", "Старият мост над реката беше затворен за ремонт, след като бурята повреди "
            "парапетите му миналата зима."},
    {"bul", "Нашите съседи отглеждат домати, боб и тикви в малка градина зад библиотеката."},
    {"rus", "Старый мост через реку закрыли на ремонт после того, как буря повредила его "
            "перила прошлой зимой."},
    {"rus", "Наши соседи выращивают помидоры, фасоль и тыквы в маленьком огороде за "
            "библиотекой."},
    {"zho", "去年冬天暴风雨损坏了河上那座老桥的栏杆，之后它就因维修而关闭了。"},
    {"zho", "我们的邻居在图书馆后面的小菜园里种西红柿、豆子和南瓜。"},
    {"zho", "我們的鄰居在圖書館後面的小菜園裡種番茄、豆子和南瓜。"}, /* Traditional */
    {"jpn", "私たちの隣人は図書館の裏にある小さな畑でトマトと豆とかぼちゃを育てています。"},
    {"kor", "우리 이웃은 도서관 뒤에 있는 작은 텃밭에서 토마토와 콩과 호박을 기릅니다."},
    {"ell", "Οι γείτονές μας καλλιεργούν ντομάτες, φασόλια και κολοκύθες σε έναν μικρό κήπο "
            "πίσω από τη βιβλιοθήκη."},
    {"por", "Os nossos vizinhos cultivam tomates, feijões e abóboras numa pequena horta atrás "
            "da biblioteca."},
    {"nld", "Onze buren kweken tomaten, bonen en pompoenen in een kleine moestuin achter de "
            "bibliotheek."},
    {"ukr", "Наші сусіди вирощують помідори, квасолю та гарбузи на невеликому городі за "
            "бібліотекою."},
};
#define SAMPLES (sizeof samples / sizeof *samples)

static dpl__langid *id;

static void expect(const char *text, size_t len, const char *want)
{
    char lang[4] = "???";
    CHECK_EQ_INT(dpl__langid_detect(id, text, len, lang), DPL_OK);
    CHECK_EQ_STR(lang, want);
    if (strcmp(lang, want) != 0)
        fprintf(stderr, "  text: %.60s\n", text);
}

static void expect_str(const char *text, const char *want)
{
    expect(text, strlen(text), want);
}

static void test_samples(void)
{
    for (size_t i = 0; i < SAMPLES; i++)
        expect_str(samples[i].text, samples[i].lang);
}

static void test_nothing_to_go_on(void)
{
    expect_str("", "und");
    expect(NULL, 0, "und");
    expect_str("12345 678 90", "und");
    expect_str("  \n\t  ", "und");
    expect_str("!!! ??? ... --- ***", "und");
    expect_str("3.14159 + 2.71828 = 5.85987", "und");
    expect_str("a", "und");
    expect_str("中", "und"); /* one character is no evidence, even for the script rule */

    char lang[4];
    CHECK_EQ_INT(dpl__langid_detect(NULL, "text", 4, lang), DPL_EINVAL);
    CHECK_EQ_STR(lang, "und");
    CHECK_EQ_INT(dpl__langid_detect(id, NULL, 4, lang), DPL_EINVAL);
    CHECK_EQ_INT(dpl__langid_detect(id, "text", 4, NULL), DPL_EINVAL);
}

/* Texts too short for CLD2, placed by their script. */
static void test_script_rule(void)
{
    expect_str("北京欢迎你", "zho");
    expect_str("すしとてんぷら", "jpn");
    expect_str("서울 지하철", "kor");
    expect_str("Καλημέρα κόσμε", "ell");
    expect_str("שלום עולם", "heb");
    expect_str("ภาษาไทย", "tha");
    expect_str("北京 Beijing", "und"); /* two Han letters against seven Latin: no rule */
}

/* A buffer of `total` bytes: `head` repeated until `head_bytes`, then `tail` repeated. */
static char *repeated(const char *head, size_t head_bytes, const char *tail, size_t total)
{
    char *s = malloc(total + 1);
    size_t n = 0, hl = strlen(head), tl = strlen(tail);
    while (n + hl <= head_bytes && n + hl <= total) {
        memcpy(s + n, head, hl);
        n += hl;
    }
    while (n + tl <= total) {
        memcpy(s + n, tail, tl);
        n += tl;
    }
    memset(s + n, ' ', total - n);
    s[total] = '\0';
    return s;
}

static void test_bounded(void)
{
    /* Only the first DPL__LANGID_MAX_BYTES bytes count: German there, 16 MB of Russian
     * after it. */
    size_t total = 16u << 20;
    char *s = repeated(samples[2].text, DPL__LANGID_MAX_BYTES + 200, samples[12].text, total);
    expect(s, total, "deu");
    free(s);

    /* A cut inside a two-byte Cyrillic letter drops the letter whole, so what CLD2 sees
     * is still valid UTF-8 (CLD2 gives up on invalid text). */
    int split = 0;
    for (size_t offset = 0; offset < 16 && !split; offset++) {
        char *r = repeated("x", offset, samples[13].text, 3 * DPL__LANGID_MAX_BYTES);
        if (((unsigned char)r[DPL__LANGID_MAX_BYTES] & 0xC0) == 0x80) {
            split = 1;
            expect(r, 3 * DPL__LANGID_MAX_BYTES, "rus");
        }
        free(r);
    }
    CHECK(split);
}

static uint64_t next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return *state >> 33;
}

static void test_invalid_utf8(void)
{
    /* Stray bytes, an overlong slash, controls CLD2 refuses, a NUL and a cut sequence. */
    static const char german[] = "Unsere Nachbarn\xff ziehen Tomaten,\xc0\xaf Bohnen und "
                                 "K\x80rbisse\x0b in einem\x01 kleinen\x7f Garten\xc2\x85 "
                                 "hinter\0 der B\xc3\xbc" "cherei und dem Rathaus.\xc3";
    expect(german, sizeof german - 1, "deu");

    uint64_t state = 42;
    char buf[700];
    for (int round = 0; round < 2000; round++) {
        size_t len = next_random(&state) % sizeof buf;
        for (size_t i = 0; i < len; i++)
            buf[i] = (char)next_random(&state);
        char lang[4] = "???";
        CHECK_EQ_INT(dpl__langid_detect(id, buf, len, lang), DPL_OK);
        CHECK(strlen(lang) == 3 && lang[0] >= 'a' && lang[0] <= 'z');
    }
}

static void test_clone(void)
{
    dpl__langid *copy = NULL;
    CHECK_EQ_INT(dpl__langid_clone(id, &copy), DPL_OK);
    CHECK(copy != NULL);
    for (size_t i = 0; copy && i < SAMPLES; i++) {
        char a[4], b[4];
        const char *t = samples[i].text;
        CHECK_EQ_INT(dpl__langid_detect(id, t, strlen(t), a), DPL_OK);
        CHECK_EQ_INT(dpl__langid_detect(copy, t, strlen(t), b), DPL_OK);
        CHECK_EQ_STR(a, b);
    }
    dpl__langid_free(copy);
    dpl__langid_free(NULL);
    CHECK_EQ_INT(dpl__langid_clone(NULL, &copy), DPL_EINVAL);
    CHECK(copy == NULL);
}

/* One handle, many threads at once: the same answers as one thread. */
static void test_shared(void)
{
    enum { ROUNDS = 64 };
    static char got[ROUNDS * SAMPLES][4];
    int failed = 0;
#pragma omp parallel for schedule(dynamic) reduction(+ : failed)
    for (int k = 0; k < (int)(ROUNDS * SAMPLES); k++) {
        const char *t = samples[k % SAMPLES].text;
        failed += dpl__langid_detect(id, t, strlen(t), got[k]) != DPL_OK;
    }
    CHECK_EQ_INT(failed, 0);
    size_t same = 0;
    for (size_t k = 0; k < ROUNDS * SAMPLES; k++)
        same += strcmp(got[k], samples[k % SAMPLES].lang) == 0;
    CHECK_EQ_INT(same, ROUNDS * SAMPLES);
}

/* ---- ntrex-dev ------------------------------------------------------------------- */

typedef struct tally {
    char lang[4];
    size_t docs, whole, first;
} tally;

static tally *tally_for(tally *t, size_t *n, const char *lang)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(t[i].lang, lang) == 0)
            return &t[i];
    memset(&t[*n], 0, sizeof *t);
    snprintf(t[*n].lang, sizeof t[*n].lang, "%s", lang);
    return &t[(*n)++];
}

static int compare_tally(const void *a, const void *b)
{
    return strcmp(((const tally *)a)->lang, ((const tally *)b)->lang);
}

/* Detect one JSONL line's document, whole and by its first line (sentence). */
static void score_line(const char *line, tally *t, size_t *nt)
{
    json_object *o = json_tokener_parse(line), *jl, *jt;
    if (!o || !json_object_object_get_ex(o, "lang", &jl) ||
        !json_object_object_get_ex(o, "text", &jt)) {
        CHECK(!"ntrex-dev line with lang and text");
        json_object_put(o);
        return;
    }
    char want[4] = "";
    snprintf(want, sizeof want, "%s", json_object_get_string(jl)); /* "zho-CN": "zho" */
    const char *text = json_object_get_string(jt);
    size_t len = (size_t)json_object_get_string_len(jt);
    const char *nl = memchr(text, '\n', len);
    char whole[4], first[4];
    CHECK_EQ_INT(dpl__langid_detect(id, text, len, whole), DPL_OK);
    CHECK_EQ_INT(dpl__langid_detect(id, text, nl ? (size_t)(nl - text) : len, first), DPL_OK);
    tally *s = tally_for(t, nt, want);
    s->docs++;
    s->whole += strcmp(whole, want) == 0;
    s->first += strcmp(first, want) == 0;
    json_object_put(o);
}

static void test_ntrex(const char *dir)
{
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d) {
        printf("test_langid: skipping the ntrex-dev accuracy test: %s%s\n",
               dir ? "cannot open " : "no corpus path given", dir ? dir : "");
        return;
    }
    tally t[64];
    size_t nt = 0;
    struct dirent *e;
    while ((e = readdir(d)) && nt < 64) {
        size_t nl = strlen(e->d_name);
        if (nl < 6 || strcmp(e->d_name + nl - 6, ".jsonl") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        CHECK(f != NULL);
        char *line = NULL;
        size_t cap = 0;
        while (f && getline(&line, &cap, f) > 0)
            score_line(line, t, &nt);
        free(line);
        if (f)
            fclose(f);
    }
    closedir(d);
    qsort(t, nt, sizeof *t, compare_tally);
    size_t docs = 0, whole = 0, first = 0;
    printf("ntrex-dev  docs  whole  first sentence\n");
    for (size_t i = 0; i < nt; i++) {
        printf("%-9s %5zu %5.1f%% %5.1f%%\n", t[i].lang, t[i].docs, 100.0 * t[i].whole / t[i].docs,
               100.0 * t[i].first / t[i].docs);
        docs += t[i].docs;
        whole += t[i].whole;
        first += t[i].first;
    }
    CHECK(docs > 0);
    if (docs) {
        printf("%-9s %5zu %5.1f%% %5.1f%%\n", "all", docs, 100.0 * whole / docs,
               100.0 * first / docs);
        CHECK(whole >= 0.98 * docs);
    }
}

int main(int argc, char **argv)
{
    char msg[256];
    CHECK_EQ_INT(dpl__langid_create(&id, msg, sizeof msg), DPL_OK);
    if (!id) {
        fprintf(stderr, "test_langid: %s\n", msg);
        return check_report("test_langid");
    }
    CHECK_EQ_STR(msg, "");
    test_samples();
    test_nothing_to_go_on();
    test_script_rule();
    test_bounded();
    test_invalid_utf8();
    test_clone();
    test_shared();
    test_ntrex(argc > 1 ? argv[1] : NULL);
    dpl__langid_free(id);
    return check_report("test_langid");
}
