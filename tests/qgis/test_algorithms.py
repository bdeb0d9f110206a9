"""Every algorithm of the ctxprof provider on the sample, headless; the
layer_styles table of the engine's GeoPackages; the CSP hotspot map.

    /usr/bin/python3 tests/qgis/test_algorithms.py --ctxprof build/src/ctxprof [-v]
"""

import csv
import json
import math
import os
import re
import sqlite3
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

import qgis_test_env as env  # first: private HOME, offscreen, --ctxprof

from qgis.testing import start_app  # noqa: E402

QGIS_APP = start_app()
sys.path.append('/usr/share/qgis/python/plugins')
sys.path.insert(0, env.PLUGIN_PARENT)

import processing  # noqa: E402
from processing.core.Processing import Processing  # noqa: E402
from processing.core.ProcessingConfig import ProcessingConfig  # noqa: E402
from qgis.PyQt.QtGui import QImage  # noqa: E402
from qgis.core import (QgsApplication, QgsCategorizedSymbolRenderer,  # noqa: E402
                       QgsGraduatedSymbolRenderer, QgsLayerTreeGroup, QgsMarkerSymbol,
                       QgsRendererCategory,
                       QgsPointXY, QgsProcessingFeedback, QgsProject, QgsRasterLayer,
                       QgsSingleBandPseudoColorRenderer, QgsVectorLayer)

import ctxprof  # noqa: E402  (the plugin package, from qgis-plugin/)
from ctxprof import runner  # noqa: E402
from ctxprof.algorithms import commands  # noqa: E402
from ctxprof.algorithms.base import CommandAlgorithm  # noqa: E402

Processing.initialize()
PLUGIN = ctxprof.classFactory(None)
PLUGIN.initProcessing()
ProcessingConfig.setSettingValue(runner.EXECUTABLE_SETTING, env.CTXPROF)

SAMPLE_DIR = os.path.dirname(env.SAMPLE_PROFILE)
with open(os.path.join(SAMPLE_DIR, 'truth', 'truth.json'), encoding='utf-8') as _f:
    TRUTH = json.load(_f)

# Every algorithm the provider must have: one per engine command, and the map.
ALGORITHM_IDS = {'runprofile', 'gazetteer', 'geocode', 'snap', 'corridors', 'people', 'overlap',
                 'peers', 'kde', 'hotspots', 'evaluate', 'exportshp', 'share', 'datarequest',
                 'cspmap'}

_sample = {}


def sample_gpkg():
    """One run of the sample profile (by the engine), shared by the tests."""
    if 'path' not in _sample:
        path = env.tmp_path('sample', 'profile.gpkg')
        subprocess.run([env.CTXPROF, 'run', env.SAMPLE_PROFILE, '-o', path, '-q'], check=True,
                       capture_output=True)
        _sample['path'] = path
    return _sample['path']


def run(alg, params, load=False):
    feedback = QgsProcessingFeedback()
    if load:
        return processing.runAndLoadResults('ctxprof:' + alg, params, feedback=feedback)
    return processing.run('ctxprof:' + alg, params, feedback=feedback)


# The class attribute of the graduated styles on a rate: NULL becomes -1,
# the "No rate" class.
RATE = 'coalesce("rate", -1)'


def qml_renderer(layer_name):
    """(renderer type, classification field) the style file sets."""
    root = ET.parse(os.path.join(env.STYLES, layer_name + '.qml')).getroot()
    r = root.find('renderer-v2')
    return r.get('type'), r.get('attr')


def vector(path, name):
    layer = QgsVectorLayer('{}|layername={}'.format(path, name), name, 'ogr')
    assert layer.isValid(), (path, name)
    return layer


def layer_names(path):
    con = sqlite3.connect(path)
    try:
        return {r[0]: r[1] for r in con.execute('SELECT table_name, data_type FROM gpkg_contents')}
    finally:
        con.close()


