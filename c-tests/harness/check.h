/*
 * check.h -- tiny test macros for the C tests.
 *
 *   CHECK(cond)          counts a pass, or prints file:line and the condition
 *   CHECK_EQ(a, b)       compares in the type of `a` (b is converted to it),
 *                        prints both values on failure
 *   CHECK_MSG(cond, ...) like CHECK with a printf-style explanation
 *   SKIP(...)            prints "SKIP: reason" (the rest of the caller
 *                        decides whether to go on)
 *   check_summary()      prints "N passed, M failed" as the last line and
 *                        returns the exit status (non-zero on any failure);
 *                        before it "K known bugs" when KNOWN_BUG checks
 *                        (tcommon.h) failed as expected
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_passed, check_failed;
static int check_skipped __attribute__((unused));
/* expected failures of KNOWN_BUG checks (tcommon.h): counted apart */
static int check_known __attribute__((unused));

#define CHECK(cond) do {                                                    \
    if (cond) {                                                             \
        check_passed++;                                                     \
    } else {                                                                \
        check_failed++;                                                     \
        printf("%s:%d: FAIL: CHECK(%s)\n", __FILE__, __LINE__, #cond);      \
        fflush(stdout);                                                     \
    }                                                                       \
} while (0)

#define CHECK_MSG(cond, ...) do {                                           \
    if (cond) {                                                             \
        check_passed++;                                                     \
    } else {                                                                \
        check_failed++;                                                     \
        printf("%s:%d: FAIL: CHECK(%s): ", __FILE__, __LINE__, #cond);      \
        printf(__VA_ARGS__);                                                \
        printf("\n");                                                       \
        fflush(stdout);                                                     \
    }                                                                       \
} while (0)

#define CHECK_EQ(a, b) do {                                                 \
    __typeof__(a) check_a_ = (a);                                           \
    __typeof__(a) check_b_ = (__typeof__(a))(b);                            \
    if (check_a_ == check_b_) {                                             \
        check_passed++;                                                     \
    } else {                                                                \
        check_failed++;                                                     \
        printf("%s:%d: FAIL: CHECK_EQ(%s, %s): 0x%llx (%lld) != 0x%llx (%lld)\n", \
               __FILE__, __LINE__, #a, #b,                                  \
               (unsigned long long)check_a_, (long long)check_a_,           \
               (unsigned long long)check_b_, (long long)check_b_);          \
        fflush(stdout);                                                     \
    }                                                                       \
} while (0)

#define SKIP(...) do {                                                      \
    check_skipped++;                                                        \
    printf("SKIP: ");                                                       \
    printf(__VA_ARGS__);                                                    \
    printf("\n");                                                           \
    fflush(stdout);                                                         \
} while (0)

/* Add the counts reported by a child process (see check_child_report). */
static inline void check_add(int passed, int failed)
{
    check_passed += passed;
    check_failed += failed;
}

static inline int check_summary(void)
{
    if (check_known) {
        printf("%d known bugs\n", check_known);
    }
    printf("%d passed, %d failed\n", check_passed, check_failed);
    fflush(stdout);
    return check_failed ? 1 : 0;
}

#endif /* CHECK_H */
