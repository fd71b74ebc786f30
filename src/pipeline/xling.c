/* The cross-lingual pass of a job (--xling): translations found across languages.
 *
 *   per document (parallel, in pass 1)  language (the record's "lang", else detected);
 *                                       pivot terms (English stems through the
 *                                       dictionaries); MinHash of the term set -> band keys
 *   merge (in input order)              band keys kept; the term set and the text go to
 *                                       the cross-lingual spill file
 *   after the near pass                 per band, documents of different languages sharing
 *                                       a bucket become candidates; each is pre-scored by
 *                                       the overlap of the two term sets, and the best few
 *                                       per document and language are aligned sentence by
 *                                       sentence (align.c); pairs whose aligned coverage
 *                                       reaches --xling-threshold join a cluster
 *
 * Word order differs between languages, so the sketch is of unigram term sets, not of
 * shingles; and no pair is ever compared unless LSH proposed it. */
#include "pipeline/job_internal.h"

#include "index/lsh.h"
#include "sketch/sketch.h"
#include "xling/align.h"
#include "xling/langid.h"

#include <errno.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_XLING_THRESHOLD 0.8
#define XLING_SEED 0x786c696e67ull /* "xling" */
/* Translations share a tenth to a third of their pivot terms (Jaccard 0.1-0.3 on ntrex-dev,
 * by dictionary), so single rows would make nearly every pair a candidate, and the
 * banding needs many bands of two rows: with 128 bands, a pair at Jaccard 0.1 is found
 * with probability 0.72, at 0.15 0.94, at 0.2 0.994; unrelated pairs at 0.03 with 0.11. */
#define XLING_NUM_PERM 512
#define XLING_BANDS 256
#define XLING_ROWS 2
/* Terms whose corpus weight is below this (in more than about 6% of the documents) are
 * left out of the sketches: shared by most pairs, they make every pair a candidate. */
#define SKETCH_MIN_WEIGHT 1.0f
/* Candidates whose term sets overlap less than this (as a share of the smaller set) are
 * not aligned. */
#define MIN_PRESCORE 0.10
/* Alignments per document and other language: the best pre-scored candidates. */
#define MAX_ALIGN_PER_LANG 3
/* Buckets up to this size give all their cross-language pairs; larger ones (a common
 * boilerplate) are chained, as in the near pass. */
#define MAX_BUCKET_PAIRS 64

/* ---------------------------------------------------------------- setup ------------- */

int dpl__xling_setup(dpl_job *job)
{
    const dpl_options *o = &job->opts;
    job->xspill_fd = -1;
    job->xling = o->xling;
    if (!job->xling)
        return DPL_OK;
    if (!o->dict) {
        snprintf(job->errmsg, sizeof job->errmsg,
                 "the cross-lingual pass needs dictionaries (dpl_options.dict)");
        return DPL_EINVAL;
    }
    job->xthreshold = o->xling_threshold > 0 ? o->xling_threshold : DEFAULT_XLING_THRESHOLD;
    if (job->xthreshold > 1) {
        snprintf(job->errmsg, sizeof job->errmsg,
                 "invalid --xling-threshold %g: an aligned coverage, 0..1", job->xthreshold);
        return DPL_EINVAL;
    }
    job->xk = XLING_NUM_PERM;
    job->xbands = XLING_BANDS;
    job->xrows = XLING_ROWS;
    /* Words the dictionaries lack are transliterated by the default transform. */
    int rc = dpl_script_create(NULL, 0, &job->xscript);
    if (rc == DPL_OK)
        rc = dpl__langid_create(&job->langid, job->errmsg, sizeof job->errmsg);
    if (rc == DPL_OK && !(job->df = dpl__term_df_create()))
        rc = DPL_ENOMEM;
    if (rc == DPL_OK && !(job->xprobes = dpl__probes_create(job->xk, XLING_SEED)))
        rc = DPL_ENOMEM;
    if (rc != DPL_OK) {
        if (!job->errmsg[0])
            snprintf(job->errmsg, sizeof job->errmsg,
                     "cannot open the cross-lingual pass: %s", dpl_strerror(rc));
        return rc;
    }
    return dpl__open_spill(job, "xling", "cross-lingual file", &job->xspill_fd,
                           &job->xspill);
}

