/* Tokenization by Unicode category, with one token per character for scripts written
 * without spaces. */
#include "check.h"
#include "doppel.h"
#include "text/text.h"

#include <stdlib.h>

static size_t tokens_of(const char *text, dpl_token *toks, size_t cap)
{
    return dpl_tokenize(text, strlen(text), toks, cap);
}

static void expect_tokens(const char *text, const char *const *want, size_t n)
{
    dpl_token toks[64];
    size_t got = tokens_of(text, toks, 64);
    CHECK_EQ_INT(got, n);
    for (size_t i = 0; i < n && i < got; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "%.*s", (int)toks[i].len, text + toks[i].offset);
        CHECK_EQ_STR(buf, want[i]);
    }
}

static uint64_t rng(uint64_t *st)
{
    *st ^= *st << 13;
    *st ^= *st >> 7;
    *st ^= *st << 17;
    return *st;
}

/* The 64-byte block path and the byte path must agree: prefixing spaces moves the block
 * boundaries across every position, and the tokens must stay the same, shifted. */
static void test_block_alignment(void)
{
    static const char *const pieces[] = {"word", "A", "z9", "_", " ", "  ", ",", "-", ".",
        "caf\xC3\xA9", "\xE4\xB8\xAD", "\xE0\xB8\x81\xE0\xB8\xB4", "\xCC\x81", "longerwordhere",
        "x", "\n", "0123456789"};
    uint64_t seed = 0x1234567;
    char text[2048], shifted[2200];
    dpl_token *a = malloc(4096 * sizeof *a), *b = malloc(4096 * sizeof *b);
    int mismatches = 0;
    for (int round = 0; round < 1500; round++) {
        size_t len = 0;
        int n = (int)(rng(&seed) % 200);
        int ascii_only = round % 2;
        for (int i = 0; i < n; i++) {
            const char *p = pieces[rng(&seed) % (ascii_only ? 9 : sizeof pieces / sizeof *pieces)];
            size_t m = strlen(p);
            if (len + m >= sizeof text)
                break;
            memcpy(text + len, p, m);
            len += m;
        }
        size_t na = dpl_tokenize(text, len, a, 4096);
        for (size_t pad = 1; pad < 64; pad += 7) {
            memset(shifted, ' ', pad);
            memcpy(shifted + pad, text, len);
            size_t nb = dpl_tokenize(shifted, len + pad, b, 4096);
            int same = na == nb;
            for (size_t k = 0; same && k < na; k++)
                same = a[k].offset + pad == b[k].offset && a[k].len == b[k].len;
            mismatches += !same;
        }
    }
    CHECK_EQ_INT(mismatches, 0);
    free(a);
    free(b);
}

static int same_tokens(const dpl_token *a, size_t na, const dpl_token *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t k = 0; k < na; k++)
        if (a[k].offset != b[k].offset || a[k].len != b[k].len)
            return 0;
    return 1;
}

/* The AVX-512 and AVX2 paths (where the CPU has them) and the portable one give the same
 * tokens: every ASCII byte value, at every position of a block, with non-ASCII letters
 * and marks now and then; and the same count, with the tokens that fit, when the array
 * is too short for all. */
