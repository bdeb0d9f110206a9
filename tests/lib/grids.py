"""Coordinate transforms the real-data tests share."""
from osgeo import osr


def wgs84_to_bng():
    """lon/lat (EPSG:4326, x = longitude) -> British National Grid (EPSG:27700)."""
    wgs = osr.SpatialReference()
    wgs.ImportFromEPSG(4326)
    wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    bng = osr.SpatialReference()
    bng.ImportFromEPSG(27700)
    return osr.CoordinateTransformation(wgs, bng)
