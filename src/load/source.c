#include "load/source.h"

#include <string.h>

const char *ctxprof_source_field(const ctxprof_source *src, const char *key)
{
    for (size_t i = 0; i < src->n_fields; i++)
        if (strcmp(src->fields[i].key, key) == 0 && src->fields[i].value[0])
            return src->fields[i].value;
    return NULL;
}
