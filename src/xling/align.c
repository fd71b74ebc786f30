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
/* Merged links are rarer than 1-1: each sentence beyond the first pair costs this much (a
 * 2-1 link once, a 3-1 link twice), which keeps separate 1-1 links preferred. 3-1 links
 * are for sentences the splitters cut differently on the two sides ("Sen." or "Sept."
 * ending a sentence on one side only, a headline run into the lead on the other). */
#define MERGE_PENALTY 0.10f
/* Length only breaks near ties: on its own it pairs any two sentences of similar size. */
#define WEIGHT_LENGTH 0.10f
#define NUMBER_BONUS 0.10f
#define NUMBER_PENALTY 0.10f
/* Gale-Church's variance of the length difference per character. */
#define LENGTH_VARIANCE 6.8
#define MIN_BAND 30
#define MAX_BAND 400

enum { STEP_NONE = 0, STEP_11, STEP_10, STEP_01, STEP_21, STEP_12, STEP_31, STEP_13 };

void dpl__align_doc_free(dpl__align_doc *d)
{
    free(d->sents);
    free(d->chars);
    dpl__pivot_text_free(&d->tokens);
    free(d->tok_first);
    free(d->tok_weight);
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
    DPL_TRY(dpl__grow((void **)&all->kind, &all->cap_kind,
                      all->n_tokens + one->n_tokens + 1, sizeof *all->kind));
    size_t base = all->n_terms;
    if (one->n_terms) {
        memcpy(all->terms + base, one->terms, one->n_terms * sizeof *all->terms);
        memcpy(all->weights + base, one->weights, one->n_terms * sizeof *all->weights);
    }
    for (size_t t = 0; t < one->n_tokens; t++) {
        all->first[all->n_tokens + t] = (uint32_t)(base + one->first[t]);
        all->kind[all->n_tokens + t] = one->kind[t];
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
    d->n_sets += dpl__sort_unique_terms(set, one->n_terms);
    return DPL_OK;
}

static double token_weight(uint8_t kind);

/* Each token's weight: its kind's, times the corpus weight of its strongest term. */
static int weigh_tokens(dpl__align_doc *d, const dpl__term_df *df)
{
    const dpl__pivot_text *pt = &d->tokens;
    DPL_TRY(dpl__grow((void **)&d->tok_weight, &d->cap_tok_weight, pt->n_tokens + 1,
                      sizeof *d->tok_weight));
    for (size_t t = 0; t < pt->n_tokens; t++)
        d->tok_weight[t] = (float)token_weight(pt->kind[t]) *
                           dpl__term_weight(df, pt->terms[pt->first[t]]);
    return DPL_OK;
}

int dpl__align_prepare(dpl__pivot *pivot, dpl__sentencer *sentencer, const char *lang,
                       const char *text, size_t len, const dpl__term_df *df,
                       dpl__align_doc *d)
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
        d->chars[s] = dpl__utf8_count(sent, d->sents[s].len);
        d->tok_first[s] = (uint32_t)d->tokens.n_tokens;
        d->set_first[s] = (uint32_t)d->n_sets;
        DPL_TRY(dpl__pivot_map(pivot, lang, sent, d->sents[s].len, &d->one));
        DPL_TRY(append_sentence(d));
    }
    d->tok_first[n] = (uint32_t)d->tokens.n_tokens;
    d->set_first[n] = (uint32_t)d->n_sets;
    return weigh_tokens(d, df);
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
    double tokens, matched;
    size_t numbers, numbers_matched;
} match_count;

/* Words the dictionary could not translate count half: most cannot match at all, and
 * counting them fully made sentences with many rare words look unrelated. (Counting names
 * and numbers half instead, since two reports of one event share them too, separated
 * translations from such reports less well on corpora/xling.) */
static double token_weight(uint8_t kind)
{
    return kind == DPL__TOKEN_UNKNOWN ? 0.5 : 1.0;
}

