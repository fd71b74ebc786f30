/* The cross-lingual family: dictionaries (loading, the compiled cache, errors), the pivot
 * mapping, sentences, alignment, dpl_align() and the --xling pass of a job. Everything
 * runs on small dictionaries this test writes, so it needs nothing installed. */
#define _GNU_SOURCE
#include "check.h"
#include "doppel.h"

#include "xling/align.h"
#include "xling/pivot.h"
#include "xling/sentence.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/test_xling.XXXXXX";

static char *path_in(const char *name)
{
    char *p;
    if (asprintf(&p, "%s/%s", dir, name) < 0)
        abort();
    return p;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* A German-English and a bit of Chinese dictionary, enough for the texts below. */
static const char dict_tsv[] =
    "# test dictionary\n"
    "deu\tder\tthe\n"
    "deu\tdie\tthe\n"
    "deu\tdas\tthe\n"
    "deu\tund\tand\n"
    "deu\tin\tin\n"
    "deu\tist\tis\n"
    "deu\that\thas\n"
    "deu\tHaus\thouse\n"
    "deu\tHaus\thome\t1\n"
    "deu\tStadt\tcity\n"
    "deu\tStadt\ttown\t1\n"
    "deu\tRat\tcouncil\n"
    "deu\tbauen\tbuild\n"
    "deu\tneu\tnew\n"
    "deu\tSchule\tschool\n"
    "deu\tKind\tchild\n"
    "deu\tBrücke\tbridge\n"
    "deu\tFluss\triver\n"
    "deu\tWasser\twater\n"
    "deu\tsteigen\trise\n"
    "deu\tMeter\tmetre\n"
    "deu\tMontag\tMonday\n"
    "deu\tbeschließen\tdecide\n"
    "deu\tPlan\tplan\n"
    "deu\tkosten\tcost\n"
    "deu\tMillion\tmillion\n"
    "deu\tEuro\teuro\n"
    "deu\tBürgermeister\tmayor\n"
    "deu\tsagen\tsay\n"
    "deu\tkreativ\tcreative\n"
    "deu\tWirtschaft\teconomy\n"
    "deu\tBahnhof\tstation\n"
    "deu\tgeschlossen\tclosed\n"
    "zho\t人民\tpeople\n"
    "zho\t银行\tbank\n"
    "zho\t人\tperson\n"
    "this line is broken\n"
    "toolong\tx\ty\n";

static const char eng_doc[] =
    "The city council decided on Monday to build a new school.\n"
    "The plan will cost 12 million euro.\n"
    "The mayor Anna Keller said the school is for 400 children.\n"
    "The river rose by 2 metres.\n"
    "The bridge and the station were closed.";

/* The same in German, with a dateline before it. */
static const char deu_doc[] =
    "BERLIN (dpa)\n"
    "Der Stadtrat hat am Montag beschlossen, eine neue Schule zu bauen.\n"
    "Der Plan kostet 12 Millionen Euro.\n"
    "Die Bürgermeisterin Anna Keller sagte, die Schule ist für 400 Kinder.\n"
    "Der Fluss stieg um 2 Meter.\n"
    "Die Brücke und der Bahnhof wurden geschlossen.";

static const char unrelated_doc[] =
    "Ein Orchester spielte gestern Abend vor vollem Saal.\n"
    "Die Musiker kamen aus sieben Ländern.\n"
    "Das Publikum applaudierte lange.";

static dpl_dict *load(const char *cache, int *cached)
{
    char *tsv = path_in("test.tsv");
    const char *paths[] = {tsv};
    char msg[512];
    dpl_dict *d = NULL;
    CHECK_EQ_INT(dpl_dict_load(paths, 1, cache, &d, msg, sizeof msg), DPL_OK);
    if (d && cached)
        *cached = dpl_dict_cached(d);
    free(tsv);
    return d;
}

static void test_dict_load_and_cache(void)
{
    char *cache = path_in("cache");
    int cached = -1;
    dpl_dict *first = load(cache, &cached);
    CHECK_EQ_INT(cached, 0);
    CHECK(strstr(dpl_dict_warnings(first), "2 broken lines skipped") != NULL);
    dpl_dict *second = load(cache, &cached);
    CHECK_EQ_INT(cached, 1);
    CHECK_EQ_INT(dpl_dict_entries(second), dpl_dict_entries(first));
    CHECK_EQ_STR(dpl_dict_languages(second), dpl_dict_languages(first));
    CHECK(strstr(dpl_dict_warnings(second), "2 broken lines skipped") != NULL);
    char out[256];
    CHECK_EQ_INT(dpl_dict_translate(second, "deu", "Häuser", out, sizeof out), DPL_OK);
    CHECK_EQ_STR(out, "hous 1.00 home 0.50"); /* stemmed both sides; the second sense weaker */
    CHECK_EQ_INT(dpl_dict_translate(second, "deu", "der", out, sizeof out), DPL_OK);
    CHECK_EQ_STR(out, "(function word)");
    CHECK_EQ_INT(dpl_dict_translate(second, "deu", "Orchester", out, sizeof out), DPL_OK);
    CHECK_EQ_STR(out, "");
    dpl_dict_free(first);
    dpl_dict_free(second);

    /* A damaged cache file is noticed and rebuilt, not trusted. */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "for f in %s/dict-*.bin; do printf garbage | dd of=$f bs=1 "
                              "seek=200 conv=notrunc 2>/dev/null; done", cache);
    CHECK_EQ_INT(system(cmd), 0);
    dpl_dict *third = load(cache, &cached);
    CHECK_EQ_INT(cached, 0);
    CHECK_EQ_INT(dpl_dict_translate(third, "deu", "Stadt", out, sizeof out), DPL_OK);
    CHECK_EQ_STR(out, "citi 1.00 town 0.50");
    dpl_dict_free(third);
    /* Truncated to nothing: rebuilt too. */
    snprintf(cmd, sizeof cmd, "for f in %s/dict-*.bin; do : > $f; done", cache);
    CHECK_EQ_INT(system(cmd), 0);
    third = load(cache, &cached);
    CHECK_EQ_INT(cached, 0);
    dpl_dict_free(third);
    free(cache);
}