void dpl__xling_free(dpl_job *job)
{
    if (job->xspill)
        fclose(job->xspill);
    job->xspill = NULL;
    dpl_script_free(job->xscript);
    job->xscript = NULL;
    dpl__langid_free(job->langid);
    job->langid = NULL;
    dpl__term_df_free(job->df);
    job->df = NULL;
    dpl__probes_free(job->xprobes);
    job->xprobes = NULL;
    free(job->xdocs);
    job->xdocs = NULL;
    free(job->xband_keys);
    job->xband_keys = NULL;
    free(job->xpairs);
    job->xpairs = NULL;
}

int dpl__xling_thread_init(dpl_job *job, thread_ctx *c)
{
    if (!job->xling)
        return DPL_OK;
    return dpl__pivot_create(job->opts.dict, job->xscript, &c->pivot);
}

void dpl__xling_thread_free(thread_ctx *c)
{
    dpl__pivot_free(c->pivot);
    c->pivot = NULL;
    dpl__pivot_text_free(&c->pivot_text);
}

/* ---------------------------------------------------------------- per document ------ */

/* The document's term set, sorted and unique, in the arena. */
static size_t term_set(dpl__buf *arena, const dpl__pivot_text *pt, size_t *off)
{
    uint64_t *set = (uint64_t *)(arena->data + *off);
    size_t n = 0;
    for (size_t i = 0; i < pt->n_terms; i++)
        if (pt->weights[i] >= DPL__PIVOT_SET_WEIGHT)
            set[n++] = pt->terms[i];
    size_t unique = dpl__sort_unique_terms(set, n);
    arena->len = *off + unique * sizeof *set;
    return unique;
}

int dpl__xling_item(dpl_job *job, thread_ctx *c, item *it, const dpl_record *rec)
{
    it->x_set_n = 0;
    if (!job->xling)
        return DPL_OK;
    dpl__lang_code(rec->lang ? rec->lang : "", it->lang);
    if (strcmp(it->lang, "und") == 0)
        DPL_TRY(dpl__langid_detect(job->langid, rec->text, rec->text_len, it->lang));
    if (strcmp(it->lang, "und") == 0)
        return DPL_OK; /* no language: no translation can be confirmed */
    DPL_TRY(dpl__pivot_map(c->pivot, it->lang, rec->text, rec->text_len, &c->pivot_text));
    dpl__buf *arena = &c->arena[it->slot];
    /* align the set for uint64_t access */
    while (arena->len % sizeof(uint64_t))
        DPL_TRY(dpl__buf_putc(arena, 0));
    it->x_set_off = arena->len;
    DPL_TRY(dpl__buf_reserve(arena, c->pivot_text.n_terms * sizeof(uint64_t)));
    size_t n = term_set(arena, &c->pivot_text, &it->x_set_off);
    if (n == 0)
        return DPL_OK;
    it->x_set_n = n;
    it->x_text_off = arena->len;
    it->x_text_len = rec->text_len;
    return dpl__buf_append(arena, rec->text, rec->text_len);
}

static int spill_write(dpl_job *job, const void *data, size_t len)
{
    if (fwrite(data, 1, len, job->xspill) != len) {
        snprintf(job->errmsg, sizeof job->errmsg,
                 "cannot write the temporary cross-lingual file (is TMPDIR full?): %s",
                 strerror(errno));
        return DPL_EIO;
    }
    job->xspill_len += len;
    return DPL_OK;
}

int dpl__xling_merge(dpl_job *job, uint32_t d, const item *it)
{
    if (!job->xling)
        return DPL_OK;
    DPL_TRY(dpl__grow((void **)&job->xdocs, &job->xdocs_cap, (size_t)d + 1,
                      sizeof *job->xdocs));
    xdoc *x = &job->xdocs[d];
    memset(x, 0, sizeof *x);
    memcpy(x->lang, it->lang, sizeof x->lang);
    if (it->x_set_n == 0 || job->docs[d].exact_first != d || job->docs[d].status)
        return DPL_OK; /* exact copies follow their first; errors take no part */
    const char *arena = job->ctx[it->thread].arena[it->slot].data;
    DPL_TRY(dpl__term_df_add(job->df, (const uint64_t *)(arena + it->x_set_off), it->x_set_n));
    x->set_off = job->xspill_len;
    x->n_set = (uint32_t)it->x_set_n;
    DPL_TRY(spill_write(job, arena + it->x_set_off, it->x_set_n * sizeof(uint64_t)));
    x->text_off = job->xspill_len;
    x->text_len = it->x_text_len;
    return spill_write(job, arena + it->x_text_off, it->x_text_len);
}

