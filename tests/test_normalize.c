/* Normalization: each flag, the scripts we care about, invalid UTF-8, and the ASCII fast
 * path against the general path. */
#include "check.h"
#include "doppel.h"
#include "text/text.h"

#include <stdint.h>
#include <stdlib.h>

static char *norm_with(unsigned flags, const char *in, size_t len)
{
    dpl_normalizer *n = dpl_normalizer_create(flags);
    const char *out;
    size_t out_len;
    char *copy = NULL;
    if (n && dpl_normalize(n, in, len, &out, &out_len, NULL) == DPL_OK) {
        copy = malloc(out_len + 1);
        memcpy(copy, out, out_len + 1);
    }
    dpl_normalizer_free(n);
    return copy;
}

static void expect(unsigned flags, const char *in, const char *want)
{
    char *got = norm_with(flags, in, strlen(in));
    CHECK_EQ_STR(got, want);
    if (got && strcmp(got, want) != 0)
        fprintf(stderr, "  input: \"%s\"\n", in);
    free(got);
}

static void test_defaults(void)
{
    expect(0, "Hello,   World!\n", "hello world");
    expect(0, "  leading and trailing  ", "leading and trailing");
    expect(0, "", "");
    expect(0, "...!!!", "");
    /* NFKC: fullwidth letters, ligatures, superscripts */
    expect(0, "\xEF\xBC\xA8\xEF\xBD\x85\xEF\xBD\x8C\xEF\xBD\x8C\xEF\xBD\x8F", "hello"); /* Ｈｅｌｌｏ */
    expect(0, "\xEF\xAC\x81nance", "finance");               /* ﬁnance */
    expect(0, "x\xC2\xB2", "x2");                             /* x² */
    /* case folding beyond ASCII */
    expect(0, "Stra\xC3\x9F\x65", "strasse");                 /* Straße */
    expect(0, "\xCE\x9F\xCE\x94\xCE\x8C\xCE\xA3", "οδοσ");   /* ΟΔΌΣ -> final-sigma folded, tonos stripped */
    expect(0, "\xD0\x9C\xD0\x9E\xD0\xA1\xD0\x9A\xD0\x92\xD0\x90", "москва"); /* МОСКВА */
    /* diacritics, precomposed and decomposed, give the same text */
    expect(0, "caf\xC3\xA9", "cafe");
    expect(0, "cafe\xCC\x81", "cafe");
    expect(0, "\xC3\x85ngstr\xC3\xB6m", "angstrom");
    /* Hebrew points and Arabic vowel marks are removed */
    expect(0, "\xD7\xA9\xD6\xB8\xD7\x9C\xD7\x95\xD6\xB9\xD7\x9D", "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D");
    expect(0, "\xD9\x83\xD9\x8E\xD8\xAA\xD9\x8E\xD8\xA8\xD9\x8E", "\xD9\x83\xD8\xAA\xD8\xA8");
    /* Devanagari vowel signs spell words: kept */
    expect(0, "\xE0\xA4\x95\xE0\xA4\xBF\xE0\xA4\xA4\xE0\xA4\xBE\xE0\xA4\xAC",
           "\xE0\xA4\x95\xE0\xA4\xBF\xE0\xA4\xA4\xE0\xA4\xBE\xE0\xA4\xAC");
    /* CJK passes through; its punctuation folds to a space */
    expect(0, "\xE6\x96\xB0\xE9\x97\xBB\xE3\x80\x82\xE6\x8A\xA5\xE9\x81\x93",
           "\xE6\x96\xB0\xE9\x97\xBB \xE6\x8A\xA5\xE9\x81\x93"); /* 新闻。报道 */
    /* quotes and dashes of all kinds fold away */
    expect(0, "\xE2\x80\x9CQuoted\xE2\x80\x9D \xE2\x80\x94 text", "quoted text");
    /* soft hyphen and zero-width space are default-ignorable: removed */
    expect(0, "co\xC2\xADop\xE2\x80\x8B" "eration", "cooperation");
    /* no-break space and ideographic space are white space */
    expect(0, "a\xC2\xA0" "b\xE3\x80\x80" "c", "a b c");
}

