/* A tiny table-driven unit test harness.
 *
 *   TEST(pic, eoi_clears_isr) { ... EXPECT_EQ(a, b); ... }
 *
 * Tests register themselves at start-up; tests/unit/main.c runs them all (or those whose
 * "suite.name" contains argv[1]) and ends with the line "N passed, M failed".
 */
#ifndef X86PC_TEST_H
#define X86PC_TEST_H

#include <inttypes.h>
#include <stdio.h>

typedef struct TestCase {
    const char *suite, *name;
    void (*fn)(void);
    struct TestCase *next;
} TestCase;

void test_register(TestCase *t);
extern int g_test_failed; /* set by a failing EXPECT in the running test */

#define TEST(suite, name)                                                                      \
    static void test_##suite##_##name(void);                                                   \
    static TestCase test_case_##suite##_##name = {#suite, #name, test_##suite##_##name, 0};    \
    __attribute__((constructor)) static void test_reg_##suite##_##name(void)                   \
    {                                                                                          \
        test_register(&test_case_##suite##_##name);                                            \
    }                                                                                          \
    static void test_##suite##_##name(void)

#define EXPECT_TRUE(c)                                                                         \
    do {                                                                                       \
        if (!(c)) {                                                                            \
            printf("  %s:%d: expected %s\n", __FILE__, __LINE__, #c);                          \
            g_test_failed = 1;                                                                 \
        }                                                                                      \
    } while (0)

#define EXPECT_EQ(a, b)                                                                        \
    do {                                                                                       \
        uint64_t ea_ = (uint64_t)(a), eb_ = (uint64_t)(b);                                     \
        if (ea_ != eb_) {                                                                      \
            printf("  %s:%d: %s == 0x%" PRIx64 ", expected %s == 0x%" PRIx64 "\n", __FILE__,  \
                   __LINE__, #a, ea_, #b, eb_);                                                \
            g_test_failed = 1;                                                                 \
        }                                                                                      \
    } while (0)

#endif
