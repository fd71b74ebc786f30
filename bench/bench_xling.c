/* bench_xling: the cross-lingual pass in figures.
 *
 *   bench_xling [--ntrex DIR] [--scale N] [--threads T] [--xling-threshold F]
 *               [--only dict|pairing|align|cost|scale] [--min-align-f1 F]
 *
 * 1. Dictionaries: the installed ones loaded twice into a fresh cache folder, parsed the
 *    first time and mapped from the compiled cache the second.
 * 2. Pairing on ntrex-dev (real news, 61 documents in 8 languages; documents sharing "doc"
 *    translate each other): all files mixed into one corpus and deduped with --xling at
 *    one global threshold, once with each record's "lang" field and once with the field
 *    removed (languages detected). Pair precision, recall and F1 per pair of languages.
 * 3. Sentence alignment: each true pair's sentences joined into running paragraphs (so
 *    boundaries must be found again), aligned with dpl_align(), links scored against the
 *    line-by-line truth (line i of one is line i of the other).
 * 4. Cost per document: pivot mapping and alignment, in milliseconds.
 * 5. Scale: N generated documents (default 100,000) in synthetic languages (see
 *    generate()), half of them with a translation; the pass at N/8, N/4, N/2 and N, to
 *    show that its cost grows about linearly.
 *
 * Without ntrex-dev (../shared/corpora/ntrex-dev by default) sections 2-4 are skipped with
 * a message. --min-align-f1 makes it a regression check (ctest xling_align_ntrex): exit 1
 * when section 3's F1 is below F, 77 (skipped) without ntrex-dev. */
#define _GNU_SOURCE
#include "doppel.h"

#include "xling/pivot.h" /* section 4 times the internal pivot mapping on its own */

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define N_LANGS 8
#define MAX_DOCS 128
#define MAX_LINES 64

static const char *const file_langs[N_LANGS] = {"eng", "deu", "fra", "spa",
                                                "ita", "bul", "rus", "zho-CN"};
static const char *const langs[N_LANGS] = {"eng", "deu", "fra", "spa",
                                           "ita", "bul", "rus", "zho"};

typedef struct ndoc {
    char *id, *doc, *text;
    size_t len;
    size_t n_lines;
    size_t line_off[MAX_LINES + 1]; /* byte offset of each line in text */
} ndoc;

typedef struct corpus {
    ndoc docs[N_LANGS][MAX_DOCS];
    size_t n[N_LANGS];
} corpus;

typedef struct settings {
    const char *ntrex;
    long scale;
    int threads;
    double threshold;
} settings;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- ntrex ---------------------------------------------------------------------------- */

/* One line per sentence of the truth; the newline that ends the text starts no line. */
static void split_lines(ndoc *d)
{
    d->n_lines = 0;
    size_t start = 0;
    for (size_t i = 0; i <= d->len && d->n_lines < MAX_LINES; i++) {
        if (i == d->len && start == d->len && d->n_lines > 0)
            break;
        if (i == d->len || d->text[i] == '\n') {
            d->line_off[d->n_lines++] = start;
            start = i + 1;
        }
    }
    d->line_off[d->n_lines] = d->len + 1;
}

static int load_ntrex(const char *dir, corpus *c)
{
    for (int l = 0; l < N_LANGS; l++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.jsonl", dir, file_langs[l]);
        FILE *f = fopen(path, "r");
        if (!f)
            return -1;
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0 && c->n[l] < MAX_DOCS) {
            json_object *o = json_tokener_parse(line);
            json_object *id, *doc, *text;
            if (o && json_object_object_get_ex(o, "id", &id) &&
                json_object_object_get_ex(o, "doc", &doc) &&
                json_object_object_get_ex(o, "text", &text)) {
                ndoc *d = &c->docs[l][c->n[l]++];
                d->id = strdup(json_object_get_string(id));
                d->doc = strdup(json_object_get_string(doc));
                d->text = strdup(json_object_get_string(text));
                d->len = strlen(d->text);
                split_lines(d);
            }
            json_object_put(o);
        }
        free(line);
        fclose(f);
    }
    return 0;
}

/* ---- running a job ---------------------------------------------------------------------- */

typedef struct found {
    char **a, **b;
    size_t n, cap;
} found;

