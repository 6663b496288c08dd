/*
 * check_memory_utils.c - capheap's esp_heap_alloc_caps.h and ESP-IDF's
 * esp_memory_utils.h (a stand-in with its declarations, in this directory)
 * in one translation unit, in both orders, as C and as C++; and with
 * capheap's own declaration switched on, after ESP-IDF's header. Each unit
 * answers with ESP-IDF's definitions. Compiling is most of the test.
 */
#include <stdio.h>

int utils_first_c(void);
int caps_first_c(void);
int own_decl_c(void);
int utils_first_cpp(void);
int caps_first_cpp(void);
int own_decl_cpp(void);

int main(void) {
    static const struct {
        const char *name;
        int (*check)(void);
    } units[] = {
        {"utils_first.c", utils_first_c},
        {"caps_first.c", caps_first_c},
        {"own_decl.c", own_decl_c},
        {"utils_first.cpp", utils_first_cpp},
        {"caps_first.cpp", caps_first_cpp},
        {"own_decl.cpp", own_decl_cpp},
    };
    int failures = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        int wrong = units[i].check();
        if (wrong) {
            printf("%s: %d wrong answers\n", units[i].name, wrong);
            failures++;
        }
    }
    printf("%s\n",
           failures ? "esp_memory_utils.h: FAILED" : "esp_memory_utils.h: ok");
    return failures ? 1 : 0;
}