class LayerStylesTest(unittest.TestCase):
    """layer_styles in the engine's GeoPackages, read by QGIS itself."""

    def assert_styled_from_db(self, path, names):
        for name in names:
            layer = vector(path, name)
            kind, field = qml_renderer(name)
            renderer = layer.renderer()
            # A GeoPackage layer without a stored style opens as a single
            # symbol: the renderer of the .qml proves QGIS read layer_styles.
            self.assertEqual(renderer.type(), kind, name)
            if field:
                self.assertEqual(renderer.classAttribute(), field, name)

    def styles_rows(self, path):
        con = sqlite3.connect(path)
        try:
            return con.execute('SELECT f_table_name, f_geometry_column, styleName, useAsDefault, '
                               'owner, length(styleQML) FROM layer_styles '
                               'ORDER BY f_table_name, rowid').fetchall()
        finally:
            con.close()

    def test_every_styled_layer_of_a_run_opens_styled(self):
        path = sample_gpkg()
        contents = layer_names(path)
        styled = sorted(n for n, t in contents.items()
                        if t == 'features' and os.path.isfile(os.path.join(env.STYLES, n + '.qml')))
        # Every vector layer the engine writes has a style.
        self.assertEqual(sorted(n for n, t in contents.items() if t == 'features'), styled)
        for name in ('incidents', 'areas', 'schools', 'parks', 'bus_segments',
                     'school_catchments', 'hotspots', 'hotspot_gistar', 'corridors',
                     'corridor_routes', 'peer_groups', 'peer_group_contexts'):
            self.assertIn(name, styled)
        self.assertEqual(contents.get('layer_styles'), 'attributes')
        rows = self.styles_rows(path)
        # The density raster has its row too (no geometry column).
        self.assertEqual([r[0] for r in rows], sorted(styled + ['hotspot_density']))
        for table, geom, style, default, owner, size in rows:
            self.assertEqual(geom, '' if table == 'hotspot_density' else 'geom')
            self.assertEqual(style, table)
            self.assertEqual(default, 1)
            self.assertEqual(owner, 'ctxprof')
            kind, field = ('raster', None) if table == 'hotspot_density' else qml_renderer(table)
            # Graduated styles and the raster's are fitted to the data, and
            # say so; the others are the files of styles/.
            con = sqlite3.connect(path)
            qml, desc = con.execute('SELECT styleQML, description FROM layer_styles '
                                    'WHERE f_table_name = ?', (table,)).fetchone()
            con.close()
            with open(os.path.join(env.STYLES, table + '.qml'), encoding='utf-8') as f:
                fitted = kind in ('graduatedSymbol', 'raster')
                self.assertEqual(qml != f.read(), fitted, table)
                self.assertEqual(desc.endswith("values)") or desc.endswith("maximum)"), fitted,
                                 desc)
        self.assert_styled_from_db(path, styled)
        # The classification the styles set, as QGIS reads them back.
        areas_layer = vector(path, 'areas')  # the renderer lives as long as its layer
        areas = areas_layer.renderer()
        self.assertIsInstance(areas, QgsGraduatedSymbolRenderer)
        # (NULL is drawn in the "No rate" class, below 0, through the expression.)
        self.assertEqual(areas.classAttribute(), RATE)
        self.assertEqual([r.label() for r in areas.ranges() if r.upperValue() < 0], ['No rate'])
        self.assertEqual(len(areas.ranges()), 6)
        gistar_layer = vector(path, 'hotspot_gistar')
        gistar = gistar_layer.renderer()
        self.assertIsInstance(gistar, QgsCategorizedSymbolRenderer)
        # (QGIS reads category values back from the XML as text.)
        self.assertEqual(sorted(int(c.value()) for c in gistar.categories()), list(range(-3, 4)))
        self.assertTrue(vector(path, 'hotspots').labelsEnabled())

    def test_rewriting_keeps_one_row_per_layer_and_a_users_default(self):
        path = env.tmp_path('restyle', 'profile.gpkg')
        subprocess.run([env.CTXPROF, 'run', env.SAMPLE_PROFILE, '-o', path, '-q'], check=True,
                       capture_output=True)
        # A user saves their own default style for the schools.
        schools = vector(path, 'schools')
        schools.setRenderer(QgsCategorizedSymbolRenderer('phase', [QgsRendererCategory(
            'Secondary', QgsMarkerSymbol.createSimple({'color': '255,0,0'}), 'Secondary')]))
        schools.saveStyleToDatabase('my schools', 'mine', True, '')
        del schools
        # snap in place copies every layer (layer_styles too) into a new file.
        subprocess.run([env.CTXPROF, 'snap', path, '--profile', env.SAMPLE_PROFILE, '-q'],
                       check=True, capture_output=True)
        rows = self.styles_rows(path)
        ours = [r[0] for r in rows if r[4] == 'ctxprof']
        self.assertEqual(len(ours), len(set(ours)))  # not one more per rewrite
        self.assertIn(('schools', 'geom', 'my schools', 1), [r[:4] for r in rows])
        self.assertIn(('schools', 'geom', 'schools', 0, 'ctxprof'), [r[:5] for r in rows])
        schools = vector(path, 'schools')
        renderer = schools.renderer()
        self.assertEqual((renderer.type(), renderer.classAttribute()),
                         ('categorizedSymbol', 'phase'))
        self.assert_styled_from_db(path, [n for n in ours if n not in ('schools', 'hotspot_density')])

    def test_other_commands_write_styles_too(self):
        out = env.tmp_path('cmds', 'hot.gpkg')
        subprocess.run([env.CTXPROF, 'hotspots', sample_gpkg(), '--layer', 'incidents', '-o', out,
                        '-q'], check=True, capture_output=True)
        self.assertEqual([r[0] for r in self.styles_rows(out)],
                         ['hotspot_density', 'hotspot_gistar', 'hotspots'])
        self.assert_styled_from_db(out, ['hotspots', 'hotspot_gistar'])
        out = env.tmp_path('cmds', 'people.gpkg')
        subprocess.run([env.CTXPROF, 'people', env.SAMPLE_PROFILE, '-o', out, '-q'], check=True,
                       capture_output=True)
        self.assert_styled_from_db(out, ['incidents', 'peer_groups', 'peer_group_contexts'])