static void test_flags_off(void)
{
    unsigned all = DPL_NORM_DEFAULT;
    expect(all & ~(unsigned)DPL_NORM_CASEFOLD, "Hello World", "Hello World");
    expect(all & ~(unsigned)DPL_NORM_PUNCT, "Hello, world!", "hello, world!");
    expect(all & ~(unsigned)DPL_NORM_WHITESPACE, " a  b\n", " a  b\n");
    expect(all & ~(unsigned)DPL_NORM_WHITESPACE, "a,b", "a b");
    expect(all & ~(unsigned)DPL_NORM_STRIPMARK, "caf\xC3\xA9", "caf\xC3\xA9");
    /* without STRIPMARK, decomposed input is still composed (NFC at least) */
    expect(all & ~(unsigned)DPL_NORM_STRIPMARK, "cafe\xCC\x81", "caf\xC3\xA9");
    /* without NFKC, compatibility forms stay (case folding alone still expands the
     * ligature, as Unicode's full case folding says) */
    expect(all & ~(unsigned)(DPL_NORM_NFKC | DPL_NORM_CASEFOLD), "\xEF\xAC\x81", "\xEF\xAC\x81");
    expect(all & ~(unsigned)DPL_NORM_NFKC, "\xEF\xAC\x81", "fi");
    expect(all & ~(unsigned)DPL_NORM_NFKC, "\xEF\xBC\xA8", "\xEF\xBD\x88"); /* Ｈ -> ｈ */
    expect(DPL_NORM_CASEFOLD, "A\tB", "a\tb");
}

static void test_invalid_utf8(void)
{
    dpl_normalizer *n = dpl_normalizer_create(0);
    const char *out;
    size_t len, replaced = 99;
    /* a stray continuation byte, an overlong '/', a surrogate, a truncated sequence */
    static const char bad[] = "a\x80" "b \xC0\xAF c\xED\xA0\x80" "d \xE2\x82";
    CHECK_EQ_INT(dpl_normalize(n, bad, sizeof bad - 1, &out, &len, &replaced), DPL_OK);
    CHECK_EQ_INT(replaced, 4);
    CHECK_EQ_STR(out, "a\xEF\xBF\xBD" "b \xEF\xBF\xBD c\xEF\xBF\xBD" "d \xEF\xBF\xBD");
    /* an invalid byte after more than 32 ASCII bytes, found by the 32-byte scan */
    static const char late[] = "abcdefghij abcdefghij abcdefghij abcdefghij\xFF" "z";
    CHECK_EQ_INT(dpl_normalize(n, late, sizeof late - 1, &out, &len, &replaced), DPL_OK);
    CHECK_EQ_INT(replaced, 1);
    CHECK_EQ_STR(out, "abcdefghij abcdefghij abcdefghij abcdefghij\xEF\xBF\xBDz");
    CHECK_EQ_INT(dpl_normalize(n, "ok", 2, &out, &len, &replaced), DPL_OK);
    CHECK_EQ_INT(replaced, 0);
    CHECK_EQ_INT(dpl_normalize(NULL, "ok", 2, &out, &len, NULL), DPL_EINVAL);
    dpl_normalizer_free(n);
    dpl_normalizer_free(NULL);
}

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random text mixing ASCII with accents, combining marks after ASCII and non-ASCII
 * letters, Latin-1 and Latin Extended letters, Greek, Cyrillic, Hebrew and Arabic with
 * their marks, Han, fullwidth forms, general punctuation, ignorables and no-break
 * spaces: the fast paths (ASCII and the 2-byte/punctuation table) must agree with the
 * general one, under every combination of the flags. */
static int normalize_equal(dpl_normalizer *a, dpl_normalizer *b, const char *text, size_t len)
{
    const char *x, *y;
    size_t xlen, ylen;
    dpl_normalize(a, text, len, &x, &xlen, NULL);
    char *copy = malloc(xlen + 1);
    memcpy(copy, x, xlen + 1);
    dpl_normalize(b, text, len, &y, &ylen, NULL);
    int equal = xlen == ylen && memcmp(copy, y, xlen) == 0;
    free(copy);
    return equal;
}

/* dpl__normalized_ascii() must tell the truth about the text just written. */
static int ascii_flag_true(dpl_normalizer *n, const char *text, size_t len)
{
    const char *out;
    size_t out_len;
    if (dpl_normalize(n, text, len, &out, &out_len, NULL) != DPL_OK)
        return 0;
    int ascii = 1;
    for (size_t i = 0; i < out_len; i++)
        ascii &= (unsigned char)out[i] < 0x80;
    return dpl__normalized_ascii(n) == ascii;
}

/* Random texts of `count_max` pieces: the ASCII fast path (with its AVX-512 or AVX2
 * blocks where the CPU has them, with AVX2 alone, and without either) must agree with
 * the general path. */
