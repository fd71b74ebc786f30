/* Sentence alignment. Each candidate link gets a similarity in 0..1 from three signals:
 * - dictionary overlap: the share of content tokens on both sides with a pivot term found
 *   on the other side (token-level, so a word with six translations counts once);
 * - length: Gale-Church's probability that the two lengths are translations, with the
 *   expected ratio taken from the two documents themselves (Chinese is far shorter in
 *   characters than English, German a little longer);
 * - numbers: a bonus when both sides have numbers and share one, a penalty when they share
 *   none.
 * The DP maximizes the summed gain (similarity minus a threshold) of the links; skipping a
 * sentence gains nothing, so an extra dateline or paragraph is simply left out, and the
 * coverage in each direction says how much was linked. */
#include "xling/align.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A link must be at least this similar to beat leaving both sentences out. Measured on
 * ntrex-dev (English with German, French, Spanish, Italian, Bulgarian, Chinese): the
 * token overlap of a sentence and its translation is above 0.2 for 80-90% of them; of a
 * sentence and another sentence of the same article, below 0.2 for 90-97%. */
#define LINK_THRESHOLD 0.20f
/* 2-1 and 1-2 links are rarer than 1-1: a small price keeps two 1-1 links preferred. */
#define MERGE_PENALTY 0.03f
/* Length only breaks near ties: on its own it pairs any two sentences of similar size. */
#define WEIGHT_LENGTH 0.10f
#define NUMBER_BONUS 0.10f
#define NUMBER_PENALTY 0.10f
/* Gale-Church's variance of the length difference per character. */
#define LENGTH_VARIANCE 6.8
#define MIN_BAND 30
#define MAX_BAND 400

enum { STEP_NONE = 0, STEP_11, STEP_10, STEP_01, STEP_21, STEP_12 };

void dpl__align_doc_free(dpl__align_doc *d)
{
    free(d->sents);
    free(d->chars);
    dpl__pivot_text_free(&d->tokens);
    free(d->tok_first);
    free(d->sets);
    free(d->set_first);
    free(d->scratch);
    dpl__pivot_text_free(&d->one);
    memset(d, 0, sizeof *d);
}

void dpl__alignment_free(dpl__alignment *al)
{
    free(al->links);
    free(al->gain);
    free(al->step);
    memset(al, 0, sizeof *al);
}