static void found_add(found *f, const char *a, const char *b)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 1024;
        f->a = realloc(f->a, f->cap * sizeof *f->a);
        f->b = realloc(f->b, f->cap * sizeof *f->b);
    }
    f->a[f->n] = strdup(a);
    f->b[f->n++] = strdup(b);
}

static void found_free(found *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->a[i]);
        free(f->b[i]);
    }
    free(f->a);
    free(f->b);
    memset(f, 0, sizeof *f);
}

/* Run --xling on one JSONL file; collect the xling pairs. */
static int run_job(const settings *s, const dpl_dict *dict, const char *input, found *out,
                   dpl_summary *sum)
{
    char pairs[] = "/tmp/bench_xling_pairs.XXXXXX";
    int fd = mkstemp(pairs);
    if (fd < 0)
        return -1;
    close(fd);
    dpl_options o;
    dpl_options_init(&o);
    o.xling = 1;
    o.dict = dict;
    o.threads = s->threads;
    o.xling_threshold = s->threshold;
    dpl_job *job = dpl_job_create(&o);
    int rc = dpl_job_add_input(job, input);
    if (rc == DPL_OK)
        rc = dpl_job_set_output(job, DPL_OUTPUT_PAIRS, pairs);
    if (rc == DPL_OK)
        rc = dpl_job_run(job, sum);
    if (rc != DPL_OK)
        fprintf(stderr, "bench_xling: %s\n", dpl_job_errmsg(job));
    dpl_job_free(job);
    FILE *f = rc == DPL_OK ? fopen(pairs, "r") : NULL;
    char *line = NULL;
    size_t cap = 0;
    while (f && getline(&line, &cap, f) > 0) {
        json_object *obj = json_tokener_parse(line), *kind, *a, *b;
        if (obj && json_object_object_get_ex(obj, "kind", &kind) &&
            strcmp(json_object_get_string(kind), "xling") == 0 &&
            json_object_object_get_ex(obj, "a", &a) && json_object_object_get_ex(obj, "b", &b))
            found_add(out, json_object_get_string(a), json_object_get_string(b));
        json_object_put(obj);
    }
    free(line);
    if (f)
        fclose(f);
    unlink(pairs);
    return rc;
}

/* ---- section 1 ---------------------------------------------------------------------- */

/* The installed dictionaries through the user's cache, for runs of one other section. */
static dpl_dict *cached_dicts(void)
{
    char msg[1024];
    dpl_dict *dict = NULL;
    if (dpl_dict_load(NULL, 0, NULL, &dict, msg, sizeof msg) != DPL_OK) {
        fprintf(stderr, "bench_xling: %s\n", msg);
        return NULL;
    }
    return dict;
}

static dpl_dict *bench_dicts(void)
{
    char dir[] = "/tmp/bench_xling_cache.XXXXXX";
    if (!mkdtemp(dir))
        return NULL;
    char msg[1024];
    dpl_dict *dict = NULL;
    double t0 = now();
    if (dpl_dict_load(NULL, 0, dir, &dict, msg, sizeof msg) != DPL_OK) {
        fprintf(stderr, "bench_xling: %s\n", msg);
        return NULL;
    }
    double parse = now() - t0;
    dpl_dict_free(dict);
    t0 = now();
    dpl_dict_load(NULL, 0, dir, &dict, msg, sizeof msg);
    double mapped = now() - t0;
    printf("dictionaries: %zu entries, languages %s\n", dpl_dict_entries(dict),
           dpl_dict_languages(dict));
    printf("  first load (parse, stem, compile): %.2f s; second load (compiled cache): "
           "%.3f s\n\n", parse, mapped);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_xling: could not remove %s\n", dir);
    return dict;
}

/* ---- section 2 ---------------------------------------------------------------------- */

static int lang_of_id(const corpus *c, const char *id, const char **doc)
{
    for (int l = 0; l < N_LANGS; l++)
        for (size_t i = 0; i < c->n[l]; i++)
            if (strcmp(c->docs[l][i].id, id) == 0) {
                *doc = c->docs[l][i].doc;
                return l;
            }
    return -1;
}