/* How many of x's tokens (weighted) have a term in y's sentences. */
static match_count count_matches(range x, range y)
{
    match_count c = {0, 0, 0, 0};
    const dpl__pivot_text *pt = &x.d->tokens;
    for (size_t t = x.d->tok_first[x.s0]; t < x.d->tok_first[x.s1]; t++) {
        int hit = 0;
        for (uint32_t k = pt->first[t]; k < pt->first[t + 1] && !hit; k++)
            hit = in_range_sets(y, pt->terms[k]);
        double w = x.d->tok_weight[t];
        int number = pt->kind[t] == DPL__TOKEN_NUMBER;
        c.tokens += w;
        c.matched += hit ? w : 0.0;
        c.numbers += (size_t)number;
        c.numbers_matched += (size_t)(number && hit);
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
    double tokens = ma.tokens + mb.tokens;
    double overlap = tokens > 0 ? (ma.matched + mb.matched) / tokens : 0.0;
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

/* Word matches of one sentence pair, counted once before the DP: a[i][j] is the weight of
 * A's sentence i tokens found in B's sentence j, b[i][j] the other way round, and the
 * numbers among them. Merged links (2-1, 1-2, 3-1, 1-3) add up the cells. */
typedef struct match_cell {
    float a, b;
    uint16_t num_a, num_b;
} match_cell;

typedef struct side {
    double *tokens;   /* weighted content tokens per sentence */
    uint32_t *numbers;/* number tokens per sentence */
    size_t *chars;
} side;

typedef struct dp {
    const dpl__align_doc *a, *b;
    band bd;
    double ratio;
    float *gain;
    uint8_t *step;
    match_cell *cells; /* by sentence pair, in the same band as the DP */
    side sa, sb;
} dp;

static const match_cell *cell_at(const dp *d, size_t i, size_t j)
{
    static const match_cell none = {0, 0, 0, 0};
    size_t c = cell(&d->bd, i, j);
    return c == SIZE_MAX ? &none : &d->cells[c];
}

/* The similarity of sentences [a0, a1) with [b0, b1) from the match table; one side has
 * one sentence. For a merged side, the single sentence's matches into the two merged
 * ones are added, which counts a token found in both twice: bounded by its weight. */
static float table_similarity(const dp *d, size_t a0, size_t a1, size_t b0, size_t b1)
{
    double ma = 0, mb = 0, ta = 0, tb = 0;
    size_t na = 0, nb = 0, num_a = 0, num_b = 0, ca = 0, cb = 0;
    for (size_t i = a0; i < a1; i++) {
        ta += d->sa.tokens[i];
        na += d->sa.numbers[i];
        ca += d->sa.chars[i];
    }
    for (size_t j = b0; j < b1; j++) {
        tb += d->sb.tokens[j];
        nb += d->sb.numbers[j];
        cb += d->sb.chars[j];
    }
    for (size_t i = a0; i < a1; i++) {
        for (size_t j = b0; j < b1; j++) {
            const match_cell *c = cell_at(d, i, j);
            ma += c->a;
            mb += c->b;
            num_a += c->num_a;
            num_b += c->num_b;
        }
    }
    if (ma > ta)
        ma = ta;
    if (mb > tb)
        mb = tb;
    double overlap = ta + tb > 0 ? (ma + mb) / (ta + tb) : 0.0;
    double sim = overlap + WEIGHT_LENGTH * (length_probability(ca, cb, d->ratio) - 0.5);
    if (na && nb)
        sim += num_a || num_b ? NUMBER_BONUS : -NUMBER_PENALTY;
    return (float)(sim < 0 ? 0 : sim > 1 ? 1 : sim);
}

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
        float sim = table_similarity(d, i - di, i, j - dj, j);
        g += sim - LINK_THRESHOLD - (float)(di + dj - 2) * MERGE_PENALTY;
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
            try_step(d, i, j, 3, 1, STEP_31, &best, &best_step);
            try_step(d, i, j, 1, 3, STEP_13, &best, &best_step);
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
        size_t di = s == STEP_01 ? 0 : s == STEP_21 ? 2 : s == STEP_31 ? 3 : 1;
        size_t dj = s == STEP_10 ? 0 : s == STEP_12 ? 2 : s == STEP_13 ? 3 : 1;
        if (di && dj) {
            dpl__link link = {(uint32_t)(i - di), (uint32_t)i, (uint32_t)(j - dj),
                              (uint32_t)j, table_similarity(d, i - di, i, j - dj, j), 0};
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
#define GAP_MIN_OVERLAP 0.08
/* Wider or uneven gaps are aligned too, by length as much as by words, for the links a
 * user sees (`--aligned`, dpl_align()); they do not count in the coverage that decides
 * whether two documents are translations. */
#define MAX_LOOSE_GAP 8

enum { FILL_STRICT = 1, FILL_LOOSE = 2 }; /* dpl__link.filled */
#define LOOSE_SKIP_COST 0.15

static double gap_gain(const dp *d, range ra, range rb, int mode)
{
    match_count ma = count_matches(ra, rb), mb = count_matches(rb, ra);
    double tokens = ma.tokens + mb.tokens;
    double overlap = tokens > 0 ? (ma.matched + mb.matched) / tokens : 0.0;
    if (mode == FILL_STRICT && overlap < GAP_MIN_OVERLAP)
        return -1.0; /* no shared word at all: order and length alone are not enough */
    return overlap + GAP_WEIGHT_LENGTH * length_probability(range_chars(ra), range_chars(rb),
                                                            d->ratio) - GAP_THRESHOLD;
}

/* Exhaustive DP over a gap of at most MAX_LOOSE_GAP sentences a side; appends its links.
 * Strict filling links one to one only: a merge inside a gap would link two sentences on
 * the strength of one weak match. */
static int fill_gap(dp *d, size_t a0, size_t a1, size_t b0, size_t b1, int mode,
                    dpl__alignment *al)
{
    size_t ga = a1 - a0, gb = b1 - b0;
    double best[MAX_LOOSE_GAP + 1][MAX_LOOSE_GAP + 1];
    uint8_t how[MAX_LOOSE_GAP + 1][MAX_LOOSE_GAP + 1];
    static const size_t steps[][2] = {{1, 0}, {0, 1}, {1, 1}, {2, 1}, {1, 2}};
    uint8_t n_steps = mode == FILL_STRICT ? 3 : 5;
    for (size_t i = 0; i <= ga; i++) {
        for (size_t j = 0; j <= gb; j++) {
            best[i][j] = i || j ? -1e9 : 0;
            for (uint8_t k = 0; k < n_steps; k++) {
                size_t di = steps[k][0], dj = steps[k][1];
                if (i < di || j < dj)
                    continue;
                double g = best[i - di][j - dj];
                if (di && dj)
                    g += gap_gain(d, (range){d->a, a0 + i - di, a0 + i},
                                  (range){d->b, b0 + j - dj, b0 + j}, mode) -
                         (di + dj > 2 ? MERGE_PENALTY : 0.0);
                else if (mode == FILL_LOOSE)
                    g -= LOOSE_SKIP_COST; /* between links, a sentence is most likely
                                             translated somewhere next to it */
                if (g > best[i][j]) {
                    best[i][j] = g;
                    how[i][j] = k;
                }
            }
        }
    }
    dpl__link found[2 * MAX_LOOSE_GAP];
    size_t n = 0;
    for (size_t i = ga, j = gb; i || j;) {
        size_t di = steps[how[i][j]][0], dj = steps[how[i][j]][1];
        if (di && dj) {
            range ra = {d->a, a0 + i - di, a0 + i}, rb = {d->b, b0 + j - dj, b0 + j};
            found[n++] = (dpl__link){(uint32_t)ra.s0, (uint32_t)ra.s1, (uint32_t)rb.s0,
                                     (uint32_t)rb.s1, similarity(ra, rb, d->ratio),
                                     (uint8_t)mode};
        }
        i -= di;
        j -= dj;
    }
    while (n > 0) /* found[] is back to front */
        DPL_TRY(push_link(al, found[--n]));
    return DPL_OK;
}

/* Rebuild the link list with the gaps between links, or between a link and either end (a
 * headline and a first paragraph before the first link), filled in `mode`: strict fills
 * small equal gaps, loose fills whatever strict left, up to MAX_LOOSE_GAP a side. Without
 * any link there is nothing to fill. */
static int fill_gaps(dp *d, const dpl__alignment *al, int mode, dpl__alignment *out)
{
    size_t pa = 0, pb = 0;
    out->n_links = 0;
    if (al->n_links == 0)
        return DPL_OK;
    for (size_t k = 0; k <= al->n_links; k++) {
        size_t na = k < al->n_links ? al->links[k].a0 : d->bd.n;
        size_t nb = k < al->n_links ? al->links[k].b0 : d->bd.m;
        size_t ga = na - pa, gb = nb - pb;
        if (mode == FILL_STRICT && ga && ga == gb && ga <= MAX_GAP)
            DPL_TRY(fill_gap(d, pa, na, pb, nb, FILL_STRICT, out));
        else if (mode == FILL_LOOSE && ga && gb && ga <= MAX_LOOSE_GAP && gb <= MAX_LOOSE_GAP)
            DPL_TRY(fill_gap(d, pa, na, pb, nb, FILL_LOOSE, out));
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
        if (al->links[k].filled == FILL_LOOSE)
            continue;
        linked_a += range_chars((range){a, al->links[k].a0, al->links[k].a1});
        linked_b += range_chars((range){b, al->links[k].b0, al->links[k].b1});
    }
    al->coverage_a = total_a ? (double)linked_a / (double)total_a : 0.0;
    al->coverage_b = total_b ? (double)linked_b / (double)total_b : 0.0;
    al->score = (al->coverage_a + al->coverage_b) / 2.0;
}

/* ---- the match table ------------------------------------------------------------------ */

/* Which sentences of a document hold each term: an open-addressing table of terms, each
 * with a chain of (sentence) postings in sentence order. */
typedef struct postings {
    uint64_t *keys;
    uint32_t *head; /* first posting + 1, 0: empty */
    size_t cap;
    uint32_t *sent, *next;
} postings;

static void postings_free(postings *p)
{
    free(p->keys);
    free(p->head);
    free(p->sent);
    free(p->next);
}

static int postings_build(const dpl__align_doc *d, postings *p)
{
    memset(p, 0, sizeof *p);
    p->cap = 16;
    while (p->cap < 2 * d->n_sets + 2)
        p->cap *= 2;
    p->keys = malloc(p->cap * sizeof *p->keys);
    p->head = calloc(p->cap, sizeof *p->head);
    p->sent = malloc((d->n_sets + 1) * sizeof *p->sent);
    p->next = malloc((d->n_sets + 1) * sizeof *p->next);
    if (!p->keys || !p->head || !p->sent || !p->next)
        return DPL_ENOMEM;
    size_t n = 0;
    /* sentences from last to first, each pushed in front: chains come out in order */
    for (size_t s = d->n_sents; s-- > 0;) {
        for (uint32_t k = d->set_first[s]; k < d->set_first[s + 1]; k++) {
            uint64_t t = d->sets[k];
            size_t slot = (size_t)(t ^ (t >> 31)) & (p->cap - 1);
            while (p->head[slot] && p->keys[slot] != t)
                slot = (slot + 1) & (p->cap - 1);
            p->keys[slot] = t;
            p->sent[n] = (uint32_t)s;
            p->next[n] = p->head[slot];
            p->head[slot] = (uint32_t)++n;
        }
    }
    return DPL_OK;
}

static uint32_t postings_find(const postings *p, uint64_t t)
{
    size_t slot = (size_t)(t ^ (t >> 31)) & (p->cap - 1);
    while (p->head[slot]) {
        if (p->keys[slot] == t)
            return p->head[slot];
        slot = (slot + 1) & (p->cap - 1);
    }
    return 0;
}

static int side_fill(const dpl__align_doc *x, side *sd)
{
    size_t n = x->n_sents ? x->n_sents : 1;
    sd->tokens = calloc(n, sizeof *sd->tokens);
    sd->numbers = calloc(n, sizeof *sd->numbers);
    sd->chars = x->chars;
    if (!sd->tokens || !sd->numbers)
        return DPL_ENOMEM;
    for (size_t s = 0; s < x->n_sents; s++) {
        for (size_t t = x->tok_first[s]; t < x->tok_first[s + 1]; t++) {
            sd->tokens[s] += x->tok_weight[t];
            sd->numbers[s] += x->tokens.kind[t] == DPL__TOKEN_NUMBER;
        }
    }
    return DPL_OK;
}

static void side_free(side *sd)
{
    free(sd->tokens);
    free(sd->numbers);
}

/* Count, for every token of x, the sentences of y holding one of its terms (each once),
 * into the cells of the band. x_is_a: x is document A (its sentence is the cell's row). */
static int count_side(dp *d, const dpl__align_doc *x, const postings *py, size_t y_sents,
                      int x_is_a)
{
    uint32_t *stamp = calloc(y_sents ? y_sents : 1, sizeof *stamp);
    if (!stamp)
        return DPL_ENOMEM;
    const dpl__pivot_text *pt = &x->tokens;
    for (size_t s = 0; s < x->n_sents; s++) {
        for (size_t t = x->tok_first[s]; t < x->tok_first[s + 1]; t++) {
            float w = x->tok_weight[t];
            int number = pt->kind[t] == DPL__TOKEN_NUMBER;
            for (uint32_t k = pt->first[t]; k < pt->first[t + 1]; k++) {
                for (uint32_t e = postings_find(py, pt->terms[k]); e; e = py->next[e - 1]) {
                    uint32_t y = py->sent[e - 1];
                    if (stamp[y] == t + 1)
                        continue; /* this token already matched sentence y */
                    stamp[y] = (uint32_t)t + 1;
                    size_t c = x_is_a ? cell(&d->bd, s, y) : cell(&d->bd, y, s);
                    if (c == SIZE_MAX)
                        continue;
                    if (x_is_a) {
                        d->cells[c].a += w;
                        d->cells[c].num_a += (uint16_t)number;
                    } else {
                        d->cells[c].b += w;
                        d->cells[c].num_b += (uint16_t)number;
                    }
                }
            }
        }
    }
    free(stamp);
    return DPL_OK;
}

static int build_table(dp *d, size_t cells)
{
    postings pa = {0}, pb = {0};
    d->cells = calloc(cells, sizeof *d->cells);
    int rc = d->cells ? DPL_OK : DPL_ENOMEM;
    if (rc == DPL_OK)
        rc = postings_build(d->a, &pa);
    if (rc == DPL_OK)
        rc = postings_build(d->b, &pb);
    if (rc == DPL_OK)
        rc = count_side(d, d->a, &pb, d->b->n_sents, 1);
    if (rc == DPL_OK)
        rc = count_side(d, d->b, &pa, d->a->n_sents, 0);
    if (rc == DPL_OK)
        rc = side_fill(d->a, &d->sa);
    if (rc == DPL_OK)
        rc = side_fill(d->b, &d->sb);
    postings_free(&pa);
    postings_free(&pb);
    return rc;
}

int dpl__align(const dpl__align_doc *a, const dpl__align_doc *b, dpl__alignment *al)
{
    al->n_links = 0;
    al->coverage_a = al->coverage_b = al->score = 0.0;
    if (a->n_sents == 0 || b->n_sents == 0)
        return DPL_OK;
    dp d;
    memset(&d, 0, sizeof d);
    d.a = a;
    d.b = b;
    d.bd = (band){a->n_sents, b->n_sents, 0};
    d.ratio = 1.0;
    size_t big = a->n_sents > b->n_sents ? a->n_sents : b->n_sents;
    /* wide enough for an extra paragraph, and for the diagonal's slope (so that the end
     * stays reachable), but bounded: hunalign's memory grew with n * m */
    size_t width = big / 4 < MAX_BAND ? big / 4 : MAX_BAND;
    /* rows are A's sentences: the band's centre moves b/a columns a row, less than one
     * when A has more sentences, and no row needs more columns than B has */
    size_t slope = b->n_sents > a->n_sents ? b->n_sents / a->n_sents : 1;
    if (width < MIN_BAND)
        width = MIN_BAND;
    if (width > b->n_sents + 2)
        width = b->n_sents + 2;
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
    int rc = build_table(&d, cells);
    dpl__alignment anchors = {0}, strict = {0};
    if (rc == DPL_OK) {
        fill(&d);
        rc = trace(&d, &anchors);
    }
    if (rc == DPL_OK)
        rc = fill_gaps(&d, &anchors, FILL_STRICT, &strict);
    if (rc == DPL_OK)
        rc = fill_gaps(&d, &strict, FILL_LOOSE, al);
    free(anchors.links);
    free(strict.links);
    free(d.cells);
    side_free(&d.sa);
    side_free(&d.sb);
    DPL_TRY(rc);
    coverage(a, b, al);
    return DPL_OK;
}
