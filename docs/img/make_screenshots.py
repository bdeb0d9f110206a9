#!/usr/bin/python3
"""Renders the screenshots of docs/qgis.md headless, from the sample.

    /usr/bin/python3 docs/img/make_screenshots.py build/src/ctxprof

csp_hotspot_map_cse.png: ctxprof:cspmap (CSE, the sample's period, 100 dpi).
profile_layers.png: a run's GeoPackage opened in plain QGIS (no plugin):
every layer styled from its layer_styles table.
"""

import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
CTXPROF = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                          os.path.join(ROOT, 'build', 'src', 'ctxprof'))

work = tempfile.mkdtemp(prefix='ctxprof-shots-')
os.environ.update(HOME=work, XDG_RUNTIME_DIR=work, QT_QPA_PLATFORM='offscreen')

from qgis.core import (QgsApplication, QgsMapRendererParallelJob,  # noqa: E402
                       QgsMapSettings, QgsRectangle, QgsVectorLayer)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor, QImage  # noqa: E402

app = QgsApplication([], False)
app.initQgis()
sys.path.append('/usr/share/qgis/python/plugins')
sys.path.insert(0, os.path.join(ROOT, 'qgis-plugin'))
import processing  # noqa: E402
from processing.core.Processing import Processing  # noqa: E402
from processing.core.ProcessingConfig import ProcessingConfig  # noqa: E402

import ctxprof  # noqa: E402
from ctxprof import runner  # noqa: E402

try:
    Processing.initialize()
    plugin = ctxprof.classFactory(None)
    plugin.initProcessing()
    ProcessingConfig.setSettingValue(runner.EXECUTABLE_SETTING, CTXPROF)
    gpkg = os.path.join(work, 'sample.gpkg')
    subprocess.run([CTXPROF, 'run', os.path.join(ROOT, 'gis-data', 'sample', 'sample.ini'),
                    '-o', gpkg, '-q'], check=True)

    processing.run('ctxprof:cspmap', {
        'INPUT': gpkg, 'CATEGORY': 1, 'DPI': 100,
        'OUTPUT_PDF': os.path.join(work, 'map.pdf'),
        'OUTPUT_PNG': os.path.join(HERE, 'csp_hotspot_map_cse.png')})

    # Plain QGIS: the layers open with the styles stored in the GeoPackage.
    names = ['incidents', 'hotspots', 'corridor_routes', 'bus_segments', 'schools', 'parks',
             'areas']
    layers = [QgsVectorLayer('{}|layername={}'.format(gpkg, n), n, 'ogr') for n in names]
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(layers[0].crs())
    settings.setBackgroundColor(QColor('white'))
    settings.setOutputSize(QSize(800, 620))
    settings.setOutputDpi(96)
    settings.setExtent(QgsRectangle(541000, 201500, 544600, 204300))  # the town centre
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    # 256 colours keep the committed file small.
    job.renderedImage().convertToFormat(QImage.Format_Indexed8).save(
        os.path.join(HERE, 'profile_layers.png'), 'PNG')
    for name in ('csp_hotspot_map_cse.png', 'profile_layers.png'):
        path = os.path.join(HERE, name)
        print(path, os.path.getsize(path))
finally:
    app.exitQgis()
    shutil.rmtree(work, True)