static void compare_pieces(unsigned flags, int rounds, const char *const *pieces,
                           size_t npieces, int count_max, int *mismatches)
{
    uint64_t seed = 0x9E3779B97F4A7C15ull ^ flags ^ (uint64_t)count_max;
    dpl_normalizer *fast = dpl_normalizer_create(flags);
    dpl_normalizer *scalar = dpl_normalizer_create(flags | DPL_NORM_NO_SIMD);
    dpl_normalizer *avx2 = dpl_normalizer_create(flags | DPL_NORM_NO_AVX512);
    dpl_normalizer *slow = dpl_normalizer_create(flags | DPL_NORM_NO_ASCII_FAST_PATH);
    size_t longest = 0;
    for (size_t i = 0; i < npieces; i++)
        longest = strlen(pieces[i]) > longest ? strlen(pieces[i]) : longest;
    char *text = malloc((size_t)count_max * longest + 1);
    for (int round = 0; round < rounds; round++) {
        size_t len = 0;
        int count = (int)(rng(&seed) % (uint64_t)count_max);
        for (int i = 0; i < count; i++) {
            const char *p = pieces[rng(&seed) % npieces];
            size_t n = strlen(p);
            memcpy(text + len, p, n);
            len += n;
        }
        *mismatches += !normalize_equal(fast, slow, text, len);
        *mismatches += !normalize_equal(scalar, slow, text, len);
        *mismatches += !normalize_equal(avx2, slow, text, len);
        *mismatches += !ascii_flag_true(fast, text, len) + !ascii_flag_true(slow, text, len);
    }
    free(text);
    dpl_normalizer_free(avx2);
    dpl_normalizer_free(fast);
    dpl_normalizer_free(scalar);
    dpl_normalizer_free(slow);
}

/* Random text mixing ASCII with accents, combining marks after ASCII and non-ASCII
 * letters, Latin-1 and Latin Extended letters, Greek, Cyrillic, Hebrew and Arabic with
 * their marks, Han, fullwidth forms, general punctuation, ignorables and no-break
 * spaces: the fast paths (ASCII and the 2-byte/punctuation table) must agree with the
 * general one, under every combination of the flags. */
static void compare_paths(unsigned flags, int rounds, int *mismatches)
{
    static const char *const pieces[] = {"A", "b", "Z", " ", "  ", "\n", ",", ".", "-", "'",
        "\"", "0", "9", "_", "\t", "e\xCC\x81", "\xC3\xA9", "\xD0\x96", "\xE4\xB8\xAD",
        "\xEF\xBC\xA1", "\xE2\x80\x94", "\xC2\xA0", "Stra\xC3\x9F\x65", "\xCC\x88", "~", "$",
        "words", "Word ", " and more ", "ABCDEFGH", "lower case text", "x9 y8 z7", "  ",
        "\xC3\x80", "\xC3\xB8", "\xC5\x93", "\xC4\xB0", "\xC7\x86", "\xC2\xBD", "\xC2\xAD",
        "\xC2\xAB", "\xC2\xBB", "\xE2\x80\x99", "\xE2\x80\x9C", "\xE2\x80\xA6", "\xE2\x80\x8B",
        "\xE2\x80\xAF", "\xE2\x81\x84", "\xCE\x86", "\xCE\xB1\xCC\x81", "\xCF\x82", "\xCE\x90",
        "\xD1\x91", "\xD0\xB5\xCC\x88", "\xD2\x83", "\xD7\xA9\xD7\x81", "\xD8\xA8\xD9\x8E",
        "\xCD\x84", "\xCD\x80", "\xC3\xA5\xCC\x8A", "\xC4\xB1", "\xC9\xA1", "\xDF\x80"};
    compare_pieces(flags, rounds, pieces, sizeof pieces / sizeof *pieces, 40, mismatches);
}

/* Long ASCII texts, so that the 32-byte blocks see every case: runs of spaces and
 * punctuation across block edges, blocks of spaces only, leading and trailing spaces,
 * upper case, control characters, and a rare non-ASCII letter that ends the run. */
