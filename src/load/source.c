#include "load/source.h"

#include <string.h>

const char *ctxprof_source_field(const ctxprof_source *src, const char *key)
{
    for (size_t i = 0; i < src->n_fields; i++)
        if (strcmp(src->fields[i].key, key) == 0 && src->fields[i].value[0])
            return src->fields[i].value;
    return NULL;
}

size_t ctxprof_source_n_files(const ctxprof_source *s)
{
    return s->n_paths ? s->n_paths : 1;
}

ctxprof_source ctxprof_source_part(const ctxprof_source *s, size_t i)
{
    ctxprof_source part = *s;
    if (s->paths && i < s->n_paths)
        part.path = s->paths[i];
    part.paths = NULL;
    part.n_paths = 1;
    return part;
}

size_t ctxprof_source_locate(const ctxprof_source *s, const int64_t *file_rows, int64_t row,
                             int64_t *file_row)
{
    size_t k = 0;
    int64_t before = 0;
    if (file_rows)
        for (; k + 1 < s->n_paths && row > file_rows[k]; k++)
            before = file_rows[k];
    *file_row = row - before;
    return k;
}