static void test_dict_errors(void)
{
    char msg[512];
    dpl_dict *d = NULL;
    const char *missing[] = {"/nonexistent/dict.tsv"};
    CHECK_EQ_INT(dpl_dict_load(missing, 1, "", &d, msg, sizeof msg), DPL_ENOENT);
    CHECK(d == NULL);
    CHECK(strstr(msg, "/nonexistent/dict.tsv") != NULL);
    char *junk = path_in("junk.bin");
    write_file(junk, "\x01\x02 not a dictionary at all \x03");
    const char *paths[] = {junk};
    int rc = dpl_dict_load(paths, 1, "", &d, msg, sizeof msg);
    CHECK(rc == DPL_EFORMAT);
    CHECK(strstr(msg, junk) != NULL);
    free(junk);
    char *empty = path_in("empty.tsv");
    write_file(empty, "# nothing\n");
    paths[0] = empty;
    rc = dpl_dict_load(paths, 1, "", &d, msg, sizeof msg);
    CHECK(rc == DPL_EFORMAT);
    CHECK(strstr(msg, empty) != NULL);
    free(empty);
}

/* ---- pivot ------------------------------------------------------------------------- */

static int has_term(const dpl__pivot_text *pt, size_t token, const char *english)
{
    uint64_t h = dpl__pivot_hash(english, strlen(english));
    for (uint32_t k = pt->first[token]; k < pt->first[token + 1]; k++)
        if (pt->terms[k] == h)
            return 1;
    return 0;
}

