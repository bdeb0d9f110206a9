"""The packaged plugin under qgis_process, headless, as a user or CI runs it.

    /usr/bin/python3 tests/qgis/test_qgis_process.py --ctxprof build/src/ctxprof [-v]

Builds the zip (qgis-plugin/build-zip), unpacks it into a plugin folder named
by QGIS_PLUGINPATH, enables the plugin (qgis_process.bin plugins enable
ctxprof: QGIS 3.22 loads only enabled plugins) and runs ctxprof:runprofile.
The ctxprof setting is left empty, so the program is found on PATH.
"""

import json
import os
import subprocess
import sys
import unittest
import zipfile

import qgis_test_env as env  # first: private HOME, offscreen, --ctxprof

if not os.access(env.QGIS_PROCESS, os.X_OK):
    print('SKIP: {} is not installed (Debian package qgis)'.format(env.QGIS_PROCESS))
    sys.exit(env.SKIP)

from osgeo import ogr  # noqa: E402


def qgis_process(*args):
    return subprocess.run([env.QGIS_PROCESS] + list(args), capture_output=True, text=True,
                          timeout=120)


class QgisProcessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        plugins = os.path.dirname(env.tmp_path('plugins', 'x'))
        archive = env.tmp_path('dist', 'ctxprof.zip')
        subprocess.run([os.path.join(env.PLUGIN_PARENT, 'build-zip'), archive], check=True,
                       capture_output=True)
        zipfile.ZipFile(archive).extractall(plugins)
        os.environ['QGIS_PLUGINPATH'] = plugins
        os.environ['PATH'] = os.path.dirname(env.CTXPROF) + os.pathsep + os.environ['PATH']
        enabled = qgis_process('plugins', 'enable', 'ctxprof')
        assert enabled.returncode == 0, enabled.stdout + enabled.stderr

    def test_run_profile(self):
        out = env.tmp_path('qp', 'sample.gpkg')
        proc = qgis_process('--json', 'run', 'ctxprof:runprofile', '--',
                            'PROFILE=' + env.SAMPLE_PROFILE, 'OUTPUT=' + out)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        doc = json.loads(proc.stdout)
        results = doc['results']
        self.assertEqual(results['OUTPUT'], out)
        self.assertEqual(doc['algorithm_details']['id'], 'ctxprof:runprofile')
        self.assertEqual(doc['provider_details']['name'], 'ctxprof')
        ds = ogr.Open(out)
        self.assertIsNotNone(ds)
        self.assertEqual(ds.GetLayerByName('incidents').GetFeatureCount(), results['INCIDENTS'])
        self.assertEqual(results['ROWS_READ'],
                         results['INCIDENTS'] + results['REJECTS_LOAD']
                         + results['REJECTS_GEOCODE'] + results['LINKAGE'])
        # The engine's summary reached qgis_process's log.
        self.assertTrue(any('police_referrals: ' in line for line in doc['log']['info']))

    def test_csp_hotspot_map(self):
        gpkg = env.tmp_path('qp', 'map', 'sample.gpkg')
        subprocess.run([env.CTXPROF, 'run', env.SAMPLE_PROFILE, '-o', gpkg, '-q'], check=True,
                       capture_output=True)
        pdf, png = env.tmp_path('qp', 'map', 'hsb.pdf'), env.tmp_path('qp', 'map', 'hsb.png')
        proc = qgis_process('--json', 'run', 'ctxprof:cspmap', '--', 'INPUT=' + gpkg,
                            'CATEGORY=3', 'PERIOD_START=2025-01-01', 'PERIOD_END=2025-06-30',
                            'MARKING=OFFICIAL', 'DPI=60', 'OUTPUT_PDF=' + pdf,
                            'OUTPUT_PNG=' + png)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        results = json.loads(proc.stdout)['results']
        self.assertEqual((results['OUTPUT_PDF'], results['OUTPUT_PNG']), (pdf, png))
        with open(pdf, 'rb') as f:
            self.assertEqual(f.read(5), b'%PDF-')
        with open(png, 'rb') as f:
            head = f.read(24)
        self.assertEqual(head[:8], b'\x89PNG\r\n\x1a\n')
        # A4 landscape at 60 dpi.
        width, height = int.from_bytes(head[16:20], 'big'), int.from_bytes(head[20:24], 'big')
        self.assertEqual((width, height), (int(297 / 25.4 * 60), int(210 / 25.4 * 60)))
        # Only the HSB incidents of the first half of 2025.
        ds = ogr.Open(gpkg)
        layer = ds.GetLayerByName('incidents')
        layer.SetAttributeFilter("('+' || categories || '+') LIKE '%+hsb+%' AND "
                                 "substr(occurred_at, 1, 10) BETWEEN '2025-01-01' AND '2025-06-30'")
        self.assertEqual(int(results['N_INCIDENTS']), layer.GetFeatureCount())

    def test_engine_error_fails_the_run(self):
        profile = env.tmp_path('qp', 'bad.ini')
        with open(profile, 'w') as f:
            f.write('[profile]\nname = bad\nbogus_key = 1\n')
        proc = qgis_process('run', 'ctxprof:runprofile', '--', 'PROFILE=' + profile,
                            'OUTPUT=' + env.tmp_path('qp', 'bad.gpkg'))
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("{} line 3: unknown key 'bogus_key' in [profile]".format(profile),
                      proc.stdout + proc.stderr)
        self.assertFalse(os.path.exists(env.tmp_path('qp', 'bad.gpkg')))


if __name__ == '__main__':
    unittest.main()
