/* Tokenization by Unicode category, with one token per character for scripts written
 * without spaces. */
#include "check.h"
#include "doppel.h"

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

int main(void)
{
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
