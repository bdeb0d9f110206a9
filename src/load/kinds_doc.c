/* Markdown pages for the built-in source kinds (docs/sources/ is generated
 * from these, and a test keeps the two identical). */
#include <stdio.h>
#include <string.h>

#include "load/kinds.h"
#include "load/kinds_doc.h"

/* Prints a code-map CSV (code,categories,flags) as a Markdown table. */
static void codes_table(FILE *f, const char *csv)
{
    const char *line = strchr(csv, '\n'); /* skip the header */
    int rows = 0;
    while (line && line[1]) {
        line++;
        const char *end = strchr(line, '\n');
        int len = end ? (int)(end - line) : (int)strlen(line);
        char buf[256];
        snprintf(buf, sizeof buf, "%.*s", len, line);
        char *c1 = strchr(buf, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        if (c1 && c2) {
            *c1 = *c2 = '\0';
            if (!rows++)
                fprintf(f, "| code | categories | flags |\n|---|---|---|\n");
            const char *code = buf;
            int kw = strncmp(code, "kw:", 3) == 0;
            fprintf(f, "| %s`%s` | %s | %s |\n", kw ? "keyword " : "", kw ? code + 3 : code, c1 + 1,
                    c2 + 1);
        }
        line = end;
    }
    if (!rows)
        fprintf(f, "None: map this source's codes in the profile's `code_map`.\n");
}

void ctxprof_kind_markdown(FILE *f, const ctxprof_kind *k)
{
    fprintf(f, "# %s (`kind = %s`)\n\n%s\n\n", k->title, k->name, k->about);
    if (k->linkage)
        fprintf(f, "Rows of this kind are linkage records: they are counted (`linkage` in the "
                   "summary) and used to link people, never placed as incidents.\n\n");
    else
        fprintf(f, "Every row carries the categories: %s. Default `date_format`: `%s`.\n\n",
                *k->categories ? k->categories : "none (only what its codes say)", k->date_format);
    fprintf(f, "## Columns\n\nWhen the profile does not map a field, the first of these "
               "columns that the file has is used (case and surrounding spaces ignored). For "
               "`code` and `flags` every listed column present is used.\n\n"
               "| field | columns looked for |\n|---|---|\n");
    for (const ctxprof_kind_field *fl = k->fields; fl->key; fl++) {
        fprintf(f, "| `field.%s` | ", fl->key);
        for (const char *p = fl->aliases; *p; p++) {
            if (*p == '|')
                fputs(", ", f);
            else
                fputc(*p, f);
        }
        fputs(" |\n", f);
    }
    if (!k->linkage) {
        fprintf(f, "\n## Built-in code map\n\nUsed when the profile gives no `code_map` for the "
                   "source (a profile's code map replaces it).\n\n");
        codes_table(f, k->codes);
    }
}

void ctxprof_kinds_index_markdown(FILE *f)
{
    fprintf(f, "| kind | source |\n|---|---|\n");
    for (size_t i = 0; i < ctxprof_kind_count(); i++) {
        const ctxprof_kind *k = ctxprof_kind_at(i);
        fprintf(f, "| [`%s`](%s.md) | %s |\n", k->name, k->name, k->title);
    }
    fprintf(f, "\n## Keywords searched in every source's free text\n\nWith a kind's built-in "
               "code map, `field.text` is also searched for these words (whole words, any "
               "case). A profile's own `code_map` replaces them.\n\n");
    codes_table(f, ctxprof_common_keywords);
}