static void test_pivot(const dpl_dict *dict)
{
    dpl_script *script;
    dpl__pivot *p;
    CHECK_EQ_INT(dpl_script_create(NULL, 0, &script), DPL_OK);
    CHECK_EQ_INT(dpl__pivot_create(dict, script, &p), DPL_OK);
    dpl__pivot_text pt = {0};

    /* function words vanish; inflected words meet their headword's stem */
    const char *phrase = "Die Häuser der Stadt";
    CHECK_EQ_INT(dpl__pivot_map(p, "deu", phrase, strlen(phrase), &pt), DPL_OK);
    CHECK_EQ_INT(pt.n_tokens, 2);
    CHECK(has_term(&pt, 0, "hous") && has_term(&pt, 0, "home"));
    CHECK(has_term(&pt, 1, "citi"));
    CHECK_EQ_INT(pt.kind[0], DPL__TOKEN_WORD);

    /* a compound the dictionary lacks is split into words it has */
    const char *compound = "Kreativwirtschaft";
    CHECK_EQ_INT(dpl__pivot_map(p, "deu", compound, strlen(compound), &pt), DPL_OK);
    CHECK_EQ_INT(pt.n_tokens, 2);
    CHECK(has_term(&pt, 0, "creativ"));
    CHECK(has_term(&pt, 1, "economi"));
    /* ... with a linking s */
    const char *linked = "Wirtschaftsstadt";
    CHECK_EQ_INT(dpl__pivot_map(p, "deu", linked, strlen(linked), &pt), DPL_OK);
    CHECK_EQ_INT(pt.n_tokens, 2);
    CHECK(has_term(&pt, 1, "citi"));

    /* Chinese: longest dictionary word first */
    const char *zho = "人民银行";
    CHECK_EQ_INT(dpl__pivot_map(p, "zho", zho, strlen(zho), &pt), DPL_OK);
    CHECK_EQ_INT(pt.n_tokens, 2);
    CHECK(has_term(&pt, 0, "peopl"));
    CHECK(has_term(&pt, 1, "bank"));

    /* numbers pass through; English is stemmed; names get a skeleton that meets their
     * Cyrillic transliteration */
    const char *eng = "Trump said 2019";
    CHECK_EQ_INT(dpl__pivot_map(p, "eng", eng, strlen(eng), &pt), DPL_OK);
    CHECK_EQ_INT(pt.n_tokens, 3);
    CHECK_EQ_INT(pt.kind[0], DPL__TOKEN_NAME);
    CHECK_EQ_INT(pt.kind[2], DPL__TOKEN_NUMBER);
    CHECK(has_term(&pt, 1, "said"));
    CHECK(has_term(&pt, 2, "2019"));
    uint64_t skeleton = pt.terms[pt.first[0] + 1];
    const char *rus = "Трамп";
    CHECK_EQ_INT(dpl__pivot_map(p, "rus", rus, strlen(rus), &pt), DPL_OK);
    CHECK_EQ_INT(pt.n_tokens, 1);
    CHECK_EQ_INT(pt.kind[0], DPL__TOKEN_NAME);
    CHECK(pt.first[1] - pt.first[0] == 2 && pt.terms[pt.first[0] + 1] == skeleton);

    /* a word nobody knows: transliterated, weak, not a name */
    const char *unknown = "орхидея";
    CHECK_EQ_INT(dpl__pivot_map(p, "rus", unknown, strlen(unknown), &pt), DPL_OK);
    CHECK_EQ_INT(pt.n_tokens, 1);
    CHECK_EQ_INT(pt.kind[0], DPL__TOKEN_UNKNOWN);
    CHECK(pt.weights[0] < DPL__PIVOT_SET_WEIGHT);

    /* empty and punctuation-only text: no tokens, no failure */
    CHECK_EQ_INT(dpl__pivot_map(p, "deu", "", 0, &pt), DPL_OK);
    CHECK_EQ_INT(pt.n_tokens, 0);
    CHECK_EQ_INT(dpl__pivot_map(p, "xyz", "!!! ...", 7, &pt), DPL_OK);
    CHECK_EQ_INT(pt.n_tokens, 0);

    dpl__pivot_text_free(&pt);
    dpl__pivot_free(p);
    dpl_script_free(script);
}

/* ---- sentences --------------------------------------------------------------------- */