static int write_mixed(const corpus *c, const char *path, int with_lang)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    for (int l = 0; l < N_LANGS; l++) {
        for (size_t i = 0; i < c->n[l]; i++) {
            const ndoc *d = &c->docs[l][i];
            json_object *o = json_object_new_object();
            json_object_object_add(o, "id", json_object_new_string(d->id));
            if (with_lang)
                json_object_object_add(o, "lang", json_object_new_string(langs[l]));
            json_object_object_add(o, "text", json_object_new_string(d->text));
            fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
            json_object_put(o);
        }
    }
    return fclose(f);
}

static void pairing(const settings *s, const corpus *c, const dpl_dict *dict, int with_lang)
{
    const char *path = "/tmp/bench_xling_ntrex.jsonl";
    write_mixed(c, path, with_lang);
    found f = {0};
    dpl_summary sum;
    double t0 = now();
    if (run_job(s, dict, path, &f, &sum) != DPL_OK)
        return;
    double secs = now() - t0;
    size_t tp[N_LANGS][N_LANGS] = {{0}}, fp[N_LANGS][N_LANGS] = {{0}};
    for (size_t i = 0; i < f.n; i++) {
        const char *da = "", *db = "";
        int la = lang_of_id(c, f.a[i], &da), lb = lang_of_id(c, f.b[i], &db);
        if (la < 0 || lb < 0)
            continue;
        int x = la < lb ? la : lb, y = la < lb ? lb : la;
        if (strcmp(da, db) == 0)
            tp[x][y]++;
        else
            fp[x][y]++;
    }
    printf("pairing on ntrex-dev, %s (%zu documents, %.2f s, %.1f ms/doc on %d threads; "
           "%llu candidates, %llu aligned):\n",
           with_lang ? "languages from the \"lang\" field" : "languages detected",
           sum.records, secs, secs * 1000 / (double)sum.records, s->threads,
           (unsigned long long)sum.xling_candidates, (unsigned long long)sum.xling_aligned);
    printf("  %-8s %9s %7s %6s\n", "pair", "precision", "recall", "F1");
    double min_p = 1, min_r = 1, min_r_zho = 1;
    size_t all_tp = 0, all_fp = 0, all_true = 0;
    for (int x = 0; x < N_LANGS; x++) {
        for (int y = x + 1; y < N_LANGS; y++) {
            size_t truth = c->n[x] < c->n[y] ? c->n[x] : c->n[y];
            double p = tp[x][y] + fp[x][y] ? (double)tp[x][y] / (double)(tp[x][y] + fp[x][y]) : 1;
            double r = truth ? (double)tp[x][y] / (double)truth : 0;
            printf("  %s-%s  %9.3f %7.3f %6.3f\n", langs[x], langs[y], p, r,
                   p + r > 0 ? 2 * p * r / (p + r) : 0);
            if (p < min_p)
                min_p = p;
            if (y == N_LANGS - 1 ? r < min_r_zho : r < min_r)
                *(y == N_LANGS - 1 ? &min_r_zho : &min_r) = r;
            all_tp += tp[x][y];
            all_fp += fp[x][y];
            all_true += truth;
        }
    }
    double p = all_tp + all_fp ? (double)all_tp / (double)(all_tp + all_fp) : 1;
    double r = (double)all_tp / (double)all_true;
    printf("  all       %9.4f %7.4f %6.4f   (lowest precision %.3f; lowest recall %.3f "
           "without zho, %.3f with zho)\n\n", p, r, 2 * p * r / (p + r), min_p, min_r,
           min_r_zho);
    found_free(&f);
}

/* ---- section 3 ---------------------------------------------------------------------- */

/* The document's lines joined into one paragraph: spaces between sentences, none in
 * Chinese. `starts` gets each line's offset in the joined text. */
static char *join_lines(const ndoc *d, int zho, size_t *starts, size_t *len)
{
    char *out = malloc(d->len + 1);
    size_t o = 0;
    for (size_t i = 0; i < d->n_lines; i++) {
        starts[i] = o;
        size_t from = d->line_off[i], to = d->line_off[i + 1] - 1;
        memcpy(out + o, d->text + from, to - from);
        o += to - from;
        if (!zho && i + 1 < d->n_lines)
            out[o++] = ' ';
    }
    starts[d->n_lines] = o + 1;
    out[o] = '\0';
    *len = o;
    return out;
}