static void test_simd_matches_portable(void)
{
    static const char *const other[] = {"\xC3\xA9", "\xE4\xB8\xAD", "\xCC\x81", "\xFF"};
    uint64_t seed = 0xC0FFEE;
    char text[512];
    dpl_token *a = malloc(1024 * sizeof *a), *b = malloc(1024 * sizeof *b);
    int mismatches = 0;
    for (int round = 0; round < 20000; round++) {
        size_t len = (size_t)(rng(&seed) % 400);
        for (size_t i = 0; i < len; i++) {
            uint64_t r = rng(&seed);
            /* mostly word bytes, so that words span blocks */
            text[i] = r % 4 ? "abcXYZ09_"[r % 9] : (char)(1 + (r >> 8) % 127);
        }
        if (round % 3 == 0 && len > 8) {
            const char *p = other[rng(&seed) % 4];
            size_t at = (size_t)(rng(&seed) % (len - 4));
            memcpy(text + at, p, strlen(p));
        }
        for (int spaced = 0; spaced < 2; spaced++) {
            size_t nb = dpl__tokenize_level(text, len, spaced, 0, b, 1024);
            size_t na = spaced ? dpl_tokenize_spaced(text, len, a, 1024)
                               : dpl_tokenize(text, len, a, 1024);
            mismatches += !same_tokens(a, na, b, nb);
            for (int level = 1; level <= 2; level++) {
                na = dpl__tokenize_level(text, len, spaced, level, a, 1024);
                mismatches += !same_tokens(a, na, b, nb);
                size_t cap = nb / 2; /* too short: counted all the same, nothing written past */
                for (size_t k = cap; k < 1024; k++)
                    a[k] = (dpl_token){12345, 678};
                na = dpl__tokenize_level(text, len, spaced, level, a, cap);
                mismatches += na != nb || !same_tokens(a, cap, b, cap);
                for (size_t k = cap; k < 1024; k++)
                    mismatches += a[k].offset != 12345 || a[k].len != 678;
            }
        }
    }
    CHECK_EQ_INT(mismatches, 0);
    free(a);
    free(b);
}

int main(void)
{
    test_block_alignment();
    test_simd_matches_portable();
    static const char *const t1[] = {"hello", "world", "42", "snake_case"};
    expect_tokens("hello, world! 42 -- snake_case.", t1, 4);
    static const char *const t2[] = {"caf\xC3\xA9", "na\xC3\xAFve"};
    expect_tokens("caf\xC3\xA9 (na\xC3\xAFve)", t2, 2);
    static const char *const t3[] = {"\xD0\xBC\xD0\xB8\xD1\x80", "\xCE\xBA\xCF\x8C\xCF\x83\xCE\xBC\xCE\xBF\xCF\x82"};
    expect_tokens("\xD0\xBC\xD0\xB8\xD1\x80 \xCE\xBA\xCF\x8C\xCF\x83\xCE\xBC\xCE\xBF\xCF\x82", t3, 2);
    /* Han: one token per ideograph; Latin next to it stays a word */
    static const char *const t4[] = {"\xE6\x96\xB0", "\xE9\x97\xBB", "abc", "\xE6\x8A\xA5"};
    expect_tokens("\xE6\x96\xB0\xE9\x97\xBB" "abc\xE6\x8A\xA5", t4, 4);
    /* Devanagari: vowel signs stay inside the word */
    static const char *const t5[] = {"\xE0\xA4\x95\xE0\xA4\xBF\xE0\xA4\xA4\xE0\xA4\xBE\xE0\xA4\xAC"};
    expect_tokens("\xE0\xA4\x95\xE0\xA4\xBF\xE0\xA4\xA4\xE0\xA4\xBE\xE0\xA4\xAC", t5, 1);
    /* Thai: a consonant with its following mark is one token */
    static const char *const t6[] = {"\xE0\xB8\x81\xE0\xB8\xB4", "\xE0\xB8\x99"};
    expect_tokens("\xE0\xB8\x81\xE0\xB8\xB4\xE0\xB8\x99", t6, 2);
    /* invalid bytes separate tokens and never crash */
    static const char *const t7[] = {"ab", "cd"};
    expect_tokens("ab\xFF" "cd", t7, 2);
    /* a too small array: the count is still the full count */
    dpl_token one[1];
    CHECK_EQ_INT(tokens_of("a b c", one, 1), 3);
    CHECK_EQ_INT(one[0].len, 1);
    CHECK_EQ_INT(tokens_of("", one, 1), 0);
    CHECK_EQ_INT(tokens_of(" ,. ", one, 1), 0);
    return check_report("test_tokenize");
}
