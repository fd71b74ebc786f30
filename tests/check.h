/* A minimal test harness: CHECK records a failure with file and line and goes on, so one
 * run shows every broken assertion; the program ends with the plain "N passed, N failed"
 * line and exits non-zero when anything failed. */
#ifndef DOPPEL_TEST_CHECK_H
#define DOPPEL_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (cond)                                                                \
            check_passed++;                                                      \
        else {                                                                   \
            check_failed++;                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                        \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                          \
    do {                                                                            \
        long long check_a = (long long)(a), check_b = (long long)(b);               \
        if (check_a == check_b)                                                     \
            check_passed++;                                                         \
        else {                                                                      \
            check_failed++;                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n", __FILE__, \
                    __LINE__, #a, #b, check_a, check_b);                            \
        }                                                                           \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                            \
    do {                                                                              \
        const char *check_a = (a), *check_b = (b);                                    \
        if (check_a && check_b && strcmp(check_a, check_b) == 0)                      \
            check_passed++;                                                           \
        else {                                                                        \
            check_failed++;                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (\"%s\" != \"%s\")\n",     \
                    __FILE__, __LINE__, #a, #b, check_a ? check_a : "(null)",         \
                    check_b ? check_b : "(null)");                                    \
        }                                                                             \
    } while (0)

static inline int check_report(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
