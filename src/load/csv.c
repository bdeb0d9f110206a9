#include "load/csv.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Files OGR would split differently: a NUL byte (OGR's lines end there) or
 * a quoted field still open at the end (an odd number of quotes: outside
 * quotes every quote toggles quoting, inside them a doubled quote is a
 * literal one, so the parity of all quotes is whether the last record ends
 * inside quotes). */
static int readable(const char *d, size_t n)
{
    if (memchr(d, '\0', n))
        return 0;
    size_t quotes = 0;
    for (const char *p = d, *end = d + n; (p = memchr(p, '"', (size_t)(end - p))); p++)
        quotes++;
    return quotes % 2 == 0;
}

int ctxprof_csv_open_mem(ctxprof_ctx *ctx, ctxprof_csv *r, const char *data, size_t size,
                         char delim)
{
    (void)ctx;
    memset(r, 0, sizeof *r);
    if (!readable(data, size))
        return 1;
    r->data = data;
    r->size = size;
    r->delim = delim;
    if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        r->pos = 3;
    return 0;
}

int ctxprof_csv_open(ctxprof_ctx *ctx, ctxprof_csv *r, const char *path, char delim)
{
    memset(r, 0, sizeof *r);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ctxprof_error_at(ctx, CTXPROF_E_IO, path, 0, NULL, "cannot read the file");
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 1;
    }
    void *map = NULL;
    if (st.st_size > 0) {
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            close(fd);
            return 1; /* OGR reads it instead */
        }
        madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
    }
    close(fd);
    int rc = ctxprof_csv_open_mem(ctx, r, map ? map : "", (size_t)st.st_size, delim);
    if (rc) {
        if (map)
            munmap(map, (size_t)st.st_size);
        return rc;
    }
    r->map = map;
    r->map_size = (size_t)st.st_size;
    return 0;
}

static int grow_buf(ctxprof_ctx *ctx, ctxprof_csv *r, size_t need)
{
    size_t cap = r->cap ? r->cap : 1024;
    while (cap < need)
        cap *= 2;
    char *b = ctxprof_realloc(ctx, r->buf, cap);
    if (!b)
        return CTXPROF_E_NOMEM;
    r->buf = b;
    r->cap = cap;
    return 0;
}

static int add_cell(ctxprof_ctx *ctx, ctxprof_csv *r, size_t start)
{
    if (r->ncells == r->capcells) {
        int cap = r->capcells ? r->capcells * 2 : 64;
        size_t *o = ctxprof_reallocarray(ctx, r->off, (size_t)cap, sizeof *o);
        if (!o)
            return CTXPROF_E_NOMEM;
        r->off = o;
        r->capcells = cap;
    }
    r->off[r->ncells++] = start;
    return 0;
}

int ctxprof_csv_next(ctxprof_ctx *ctx, ctxprof_csv *r)
{
    const char *d = r->data;
    const size_t size = r->size;
    const char delim = r->delim;
    for (;;) {
        size_t p = r->pos;
        if (p >= size)
            return 0;
        r->ncells = 0;
        size_t n = 0; /* bytes in buf */
        size_t start = 0;
        int in = 0, chars = 0;
        while (p < size) {
            /* Copy a run of plain bytes at once. */
            size_t q = p;
            while (q < size) {
                char c = d[q];
                if (c == '\n' || c == '\r' || c == '"' || c == delim)
                    break;
                q++;
            }
            if (q > p) {
                if (n + (q - p) + 2 > r->cap && grow_buf(ctx, r, n + (q - p) + 2))
                    return CTXPROF_E_NOMEM;
                memcpy(r->buf + n, d + p, q - p);
                n += q - p;
                chars = 1;
                p = q;
                if (p >= size)
                    break;
            }
            if (n + 3 > r->cap && grow_buf(ctx, r, n + 3))
                return CTXPROF_E_NOMEM;
            char c = d[p];
            if (c == '\n' || c == '\r') {
                /* One line break: LF, CR, CR LF or LF CR. */
                p++;
                if (p < size && (d[p] == '\n' || d[p] == '\r') && d[p] != c)
                    p++;
                if (!in)
                    break;
                r->buf[n++] = '\n';
                chars = 1;
                continue;
            }
            chars = 1;
            if (c == '"') {
                if (in && p + 1 < size && d[p + 1] == '"') {
                    r->buf[n++] = '"';
                    p += 2;
                } else {
                    in = !in;
                    p++;
                }
                continue;
            }
            if (c == delim && !in) {
                r->buf[n++] = '\0';
                if (add_cell(ctx, r, start))
                    return CTXPROF_E_NOMEM;
                start = n;
                p++;
                continue;
            }
            r->buf[n++] = c; /* a delimiter inside quotes */
            p++;
        }
        r->pos = p;
        if (!chars)
            continue; /* an empty line is no record */
        if (n + 1 > r->cap && grow_buf(ctx, r, n + 1))
            return CTXPROF_E_NOMEM;
        r->buf[n++] = '\0';
        if (add_cell(ctx, r, start))
            return CTXPROF_E_NOMEM;
        return 1;
    }
}

double ctxprof_csv_progress(const ctxprof_csv *r)
{
    return r->size ? (double)r->pos / (double)r->size : 1;
}

void ctxprof_csv_close(ctxprof_ctx *ctx, ctxprof_csv *r)
{
    if (r->map)
        munmap(r->map, r->map_size);
    ctxprof_free(ctx, r->buf);
    ctxprof_free(ctx, r->off);
    memset(r, 0, sizeof *r);
}

/* Windows-1252 0x80..0x9F; 0 where undefined. 0xA0..0xFF are U+00A0..U+00FF. */
static const uint16_t cp1252_80[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

int ctxprof_cp1252_to_utf8(const char *s, char *out)
{
    unsigned char *o = (unsigned char *)out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned c = *p;
        if (c >= 0x80 && c < 0xA0 && !(c = cp1252_80[c - 0x80]))
            return -1;
        if (c < 0x80) {
            *o++ = (unsigned char)c;
        } else if (c < 0x800) {
            *o++ = (unsigned char)(0xC0 | (c >> 6));
            *o++ = (unsigned char)(0x80 | (c & 0x3F));
        } else {
            *o++ = (unsigned char)(0xE0 | (c >> 12));
            *o++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (unsigned char)(0x80 | (c & 0x3F));
        }
    }
    *o = '\0';
    return 0;
}
