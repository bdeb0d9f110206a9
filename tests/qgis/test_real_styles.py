#!/usr/bin/python3
"""The styles stored in a real output fit its data (issue #18 pt 5).

    /usr/bin/python3 tests/qgis/test_real_styles.py --ctxprof build/src/ctxprof

Runs tests/data/real/camden.ini (police.uk for Camden, schools, parks, bus
segments, LSOAs, OSM roads) and opens every layer that has a row in its
layer_styles with PyQGIS, as a plain QGIS does: no feature is left without
a symbol (schools have no pupil count, so no rate: the "No rate" class), the
graduated classes are the layer's own (the top one holds its largest
value), the density raster's stored style is stretched to its own maximum,
and a map of the LSOAs renders the worst ones in the darkest class.
Exits 77 (skipped) without PyQGIS or ../shared/data/real.
"""
import os
import sqlite3
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

import qgis_test_env as env  # first: private HOME, offscreen, --ctxprof

sys.path.insert(0, os.path.join(env.ROOT, 'tests', 'lib'))
import real_data  # noqa: E402

real_data.require('police')

from qgis.core import (QgsExpressionContextUtils, QgsMapRendererSequentialJob,  # noqa: E402
                       QgsMapSettings, QgsRenderContext, QgsVectorLayer)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402
from qgis.testing import start_app  # noqa: E402

start_app()
PROFILE = os.path.join(env.ROOT, 'tests', 'data', 'real', 'camden.ini')


def unsymbolled(layer):
    """(features, features the layer's renderer draws no symbol for)."""
    renderer = layer.renderer()
    ctx = QgsRenderContext()
    ctx.expressionContext().appendScopes(
        QgsExpressionContextUtils.globalProjectLayerScopes(layer))
    renderer.startRender(ctx, layer.fields())
    n = missing = 0
    for f in layer.getFeatures():
        ctx.expressionContext().setFeature(f)
        n += 1
        missing += not renderer.willRenderFeature(f, ctx)
    renderer.stopRender(ctx)
    return n, missing


class RealStylesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gpkg = env.tmp_path('camden.gpkg')
        environ = dict(os.environ, CTXPROF_TEST_KEY='ab' * 32)
        subprocess.run([env.CTXPROF, 'run', PROFILE, '-o', cls.gpkg, '-q'], check=True,
                       env=environ)
        with sqlite3.connect(cls.gpkg) as db:
            cls.styles = dict(db.execute('SELECT f_table_name, styleQML FROM layer_styles'))

    def layer(self, name):
        layer = QgsVectorLayer('{}|layername={}'.format(self.gpkg, name), name, 'ogr')
        self.assertTrue(layer.isValid(), name)
        return layer

    def test_every_feature_has_a_symbol(self):
        vectors = [n for n in self.styles if n != 'hotspot_density']
        self.assertIn('schools', vectors)
        for name in vectors:
            n, missing = unsymbolled(self.layer(name))
            self.assertEqual(missing, 0, '{}: {} of {} features get no symbol'.format(
                name, missing, n))

    def test_schools_without_a_rate_are_drawn_as_no_rate(self):
        layer = self.layer('schools')
        renderer = layer.renderer()
        no_rate = [r for r in renderer.ranges() if r.label() == 'No rate']
        self.assertEqual(len(no_rate), 1)
        ctx = QgsRenderContext()
        ctx.expressionContext().appendScopes(
            QgsExpressionContextUtils.globalProjectLayerScopes(layer))
        renderer.startRender(ctx, layer.fields())
        colours, n_null = set(), 0
        for f in layer.getFeatures():
            if not isinstance(f['rate'], float):  # NULL
                n_null += 1
                ctx.expressionContext().setFeature(f)
                colours.add(renderer.symbolForFeature(f, ctx).color().name())
        renderer.stopRender(ctx)
        self.assertGreater(n_null, 0)
        self.assertEqual(colours, {no_rate[0].symbol().color().name()})

    def test_classes_are_the_layers_own(self):
        for name, field in (('areas', 'rate'), ('bus_segments', 'rate'),
                            ('school_catchments', 'rate'), ('corridors', 'per_km')):
            layer = self.layer(name)
            values = sorted(v for v in (f[field] for f in layer.getFeatures())
                            if isinstance(v, float))
            ranges = [r for r in layer.renderer().ranges() if r.upperValue() >= 0]
            self.assertEqual(len(ranges), 5, name)
            # Each class holds some of the layer's values; the largest is in the top one.
            for r in ranges:
                self.assertTrue(any(r.lowerValue() < v <= r.upperValue() or
                                    (r is ranges[0] and v == r.lowerValue()) for v in values),
                                '{}: class {} is empty'.format(name, r.label()))
            self.assertLessEqual(ranges[-1].lowerValue(), values[-1])
            self.assertEqual(ranges[-1].upperValue(), 1e15)

    def test_density_style_is_stretched_to_its_maximum(self):
        with sqlite3.connect(self.gpkg) as db:
            top, = db.execute("SELECT MAX(max) FROM gpkg_2d_gridded_tile_ancillary "
                              "WHERE tpudt_name = 'hotspot_density'").fetchone()
        root = ET.fromstring(self.styles['hotspot_density'].split('\n', 1)[1])
        shader = root.find('.//colorrampshader')
        items = shader.findall('item')
        self.assertAlmostEqual(float(shader.get('maximumValue')), top, delta=top * 1e-6)
        self.assertAlmostEqual(float(items[-1].get('value')), top, delta=top * 1e-6)
        self.assertEqual((items[0].get('value'), items[0].get('alpha')), ('0', '0'))

    def test_worst_areas_are_drawn_darkest(self):
        layer = self.layer('areas')
        ranges = layer.renderer().ranges()
        top = [r for r in ranges if r.upperValue() >= 0][-1]
        worst = max(layer.getFeatures(), key=lambda f: f['rate'])
        settings = QgsMapSettings()
        settings.setLayers([layer])
        settings.setDestinationCrs(layer.crs())
        settings.setExtent(layer.extent())
        settings.setOutputSize(QSize(800, 700))
        settings.setBackgroundColor(QColor('white'))
        job = QgsMapRendererSequentialJob(settings)
        job.start()
        job.waitForFinished()
        image = job.renderedImage()
        path = os.environ.get('CTXPROF_STYLES_PNG') or env.tmp_path('camden_areas.png')
        image.save(path)
        # The pixel at the worst LSOA's inner point has the top class's colour
        # (drawn at the layer's opacity over white).
        p = worst.geometry().pointOnSurface().asPoint()
        px = settings.mapToPixel().transform(p)
        got = QColor(image.pixel(int(px.x()), int(px.y())))
        want = top.symbol().color()
        a = want.alphaF() * layer.opacity()
        for g, w in ((got.red(), want.red()), (got.green(), want.green()),
                     (got.blue(), want.blue())):
            self.assertAlmostEqual(g, w * a + 255 * (1 - a), delta=12)


if __name__ == '__main__':
    unittest.main()