/* ---------------------------------------------------------------- sketches ---------- */

static int read_spill(const dpl_job *job, uint64_t off, void *dst, size_t bytes);

/* The sketch of one document: MinHash of its term set without the terms too common in
 * this corpus to tell documents apart (all of them, if that leaves none). */
static int sketch_doc(dpl_job *job, uint32_t d, uint64_t **terms, size_t *cap, uint32_t *sig)
{
    const xdoc *x = &job->xdocs[d];
    DPL_TRY(dpl__grow((void **)terms, cap, x->n_set, sizeof **terms));
    DPL_TRY(read_spill(job, x->set_off, *terms, x->n_set * sizeof **terms));
    size_t kept = 0;
    for (size_t i = 0; i < x->n_set; i++)
        if (dpl__term_weight(job->df, (*terms)[i]) >= SKETCH_MIN_WEIGHT)
            (*terms)[kept++] = (*terms)[i];
    DPL_TRY(dpl__minhash_with(*terms, kept ? kept : x->n_set, job->xk, XLING_SEED,
                              job->xprobes, sig));
    dpl__band_keys(sig, job->xbands, job->xrows, job->xband_keys + (size_t)d * job->xbands);
    return DPL_OK;
}

static int sketch_all(dpl_job *job)
{
    size_t need = job->n_docs * job->xbands;
    DPL_TRY(dpl__grow((void **)&job->xband_keys, &job->xband_keys_cap, need ? need : 1,
                      sizeof *job->xband_keys));
    int failed = DPL_OK;
    long n = (long)job->n_docs;
#pragma omp parallel num_threads(job->threads)
    {
        uint64_t *terms = NULL;
        size_t cap = 0;
        uint32_t sig[DPL_MAX_NUM_PERM];
#pragma omp for schedule(dynamic, 256)
        for (long d = 0; d < n; d++) {
            if (job->xdocs[d].n_set == 0)
                continue;
            int rc = sketch_doc(job, (uint32_t)d, &terms, &cap, sig);
            if (rc != DPL_OK) {
#pragma omp atomic write
                failed = rc;
            }
        }
        free(terms);
    }
    return failed;
}

/* ---------------------------------------------------------------- candidates -------- */

typedef struct keyed {
    uint64_t key;
    uint32_t doc;
} keyed;

static int compare_keyed(const void *pa, const void *pb)
{
    const keyed *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->doc < b->doc ? -1 : a->doc > b->doc;
}

static int different_langs(const dpl_job *job, uint32_t a, uint32_t b)
{
    return strcmp(job->xdocs[a].lang, job->xdocs[b].lang) != 0;
}

static int add_pair(dpl__pair_list *p, uint32_t a, uint32_t b)
{
    DPL_TRY(dpl__grow((void **)&p->items, &p->cap, p->n + 1, sizeof *p->items));
    p->items[p->n++] = ((uint64_t)a << 32) | b;
    return DPL_OK;
}

/* One bucket's documents (sorted): all cross-language pairs, or a chain when huge. */
static int bucket_pairs(dpl_job *job, const keyed *g, size_t n, dpl__pair_list *out)
{
    for (size_t i = 0; i < n; i++) {
        size_t from = n <= MAX_BUCKET_PAIRS ? 0 : (i ? i - 1 : 0);
        for (size_t j = from; j < i; j++)
            if (different_langs(job, g[j].doc, g[i].doc))
                DPL_TRY(add_pair(out, g[j].doc, g[i].doc));
    }
    return DPL_OK;
}

static int band_pairs(dpl_job *job, unsigned band, keyed *entries, dpl__pair_list *out)
{
    size_t n = 0;
    for (size_t d = 0; d < job->n_docs; d++)
        if (job->xdocs[d].n_set)
            entries[n++] = (keyed){job->xband_keys[d * job->xbands + band], (uint32_t)d};
    qsort(entries, n, sizeof *entries, compare_keyed);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && entries[j].key == entries[i].key)
            j++;
        if (j - i > 1)
            DPL_TRY(bucket_pairs(job, entries + i, j - i, out));
        i = j;
    }
    return DPL_OK;
}

static int find_candidates(dpl_job *job, dpl__pair_list *pairs)
{
    keyed *entries = malloc((job->n_docs ? job->n_docs : 1) * sizeof *entries);
    if (!entries)
        return DPL_ENOMEM;
    int rc = DPL_OK;
    for (unsigned band = 0; band < job->xbands && rc == DPL_OK && !job->stop; band++)
        rc = band_pairs(job, band, entries, pairs);
    free(entries);
    return rc == DPL_OK ? dpl__pairs_sort_unique(pairs) : rc;
}

