"""The QGIS plugin through Processing, headless: provider, Run profile,
styled layers, progress, engine errors, cancel, styles and the zip.

    /usr/bin/python3 tests/qgis/test_plugin.py --ctxprof build/src/ctxprof [-v]
"""

import configparser
import os
import random
import subprocess
import sys
import time
import unittest
import zipfile

import qgis_test_env as env  # first: private HOME, offscreen, --ctxprof

from qgis.testing import start_app  # noqa: E402

QGIS_APP = start_app()
sys.path.append('/usr/share/qgis/python/plugins')
sys.path.insert(0, env.PLUGIN_PARENT)

import processing  # noqa: E402
from processing.core.Processing import Processing  # noqa: E402
from processing.core.ProcessingConfig import ProcessingConfig  # noqa: E402
from qgis.core import (QgsApplication, QgsCategorizedSymbolRenderer,  # noqa: E402
                       QgsLayerTreeGroup, QgsProcessingException, QgsProcessingFeedback,
                       QgsMapLayerType, QgsProject, QgsProviderRegistry,
                       QgsRasterLayer, QgsVectorLayer)

import ctxprof  # noqa: E402  (the plugin package, from qgis-plugin/)
from ctxprof import runner  # noqa: E402

Processing.initialize()
PLUGIN = ctxprof.classFactory(None)
PLUGIN.initProcessing()

ALG = 'ctxprof:runprofile'


class RecordingFeedback(QgsProcessingFeedback):
    """Keeps what the algorithm reports; cancels once progress passes cancel_at."""

    def __init__(self, cancel_at=None, quiet=False):
        super().__init__()
        self.cancel_at = cancel_at
        self.quiet = quiet
        self.progress_values = []
        self.infos, self.warnings, self.errors = [], [], []

    def setProgress(self, value):  # noqa: N802
        self.progress_values.append(value)
        super().setProgress(value)
        if self.cancel_at is not None and value > self.cancel_at and not self.isCanceled():
            self.cancelled_at = time.monotonic()
            self.cancel()

    def pushInfo(self, text):  # noqa: N802
        self.infos.append(text)
        if not self.quiet:
            super().pushInfo(text)

    def pushWarning(self, text):  # noqa: N802
        self.warnings.append(text)
        if not self.quiet:
            super().pushWarning(text)

    def reportError(self, text, fatalError=False):  # noqa: N802
        self.errors.append(text)
        if not self.quiet:
            super().reportError(text, fatalError)

    def pushConsoleInfo(self, text):  # noqa: N802
        self.infos.append(text)
        if not self.quiet:
            super().pushConsoleInfo(text)


def write_small_profile(stem):
    """A one-source profile (the sample's police.uk file), output result/out.gpkg."""
    sample = os.path.dirname(env.SAMPLE_PROFILE)
    with open(stem + '.ini', 'w') as f:
        f.write('[profile]\nname = Small profile\noutput = result/out.gpkg\nkey_file = {}\n\n'
                '[source.police_uk]\npath = {}\nkind = police_uk\n'.format(
                    os.path.join(sample, 'demo.key'),
                    os.path.join(sample, 'incidents', 'police_uk_street.csv')))
    return stem + '.ini'


def set_executable(path):
    ProcessingConfig.setSettingValue(runner.EXECUTABLE_SETTING, path)


