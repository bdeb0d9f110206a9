/* GeoPackage geometry blobs read without GDAL, for the readers that go
 * straight through SQLite (snap's incidents, kde's points): the standard
 * GeoPackage binary header, then WKB.
 */
#ifndef CTXPROF_GPKG_H
#define CTXPROF_GPKG_H

/* The point in the geometry blob b (n bytes): 1 with *x and *y set; 0 for no
 * geometry (NULL, the empty flag, or a point of NaNs); -1 for anything else
 * (another type, an extended or malformed blob), which GDAL must read. */
int ctxprof_gpkg_point(const unsigned char *b, int n, double *x, double *y);

#endif