static void test_sentences(void)
{
    dpl__sentencer *s = dpl__sentencer_create();
    dpl__span *spans = NULL;
    size_t cap = 0, n = 0;
    const char *text = "  Mr. Smith arrived at 9.30 a.m. today. He left!\nNew line without stop\n\n";
    CHECK_EQ_INT(dpl__sentences(s, "eng", text, strlen(text), &spans, &cap, &n), DPL_OK);
    CHECK_EQ_INT(n, 3);
    if (n == 3) {
        CHECK(strncmp(text + spans[0].offset, "Mr. Smith arrived at 9.30 a.m. today.",
                      spans[0].len) == 0 && spans[0].len == 37);
        CHECK(strncmp(text + spans[1].offset, "He left!", spans[1].len) == 0);
        CHECK(strncmp(text + spans[2].offset, "New line without stop", spans[2].len) == 0);
    }
    /* a German ordinal date is not the end of a sentence */
    const char *deu = "Am 5. Januar stieg der Fluss. Im Jahr 2019. Dann fiel er.";
    CHECK_EQ_INT(dpl__sentences(s, "deu", deu, strlen(deu), &spans, &cap, &n), DPL_OK);
    CHECK_EQ_INT(n, 3);
    if (n == 3)
        CHECK_EQ_INT(spans[0].len, strlen("Am 5. Januar stieg der Fluss."));
    /* German and French opening quotes after a full stop start a sentence */
    const char *quoted = "Er sagte es. „Das ist gut“, sagte Anna. Il a parlé. « Le pont », dit-il.";
    CHECK_EQ_INT(dpl__sentences(s, "deu", quoted, strlen(quoted), &spans, &cap, &n), DPL_OK);
    CHECK_EQ_INT(n, 4);
    if (n == 4) {
        CHECK(strncmp(quoted + spans[1].offset, "„Das ist gut“, sagte Anna.", spans[1].len) == 0);
        CHECK(strncmp(quoted + spans[3].offset, "« Le pont », dit-il.", spans[3].len) == 0);
    }
    const char *zho = "今天下雨。明天晴天！";
    CHECK_EQ_INT(dpl__sentences(s, "zho", zho, strlen(zho), &spans, &cap, &n), DPL_OK);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(dpl__sentences(s, "deu", "", 0, &spans, &cap, &n), DPL_OK);
    CHECK_EQ_INT(n, 0);
    free(spans);
    dpl__sentencer_free(s);
}

/* ---- alignment --------------------------------------------------------------------- */

static void test_align(const dpl_dict *dict)
{
    dpl_aligner *w;
    CHECK_EQ_INT(dpl_aligner_create(dict, &w), DPL_OK);
    dpl_alignment al;
    CHECK_EQ_INT(dpl_align(w, "en", eng_doc, strlen(eng_doc), "deu", deu_doc,
                           strlen(deu_doc), &al), DPL_OK);
    CHECK_EQ_STR(al.lang_a, "eng");
    CHECK_EQ_STR(al.lang_b, "deu");
    CHECK_EQ_INT(al.sentences_a, 5);
    CHECK_EQ_INT(al.sentences_b, 6);
    CHECK_EQ_INT(al.n_links, 5);
    for (size_t k = 0; k < al.n_links && k < 5; k++) {
        /* sentence k of the English with sentence k + 1 of the German (after the dateline) */
        CHECK_EQ_INT(al.links[k].a_first, k);
        CHECK_EQ_INT(al.links[k].b_first, k + 1);
        CHECK_EQ_INT(al.links[k].a_count, 1);
        CHECK_EQ_INT(al.links[k].b_count, 1);
    }
    CHECK(al.coverage_a > 0.999);
    CHECK(al.coverage_b > 0.85 && al.coverage_b < 0.99); /* the dateline is not linked */
    CHECK(al.score > 0.9);
    if (al.n_links)
        CHECK(strncmp(deu_doc + al.links[0].b_offset, "Der Stadtrat", 12) == 0);

    /* languages detected when not given */
    CHECK_EQ_INT(dpl_align(w, NULL, eng_doc, strlen(eng_doc), "", deu_doc, strlen(deu_doc),
                           &al), DPL_OK);
    CHECK_EQ_STR(al.lang_a, "eng");
    CHECK_EQ_STR(al.lang_b, "deu");
    CHECK_EQ_INT(al.n_links, 5);

    /* unrelated documents: (almost) nothing links */
    CHECK_EQ_INT(dpl_align(w, "eng", eng_doc, strlen(eng_doc), "deu", unrelated_doc,
                           strlen(unrelated_doc), &al), DPL_OK);
    CHECK(al.score < 0.3);
    /* empty sides */
    CHECK_EQ_INT(dpl_align(w, "eng", "", 0, "deu", deu_doc, strlen(deu_doc), &al), DPL_OK);
    CHECK_EQ_INT(al.n_links, 0);
    CHECK(al.score == 0);
    CHECK_EQ_INT(dpl_align(w, "eng", NULL, 3, "deu", "", 0, &al), DPL_EINVAL);
    dpl_aligner_free(w);
}

/* One long sentence translated as three, and a sentence between two links whose words
 * the dictionary lacks: the first is one 1-3 link, the second is listed (placed by order
 * and length) but does not count in the coverage that decides a translation. */