class AlgorithmsTest(unittest.TestCase):
    def setUp(self):
        QgsProject.instance().clear()

    def test_provider_has_every_algorithm(self):
        provider = QgsApplication.processingRegistry().providerById('ctxprof')
        self.assertEqual({a.name() for a in provider.algorithms()}, ALGORITHM_IDS)
        for alg in provider.algorithms():
            self.assertTrue(alg.shortHelpString(), alg.id())
            for p in alg.parameterDefinitions():
                self.assertTrue(p.help(), '{} {}'.format(alg.id(), p.name()))

    def test_parameters_mirror_the_cli_options(self):
        skip = {'--progress', '--json', '--quiet', '--verbose', '--help'}
        for cls in PLUGIN.provider.algorithms():
            if not isinstance(cls, CommandAlgorithm):
                continue
            command = cls.COMMAND[0]
            proc = subprocess.run([env.CTXPROF, 'help', command], capture_output=True, text=True)
            self.assertEqual(proc.returncode, 0, command)
            cli = {}
            for line in proc.stdout.splitlines():
                m = re.match(r'\s+(?:-\w, )?(--[\w-]+)(?: \S+)?\s+(.*)$', line)
                if m and m.group(1) not in skip:
                    cli[m.group(1)] = m.group(2).strip()
            ours = {('--output' if o.flag == '-o' else o.flag): o.label
                    for o in cls.OPTIONS if o.flag}
            for flag in getattr(cls, 'CLI_ONLY', ()):
                cli.pop(flag, None)
            self.assertEqual(ours, cli, command)

    def test_kinds_are_the_programs(self):
        proc = subprocess.run([env.CTXPROF, 'help', 'kinds'], capture_output=True, text=True,
                              check=True)
        kinds = re.findall(r'^\| \[`(\w+)`\]', proc.stdout, re.M)
        self.assertEqual(tuple(kinds), commands.KINDS)

    def test_places_gazetteer_and_geocode(self):
        gaz = env.tmp_path('alg', 'gaz.gpkg')
        results = run('gazetteer', {'PROFILE': env.SAMPLE_PROFILE, 'OUTPUT': gaz})
        self.assertEqual(results['OUTPUT'], gaz)
        summary = json.loads(results['JSON'])
        self.assertGreater(summary['postcode_units'], 1000)
        out = env.tmp_path('alg', 'geocoded.gpkg')
        results = run('geocode', {'INPUT': os.path.join(SAMPLE_DIR, 'incidents', 'asb_cases.csv'),
                                  'GAZETTEER': gaz, 'OUTPUT': out, 'ID': 'CaseRef', 'LON': 'Long',
                                  'LAT': 'Lat'})
        placed = vector(out, 'incidents')
        with open(os.path.join(SAMPLE_DIR, 'incidents', 'asb_cases.csv'), encoding='utf-8') as f:
            rows = sum(1 for _ in f) - 1
        rejects = vector(out, 'geocode_rejects').featureCount() + \
            vector(out, 'load_rejects').featureCount()
        # Every row placed or rejected with its reason; most placed.
        self.assertEqual(placed.featureCount() + rejects, rows)
        self.assertGreater(placed.featureCount(), 0.9 * rows)
        self.assertEqual(results['OUTPUT'], out)
        self.assertEqual(qml_renderer('incidents'), (placed.renderer().type(),
                                                     placed.renderer().classAttribute()))

    def test_contexts_snap_and_corridors_load_styled(self):
        src = sample_gpkg()
        out = env.tmp_path('alg', 'snap.gpkg')
        results = run('snap', {'INPUT': src, 'PROFILE': env.SAMPLE_PROFILE, 'OUTPUT': out,
                               'PARK_BUFFER': 25}, load=True)
        self.assertEqual(results['OUTPUT'], out)
        root = QgsProject.instance().layerTreeRoot()
        groups = [n for n in root.children() if isinstance(n, QgsLayerTreeGroup)]
        self.assertEqual(len(groups), 1)
        loaded = {n.name(): n.layer() for n in groups[0].findLayers()}
        for name in ('areas', 'schools', 'parks', 'bus_segments', 'school_catchments'):
            layer = loaded[name]
            self.assertTrue(layer.isValid(), name)
            renderer = layer.renderer()
            self.assertIsInstance(renderer, QgsGraduatedSymbolRenderer, name)
            self.assertEqual(renderer.classAttribute(), RATE)
            # Classes recomputed from this output: they span its rates; the
            # "No rate" class is kept.
            values = [f['rate'] for f in layer.getFeatures() if isinstance(f['rate'], float)]
            ranges = [r for r in renderer.ranges() if r.upperValue() >= 0]
            self.assertEqual([r.label() for r in renderer.ranges() if r.upperValue() < 0],
                             ['No rate'])
            self.assertAlmostEqual(ranges[0].lowerValue(), min(values), places=6)
            self.assertAlmostEqual(ranges[-1].upperValue(), max(values), places=6)
            self.assertTrue(ranges[0].label().endswith(('per ha', 'per km', 'pupils')),
                            ranges[0].label())
        density = loaded['hotspot_density'] if 'hotspot_density' in loaded else None
        if density is not None:  # snap copies vector layers only
            self.assertIsInstance(density.renderer(), QgsSingleBandPseudoColorRenderer)
        out2 = env.tmp_path('alg', 'corridors.gpkg')
        results = run('corridors', {'INPUT': src, 'PROFILE': env.SAMPLE_PROFILE,
                                    'OUTPUT': out2})
        self.assertEqual(json.loads(results['JSON'])['corridors'],
                         vector(out2, 'corridors').featureCount())
        routes = vector(out2, 'corridor_routes')
        self.assertEqual(routes.renderer().classAttribute(), 'coalesce("per_km", -1)')

    def test_people(self):
        out = env.tmp_path('alg', 'people.gpkg')
        results = run('people', {'PROFILE': env.SAMPLE_PROFILE, 'OUTPUT': out})
        summary = json.loads(results['JSON'])
        self.assertEqual(summary['peer_groups'], vector(out, 'peer_groups').featureCount())
        for command in ('overlap', 'peers'):
            out = env.tmp_path('alg', command + '.gpkg')
            results = run(command, {'PROFILE': env.SAMPLE_PROFILE, 'OUTPUT': out})
            self.assertEqual(results['OUTPUT'], out)
            self.assertIn('overlap' if command == 'overlap' else 'peer_groups', layer_names(out))

    def test_density_hotspots_and_evaluate(self):
        src = sample_gpkg()
        tif = env.tmp_path('alg', 'kde.tif')
        results = run('kde', {'INPUT': src, 'LAYER': 'incidents', 'OUTPUT': tif, 'RADIUS': 300,
                              'PIXEL': 50}, load=True)
        summary = json.loads(results['JSON'])
        self.assertEqual((summary['radius'], summary['pixel']), (300, 50))
        raster = QgsRasterLayer(tif, 'kde', 'gdal')
        self.assertTrue(raster.isValid())
        self.assertEqual(raster.width(), summary['cols'])
        loaded = [lyr for lyr in QgsProject.instance().mapLayers().values()
                  if lyr.source() == tif]
        self.assertEqual(len(loaded), 1)
        renderer = loaded[0].renderer()
        self.assertIsInstance(renderer, QgsSingleBandPseudoColorRenderer)
        # The ramp stretched to this surface's maximum.
        self.assertAlmostEqual(renderer.classificationMax(), summary['max'], places=3)

        out = env.tmp_path('alg', 'hotspots.gpkg')
        results = run('hotspots', {'INPUT': src, 'LAYER': 'incidents', 'OUTPUT': out,
                                   'SHARE': 0.05, 'RADIUS': 200,
                                   'STUDY_AREA': os.path.join(SAMPLE_DIR, 'northbrook.gpkg')
                                   + '|layername=study_area'})
        summary = json.loads(results['JSON'])
        self.assertEqual(vector(out, 'hotspots').featureCount(), len(summary['hotspots']))
        # The planted hotspots are among the top five.
        for h in TRUTH['hotspots']:
            self.assertTrue(any(math.hypot(s['x'] - h['x'], s['y'] - h['y']) < h['radius_m']
                                for s in summary['hotspots'][:5]), h['id'])

        table = env.tmp_path('alg', 'scores.csv')
        results = run('evaluate', {'TRAIN': src, 'TEST': src, 'LAYER': 'incidents',
                                   'COVERAGE': '1,5', 'SCORES': table})
        with open(results['SCORES'], encoding='utf-8', newline='') as f:
            rows = list(csv.reader(f))
        self.assertEqual(rows[0], ['coverage', 'area_m2', 'n_train', 'n_test', 'pai_train',
                                   'pai_test', 'rri'])
        self.assertEqual([float(r[0]) for r in rows[1:]], [1.0, 5.0])
        summary = json.loads(results['JSON'])
        for row, expected in zip(rows[1:], summary['results']):
            self.assertEqual(int(row[2]), expected['n_train'])
            self.assertAlmostEqual(float(row[5]), expected['pai_test'], places=4)
            self.assertEqual(float(row[6]), 1.0)  # the same period twice: RRI 1

    def test_export_share_and_datarequest(self):
        src = sample_gpkg()
        folder = os.path.dirname(env.tmp_path('alg', 'shp', 'x'))
        results = run('exportshp', {'INPUT': src, 'OUTPUT': folder,
                                    'LAYERS': 'incidents,areas'}, load=True)
        self.assertTrue(os.path.isfile(os.path.join(folder, 'areas.shp')))
        areas = [lyr for lyr in QgsProject.instance().mapLayersByName('areas')]
        self.assertEqual(len(areas), 1)
        self.assertEqual(areas[0].renderer().classAttribute(), RATE)
        self.assertEqual(results['OUTPUT'], folder)
        out = env.tmp_path('alg', 'share.gpkg')
        run('share', {'INPUT': src, 'OUTPUT': out, 'MIN_COUNT': 5, 'ROUND': 5})
        names = layer_names(out)
        self.assertNotIn('incidents', names)
        self.assertIn('areas', names)
        out = env.tmp_path('alg', 'request.md')
        run('datarequest', {'KIND': commands.KINDS.index('police_referral'), 'OUTPUT': out})
        with open(out, encoding='utf-8') as f:
            self.assertIn('police', f.read().lower())


