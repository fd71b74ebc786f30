/* Fuzz target: sentence alignment (dpl_align) and the pivot mapping under it, on a small
 * German, Chinese, French and Russian dictionary that the target writes and loads once.
 * The first byte picks the languages: bits 0-2 for text A, bits 3-5 for text B, each one
 * of eng deu zho rus fra und "" and the 3 bytes that follow (any bytes: a code the
 * library must cope with); bit 6 passes NULL for "" (detect); bit 7 repeats the alignment
 * on a second aligner, whose caches have seen other texts. The rest is the two texts,
 * split at the first 0x1E byte, or in the middle when there is none.
 *
 * Checks: dpl_align succeeds; the links are in document order and do not overlap, each
 * pairs 1 or 2 sentences with 1 or 2 within sentences_a/sentences_b, and its byte spans
 * lie inside the texts in order; coverages, scores and each link's score are within
 * [0, 1] and the score is the mean of the coverages; the languages are 3-letter codes;
 * the same inputs aligned again give the same result to the bit. The pivot mapping of
 * each text in its language: first[] starts at 0 and rises with every token (a token owns
 * at least one term), first[n_tokens] == n_terms, token kinds and term weights in range,
 * and a second mapping gives the same terms. */
#define _GNU_SOURCE
#include "doppel.h"
#include "replay.h"
#include "xling/pivot.h"

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_align: %s\n", what);
        abort();
    }
}

static const char dict_tsv[] =
    "deu\tder\tthe\n"
    "deu\tdie\tthe\n"
    "deu\tdas\tthe\n"
    "deu\tund\tand\n"
    "deu\tist\tis\n"
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
    "deu\tkosten\tcost\n"
    "deu\tMillion\tmillion\n"
    "deu\tBürgermeister\tmayor\n"
    "deu\tsagen\tsay\n"
    "deu\tWirtschaft\teconomy\n"
    "deu\tBahnhof\tstation\n"
    "deu\tArbeit\twork\n"
    "deu\tMarkt\tmarket\n"
    "deu\tRegierung\tgovernment\n"
    "deu\tJahr\tyear\n"
    "zho\t人民\tpeople\n"
    "zho\t银行\tbank\n"
    "zho\t人\tperson\n"
    "zho\t城市\tcity\n"
    "zho\t学校\tschool\n"
    "zho\t政府\tgovernment\n"
    "zho\t经济\teconomy\n"
    "zho\t河\triver\n"
    "zho\t水\twater\n"
    "zho\t桥\tbridge\n"
    "zho\t市长\tmayor\n"
    "zho\t新\tnew\n"
    "zho\t建\tbuild\n"
    "zho\t年\tyear\n"
    "zho\t星期一\tMonday\n"
    "zho\t中华人民共和国\tPeople's Republic of China\n"
    "fra\tmaison\thouse\n"
    "fra\tville\tcity\n"
    "fra\técole\tschool\n"
    "fra\tle\tthe\n"
    "fra\tgouvernement\tgovernment\n"
    "rus\tдом\thouse\n"
    "rus\tгород\tcity\n"
    "rus\tшкола\tschool\n"
    "rus\tправительство\tgovernment\n";

static struct {
    dpl_dict *dict;
    dpl_aligner *aligner, *other;
    dpl__pivot *pivot;
} g;

static void setup(void)
{
    const char *tmp = getenv("TMPDIR");
    char dir[256], path[300], msg[512];
    snprintf(dir, sizeof dir, "%s/fuzz_align.XXXXXX", tmp ? tmp : "/tmp");
    check(mkdtemp(dir) != NULL, "cannot create a temporary folder");
    snprintf(path, sizeof path, "%s/dict.tsv", dir);
    FILE *f = fopen(path, "wb");
    check(f && fwrite(dict_tsv, 1, sizeof dict_tsv - 1, f) == sizeof dict_tsv - 1 &&
          fclose(f) == 0, "cannot write the dictionary");
    const char *paths[] = {path};
    check(dpl_dict_load(paths, 1, "", &g.dict, msg, sizeof msg) == DPL_OK, msg);
    unlink(path);
    rmdir(dir);
    check(dpl_aligner_create(g.dict, &g.aligner) == DPL_OK, "aligner");
    check(dpl_aligner_create(g.dict, &g.other) == DPL_OK, "second aligner");
    dpl_script *script;
    check(dpl_script_create(NULL, 0, &script) == DPL_OK, "script");
    check(dpl__pivot_create(g.dict, script, &g.pivot) == DPL_OK, "pivot");
    dpl_script_free(script); /* the pivot keeps a clone */
}