class PluginTest(unittest.TestCase):
    def setUp(self):
        set_executable(env.CTXPROF)

    def test_metadata_is_complete(self):
        meta = configparser.ConfigParser(interpolation=None)
        meta.read(os.path.join(env.PLUGIN_PARENT, 'ctxprof', 'metadata.txt'), encoding='utf-8')
        general = meta['general']
        for key in ('name', 'qgisMinimumVersion', 'description', 'about', 'version', 'author',
                    'email', 'repository', 'tracker', 'homepage', 'category', 'tags',
                    'hasProcessingProvider', 'experimental'):
            self.assertTrue(general.get(key, '').strip(), 'metadata.txt lacks ' + key)
        self.assertEqual(general['qgisMinimumVersion'], '3.22')
        self.assertEqual(general['hasProcessingProvider'], 'yes')
        self.assertEqual(general['category'], 'Analysis')
        self.assertIn('GPL-2.0-or-later', general['about'])
        self.assertTrue(os.path.isfile(os.path.join(env.PLUGIN_PARENT, 'ctxprof',
                                                    general['icon'])))

    def test_provider_lists_the_algorithm(self):
        provider = QgsApplication.processingRegistry().providerById('ctxprof')
        self.assertIsNotNone(provider)
        self.assertEqual(provider.name(), 'ctxprof')
        self.assertIn(ALG, [a.id() for a in provider.algorithms()])
        alg = QgsApplication.processingRegistry().algorithmById(ALG)
        self.assertEqual(alg.displayName(), 'Run profile')
        names = [p.name() for p in alg.parameterDefinitions()]
        self.assertEqual(names[:2], ['PROFILE', 'OUTPUT'])
        output = alg.parameterDefinition('OUTPUT')
        self.assertIn("profile's output", output.description())
        self.assertTrue(output.flags() & output.FlagOptional)
        for name in ('OUTPUT', 'INCIDENTS', 'ROWS_READ', 'REJECTS_LOAD', 'REJECTS_GEOCODE'):
            self.assertIsNotNone(alg.outputDefinition(name), name)
        # The setting exists, so the Options dialog shows it.
        self.assertIn(runner.EXECUTABLE_SETTING, ProcessingConfig.settings)

    def test_run_sample_profile_loads_styled_layers(self):
        out = env.tmp_path('sample', 'profile.gpkg')
        feedback = RecordingFeedback()
        QgsProject.instance().clear()
        results = processing.runAndLoadResults(
            ALG, {'PROFILE': env.SAMPLE_PROFILE, 'OUTPUT': out}, feedback=feedback)

        self.assertEqual(results['OUTPUT'], out)
        self.assertTrue(os.path.isfile(out))
        self.assertEqual(results['PROFILE_NAME'], 'Northbrook sample')
        # The counts come from the engine's summary and add up.
        self.assertGreater(results['INCIDENTS'], 0)
        self.assertEqual(results['ROWS_READ'],
                         results['INCIDENTS'] + results['REJECTS_LOAD']
                         + results['REJECTS_GEOCODE'] + results['LINKAGE'])
        log = '\n'.join(feedback.infos)
        self.assertIn('police_referrals: ', log)
        self.assertIn('{} incidents'.format(results['INCIDENTS']), log)
        # The engine's own warning reached the log as a warning.
        self.assertTrue(any('demo pseudonym key' in w for w in feedback.warnings))

        # Progress came from the engine's ticks and reached 100, in order.
        engine = feedback.progress_values[:feedback.progress_values.index(100.0) + 1]
        self.assertEqual(engine[0], 0.0)
        self.assertEqual(engine, sorted(engine))
        self.assertGreaterEqual(len(engine), 40)  # 10 numbers and 30 dots

        # Every layer of the GeoPackage is a valid vector layer, with the
        # engine's row counts.
        sublayers = QgsProviderRegistry.instance().querySublayers(out)
        names = [d.name() for d in sublayers]
        for name in ('incidents', 'load_rejects', 'geocode_rejects', 'run_metadata',
                     'hotspot_density'):
            self.assertIn(name, names)
        for d in sublayers:
            if d.type() == QgsMapLayerType.RasterLayer:
                layer = QgsRasterLayer(d.uri(), d.name(), 'gdal')
            else:
                layer = QgsVectorLayer('{}|layername={}'.format(out, d.name()), d.name(), 'ogr')
            self.assertTrue(layer.isValid(), d.name())
        incidents = QgsVectorLayer(results['INCIDENTS_LAYER'], 'incidents', 'ogr')
        self.assertEqual(incidents.featureCount(), results['INCIDENTS'])
        rejects = QgsVectorLayer(out + '|layername=geocode_rejects', 'r', 'ogr')
        self.assertEqual(rejects.featureCount(), results['REJECTS_GEOCODE'])

        # Loaded into the project as one group named after the profile,
        # points first, the incidents styled by category.
        root = QgsProject.instance().layerTreeRoot()
        groups = [n for n in root.children() if isinstance(n, QgsLayerTreeGroup)]
        self.assertEqual([g.name() for g in groups], ['Northbrook sample'])
        children = [c.name() for c in groups[0].children()]
        self.assertEqual(children[0], 'incidents')
        self.assertEqual(sorted(children), sorted(names))
        loaded = QgsProject.instance().mapLayersByName('incidents')
        self.assertEqual(len(loaded), 1)
        self.assertTrue(loaded[0].isValid())
        self.assert_incidents_style(loaded[0].renderer())
        self.assertTrue(all(layer.isValid() for layer in QgsProject.instance().mapLayers().values()))

        # A run into another file is a second group, not a mix with the first.
        other = env.tmp_path('sample', 'other.gpkg')
        processing.runAndLoadResults(ALG, {'PROFILE': env.SAMPLE_PROFILE, 'OUTPUT': other},
                                     feedback=RecordingFeedback())
        groups = [n for n in root.children() if isinstance(n, QgsLayerTreeGroup)]
        self.assertEqual([len(g.children()) for g in groups], [len(names), len(names)])
        self.assertIn('other.gpkg', groups[0].findLayers()[0].layer().source())

        # Re-running into the first file: its layers show the new contents,
        # in one group named after the new profile.
        small = write_small_profile(env.tmp_path('sample', 'small'))
        results3 = processing.runAndLoadResults(ALG, {'PROFILE': small, 'OUTPUT': out},
                                                feedback=RecordingFeedback())
        self.assertLess(results3['INCIDENTS'], results['INCIDENTS'])
        groups = [n for n in root.children() if isinstance(n, QgsLayerTreeGroup)]
        self.assertEqual([g.name() for g in groups], ['Small profile', 'Northbrook sample'])
        reloaded = [n.layer() for n in groups[0].findLayers() if n.name() == 'incidents']
        self.assertEqual(len(reloaded), 1)
        self.assertEqual(reloaded[0].featureCount(), results3['INCIDENTS'])
        QgsProject.instance().clear()

    def test_load_layers_can_be_turned_off(self):
        out = env.tmp_path('noload', 'profile.gpkg')
        QgsProject.instance().clear()
        results = processing.runAndLoadResults(
            ALG, {'PROFILE': env.SAMPLE_PROFILE, 'OUTPUT': out, 'LOAD_LAYERS': False},
            feedback=RecordingFeedback())
        self.assertTrue(os.path.isfile(results['OUTPUT']))
        self.assertEqual(QgsProject.instance().count(), 0)

    def test_style_file_categorises_incidents(self):
        # The style file alone, applied to an engine output.
        path = os.path.join(env.STYLES, 'incidents.qml')
        layer = QgsVectorLayer('Point?crs=EPSG:27700&field=category:string', 'i', 'memory')
        message, ok = layer.loadNamedStyle(path)
        self.assertTrue(ok, message)
        self.assert_incidents_style(layer.renderer())

    def assert_incidents_style(self, renderer):
        self.assertIsInstance(renderer, QgsCategorizedSymbolRenderer)
        self.assertEqual(renderer.classAttribute(), 'category')
        cats = {c.value(): c for c in renderer.categories()}
        for key in env.CATEGORIES + ('',):  # '' is "all other values", NULL included
            self.assertIn(key, cats)
            self.assertTrue(cats[key].renderState(), key)
        self.assertEqual(cats['cse'].label(), 'Sexual exploitation (CSE)')
        self.assertEqual(cats['syv'].label(), 'Serious youth violence / gangs (SYV)')
        self.assertEqual(cats['hsb'].label(), 'Harmful sexual behaviour (HSB)')
        self.assertEqual(cats['tra'].label(), 'Teenage relationship abuse (TRA)')
        self.assertEqual(cats['online'].label(), 'Online exploitation')
        labels = [c.label() for c in cats.values()]
        self.assertEqual(len(set(labels)), len(labels))
        # Every class is told apart by colour and shape together.
        looks = {(c.symbol().color().name(), c.symbol().symbolLayer(0).shape())
                 for c in cats.values()}
        self.assertEqual(len(looks), len(cats))

    def test_style_files_are_generated_by_make_styles(self):
        out = env.tmp_path('styles', 'x')
        out = os.path.dirname(out)
        subprocess.run(['/usr/bin/python3', os.path.join(env.STYLES, 'make_styles.py'), out],
                       check=True, capture_output=True)
        for name in os.listdir(out):
            with open(os.path.join(out, name), 'rb') as a, \
                    open(os.path.join(env.STYLES, name), 'rb') as b:
                self.assertEqual(a.read(), b.read(),
                                 'styles/{} is stale: run styles/make_styles.py'.format(name))

    def test_engine_error_raises_with_its_message(self):
        profile = env.tmp_path('bad', 'unknown_key.ini')
        with open(profile, 'w') as f:
            f.write('[profile]\nname = bad\nbogus_key = 1\n')
        feedback = RecordingFeedback()
        with self.assertRaises(QgsProcessingException) as cm:
            processing.run(ALG, {'PROFILE': profile, 'OUTPUT': env.tmp_path('bad', 'o.gpkg')},
                           feedback=feedback)
        message = str(cm.exception)
        self.assertIn("{} line 3: unknown key 'bogus_key' in [profile]".format(profile), message)
        self.assertIn('exit status 1', message)
        self.assertFalse(os.path.exists(env.tmp_path('bad', 'o.gpkg')))

    def test_missing_executable_names_the_setting(self):
        path = os.environ['PATH']
        try:
            os.environ['PATH'] = env.WORK  # no ctxprof there
            set_executable('')
            with self.assertRaises(QgsProcessingException) as cm:
                processing.run(ALG, {'PROFILE': env.SAMPLE_PROFILE,
                                     'OUTPUT': env.tmp_path('nobin', 'o.gpkg')})
            self.assertIn("'ctxprof executable' setting", str(cm.exception))
            self.assertIn('PATH', str(cm.exception))
            # The setting's own check refuses a path that does not exist; a
            # file that is not a program gets through it and is caught here.
            not_a_program = env.tmp_path('nobin', 'ctxprof.txt')
            open(not_a_program, 'w').close()
            set_executable(not_a_program)
            with self.assertRaises(QgsProcessingException) as cm:
                processing.run(ALG, {'PROFILE': env.SAMPLE_PROFILE,
                                     'OUTPUT': env.tmp_path('nobin', 'o.gpkg')})
            self.assertIn(not_a_program, str(cm.exception))
            self.assertIn("'ctxprof executable' setting", str(cm.exception))
            # Empty setting: the ctxprof on PATH is used.
            os.environ['PATH'] = os.path.dirname(env.CTXPROF) + os.pathsep + path
            set_executable('')
            self.assertEqual(runner.find_ctxprof(), env.CTXPROF)
        finally:
            os.environ['PATH'] = path
            set_executable(env.CTXPROF)

    def test_default_output_is_the_profiles(self):
        # OUTPUT left empty: no -o, the engine writes the profile's `output`.
        profile = write_small_profile(env.tmp_path('default', 'p'))
        folder = os.path.dirname(profile)
        feedback = RecordingFeedback()
        results = processing.run(ALG, {'PROFILE': profile}, feedback=feedback)
        self.assertEqual(results['OUTPUT'], os.path.join(folder, 'result', 'out.gpkg'))
        self.assertTrue(os.path.isfile(results['OUTPUT']))
        self.assertGreater(results['INCIDENTS'], 0)

    def test_cancel_stops_the_engine(self):
        if not os.path.isfile(os.path.join(env.ROOT, '..', 'shared', 'data', 'real', 'police',
                                           '2016-01-metropolitan-street-5boroughs.csv')):
            self.skipTest('the real police.uk data (../shared/data/real) is not here')
        out = env.tmp_path('cancel', 'police.gpkg')
        feedback = RecordingFeedback(cancel_at=10)
        os.environ['CTXPROF_TEST_KEY'] = \
            '5f1d0c3a9e7b24681357ace02468bdf13579ace02468bdf13579ace02468bdf1'
        results = processing.run(ALG, {'PROFILE': env.POLICE_UK_PROFILE, 'OUTPUT': out},
                                 feedback=feedback)
        after_cancel = time.monotonic() - feedback.cancelled_at
        self.assertTrue(feedback.isCanceled())
        self.assertNotIn('OUTPUT', results)
        # The whole run takes about 14 s (more under the sanitizers); the
        # engine stops as soon as it is cancelled, past 10%.
        self.assertLess(after_cancel, 2.0)
        self.assertLess(max(feedback.progress_values), 20)
        self.assertTrue(any('cancelled' in i for i in feedback.infos))
        # No output, and no temporary file left by the terminated engine.
        self.assertEqual(os.listdir(os.path.dirname(out)), [])

    def test_zip_holds_the_package_and_its_styles(self):
        out = env.tmp_path('zip', 'ctxprof.zip')
        subprocess.run([os.path.join(env.PLUGIN_PARENT, 'build-zip'), out], check=True,
                       capture_output=True)
        names = zipfile.ZipFile(out).namelist()
        for name in ('ctxprof/__init__.py', 'ctxprof/metadata.txt', 'ctxprof/icon.svg',
                     'ctxprof/LICENSE', 'ctxprof/runner.py', 'ctxprof/algorithms/run_profile.py',
                     'ctxprof/styles/incidents.qml', 'ctxprof/styles/areas.qml',
                     'ctxprof/styles/hotspot_density.qml', 'ctxprof/styles/csp_hotspot_map.qpt',
                     'ctxprof/algorithms/commands.py', 'ctxprof/algorithms/cspmap.py'):
            self.assertIn(name, names)
        self.assertTrue(all(n.startswith('ctxprof/') for n in names))
        self.assertFalse([n for n in names if '__pycache__' in n or n.endswith('.pyc')])