static size_t count_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static int compare_u64(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

/* Append one sentence's pivot tokens (in d->one) to the document. */
static int append_sentence(dpl__align_doc *d)
{
    dpl__pivot_text *all = &d->tokens, *one = &d->one;
    size_t cap = all->cap_terms;
    DPL_TRY(dpl__grow((void **)&all->terms, &cap, all->n_terms + one->n_terms + 1,
                      sizeof *all->terms));
    cap = all->cap_terms;
    DPL_TRY(dpl__grow((void **)&all->weights, &cap, all->n_terms + one->n_terms + 1,
                      sizeof *all->weights));
    all->cap_terms = cap;
    cap = all->cap_tokens;
    DPL_TRY(dpl__grow((void **)&all->first, &cap, all->n_tokens + one->n_tokens + 2,
                      sizeof *all->first));
    all->cap_tokens = cap;
    DPL_TRY(dpl__grow((void **)&all->number, &all->cap_number,
                      all->n_tokens + one->n_tokens + 1, sizeof *all->number));
    size_t base = all->n_terms;
    if (one->n_terms) {
        memcpy(all->terms + base, one->terms, one->n_terms * sizeof *all->terms);
        memcpy(all->weights + base, one->weights, one->n_terms * sizeof *all->weights);
    }
    for (size_t t = 0; t < one->n_tokens; t++) {
        all->first[all->n_tokens + t] = (uint32_t)(base + one->first[t]);
        all->number[all->n_tokens + t] = one->number[t];
    }
    all->n_terms += one->n_terms;
    all->n_tokens += one->n_tokens;
    all->first[all->n_tokens] = (uint32_t)all->n_terms;
    /* the sentence's term set */
    DPL_TRY(dpl__grow((void **)&d->sets, &d->cap_sets, d->n_sets + one->n_terms + 1,
                      sizeof *d->sets));
    uint64_t *set = d->sets + d->n_sets;
    if (one->n_terms)
        memcpy(set, one->terms, one->n_terms * sizeof *set);
    qsort(set, one->n_terms, sizeof *set, compare_u64);
    size_t unique = 0;
    for (size_t i = 0; i < one->n_terms; i++)
        if (unique == 0 || set[unique - 1] != set[i])
            set[unique++] = set[i];
    d->n_sets += unique;
    return DPL_OK;
}

int dpl__align_prepare(dpl__pivot *pivot, dpl__sentencer *sentencer, const char *lang,
                       const char *text, size_t len, dpl__align_doc *d)
{
    memset(d->lang, 0, sizeof d->lang);
    memcpy(d->lang, lang, strnlen(lang, 3));
    d->tokens.n_terms = d->tokens.n_tokens = 0;
    d->n_sets = 0;
    DPL_TRY(dpl__sentences(sentencer, lang, text, len, &d->sents, &d->cap_sents,
                           &d->n_sents));
    size_t n = d->n_sents;
    DPL_TRY(dpl__grow((void **)&d->chars, &d->cap_chars, n + 1, sizeof *d->chars));
    DPL_TRY(dpl__grow((void **)&d->tok_first, &d->cap_tok_first, n + 1,
                      sizeof *d->tok_first));
    DPL_TRY(dpl__grow((void **)&d->set_first, &d->cap_set_first, n + 1,
                      sizeof *d->set_first));
    size_t cap = d->tokens.cap_tokens;
    DPL_TRY(dpl__grow((void **)&d->tokens.first, &cap, 1, sizeof *d->tokens.first));
    d->tokens.cap_tokens = cap;
    d->tokens.first[0] = 0;
    for (size_t s = 0; s < n; s++) {
        const char *sent = text + d->sents[s].offset;
        d->chars[s] = count_chars(sent, d->sents[s].len);
        d->tok_first[s] = (uint32_t)d->tokens.n_tokens;
        d->set_first[s] = (uint32_t)d->n_sets;
        DPL_TRY(dpl__pivot_map(pivot, lang, sent, d->sents[s].len, &d->one));
        DPL_TRY(append_sentence(d));
    }
    d->tok_first[n] = (uint32_t)d->tokens.n_tokens;
    d->set_first[n] = (uint32_t)d->n_sets;
    return DPL_OK;
}

/* ---- similarity -------------------------------------------------------------------- */

typedef struct range {
    const dpl__align_doc *d;
    size_t s0, s1; /* sentences [s0, s1) */
} range;

static int in_set(const uint64_t *set, size_t n, uint64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (set[mid] < x)
            lo = mid + 1;
        else if (set[mid] > x)
            hi = mid;
        else
            return 1;
    }
    return 0;
}

static int in_range_sets(range r, uint64_t x)
{
    for (size_t s = r.s0; s < r.s1; s++) {
        const uint32_t *f = r.d->set_first;
        if (in_set(r.d->sets + f[s], f[s + 1] - f[s], x))
            return 1;
    }
    return 0;
}

typedef struct match_count {
    size_t tokens, matched, numbers, numbers_matched;
} match_count;

/* How many of x's tokens have a term in y's sentences. */
static match_count count_matches(range x, range y)
{
    match_count c = {0, 0, 0, 0};
    const dpl__pivot_text *pt = &x.d->tokens;
    for (size_t t = x.d->tok_first[x.s0]; t < x.d->tok_first[x.s1]; t++) {
        int hit = 0;
        for (uint32_t k = pt->first[t]; k < pt->first[t + 1] && !hit; k++)
            hit = in_range_sets(y, pt->terms[k]);
        c.tokens++;
        c.matched += (size_t)hit;
        c.numbers += pt->number[t];
        c.numbers_matched += (size_t)(pt->number[t] && hit);
    }
    return c;
}

static size_t range_chars(range r)
{
    size_t n = 0;
    for (size_t s = r.s0; s < r.s1; s++)
        n += r.d->chars[s];
    return n;
}