# The CSP map's page: A4 landscape, the map frame where the template puts it.
def template_map_frame_mm():
    root = ET.parse(os.path.join(env.STYLES, 'csp_hotspot_map.qpt')).getroot()
    for item in root.iter('LayoutItem'):
        if item.get('id') == 'map':
            x, y, _ = item.get('position').split(',')
            w, h, _ = item.get('size').split(',')
            return float(x), float(y), float(w), float(h)
    raise AssertionError('no map item in the template')


def is_hot(color):
    """The reds of the density ramp's upper half, over whatever lies beneath."""
    r, g, b = color.red(), color.green(), color.blue()
    return r >= 150 and r - g >= 60 and r - b >= 40


class CspMapTest(unittest.TestCase):
    def render(self, category, stem):
        pdf, png = env.tmp_path('csp', stem + '.pdf'), env.tmp_path('csp', stem + '.png')
        results = run('cspmap', {'INPUT': sample_gpkg(), 'CATEGORY': category,
                                 'OUTPUT_PDF': pdf, 'OUTPUT_PNG': png, 'DPI': 100})
        with open(pdf, 'rb') as f:
            self.assertEqual(f.read(5), b'%PDF-')
        self.assertGreater(os.path.getsize(pdf), 20000)
        image = QImage(png)
        self.assertFalse(image.isNull())
        # A4 landscape at 100 dpi (QGIS rounds the page down to whole pixels).
        self.assertEqual(image.width(), int(297 / 25.4 * 100))
        self.assertEqual(image.height(), int(210 / 25.4 * 100))
        return results, image

    def pixel_of(self, results, x, y):
        xmin, ymin, xmax, ymax = [float(v) for v in results['MAP_EXTENT'].split(',')]
        left, top, width, height = [float(v) for v in results['MAP_PIXELS'].split(',')]
        return (left + (x - xmin) / (xmax - xmin) * width,
                top + (ymax - y) / (ymax - ymin) * height)

    def hot_share(self, image, px, py, radius_px):
        n = hot = 0
        r = int(radius_px)
        for dy in range(-r, r + 1):
            for dx in range(-r, r + 1):
                if dx * dx + dy * dy <= r * r:
                    n += 1
                    hot += is_hot(image.pixelColor(int(px) + dx, int(py) + dy))
        return hot / n

    def check(self, category, expected_hot):
        results, image = self.render(category, 'map_{}'.format(category))
        # The map frame is where the template says (mm at 100 dpi).
        frame = [v * 100 / 25.4 for v in template_map_frame_mm()]
        self.assertEqual([round(float(v)) for v in results['MAP_PIXELS'].split(',')],
                         [round(v) for v in frame])
        xmin, ymin, xmax, ymax = [float(v) for v in results['MAP_EXTENT'].split(',')]
        metres_per_px = (xmax - xmin) / frame[2]
        self.assertAlmostEqual(metres_per_px, (ymax - ymin) / frame[3], places=6)
        # Hot where the category's planted hotspots are...
        for h in TRUTH['hotspots']:
            if h['id'] not in expected_hot:
                continue
            px, py = self.pixel_of(results, h['x'], h['y'])
            share = self.hot_share(image, px, py, 120 / metres_per_px)
            self.assertGreater(share, 0.3, '{} {}: {:.2f} of the pixels within 120 m are hot'
                               .format(category, h['id'], share))
        # ... and not where the category's density is low.
        density = QgsRasterLayer('GPKG:{}:hotspot_density'.format(results['HOTSPOTS']), 'd',
                                 'gdal')
        self.assertTrue(density.isValid())
        provider, ext = density.dataProvider(), density.extent()
        top = provider.bandStatistics(1).maximumValue
        cold = 0
        for i in range(1, 20):
            for j in range(1, 20):
                x = ext.xMinimum() + ext.width() * i / 20
                y = ext.yMinimum() + ext.height() * j / 20
                value, ok = provider.sample(QgsPointXY(x, y), 1)
                if ok and value < 0.02 * top:
                    px, py = self.pixel_of(results, x, y)
                    self.assertFalse(is_hot(image.pixelColor(int(px), int(py))), (x, y))
                    cold += 1
        self.assertGreater(cold, 20)
        return results

    def test_cse_map(self):
        results = self.check(1, {'H1', 'H2'})  # CATEGORIES[1] is cse
        start, end = TRUTH['period']  # the profile's period, the map's default

        def counted(f):
            d = f['occurred_at'] or ''
            in_period = (d >= start or d in (start[:7], start[:4])) and d[:10] <= end
            return in_period and 'cse' in (f['categories'] or '').split('+')
        expected = sum(1 for f in vector(sample_gpkg(), 'incidents').getFeatures() if counted(f))
        self.assertGreater(expected, 100)
        self.assertEqual(int(results['N_INCIDENTS']), expected)

    def test_syv_map(self):
        self.check(2, {'H2', 'H3'})

if __name__ == '__main__':
    unittest.main()