static void compare_ascii_blocks(unsigned flags, int rounds, int *mismatches)
{
    static const char *const pieces[] = {"the ", "Quick ", "BROWN", " fox", ", ", ". ", "  ",
        "                                  ", "\n\n", "\t", "-", "--", "'s", "(a)", "[1]",
        "x", "Y", "0123456789", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "!!!", "...", "$5", "a_b", "~", "\x01", "\x7F", "\r\n", "e\xCC\x81", "\xC3\xA9",
        ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,", "word word word word word word word word "};
    compare_pieces(flags, rounds, pieces, sizeof pieces / sizeof *pieces, 120, mismatches);
}

static void test_fast_path_matches_general_path(void)
{
    int mismatches = 0;
    compare_paths(DPL_NORM_DEFAULT, 20000, &mismatches);
    compare_ascii_blocks(DPL_NORM_DEFAULT, 20000, &mismatches);
    for (unsigned flags = 1; flags < 32; flags++) { /* every subset of the five flags */
        compare_paths(flags, 2000, &mismatches);
        compare_ascii_blocks(flags, 500, &mismatches);
    }
    CHECK_EQ_INT(mismatches, 0);
}

/* A long run of non-ASCII text is cut into segments; the result must equal normalizing
 * the pieces separately wherever they join at a safe point, and stay valid. */
static void test_long_non_ascii_document(void)
{
    const char *word = "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82\xE3\x80\x81"; /* Привет、 */
    size_t wlen = strlen(word), reps = 100000;
    char *big = malloc(wlen * reps);
    for (size_t i = 0; i < reps; i++)
        memcpy(big + i * wlen, word, wlen);
    dpl_normalizer *n = dpl_normalizer_create(0);
    const char *out;
    size_t len;
    CHECK_EQ_INT(dpl_normalize(n, big, wlen * reps, &out, &len, NULL), DPL_OK);
    /* "привет " per word, the last space trimmed */
    CHECK_EQ_INT(len, reps * 13 - 1);
    CHECK(memcmp(out, "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 ", 13) == 0);
    dpl_normalizer_free(n);
    free(big);
}

/* Found in review: a megabyte with no safe cut made the general path cut blindly, in the
 * middle of a UTF-8 sequence (an error) or between a letter and its mark (a different
 * result). Both paths must agree, and succeed. */
static void compare_long(const char *unit, size_t repeat, const char *tail, unsigned flags)
{
    size_t ulen = strlen(unit), tlen = strlen(tail), len = ulen * repeat + tlen;
    char *text = malloc(len);
    for (size_t i = 0; i < repeat; i++)
        memcpy(text + i * ulen, unit, ulen);
    memcpy(text + ulen * repeat, tail, tlen);
    dpl_normalizer *fast = dpl_normalizer_create(flags);
    dpl_normalizer *slow = dpl_normalizer_create(flags | DPL_NORM_NO_ASCII_FAST_PATH);
    const char *a, *b;
    size_t alen = 0, blen = 0;
    CHECK_EQ_INT(dpl_normalize(fast, text, len, &a, &alen, NULL), DPL_OK);
    CHECK_EQ_INT(dpl_normalize(slow, text, len, &b, &blen, NULL), DPL_OK);
    CHECK(alen == blen && memcmp(a, b, alen) == 0);
    dpl_normalizer_free(fast);
    dpl_normalizer_free(slow);
    free(text);
}

static void test_long_runs_without_safe_cuts(void)
{
    compare_long("\xCE\xB1", 524288, "\xCC\x81", DPL_NORM_NFKC);          /* alpha..., acute */
    compare_long("\xCE\xB1", 524288, "\xCC\x81", DPL_NORM_NFKC | DPL_NORM_CASEFOLD);
    compare_long("x", 1, "", DPL_NORM_DEFAULT);
    compare_long("a", 1048576, "\xCC\x81", DPL_NORM_NFKC);
    compare_long("a", 1048575, "\xCE\xB1", DPL_NORM_NFKC);
    char *x_alpha = malloc(2 * 524288 + 2);
    x_alpha[0] = 'x';
    for (size_t i = 0; i < 524288; i++)
        memcpy(x_alpha + 1 + 2 * i, "\xCE\xB1", 2);
    x_alpha[1 + 2 * 524288] = '\0';
    compare_long(x_alpha, 1, "", DPL_NORM_DEFAULT);
    compare_long(x_alpha, 1, "", DPL_NORM_NFKC);
    free(x_alpha);
}

/* The first non-ASCII byte found by AVX-512 (where the CPU has it) and by the portable
 * scan agree, from every start, in texts of every length around the block sizes. */
static void test_ascii_end_paths(void)
{
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw")) {
        printf("test_normalize: no AVX-512 BW here, the SIMD ASCII scan is not compared\n");
        return;
    }
    uint64_t seed = 0xA5C11;
    char text[300];
    int mismatches = 0;
    for (size_t len = 0; len <= sizeof text; len++) {
        for (size_t j = 0; j < len; j++)
            text[j] = (char)(rng(&seed) % 97 == 0 ? 0x80 | rng(&seed) : rng(&seed) % 128);
        for (size_t i = 0; i <= len; i++)
            mismatches += dpl__ascii_end_avx512(text, i, len) !=
                          dpl__ascii_end_portable(text, i, len);
    }
    CHECK_EQ_INT(mismatches, 0);
}

int main(void)
{
    test_ascii_end_paths();
    test_defaults();
    test_flags_off();
    test_invalid_utf8();
    test_fast_path_matches_general_path();
    test_long_non_ascii_document();
    test_long_runs_without_safe_cuts();
    return check_report("test_normalize");
}