/* Gale-Church: the probability of a length difference at least this large. */
static double length_probability(size_t la, size_t lb, double ratio)
{
    double expected = (double)la * ratio;
    double mean = (expected + (double)lb) / 2.0;
    if (mean < 1.0)
        mean = 1.0;
    double delta = ((double)lb - expected) / sqrt(mean * LENGTH_VARIANCE);
    return erfc(fabs(delta) / sqrt(2.0));
}

static float similarity(range a, range b, double ratio)
{
    match_count ma = count_matches(a, b), mb = count_matches(b, a);
    size_t tokens = ma.tokens + mb.tokens;
    double overlap = tokens ? (double)(ma.matched + mb.matched) / (double)tokens : 0.0;
    double sim = overlap + WEIGHT_LENGTH * (length_probability(range_chars(a),
                                                               range_chars(b), ratio) -
                                            0.5);
    if (ma.numbers && mb.numbers)
        sim += ma.numbers_matched ? NUMBER_BONUS : -NUMBER_PENALTY;
    return (float)(sim < 0 ? 0 : sim > 1 ? 1 : sim);
}

/* ---- the DP -------------------------------------------------------------------------- */

typedef struct band {
    size_t n, m, width; /* cells per row: 2 * width + 1 */
} band;

static long band_center(const band *bd, size_t i)
{
    return bd->n ? (long)((double)i * (double)bd->m / (double)bd->n + 0.5) : 0;
}

/* Index of cell (i, j), or SIZE_MAX outside the band. */
static size_t cell(const band *bd, size_t i, size_t j)
{
    long off = (long)j - band_center(bd, i) + (long)bd->width;
    if (off < 0 || off > 2 * (long)bd->width)
        return SIZE_MAX;
    return i * (2 * bd->width + 1) + (size_t)off;
}

typedef struct dp {
    const dpl__align_doc *a, *b;
    band bd;
    double ratio;
    float *gain;
    uint8_t *step;
} dp;

static void try_step(dp *d, size_t i, size_t j, size_t di, size_t dj, int kind, float *best,
                     uint8_t *best_step)
{
    if (i < di || j < dj)
        return;
    size_t prev = cell(&d->bd, i - di, j - dj);
    if (prev == SIZE_MAX || d->step[prev] == STEP_NONE)
        return;
    float g = d->gain[prev];
    if (di && dj) {
        range ra = {d->a, i - di, i}, rb = {d->b, j - dj, j};
        float sim = similarity(ra, rb, d->ratio);
        g += sim - LINK_THRESHOLD - (di + dj > 2 ? MERGE_PENALTY : 0.0f);
        if (sim <= LINK_THRESHOLD)
            return; /* never link below the threshold, even when the sum allows */
    }
    if (g > *best) {
        *best = g;
        *best_step = (uint8_t)kind;
    }
}

static void fill(dp *d)
{
    for (size_t i = 0; i <= d->bd.n; i++) {
        long lo = band_center(&d->bd, i) - (long)d->bd.width;
        long hi = band_center(&d->bd, i) + (long)d->bd.width;
        for (long jj = lo < 0 ? 0 : lo; jj <= hi && jj <= (long)d->bd.m; jj++) {
            size_t j = (size_t)jj, c = cell(&d->bd, i, j);
            if (i == 0 && j == 0) {
                d->gain[c] = 0;
                d->step[c] = STEP_10; /* any non-NONE marks the origin reachable */
                continue;
            }
            float best = -INFINITY;
            uint8_t best_step = STEP_NONE;
            try_step(d, i, j, 1, 0, STEP_10, &best, &best_step);
            try_step(d, i, j, 0, 1, STEP_01, &best, &best_step);
            try_step(d, i, j, 1, 1, STEP_11, &best, &best_step);
            try_step(d, i, j, 2, 1, STEP_21, &best, &best_step);
            try_step(d, i, j, 1, 2, STEP_12, &best, &best_step);
            d->gain[c] = best;
            d->step[c] = best_step;
        }
    }
}

static int push_link(dpl__alignment *al, dpl__link link)
{
    DPL_TRY(dpl__grow((void **)&al->links, &al->cap_links, al->n_links + 1,
                      sizeof *al->links));
    al->links[al->n_links++] = link;
    return DPL_OK;
}

