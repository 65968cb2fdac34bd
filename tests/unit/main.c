/* Runs the registered unit tests (see test.h). */
#include <string.h>

#include "tests/unit/test.h"

int g_test_failed;
static TestCase *g_tests;

void test_register(TestCase *t)
{
    TestCase **pp = &g_tests;
    while (*pp) {
        pp = &(*pp)->next;
    }
    *pp = t;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    for (TestCase *t = g_tests; t; t = t->next) {
        char full[256];
        snprintf(full, sizeof full, "%s.%s", t->suite, t->name);
        if (argc > 1 && !strstr(full, argv[1])) {
            continue;
        }
        g_test_failed = 0;
        t->fn();
        if (g_test_failed) {
            printf("FAIL %s\n", full);
            failed++;
        } else {
            passed++;
        }
    }
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
