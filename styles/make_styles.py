#!/usr/bin/python3
"""Writes the QGIS layer styles (.qml) of ctxprof's output layers.

The styles are built with PyQGIS and saved with saveNamedStyle, so that they
are valid for the QGIS that reads them and can be regenerated after a change
here:

    /usr/bin/python3 styles/make_styles.py            # rewrites styles/*.qml
    /usr/bin/python3 styles/make_styles.py OUTDIR     # writes them elsewhere

Each output layer with a style has a function below, listed in STYLES; the
layer's name in the GeoPackage is the file's name (incidents -> incidents.qml).
"""

import atexit
import os
import shutil
import sys
import tempfile

# QGIS must not write its settings into the user's home folder.
_home = tempfile.mkdtemp(prefix='ctxprof-styles-')
atexit.register(shutil.rmtree, _home, True)
os.environ.setdefault('QT_QPA_PLATFORM', 'offscreen')
# Qt orders XML attributes by a randomly seeded hash; a fixed seed makes the
# .qml files byte-for-byte reproducible.
os.environ['QT_HASH_SEED'] = '0'
os.environ['HOME'] = _home
os.environ['XDG_RUNTIME_DIR'] = _home

from qgis.core import (QgsApplication, QgsCategorizedSymbolRenderer,  # noqa: E402
                       QgsMapLayer, QgsMarkerSymbol, QgsRendererCategory,
                       QgsVectorLayer)

HERE = os.path.dirname(os.path.abspath(__file__))

OUTLINE = '35,35,35,255'

# The main category of an incident (the `category` column): taxonomy key,
# legend label, colour, marker shape, size in mm, drawing pass (higher on top).
# The five forms of harm are circles in the Okabe-Ito palette (distinct
# under the common colour-vision deficiencies); the context indicators are
# smaller and each has its own shape, so no class relies on colour alone.
INCIDENT_CATEGORIES = (
    ('cse', 'Sexual exploitation (CSE)', '#D55E00', 'circle', 3.0, 2),
    ('syv', 'Serious youth violence / gangs (SYV)', '#0072B2', 'circle', 3.0, 2),
    ('hsb', 'Harmful sexual behaviour (HSB)', '#CC79A7', 'circle', 3.0, 2),
    ('tra', 'Teenage relationship abuse (TRA)', '#E69F00', 'circle', 3.0, 2),
    ('online', 'Online exploitation', '#56B4E9', 'circle', 3.0, 2),
    ('missing', 'Missing (from home, care or school)', '#009E73', 'triangle', 2.6, 1),
    ('exclusion', 'School exclusion', '#F0E442', 'square', 2.2, 1),
    ('asb', 'Anti-social behaviour', '#999933', 'diamond', 2.6, 1),
    ('da', 'Domestic abuse', '#882255', 'pentagon', 2.6, 1),
    ('disturbance', 'Household disturbance or noise', '#DDCC77', 'hexagon', 2.4, 1),
    ('transport', 'Transport (bus) incident', '#44AA99', 'cross_fill', 2.6, 1),
    # An empty value is the renderer's "all other values": NULL (no
    # category) and any key added to the taxonomy later.
    ('', 'Other or not categorised', '#BBBBBB', 'circle', 1.6, 0),
)


def _marker(color, shape, size, rendering_pass):
    symbol = QgsMarkerSymbol.createSimple({
        'name': shape, 'color': color, 'outline_color': OUTLINE,
        'outline_width': '0.2', 'outline_width_unit': 'MM', 'size': str(size),
        'size_unit': 'MM'})
    symbol.symbolLayer(0).setRenderingPass(rendering_pass)
    return symbol


def make_incidents():
    layer = QgsVectorLayer('Point?crs=EPSG:27700&field=category:string(20)', 'incidents',
                           'memory')
    categories = [QgsRendererCategory(value, _marker(color, shape, size, rp), label, True)
                  for value, label, color, shape, size, rp in INCIDENT_CATEGORIES]
    renderer = QgsCategorizedSymbolRenderer('category', categories)
    # Symbol levels draw the forms of harm above the context indicators,
    # whatever the order of the features.
    renderer.setUsingSymbolLevels(True)
    layer.setRenderer(renderer)
    return layer


STYLES = {
    'incidents': make_incidents,
}


def main(argv):
    out_dir = os.path.abspath(argv[1]) if len(argv) > 1 else HERE
    os.makedirs(out_dir, exist_ok=True)
    app = QgsApplication([], False)
    app.initQgis()
    try:
        for name, make in STYLES.items():
            layer = make()
            path = os.path.join(out_dir, name + '.qml')
            message, ok = layer.saveNamedStyle(
                path, QgsMapLayer.Symbology | QgsMapLayer.Rendering)
            if not ok:
                print('make_styles: {}: {}'.format(path, message), file=sys.stderr)
                return 1
            print(path)
    finally:
        app.exitQgis()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