/* ---- alignment ------------------------------------------------------------------------ */

static int in_unit(double x)
{
    return x >= 0.0 && x <= 1.0; /* false for NaN */
}

static void check_lang(const char lang[4])
{
    check(memchr(lang, '\0', 4) != NULL && strlen(lang) == 3, "a language of the wrong size");
    for (int i = 0; i < 3; i++)
        check(lang[i] >= 'a' && lang[i] <= 'z', "a language that is no lowercase code");
}

static void check_alignment(const dpl_alignment *al, size_t a_len, size_t b_len)
{
    check(in_unit(al->coverage_a) && in_unit(al->coverage_b), "coverage outside [0, 1]");
    check(in_unit(al->score), "score outside [0, 1]");
    check(fabs(al->score - (al->coverage_a + al->coverage_b) / 2) < 1e-9,
          "the score is not the mean of the coverages");
    check_lang(al->lang_a);
    check_lang(al->lang_b);
    check(a_len > 0 || al->sentences_a == 0, "sentences in an empty text");
    check(b_len > 0 || al->sentences_b == 0, "sentences in an empty text");
    check(al->sentences_a <= a_len && al->sentences_b <= b_len,
          "more sentences than bytes");
    check(al->n_links == 0 || al->links != NULL, "links without an array");
    check(al->n_links > 0 || (al->coverage_a == 0 && al->coverage_b == 0),
          "coverage without a link");
    size_t next_a = 0, next_b = 0, end_a = 0, end_b = 0;
    for (size_t k = 0; k < al->n_links; k++) {
        const dpl_align_link *l = &al->links[k];
        check(l->a_count >= 1 && l->b_count >= 1 &&
                  (l->a_count == 1 || l->b_count == 1) && l->a_count + l->b_count <= 4,
              "a link of another shape than 1-1, 2-1, 1-2, 3-1, 1-3");
        check(l->a_first >= next_a && l->b_first >= next_b,
              "links out of order or overlapping");
        check(l->a_first + l->a_count <= al->sentences_a &&
              l->b_first + l->b_count <= al->sentences_b, "a link past the last sentence");
        check(l->a_len > 0 && l->b_len > 0, "a link over no bytes");
        check(l->a_offset <= a_len && l->a_len <= a_len - l->a_offset, "a span outside A");
        check(l->b_offset <= b_len && l->b_len <= b_len - l->b_offset, "a span outside B");
        check(l->a_offset >= end_a && l->b_offset >= end_b,
              "byte spans out of order or overlapping");
        check(in_unit(l->score), "a link's score outside [0, 1]");
        next_a = l->a_first + l->a_count;
        next_b = l->b_first + l->b_count;
        end_a = l->a_offset + l->a_len;
        end_b = l->b_offset + l->b_len;
    }
}

static int same_alignment(const dpl_alignment *x, const dpl_alignment *y)
{
    if (x->n_links != y->n_links || x->sentences_a != y->sentences_a ||
        x->sentences_b != y->sentences_b || memcmp(&x->coverage_a, &y->coverage_a, 8) ||
        memcmp(&x->coverage_b, &y->coverage_b, 8) || memcmp(&x->score, &y->score, 8) ||
        memcmp(x->lang_a, y->lang_a, 4) || memcmp(x->lang_b, y->lang_b, 4))
        return 0;
    for (size_t k = 0; k < x->n_links; k++) {
        const dpl_align_link *a = &x->links[k], *b = &y->links[k];
        if (a->a_first != b->a_first || a->a_count != b->a_count ||
            a->b_first != b->b_first || a->b_count != b->b_count ||
            a->a_offset != b->a_offset || a->a_len != b->a_len ||
            a->b_offset != b->b_offset || a->b_len != b->b_len ||
            memcmp(&a->score, &b->score, sizeof a->score) != 0)
            return 0;
    }
    return 1;
}

