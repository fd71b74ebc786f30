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

static int run_local(dpl_job *job, dpl_summary *sum, void *user)
{
    (void)user;
    return dpl_job_run(job, sum);
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
        print_usage();
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
        return cmd_version();
    if (strcmp(cmd, "dedupe") == 0)
        {
        dedupe_runner local = {run_local, NULL, 1, NULL, NULL};
        return cmd_dedupe(argc - 1, argv + 1, &local);
    }
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