/* Walk back from (n, m), collecting the links in order. */
static int trace(dp *d, dpl__alignment *al)
{
    size_t i = d->bd.n, j = d->bd.m;
    while (i > 0 || j > 0) {
        size_t c = cell(&d->bd, i, j);
        uint8_t s = c == SIZE_MAX ? STEP_NONE : d->step[c];
        if (s == STEP_NONE)
            return DPL_OK; /* unreachable by construction; never loop */
        size_t di = s == STEP_01 ? 0 : s == STEP_21 ? 2 : 1;
        size_t dj = s == STEP_10 ? 0 : s == STEP_12 ? 2 : 1;
        if (di && dj) {
            range ra = {d->a, i - di, i}, rb = {d->b, j - dj, j};
            dpl__link link = {(uint32_t)(i - di), (uint32_t)i, (uint32_t)(j - dj),
                              (uint32_t)j, similarity(ra, rb, d->ratio)};
            DPL_TRY(push_link(al, link));
        }
        i -= di;
        j -= dj;
    }
    for (size_t k = 0; k < al->n_links / 2; k++) { /* into document order */
        dpl__link t = al->links[k];
        al->links[k] = al->links[al->n_links - 1 - k];
        al->links[al->n_links - 1 - k] = t;
    }
    return DPL_OK;
}

/* ---- small gaps --------------------------------------------------------------------- */

/* Between two links, a few sentences left on both sides are most likely translations of
 * each other whose words the dictionary missed (hunalign's weakness without morphology):
 * in a run of linked sentences, the order tells what the words do not. Such gaps are
 * aligned on their own, by length as much as by words; wide gaps (an extra paragraph, or
 * two unrelated documents) are left alone. */
#define MAX_GAP 3
#define GAP_WEIGHT_LENGTH 0.6
#define GAP_THRESHOLD 0.3

static double gap_gain(const dp *d, range ra, range rb)
{
    match_count ma = count_matches(ra, rb), mb = count_matches(rb, ra);
    size_t tokens = ma.tokens + mb.tokens;
    double overlap = tokens ? (double)(ma.matched + mb.matched) / (double)tokens : 0.0;
    return overlap + GAP_WEIGHT_LENGTH * length_probability(range_chars(ra), range_chars(rb),
                                                            d->ratio) - GAP_THRESHOLD;
}

/* Exhaustive DP over a gap of at most MAX_GAP x MAX_GAP sentences; appends its links. */
static int fill_gap(dp *d, size_t a0, size_t a1, size_t b0, size_t b1, dpl__alignment *al)
{
    size_t ga = a1 - a0, gb = b1 - b0;
    double best[MAX_GAP + 1][MAX_GAP + 1];
    uint8_t how[MAX_GAP + 1][MAX_GAP + 1];
    static const size_t steps[][2] = {{1, 0}, {0, 1}, {1, 1}, {2, 1}, {1, 2}};
    for (size_t i = 0; i <= ga; i++) {
        for (size_t j = 0; j <= gb; j++) {
            best[i][j] = i || j ? -1e9 : 0;
            for (uint8_t k = 0; k < 5; k++) {
                size_t di = steps[k][0], dj = steps[k][1];
                if (i < di || j < dj)
                    continue;
                double g = best[i - di][j - dj];
                if (di && dj)
                    g += gap_gain(d, (range){d->a, a0 + i - di, a0 + i},
                                  (range){d->b, b0 + j - dj, b0 + j});
                if (g > best[i][j]) {
                    best[i][j] = g;
                    how[i][j] = k;
                }
            }
        }
    }
    dpl__link found[2 * MAX_GAP];
    size_t n = 0;
    for (size_t i = ga, j = gb; i || j;) {
        size_t di = steps[how[i][j]][0], dj = steps[how[i][j]][1];
        if (di && dj) {
            range ra = {d->a, a0 + i - di, a0 + i}, rb = {d->b, b0 + j - dj, b0 + j};
            found[n++] = (dpl__link){(uint32_t)ra.s0, (uint32_t)ra.s1, (uint32_t)rb.s0,
                                     (uint32_t)rb.s1, similarity(ra, rb, d->ratio)};
        }
        i -= di;
        j -= dj;
    }
    while (n > 0) /* found[] is back to front */
        DPL_TRY(push_link(al, found[--n]));
    return DPL_OK;
}