/* The lines a byte span [off, off + len) covers: those it holds at least half of. A
 * sentence the splitter cut differently on one side (a fragment of the line before it,
 * say) still stands for its line. *first > *last when it covers none. */
static void lines_of(const size_t *starts, size_t n, size_t off, size_t len, size_t *first,
                     size_t *last)
{
    *first = SIZE_MAX;
    *last = 0;
    for (size_t i = 0; i < n; i++) {
        size_t from = starts[i], to = starts[i + 1] - 1; /* the line, without its separator */
        size_t lo = from > off ? from : off, hi = to < off + len ? to : off + len;
        if (hi > lo && 2 * (hi - lo) >= to - from) {
            if (*first == SIZE_MAX)
                *first = i;
            *last = i;
        }
    }
    if (*first != SIZE_MAX)
        return;
    /* a fragment of one line: the line that holds most of it */
    size_t best = 0, most = 0;
    for (size_t i = 0; i < n; i++) {
        size_t from = starts[i], to = starts[i + 1] - 1;
        size_t lo = from > off ? from : off, hi = to < off + len ? to : off + len;
        if (hi > lo && hi - lo > most)
            most = hi - lo, best = i;
    }
    *first = *last = best;
}

typedef struct link_score {
    size_t predicted, correct, lines, truth;
} link_score;

/* A link (a bead) is right when it joins the same lines on both sides: the truth links
 * line i with line i, so a link of lines 3-4 with lines 3-4 (two lines the sentence
 * splitter could not part, such as a headline without a full stop and the first
 * sentence) is right, and one of line 3 with line 4 is wrong. A link stands for the lines
 * it holds at least half of, or for a fragment of one line that line (lines_of). Recall
 * is the share of the truth's lines inside right links, each line counted once. */
static void score_links(const dpl_alignment *al, const size_t *sa, size_t na, const size_t *sb,
                        size_t nb, link_score *ls)
{
    ls->truth += na < nb ? na : nb;
    unsigned char seen[MAX_LINES] = {0};
    for (size_t k = 0; k < al->n_links; k++) {
        const dpl_align_link *l = &al->links[k];
        size_t a0, a1, b0, b1;
        lines_of(sa, na, l->a_offset, l->a_len, &a0, &a1);
        lines_of(sb, nb, l->b_offset, l->b_len, &b0, &b1);
        ls->predicted++;
        if (a0 == b0 && a1 == b1) {
            ls->correct++;
            for (size_t i = a0; i <= a1 && i < MAX_LINES; i++)
                ls->lines += !seen[i]++;
        } else if (getenv("BENCH_XLING_DIAG")) {
            printf("    wrong link: lines %zu-%zu with %zu-%zu (sentences %zu+%zu, %zu+%zu)\n",
                   a0, a1, b0, b1, l->a_first, l->a_count, l->b_first, l->b_count);
        }
    }
}

/* Returns the F1 over all pairs (0 when the aligner cannot be made). */
static double alignment(const corpus *c, const dpl_dict *dict)
{
    dpl_aligner *w;
    if (dpl_aligner_create(dict, &w) != DPL_OK)
        return 0.0;
    printf("sentence alignment of every true pair, sentences joined into paragraphs:\n");
    printf("  %-8s %9s %7s %6s\n", "pair", "precision", "recall", "F1");
    link_score all = {0, 0, 0, 0};
    size_t pairs = 0;
    double t0 = now();
    for (int x = 0; x < N_LANGS; x++) {
        for (int y = x + 1; y < N_LANGS; y++) {
            link_score ls = {0, 0, 0, 0};
            for (size_t i = 0; i < c->n[x] && i < c->n[y]; i++) {
                const ndoc *a = &c->docs[x][i], *b = &c->docs[y][i];
                size_t sa[MAX_LINES + 1], sb[MAX_LINES + 1], la, lb;
                char *ta = join_lines(a, x == 7, sa, &la), *tb = join_lines(b, y == 7, sb, &lb);
                dpl_alignment al;
                if (dpl_align(w, langs[x], ta, la, langs[y], tb, lb, &al) == DPL_OK)
                    score_links(&al, sa, a->n_lines, sb, b->n_lines, &ls);
                pairs++;
                free(ta);
                free(tb);
            }
            double p = ls.predicted ? (double)ls.correct / (double)ls.predicted : 0;
            double r = ls.truth ? (double)ls.lines / (double)ls.truth : 0;
            printf("  %s-%s  %9.3f %7.3f %6.3f\n", langs[x], langs[y], p, r,
                   p + r > 0 ? 2 * p * r / (p + r) : 0);
            all.predicted += ls.predicted;
            all.correct += ls.correct;
            all.lines += ls.lines;
            all.truth += ls.truth;
        }
    }
    double secs = now() - t0;
    double p = (double)all.correct / (double)all.predicted;
    double r = (double)all.lines / (double)all.truth;
    printf("  all       %9.4f %7.4f %6.4f   (%zu pairs, %.2f ms per pair with sentence "
           "splitting and pivot mapping, one thread)\n\n", p, r, 2 * p * r / (p + r), pairs,
           secs * 1000 / (double)pairs);
    dpl_aligner_free(w);
    return 2 * p * r / (p + r);
}

