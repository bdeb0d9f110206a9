"""Shared set-up of the headless PyQGIS tests; import before anything from qgis.

    /usr/bin/python3 tests/qgis/test_X.py --ctxprof PATH/TO/ctxprof [unittest args]

(or CTXPROF_BINARY=PATH in the environment). QGIS writes its settings into
HOME; every test process gets a private HOME and XDG_RUNTIME_DIR, removed at
exit. Exit status 77 (CTest's SKIP_RETURN_CODE) when PyQGIS is not installed.
"""

import atexit
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
PLUGIN_PARENT = os.path.join(ROOT, 'qgis-plugin')
SAMPLE_PROFILE = os.path.join(ROOT, 'gis-data', 'sample', 'sample.ini')
POLICE_UK_PROFILE = os.path.join(ROOT, 'tests', 'data', 'real', 'police_uk.ini')
STYLES = os.path.join(ROOT, 'styles')
QGIS_PROCESS = '/usr/bin/qgis_process.bin'
SKIP = 77

# The taxonomy keys of the incidents' `category` column (docs/output.md).
CATEGORIES = ('cse', 'syv', 'hsb', 'tra', 'online', 'missing', 'exclusion', 'asb', 'da',
              'disturbance', 'transport')


def _take_ctxprof_arg():
    path = os.environ.get('CTXPROF_BINARY', '')
    if '--ctxprof' in sys.argv:
        i = sys.argv.index('--ctxprof')
        path = sys.argv[i + 1]
        del sys.argv[i:i + 2]
    if not path or not os.access(path, os.X_OK):
        sys.exit('usage: {} --ctxprof PATH/TO/ctxprof [unittest options] '
                 '(got {!r})'.format(sys.argv[0], path))
    return os.path.abspath(path)


CTXPROF = _take_ctxprof_arg()

WORK = tempfile.mkdtemp(prefix='ctxprof-qgis-test-')
atexit.register(shutil.rmtree, WORK, True)
_home = os.path.join(WORK, 'home')
os.makedirs(os.path.join(_home, 'xdg'), mode=0o700)
os.environ['HOME'] = _home
os.environ['XDG_RUNTIME_DIR'] = os.path.join(_home, 'xdg')
os.environ['QT_QPA_PLATFORM'] = 'offscreen'
os.environ.pop('QGIS_PLUGINPATH', None)

try:
    import qgis.core  # noqa: F401
except ImportError as e:
    print('SKIP: PyQGIS is not available ({}); install python3-qgis'.format(e))
    sys.exit(SKIP)


def tmp_path(*parts):
    path = os.path.join(WORK, *parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path