static void test_align_shapes(const dpl_dict *dict)
{
    static const char one[] =
        "The river rose by 2 feet. The mayor said the city council decided on Monday to "
        "build a new school, the plan will cost 12 million euro and the bridge and the "
        "station were closed. Nobody expected that. The school is for 400 children.";
    static const char three[] =
        "Der Fluss stieg um 2 Fuß. Die Bürgermeisterin sagte, der Stadtrat hat am Montag "
        "beschlossen, eine neue Schule zu bauen. Der Plan kostet 12 Millionen Euro. Die "
        "Brücke und der Bahnhof wurden geschlossen. Niemand rechnete damit. Die Schule ist "
        "für 400 Kinder.";
    dpl_aligner *w;
    CHECK_EQ_INT(dpl_aligner_create(dict, &w), DPL_OK);
    dpl_alignment al;
    CHECK_EQ_INT(dpl_align(w, "eng", one, strlen(one), "deu", three, strlen(three), &al),
                 DPL_OK);
    CHECK_EQ_INT(al.sentences_a, 4);
    CHECK_EQ_INT(al.sentences_b, 6);
    CHECK_EQ_INT(al.n_links, 4);
    static const size_t want[4][4] = {{0, 1, 0, 1}, {1, 1, 1, 3}, {2, 1, 4, 1}, {3, 1, 5, 1}};
    for (size_t k = 0; k < al.n_links && k < 4; k++) {
        CHECK_EQ_INT(al.links[k].a_first, want[k][0]);
        CHECK_EQ_INT(al.links[k].a_count, want[k][1]);
        CHECK_EQ_INT(al.links[k].b_first, want[k][2]);
        CHECK_EQ_INT(al.links[k].b_count, want[k][3]);
    }
    /* "Nobody expected that." is linked but left out of the coverage */
    CHECK(al.coverage_a > 0.8 && al.coverage_a < 0.95);
    CHECK(al.coverage_b > 0.8 && al.coverage_b < 0.95);
    dpl_aligner_free(w);
}

/* Many sentences: the band keeps the DP bounded and the diagonal is still found. */
static void test_align_long(const dpl_dict *dict)
{
    size_t reps = 400;
    char *a = malloc(reps * sizeof eng_doc + 1), *b = malloc(reps * sizeof deu_doc + 1);
    size_t la = 0, lb = 0;
    for (size_t i = 0; i < reps; i++) {
        la += (size_t)sprintf(a + la, "%s\n", eng_doc);
        lb += (size_t)sprintf(b + lb, "%s\n", deu_doc);
    }
    dpl_aligner *w;
    CHECK_EQ_INT(dpl_aligner_create(dict, &w), DPL_OK);
    dpl_alignment al;
    CHECK_EQ_INT(dpl_align(w, "eng", a, la, "deu", b, lb, &al), DPL_OK);
    CHECK_EQ_INT(al.sentences_a, 5 * reps);
    CHECK(al.n_links >= 5 * reps - 2);
    CHECK(al.coverage_a > 0.99);
    /* many sentences against one: the band stays narrow (it once grew to n x n) */
    const char *one = "Der Fluss stieg um 2 Meter.";
    CHECK_EQ_INT(dpl_align(w, "eng", a, la, "deu", one, strlen(one), &al), DPL_OK);
    CHECK(al.n_links <= 1);
    CHECK_EQ_INT(dpl_align(w, "deu", one, strlen(one), "eng", a, la, &al), DPL_OK);
    CHECK(al.n_links <= 1);
    dpl_aligner_free(w);
    free(a);
    free(b);
}

/* ---- the job ----------------------------------------------------------------------- */

static char *run_job(const dpl_dict *dict, const char *input, int threads, const char *name,
                     dpl_summary *sum)
{
    char *pairs = path_in(name);
    dpl_options o;
    dpl_options_init(&o);
    o.xling = 1;
    o.dict = dict;
    o.threads = threads;
    dpl_job *job = dpl_job_create(&o);
    CHECK_EQ_INT(dpl_job_add_input(job, input), DPL_OK);
    CHECK_EQ_INT(dpl_job_set_output(job, DPL_OUTPUT_PAIRS, pairs), DPL_OK);
    char *manifest, *aligned;
    if (asprintf(&manifest, "%s.manifest", pairs) < 0 ||
        asprintf(&aligned, "%s.aligned", pairs) < 0)
        abort();
    CHECK_EQ_INT(dpl_job_set_output(job, DPL_OUTPUT_MANIFEST, manifest), DPL_OK);
    CHECK_EQ_INT(dpl_job_set_output(job, DPL_OUTPUT_ALIGNED, aligned), DPL_OK);
    CHECK_EQ_INT(dpl_job_run(job, sum), DPL_OK);
    dpl_job_free(job);
    free(manifest);
    free(aligned);
    return pairs;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return strdup("");
    char *text = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&text, &cap, '\0', f);
    fclose(f);
    if (n < 0) {
        free(text);
        return strdup("");
    }
    return text;
}