class StderrParserTest(unittest.TestCase):
    STREAM = ("ctxprof: warning: demo key\n0...10...20...ctxprof: note\n30...40...50..."
              "60...70...80...90...100 - done.\nERROR 1: from GDAL\nctxprof: error: boom\n"
              "ctxprof: failed here")

    def parse(self, chunks):
        feedback = RecordingFeedback(quiet=True)
        parser = runner.StderrParser(feedback)
        for c in chunks:
            parser.feed_bytes(c)
        parser.close()
        return feedback.progress_values, parser.messages, parser.failure_message()

    def test_any_split_gives_the_same_result(self):
        data = self.STREAM.encode()
        whole = self.parse([data])
        progress, messages, failure = whole
        self.assertEqual(progress[0], 0.0)
        self.assertEqual(progress[-1], 100.0)
        self.assertEqual(progress, sorted(progress))
        self.assertEqual([p for p in progress if p % 10 == 0], [10.0 * i for i in range(11)])
        self.assertEqual(messages, [('warning', 'demo key'), ('info', 'note'),
                                    ('other', 'ERROR 1: from GDAL'), ('error', 'boom'),
                                    ('info', 'failed here')])
        self.assertEqual(failure, 'boom\nfailed here')
        self.assertEqual(self.parse([data[i:i + 1] for i in range(len(data))]), whole)
        rng = random.Random(1)
        for _ in range(50):
            cuts = sorted(rng.sample(range(1, len(data)), 8))
            chunks = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]
            self.assertEqual(self.parse(chunks), whole)

    def test_utf8_split_inside_a_character(self):
        data = 'ctxprof: warning: café\n'.encode()
        _, messages, _ = self.parse([data[:-3], data[-3:]])
        self.assertEqual(messages, [('warning', 'café')])


if __name__ == '__main__':
    unittest.main()