/* ---------------------------------------------------------------- pre-score --------- */

static int read_spill(const dpl_job *job, uint64_t off, void *dst, size_t bytes)
{
    return dpl__pread_all(job->xspill_fd, off, dst, bytes);
}

typedef struct loaded_set {
    uint32_t doc_plus_one;
    uint64_t *terms;
    size_t cap;
} loaded_set;

static int load_set(const dpl_job *job, uint32_t d, loaded_set *l)
{
    if (l->doc_plus_one == d + 1)
        return DPL_OK;
    const xdoc *x = &job->xdocs[d];
    DPL_TRY(dpl__grow((void **)&l->terms, &l->cap, x->n_set, sizeof *l->terms));
    DPL_TRY(read_spill(job, x->set_off, l->terms, x->n_set * sizeof *l->terms));
    l->doc_plus_one = d + 1;
    return DPL_OK;
}

static size_t common_terms(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    size_t i = 0, j = 0, c = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j])
            i++;
        else if (a[i] > b[j])
            j++;
        else
            c++, i++, j++;
    }
    return c;
}

/* Overlap of the two term sets as a share of the smaller: a partial translation is
 * contained in its original. */
static int prescore(dpl_job *job, const dpl__pair_list *pairs, float *scores)
{
    int failed = DPL_OK;
    long n = (long)pairs->n;
#pragma omp parallel num_threads(job->threads)
    {
        loaded_set a = {0}, b = {0};
#pragma omp for schedule(dynamic, 256)
        for (long i = 0; i < n; i++) {
            uint32_t da = (uint32_t)(pairs->items[i] >> 32), db = (uint32_t)pairs->items[i];
            int rc = load_set(job, da, &a);
            if (rc == DPL_OK)
                rc = load_set(job, db, &b);
            if (rc != DPL_OK) {
#pragma omp atomic write
                failed = rc;
                scores[i] = -1;
                continue;
            }
            size_t na = job->xdocs[da].n_set, nb = job->xdocs[db].n_set;
            size_t c = common_terms(a.terms, na, b.terms, nb);
            scores[i] = (float)c / (float)(na < nb ? na : nb);
        }
        free(a.terms);
        free(b.terms);
    }
    return failed;
}

/* ---------------------------------------------------------------- selection --------- */

/* For each document and each other language, the best-scored candidates: a document has
 * at most a few translations into one language, so aligning more is wasted work. */
typedef struct ranked {
    uint32_t doc, other;
    float score;
    uint32_t pair;
} ranked;

static int compare_ranked(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->doc != b->doc)
        return a->doc < b->doc ? -1 : 1;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return a->other < b->other ? -1 : a->other > b->other;
}

#define MAX_LANG_COUNTS 64

typedef struct lang_count {
    char lang[4];
    unsigned n;
} lang_count;

/* The counter of `lang`, added on first sight; NULL when the table is full (then every
 * candidate of such a language is aligned: correct, only slower). */
static unsigned *count_of(lang_count *counts, size_t *n, const char *lang)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(counts[i].lang, lang) == 0)
            return &counts[i].n;
    if (*n == MAX_LANG_COUNTS)
        return NULL;
    memcpy(counts[*n].lang, lang, sizeof counts[*n].lang);
    counts[*n].n = 0;
    return &counts[(*n)++].n;
}

static int select_pairs(dpl_job *job, const dpl__pair_list *pairs, const float *scores,
                        uint8_t *chosen)
{
    size_t n = 0;
    ranked *r = malloc((pairs->n ? pairs->n : 1) * 2 * sizeof *r);
    if (!r)
        return DPL_ENOMEM;
    for (size_t i = 0; i < pairs->n; i++) {
        if (scores[i] < MIN_PRESCORE)
            continue;
        uint32_t a = (uint32_t)(pairs->items[i] >> 32), b = (uint32_t)pairs->items[i];
        r[n++] = (ranked){a, b, scores[i], (uint32_t)i};
        r[n++] = (ranked){b, a, scores[i], (uint32_t)i};
    }
    qsort(r, n, sizeof *r, compare_ranked);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && r[j].doc == r[i].doc)
            j++;
        /* best first within one document: count per language of the other side */
        lang_count counts[MAX_LANG_COUNTS];
        size_t n_counts = 0;
        for (size_t k = i; k < j; k++) {
            unsigned *seen = count_of(counts, &n_counts, job->xdocs[r[k].other].lang);
            if (!seen || (*seen)++ < MAX_ALIGN_PER_LANG)
                chosen[r[k].pair] = 1;
        }
        i = j;
    }
    free(r);
    return DPL_OK;
}