/* ---- section 4 ---------------------------------------------------------------------- */

static void pivot_cost(const corpus *c, const dpl_dict *dict)
{
    dpl_script *script;
    dpl__pivot *pivot;
    if (dpl_script_create(NULL, 0, &script) != DPL_OK)
        return;
    if (dpl__pivot_create(dict, script, &pivot) != DPL_OK) {
        dpl_script_free(script);
        return;
    }
    dpl__pivot_text pt = {0};
    printf("pivot mapping, ms per document (one thread; cold: first sight of each word, "
           "warm: again):\n ");
    for (int l = 0; l < N_LANGS; l++) {
        double cold = 0, warm = 0;
        for (int pass = 0; pass < 2; pass++) {
            double t0 = now();
            for (size_t i = 0; i < c->n[l]; i++)
                dpl__pivot_map(pivot, langs[l], c->docs[l][i].text, c->docs[l][i].len, &pt);
            *(pass ? &warm : &cold) = (now() - t0) * 1000 / (double)c->n[l];
        }
        printf(" %s %.2f/%.2f", langs[l], cold, warm);
    }
    printf("\n\n");
    dpl__pivot_text_free(&pt);
    dpl__pivot_free(pivot);
    dpl_script_free(script);
}

/* ---- section 5 ---------------------------------------------------------------------- */

/* Real translated text does not come in the hundreds of thousands of documents, so the
 * scale run uses synthetic languages: an English vocabulary (real function words for the
 * commonest ranks, then made-up words) drawn by Zipf's law, and for each of five
 * languages a made-up word for every English one, written out as a TSV dictionary. A
 * document is 120-360 words in sentences, with a few made-up names; its translation (half
 * of the documents have one) maps every word through the dictionary and drops 5% of them.
 * Only the cost and its growth matter here; accuracy is measured on ntrex-dev above. */
#define VOCAB 30000
#define N_SYN_LANGS 5
#define N_FUNCTION 60

static const char *const function_words[N_FUNCTION] = {
    "the", "of", "and", "to", "in", "a", "that", "is", "was", "he", "for", "it", "with",
    "as", "his", "on", "be", "at", "by", "had", "are", "but", "from", "or", "have", "an",
    "they", "which", "one", "were", "you", "all", "she", "there", "would", "their", "we",
    "him", "been", "has", "when", "who", "will", "more", "no", "if", "out", "so", "said",
    "what", "up", "its", "about", "into", "than", "them", "can", "only", "other", "new"};
static const char *const syn_langs[N_SYN_LANGS] = {"eng", "deu", "fra", "spa", "ita"};

static uint64_t rng_state = 0x5eed;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

typedef struct vocab {
    char *words[N_SYN_LANGS][VOCAB];
    double cdf[VOCAB];
} vocab;

static char *made_up_word(void)
{
    static const char *const syll[] = {"ka", "lo", "mi", "ne", "ru", "ta", "be", "so", "di",
                                       "pa", "ve", "go", "ni", "tu", "re", "sa", "mo", "le",
                                       "fi", "du", "ra", "ko", "pe", "zi", "ba", "no"};
    char w[32];
    size_t n = 0, k = 2 + rnd() % 3;
    for (size_t i = 0; i < k; i++)
        n += (size_t)snprintf(w + n, sizeof w - n, "%s", syll[rnd() % 26]);
    w[n++] = "rnstlmkd"[rnd() % 8];
    w[n] = '\0';
    return strdup(w);
}