/* ---- the pivot mapping ------------------------------------------------------------------ */

static void check_pivot_text(const dpl__pivot_text *pt)
{
    check(pt->first != NULL && pt->first[0] == 0, "first[0] is not 0");
    for (size_t t = 0; t < pt->n_tokens; t++) {
        check(pt->first[t] < pt->first[t + 1], "a token without terms, or first[] falls");
        check(pt->kind[t] <= DPL__TOKEN_UNKNOWN, "a token of no kind");
    }
    check(pt->first[pt->n_tokens] == pt->n_terms, "first[n_tokens] != n_terms");
    for (size_t k = 0; k < pt->n_terms; k++)
        check(pt->weights[k] > 0.0f && pt->weights[k] <= 1.0f, "a weight outside (0, 1]");
}

static void check_pivot(const char *lang, const char *text, size_t len)
{
    dpl__pivot_text pt = {0}, again = {0};
    check(dpl__pivot_map(g.pivot, lang, text, len, &pt) == DPL_OK, "pivot map");
    check_pivot_text(&pt);
    check(dpl__pivot_map(g.pivot, lang, text, len, &again) == DPL_OK, "pivot map again");
    check(again.n_tokens == pt.n_tokens && again.n_terms == pt.n_terms &&
          memcmp(again.first, pt.first, (pt.n_tokens + 1) * sizeof *pt.first) == 0 &&
          (pt.n_tokens == 0 || memcmp(again.kind, pt.kind, pt.n_tokens) == 0) &&
          (pt.n_terms == 0 ||
           (memcmp(again.terms, pt.terms, pt.n_terms * sizeof *pt.terms) == 0 &&
            memcmp(again.weights, pt.weights, pt.n_terms * sizeof *pt.weights) == 0)),
          "the pivot mapping differs the second time");
    dpl__pivot_text_free(&pt);
    dpl__pivot_text_free(&again);
}

/* ---- the target ------------------------------------------------------------------------- */

static const char *pick_lang(unsigned k, const char *code, int null_for_empty)
{
    static const char *const langs[] = {"eng", "deu", "zho", "rus", "fra", "und", ""};
    const char *lang = k < 7 ? langs[k] : code;
    return null_for_empty && lang[0] == '\0' ? NULL : lang;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    if (!g.dict)
        setup();
    unsigned opt = data[0];
    char code[4] = {(char)data[1], (char)data[2], (char)data[3], '\0'};
    const char *lang_a = pick_lang(opt & 7, code, (opt >> 6) & 1);
    const char *lang_b = pick_lang((opt >> 3) & 7, code, (opt >> 6) & 1);
    const char *rest = (const char *)data + 4;
    size_t len = size - 4;
    const char *sep = memchr(rest, 0x1E, len);
    size_t a_len = sep ? (size_t)(sep - rest) : len / 2;
    const char *a = rest, *b = rest + a_len + (sep != NULL);
    size_t b_len = len - a_len - (sep != NULL);

    dpl_alignment first, second;
    check(dpl_align(g.aligner, lang_a, a, a_len, lang_b, b, b_len, &first) == DPL_OK,
          "align");
    check_alignment(&first, a_len, b_len);
    dpl_align_link *links = malloc((first.n_links + 1) * sizeof *links);
    check(links != NULL, "out of memory");
    if (first.n_links)
        memcpy(links, first.links, first.n_links * sizeof *links);
    first.links = links; /* the aligner's own array is reused by the next call */
    dpl_aligner *again = (opt & 0x80) ? g.other : g.aligner;
    check(dpl_align(again, lang_a, a, a_len, lang_b, b, b_len, &second) == DPL_OK,
          "align again");
    check(same_alignment(&first, &second), "aligning again gives another result");
    free(links);

    check_pivot(first.lang_a, a, a_len);
    check_pivot(first.lang_b, b, b_len);
    return 0;
}