/* ---------------------------------------------------------------- alignment --------- */

typedef struct aligner {
    dpl__pivot *pivot;
    dpl__sentencer *sentencer;
    dpl__align_doc a, b;
    uint32_t a_plus_one;
    dpl__alignment al;
    char *text;
    size_t text_cap;
} aligner;

static int prepare(const dpl_job *job, aligner *w, uint32_t d, dpl__align_doc *out)
{
    const xdoc *x = &job->xdocs[d];
    DPL_TRY(dpl__grow((void **)&w->text, &w->text_cap, x->text_len + 1, 1));
    DPL_TRY(read_spill(job, x->text_off, w->text, x->text_len));
    return dpl__align_prepare(w->pivot, w->sentencer, x->lang, w->text, x->text_len, job->df,
                              out);
}

static void aligner_free(aligner *w)
{
    dpl__pivot_free(w->pivot);
    dpl__sentencer_free(w->sentencer);
    dpl__align_doc_free(&w->a);
    dpl__align_doc_free(&w->b);
    dpl__alignment_free(&w->al);
    free(w->text);
}

static int align_one(dpl_job *job, aligner *w, uint32_t da, uint32_t db, xling_pair *out)
{
    if (w->a_plus_one != da + 1) {
        w->a_plus_one = 0;
        DPL_TRY(prepare(job, w, da, &w->a));
        w->a_plus_one = da + 1;
    }
    DPL_TRY(prepare(job, w, db, &w->b));
    DPL_TRY(dpl__align(&w->a, &w->b, &w->al));
    *out = (xling_pair){da, db, (float)w->al.score, (float)w->al.coverage_a,
                        (float)w->al.coverage_b};
    return DPL_OK;
}

static int align_chosen(dpl_job *job, const dpl__pair_list *pairs, const uint8_t *chosen,
                        xling_pair *results)
{
    int failed = DPL_OK;
    long n = (long)pairs->n;
#pragma omp parallel num_threads(job->threads)
    {
        aligner w;
        memset(&w, 0, sizeof w);
        int rc = dpl__pivot_create(job->opts.dict, job->xscript, &w.pivot);
        if (rc == DPL_OK && !(w.sentencer = dpl__sentencer_create()))
            rc = DPL_ENOMEM;
        if (rc != DPL_OK) {
#pragma omp atomic write
            failed = rc;
        }
#pragma omp for schedule(dynamic, 16)
        for (long i = 0; i < n; i++) {
            results[i].score = -1;
            if (!chosen[i] || rc != DPL_OK || job->stop)
                continue;
            uint32_t da = (uint32_t)(pairs->items[i] >> 32), db = (uint32_t)pairs->items[i];
            int e = align_one(job, &w, da, db, &results[i]);
            if (e != DPL_OK) {
#pragma omp atomic write
                failed = e;
            }
        }
        aligner_free(&w);
    }
    return failed;
}

static int accept(dpl_job *job, const dpl__pair_list *pairs, const xling_pair *results)
{
    for (size_t i = 0; i < pairs->n; i++) {
        const xling_pair *p = &results[i];
        if (p->score < 0 || (double)p->score < job->xthreshold)
            continue;
        DPL_TRY(dpl__grow((void **)&job->xpairs, &job->xpairs_cap, job->n_xpairs + 1,
                          sizeof *job->xpairs));
        job->xpairs[job->n_xpairs++] = *p;
        dpl__uf_union(&job->uf, p->a, p->b);
        if (p->score > job->xdocs[p->a].score)
            job->xdocs[p->a].score = p->score;
        if (p->score > job->xdocs[p->b].score)
            job->xdocs[p->b].score = p->score;
    }
    return DPL_OK;
}