static void make_vocab(vocab *v, const char *dict_path)
{
    rng_state = 0x5eed;
    FILE *f = fopen(dict_path, "w");
    double sum = 0;
    for (size_t r = 0; r < VOCAB; r++) {
        for (int l = 0; l < N_SYN_LANGS; l++)
            v->words[l][r] = l == 0 && r < N_FUNCTION ? strdup(function_words[r]) : made_up_word();
        for (int l = 1; l < N_SYN_LANGS; l++)
            fprintf(f, "%s\t%s\t%s\n", syn_langs[l], v->words[l][r], v->words[0][r]);
        sum += 1.0 / (double)(r + 1);
        v->cdf[r] = sum;
    }
    for (size_t r = 0; r < VOCAB; r++)
        v->cdf[r] /= sum;
    fclose(f);
}

static size_t zipf(const vocab *v)
{
    double u = (double)(rnd() % 1000000007) / 1000000007.0;
    size_t lo = 0, hi = VOCAB - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* One document's words as vocabulary ranks (names as ranks >= VOCAB, made up per doc). */
static size_t make_words(const vocab *v, size_t *words, size_t cap)
{
    size_t n = 120 + rnd() % 241;
    if (n > cap)
        n = cap;
    for (size_t i = 0; i < n; i++)
        words[i] = rnd() % 40 == 0 ? VOCAB + rnd() % 100000 : zipf(v);
    return n;
}

static void write_doc(FILE *f, const vocab *v, long group, int lang, const size_t *words,
                      size_t n, int translated)
{
    static char text[1 << 16];
    size_t o = 0, in_sentence = 0;
    for (size_t i = 0; i < n && o + 64 < sizeof text; i++) {
        if (translated && rnd() % 20 == 0)
            continue; /* a translation leaves a word out now and then */
        size_t start = o + (in_sentence ? 1 : 0);
        if (words[i] >= VOCAB)
            o += (size_t)snprintf(text + o, sizeof text - o, "%sName%zu",
                                  in_sentence ? " " : "", words[i] - VOCAB);
        else
            o += (size_t)snprintf(text + o, sizeof text - o, "%s%s", in_sentence ? " " : "",
                                  v->words[lang][words[i]]);
        if (!in_sentence && text[start] >= 'a' && text[start] <= 'z')
            text[start] = (char)(text[start] - 'a' + 'A'); /* sentences start capitalized */
        if (++in_sentence >= 8 + words[i] % 13) {
            o += (size_t)snprintf(text + o, sizeof text - o, ". ");
            in_sentence = 0;
        }
    }
    text[o] = '\0';
    json_object *obj = json_object_new_object();
    char id[64];
    snprintf(id, sizeof id, "g%ld/%s", group, syn_langs[lang]);
    json_object_object_add(obj, "id", json_object_new_string(id));
    json_object_object_add(obj, "lang", json_object_new_string(syn_langs[lang]));
    json_object_object_add(obj, "text", json_object_new_string(text));
    fprintf(f, "%s\n", json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
    json_object_put(obj);
}

/* n documents; returns the number of true pairs. */
static size_t generate(const vocab *v, long n, const char *path)
{
    FILE *f = fopen(path, "w");
    rng_state = 0xd0c5;
    size_t words[512], pairs = 0;
    long written = 0;
    for (long g = 0; written < n; g++) {
        size_t nw = make_words(v, words, 512);
        int l1 = (int)(rnd() % N_SYN_LANGS);
        write_doc(f, v, g, l1, words, nw, 0);
        written++;
        if (rnd() % 2 && written < n) {
            int l2 = (int)((l1 + 1 + rnd() % (N_SYN_LANGS - 1)) % N_SYN_LANGS);
            write_doc(f, v, g, l2, words, nw, 1);
            written++;
            pairs++;
        }
    }
    fclose(f);
    return pairs;
}

static int same_group(const char *a, const char *b)
{
    const char *sa = strchr(a, '/'), *sb = strchr(b, '/');
    return sa && sb && sa - a == sb - b && strncmp(a, b, (size_t)(sa - a)) == 0;
}

static void scale(const settings *s)
{
    static vocab v;
    const char *dict_path = "/tmp/bench_xling_synthetic.tsv";
    make_vocab(&v, dict_path);
    const char *paths[] = {dict_path};
    char msg[512];
    dpl_dict *dict;
    if (dpl_dict_load(paths, 1, "", &dict, msg, sizeof msg) != DPL_OK) {
        fprintf(stderr, "bench_xling: %s\n", msg);
        return;
    }
    printf("scale: synthetic languages (%d words, %d languages), half the documents with a "
           "translation, %d threads:\n", VOCAB, N_SYN_LANGS, s->threads);
    printf("  %9s %9s %10s %12s %10s %9s %9s %9s\n", "documents", "seconds", "ms/doc",
           "candidates", "cand/doc", "aligned", "precision", "recall");
    for (long n = s->scale / 8; n <= s->scale; n *= 2) {
        const char *path = "/tmp/bench_xling_scale.jsonl";
        size_t truth = generate(&v, n, path);
        found f = {0};
        dpl_summary sum;
        double t0 = now();
        if (run_job(s, dict, path, &f, &sum) != DPL_OK)
            break;
        double secs = now() - t0;
        size_t right = 0;
        for (size_t i = 0; i < f.n; i++)
            right += (size_t)same_group(f.a[i], f.b[i]);
        printf("  %9ld %9.2f %10.3f %12llu %10.1f %9llu %9.4f %9.4f\n", n, secs,
               secs * 1000 / (double)n, (unsigned long long)sum.xling_candidates,
               (double)sum.xling_candidates / (double)n,
               (unsigned long long)sum.xling_aligned,
               f.n ? (double)right / (double)f.n : 1.0,
               truth ? (double)right / (double)truth : 0.0);
        for (size_t i = 0; i < f.n && getenv("BENCH_XLING_SHOW"); i++)
            if (!same_group(f.a[i], f.b[i]))
                printf("    false pair: %s %s\n", f.a[i], f.b[i]);
        found_free(&f);
        if (!getenv("BENCH_XLING_SHOW"))
            unlink(path);
    }
    dpl_dict_free(dict);
    for (int l = 0; l < N_SYN_LANGS; l++)
        for (size_t r = 0; r < VOCAB; r++)
            free(v.words[l][r]);
    if (!getenv("BENCH_XLING_SHOW"))
        unlink(dict_path);
}

int main(int argc, char **argv)
{
    settings s = {"../shared/corpora/ntrex-dev", 100000, 2, 0};
    const char *only = NULL; /* one section, to iterate on it */
    double min_align_f1 = -1.0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--ntrex") == 0)
            s.ntrex = argv[i + 1];
        else if (strcmp(argv[i], "--scale") == 0)
            s.scale = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--threads") == 0)
            s.threads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--xling-threshold") == 0)
            s.threshold = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--only") == 0)
            only = argv[i + 1];
        else if (strcmp(argv[i], "--min-align-f1") == 0)
            min_align_f1 = atof(argv[i + 1]);
    }
#define RUN(section) (!only || strcmp(only, section) == 0)
    int status = 0;
    dpl_dict *dict = RUN("dict") ? bench_dicts() : cached_dicts();
    if (!dict)
        return 1;
    static corpus c;
    if (!RUN("dict") && load_ntrex(s.ntrex, &c) == 0) {
        if (RUN("pairing")) {
            pairing(&s, &c, dict, 1);
            pairing(&s, &c, dict, 0);
        }
        if (RUN("align")) {
            double f1 = alignment(&c, dict);
            if (f1 < min_align_f1) {
                fprintf(stderr, "bench_xling: sentence alignment F1 %.4f is below %.4f\n", f1,
                        min_align_f1);
                status = 1;
            }
        }
        if (RUN("cost"))
            pivot_cost(&c, dict);
    } else {
        printf("%s not found: the ntrex-dev sections are skipped\n\n", s.ntrex);
        if (min_align_f1 >= 0)
            status = 77;
    }
    dpl_dict_free(dict);
    if (s.scale > 0 && RUN("scale"))
        scale(&s);
    return status;
}
