#include "core/gpkg.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

int ctxprof_gpkg_point(const unsigned char *b, int n, double *x, double *y)
{
    *x = *y = NAN;
    if (!b)
        return 0;
    if (n < 8 || b[0] != 'G' || b[1] != 'P')
        return -1;
    if (b[3] & 0x10) /* the empty flag */
        return 0;
    static const int env_len[8] = {0, 32, 48, 48, 64, -1, -1, -1};
    int env = env_len[(b[3] >> 1) & 7];
    if (env < 0 || (b[3] & 0x20)) /* an unknown envelope, or an extended geometry */
        return -1;
    const unsigned char *w = b + 8 + env;
    if (n < 8 + env + 21 || w[0] > 1)
        return -1;
    uint32_t t;
    memcpy(&t, w + 1, 4);
    int le = w[0] == 1;
    uint16_t one = 1;
    int host_le = *(unsigned char *)&one == 1;
    if (le != host_le)
        t = __builtin_bswap32(t);
    /* Point, Point Z/M/ZM (ISO and the old 0x80000000 / 0x40000000 flags) */
    if (!(t == 1 || t == 1001 || t == 2001 || t == 3001 || (t & 0x3fffffffu) == 1))
        return -1;
    uint64_t u[2];
    memcpy(u, w + 5, 16);
    if (le != host_le) {
        u[0] = __builtin_bswap64(u[0]);
        u[1] = __builtin_bswap64(u[1]);
    }
    double px, py;
    memcpy(&px, &u[0], 8);
    memcpy(&py, &u[1], 8);
    if (isnan(px) && isnan(py)) /* an empty point written without the flag */
        return 0;
    *x = px;
    *y = py;
    return 1;
}