/* Rebuild the link list with the small gaps between links (and at both ends) filled. */
static int fill_gaps(dp *d, dpl__alignment *al, dpl__alignment *out)
{
    size_t pa = 0, pb = 0;
    out->n_links = 0;
    for (size_t k = 0; k <= al->n_links; k++) {
        size_t na = k < al->n_links ? al->links[k].a0 : d->bd.n;
        size_t nb = k < al->n_links ? al->links[k].b0 : d->bd.m;
        if (na > pa && nb > pb && na - pa <= MAX_GAP && nb - pb <= MAX_GAP)
            DPL_TRY(fill_gap(d, pa, na, pb, nb, out));
        if (k < al->n_links) {
            DPL_TRY(push_link(out, al->links[k]));
            pa = al->links[k].a1;
            pb = al->links[k].b1;
        }
    }
    return DPL_OK;
}

static void coverage(const dpl__align_doc *a, const dpl__align_doc *b, dpl__alignment *al)
{
    size_t total_a = range_chars((range){a, 0, a->n_sents});
    size_t total_b = range_chars((range){b, 0, b->n_sents});
    size_t linked_a = 0, linked_b = 0;
    for (size_t k = 0; k < al->n_links; k++) {
        linked_a += range_chars((range){a, al->links[k].a0, al->links[k].a1});
        linked_b += range_chars((range){b, al->links[k].b0, al->links[k].b1});
    }
    al->coverage_a = total_a ? (double)linked_a / (double)total_a : 0.0;
    al->coverage_b = total_b ? (double)linked_b / (double)total_b : 0.0;
    al->score = (al->coverage_a + al->coverage_b) / 2.0;
}

int dpl__align(const dpl__align_doc *a, const dpl__align_doc *b, dpl__alignment *al)
{
    al->n_links = 0;
    al->coverage_a = al->coverage_b = al->score = 0.0;
    if (a->n_sents == 0 || b->n_sents == 0)
        return DPL_OK;
    dp d = {a, b, {a->n_sents, b->n_sents, 0}, 1.0, NULL, NULL};
    size_t big = a->n_sents > b->n_sents ? a->n_sents : b->n_sents;
    /* wide enough for an extra paragraph, and for the diagonal's slope (so that the end
     * stays reachable), but bounded: hunalign's memory grew with n * m */
    size_t width = big / 4 < MAX_BAND ? big / 4 : MAX_BAND;
    size_t slope = a->n_sents < b->n_sents ? b->n_sents / a->n_sents : a->n_sents / b->n_sents;
    if (width < MIN_BAND)
        width = MIN_BAND;
    if (width < slope + 2)
        width = slope + 2;
    d.bd.width = width;
    size_t ca = range_chars((range){a, 0, a->n_sents});
    size_t cb = range_chars((range){b, 0, b->n_sents});
    d.ratio = ca ? (double)cb / (double)ca : 1.0;
    size_t cells;
    if (dpl__mul_overflows(d.bd.n + 1, 2 * d.bd.width + 1, &cells))
        return DPL_ENOMEM;
    if (cells > al->cap_cells) {
        float *gain = realloc(al->gain, cells * sizeof *gain);
        if (gain)
            al->gain = gain;
        uint8_t *step = realloc(al->step, cells);
        if (step)
            al->step = step;
        if (!gain || !step)
            return DPL_ENOMEM;
        al->cap_cells = cells;
    }
    memset(al->step, STEP_NONE, cells);
    d.gain = al->gain;
    d.step = al->step;
    fill(&d);
    dpl__alignment anchors = {0};
    int rc = trace(&d, &anchors);
    if (rc == DPL_OK)
        rc = fill_gaps(&d, &anchors, al);
    free(anchors.links);
    DPL_TRY(rc);
    coverage(a, b, al);
    return DPL_OK;
}