static void json_line(FILE *f, const char *id, const char *lang, const char *text)
{
    fprintf(f, "{\"id\":\"%s\",", id);
    if (lang)
        fprintf(f, "\"lang\":\"%s\",", lang);
    fputs("\"text\":\"", f);
    for (const char *c = text; *c; c++) {
        if (*c == '\n')
            fputs("\\n", f);
        else if (*c == '"')
            fputs("\\\"", f);
        else
            fputc(*c, f);
    }
    fputs("\"}\n", f);
}

static void test_job(const dpl_dict *dict)
{
    char *input = path_in("corpus.jsonl");
    FILE *f = fopen(input, "w");
    json_line(f, "report/eng", "en", eng_doc);
    json_line(f, "concert/deu", NULL, unrelated_doc); /* language detected */
    json_line(f, "report/deu", "de-DE", deu_doc);
    json_line(f, "report/eng-copy", "eng", eng_doc); /* an exact copy */
    fclose(f);
    dpl_summary s1, s2;
    char *p1 = run_job(dict, input, 1, "pairs1.jsonl", &s1);
    char *p2 = run_job(dict, input, 2, "pairs2.jsonl", &s2);
    CHECK_EQ_INT(s1.records, 4);
    CHECK_EQ_INT(s1.kept, 2);
    CHECK_EQ_INT(s1.exact, 1);
    CHECK_EQ_INT(s1.xling, 1);
    char *pairs = slurp(p1), *again = slurp(p2);
    CHECK(strstr(pairs, "\"a\":\"report/eng\",\"b\":\"report/deu\",\"kind\":\"xling\"") != NULL);
    CHECK(strstr(pairs, "\"langs\":[\"eng\",\"deu\"]") != NULL);
    CHECK(strstr(pairs, "\"coverage\":[1.0000,") != NULL);
    CHECK(strstr(pairs, "concert") == NULL);
    CHECK_EQ_STR(pairs, again); /* the same for any number of threads */
    char *manifest_path, *aligned_path;
    if (asprintf(&manifest_path, "%s.manifest", p1) < 0 ||
        asprintf(&aligned_path, "%s.aligned", p1) < 0)
        abort();
    char *manifest = slurp(manifest_path), *aligned = slurp(aligned_path);
    CHECK(strstr(manifest, "\"id\":\"report/deu\",\"source\"") != NULL);
    CHECK(strstr(manifest, "\"kind\":\"xling\",\"rep\":\"report/eng\"") != NULL);
    size_t lines = 0;
    for (const char *c = aligned; *c; c++)
        lines += *c == '\n';
    CHECK_EQ_INT(lines, 5);
    CHECK(strstr(aligned, "\"a_sentences\":[0],\"b_sentences\":[1],\"a_text\":\"The city "
                          "council decided on Monday to build a new school.\"") != NULL);
    free(manifest);
    free(aligned);
    free(manifest_path);
    free(aligned_path);
    free(pairs);
    free(again);
    free(p1);
    free(p2);
    free(input);
}

static void test_job_needs_dict(void)
{
    dpl_options o;
    dpl_options_init(&o);
    o.xling = 1;
    dpl_job *job = dpl_job_create(&o);
    CHECK_EQ_INT(dpl_job_add_input(job, "/dev/null"), DPL_OK);
    CHECK_EQ_INT(dpl_job_run(job, NULL), DPL_EINVAL);
    CHECK(strstr(dpl_job_errmsg(job), "dictionaries") != NULL);
    dpl_job_free(job);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    char *tsv = path_in("test.tsv");
    write_file(tsv, dict_tsv);
    free(tsv);
    test_dict_load_and_cache();
    test_dict_errors();
    dpl_dict *dict = load("", NULL);
    if (dict) {
        test_pivot(dict);
        test_align(dict);
        test_align_shapes(dict);
        test_align_long(dict);
        test_job(dict);
    }
    test_sentences();
    test_job_needs_dict();
    dpl_dict_free(dict);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return check_report("test_xling");
}
