#include "load/taxonomy.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *const ctxprof_category_names[CTXPROF_N_CATEGORIES] = {
    "cse",
    "syv",
    "hsb",
    "tra",
    "online",
    "missing",
    "exclusion",
    "asb",
    "da",
    "disturbance",
    "transport",
    "violence_all_ages",
    "robbery_all_ages",
    "weapons_all_ages",
    "public_order_all_ages",
    "drugs_all_ages",
};

const char *const ctxprof_flag_names[CTXPROF_N_FLAGS] = {
    "youth", "vulnerable", "weapon", "marac", "permanent", "fixed_term",
};

int ctxprof_taxonomy_parse(const char *list, const char *const *names, int n, uint32_t *mask,
                           char *bad_buf, size_t bad_size)
{
    *mask = 0;
    const char *p = list ? list : "";
    while (*p) {
        while (*p == '+' || *p == ',' || *p == ' ' || *p == '\t' || *p == ';')
            p++;
        const char *start = p;
        while (*p && *p != '+' && *p != ',' && *p != ' ' && *p != '\t' && *p != ';')
            p++;
        size_t len = (size_t)(p - start);
        if (!len)
            continue;
        int found = -1;
        for (int i = 0; i < n; i++)
            if (strlen(names[i]) == len && strncasecmp(names[i], start, len) == 0)
                found = i;
        if (found < 0) {
            snprintf(bad_buf, bad_size, "%.*s", (int)len, start);
            return -1;
        }
        *mask |= 1u << found;
    }
    return 0;
}

void ctxprof_taxonomy_format(uint32_t mask, const char *const *names, int n, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && used < size; i++)
        if (mask & (1u << i))
            used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? "+" : "", names[i]);
}

int ctxprof_taxonomy_first(uint32_t mask)
{
    for (int i = 0; i < 32; i++)
        if (mask & (1u << i))
            return i;
    return -1;
}