static int run(dpl_job *job, dpl__pair_list *pairs, float **scores, uint8_t **chosen,
               xling_pair **results)
{
    DPL_TRY(sketch_all(job));
    DPL_TRY(find_candidates(job, pairs));
    job->sum.xling_candidates = pairs->n;
    size_t n = pairs->n ? pairs->n : 1;
    *scores = malloc(n * sizeof **scores);
    *chosen = calloc(n, 1);
    *results = malloc(n * sizeof **results);
    if (!*scores || !*chosen || !*results)
        return DPL_ENOMEM;
    DPL_TRY(prescore(job, pairs, *scores));
    DPL_TRY(select_pairs(job, pairs, *scores, *chosen));
    for (size_t i = 0; i < pairs->n; i++)
        job->sum.xling_aligned += (*chosen)[i];
    DPL_TRY(align_chosen(job, pairs, *chosen, *results));
    if (job->stop)
        return DPL_EINTERRUPTED;
    return accept(job, pairs, *results);
}

int dpl__xling_pass(dpl_job *job)
{
    if (!job->xling || job->n_docs == 0)
        return DPL_OK;
    if (fflush(job->xspill) != 0) {
        snprintf(job->errmsg, sizeof job->errmsg,
                 "cannot write the temporary cross-lingual file: %s", strerror(errno));
        return DPL_EIO;
    }
    dpl__pair_list pairs = {0};
    float *scores = NULL;
    uint8_t *chosen = NULL;
    xling_pair *results = NULL;
    int rc = run(job, &pairs, &scores, &chosen, &results);
    if (rc == DPL_EIO && !job->errmsg[0])
        snprintf(job->errmsg, sizeof job->errmsg,
                 "cannot read back the temporary cross-lingual file: %s", strerror(errno));
    free(pairs.items);
    free(scores);
    free(chosen);
    free(results);
    return rc;
}

const char *dpl__xling_lang(const dpl_job *job, uint32_t d)
{
    return job->xling && job->xdocs ? job->xdocs[d].lang : "";
}

/* ---------------------------------------------------------------- --aligned --------- */

/* The sentences [first, first + count) of a prepared document, as one byte span. */
static void sentence_span(const dpl__align_doc *d, size_t first, size_t count,
                          const char **text, size_t *len, const char *base)
{
    const dpl__span *last = &d->sents[first + count - 1];
    *text = base + d->sents[first].offset;
    *len = last->offset + last->len - d->sents[first].offset;
}

static int write_pair_links(dpl_job *job, aligner *w, const xling_pair *p, char *text_a,
                            FILE *f)
{
    const doc *da = &job->docs[p->a], *db = &job->docs[p->b];
    for (size_t k = 0; k < w->al.n_links; k++) {
        const dpl__link *l = &w->al.links[k];
        dpl__aligned_line line = {
            .a = job->ids.data + da->id_off, .a_len = da->id_len,
            .b = job->ids.data + db->id_off, .b_len = db->id_len,
            .a_first = l->a0, .a_count = l->a1 - l->a0,
            .b_first = l->b0, .b_count = l->b1 - l->b0, .score = l->score,
        };
        sentence_span(&w->a, l->a0, l->a1 - l->a0, &line.a_text, &line.a_text_len, text_a);
        sentence_span(&w->b, l->b0, l->b1 - l->b0, &line.b_text, &line.b_text_len, w->text);
        DPL_TRY(dpl__write_aligned_line(f, &line));
    }
    return DPL_OK;
}

/* Align each accepted pair again (they are few) and write its sentence links. */
int dpl__xling_write_aligned(dpl_job *job, FILE *f)
{
    aligner w;
    memset(&w, 0, sizeof w);
    char *text_a = NULL;
    size_t cap_a = 0;
    int rc = dpl__pivot_create(job->opts.dict, job->xscript, &w.pivot);
    if (rc == DPL_OK && !(w.sentencer = dpl__sentencer_create()))
        rc = DPL_ENOMEM;
    for (size_t i = 0; i < job->n_xpairs && rc == DPL_OK && !job->stop; i++) {
        const xling_pair *p = &job->xpairs[i];
        xling_pair again;
        w.a_plus_one = 0;
        rc = align_one(job, &w, p->a, p->b, &again);
        /* align_one left B's text in w.text; A's must be read back for its sentences */
        if (rc == DPL_OK)
            rc = dpl__grow((void **)&text_a, &cap_a, job->xdocs[p->a].text_len + 1, 1);
        if (rc == DPL_OK)
            rc = read_spill(job, job->xdocs[p->a].text_off, text_a, job->xdocs[p->a].text_len);
        if (rc == DPL_OK)
            rc = write_pair_links(job, &w, p, text_a, f);
    }
    free(text_a);
    aligner_free(&w);
    return rc;
}
