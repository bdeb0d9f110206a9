"""ctxprof:cspmap — the hotspot map a community safety partnership receives.

Runs `ctxprof hotspots` on a profile's incidents of one category and period,
then fills the print layout styles/csp_hotspot_map.qpt (title, period,
legend, scale bar, north arrow, data sources and attribution from
run_metadata, protective marking) with the density surface and hotspot
polygons over the profile's areas, parks, schools and bus routes, and
exports it to PDF and PNG with QgsLayoutExporter. Works headless
(qgis_process.bin run ctxprof:cspmap).
"""

import datetime
import os
import sqlite3

from qgis.PyQt.QtCore import QRectF, QSize
from qgis.PyQt.QtXml import QDomDocument
from qgis.core import (QgsLayoutExporter, QgsMapLayerType, QgsPrintLayout,
                       QgsProcessingAlgorithm, QgsProcessingException,
                       QgsProcessingMultiStepFeedback, QgsProcessingOutputString,
                       QgsProcessingParameterEnum, QgsProcessingParameterFile,
                       QgsProcessingParameterFileDestination, QgsProcessingParameterNumber,
                       QgsProcessingParameterString, QgsProcessingUtils, QgsProject,
                       QgsRasterLayer, QgsReadWriteContext, QgsSingleSymbolRenderer,
                       QgsVectorLayer)

from .. import layers as layer_styles
from .. import runner
from .base import CtxprofAlgorithm

TEMPLATE = 'csp_hotspot_map.qpt'

# (key, label): '' is every incident.
CATEGORIES = (
    ('', 'all categories'),
    ('cse', 'child sexual exploitation (CSE)'),
    ('syv', 'serious youth violence and gangs (SYV)'),
    ('hsb', 'harmful sexual behaviour (HSB)'),
    ('tra', 'teenage relationship abuse (TRA)'),
    ('online', 'online exploitation'),
    ('missing', 'missing episodes'),
    ('exclusion', 'school exclusions'),
    ('asb', 'anti-social behaviour'),
    ('da', 'domestic abuse'),
    ('disturbance', 'household disturbance'),
    ('transport', 'transport (bus) incidents'),
    # police.uk street crime: published for all ages, so never a youth silo
    ('violence_all_ages', 'violence, all ages'),
    ('robbery_all_ages', 'robbery, all ages'),
    ('weapons_all_ages', 'weapons, all ages'),
    ('public_order_all_ages', 'public order, all ages'),
    ('drugs_all_ages', 'drugs, all ages'),
)
# The youth silos and context kinds whose key reads as an abbreviation.
SILO_KEYS = ('cse', 'syv', 'hsb', 'tra', 'online', 'missing', 'exclusion', 'asb', 'da')

# Context layers of the profile drawn under the hotspots, bottom first:
# (layer, legend name, keep its graduated classes, drawn above the density).
CONTEXTS = (
    ('areas', 'Areas: incidents per ha (whole profile)', True, False),
    ('parks', 'Parks', False, False),
    ('bus_segments', 'Bus routes', False, True),
    ('schools', 'Schools', False, True),
)


def map_contexts():
    """CONTEXTS, then every other point or line kind the engine knows (its
    registry, e.g. places of concern), drawn above the density under its own
    title; polygon kinds such as catchments would cover the map."""
    listed = {name for name, _, _, _ in CONTEXTS}
    extra = tuple((k['layer'], k['title'], False, True) for k in runner.context_types()
                  if k.get('layer') and k['layer'] not in listed and not k.get('polygons_only'))
    return CONTEXTS + extra


def template_path():
    for folder in layer_styles.STYLE_DIRS:
        path = os.path.join(folder, TEMPLATE)
        if os.path.isfile(path):
            return path
    raise QgsProcessingException('The print layout template {} is missing from {}'.format(
        TEMPLATE, ', '.join(layer_styles.STYLE_DIRS)))


def read_metadata(gpkg):
    """run_metadata of a profile GeoPackage as a dict ({} when there is none)."""
    try:
        con = sqlite3.connect('file:{}?mode=ro'.format(gpkg), uri=True)
        try:
            return dict(con.execute('SELECT key, value FROM run_metadata').fetchall())
        finally:
            con.close()
    except sqlite3.Error:
        return {}


def incident_filter(category, start, end):
    """The SQL filter (SQLite, evaluated by the GeoPackage driver) on incidents.

    `categories` is '+'-joined (cse+syv). Dates are ISO text of varying
    precision (2024-09, 2024-09-01T17:30:00): an incident dated only by its
    month counts in a period that starts within that month.
    """
    terms = []
    if category:
        terms.append("('+' || categories || '+') LIKE '%+{}+%'".format(category))
    if start:
        terms.append("(occurred_at >= '{0}' OR occurred_at = '{1}' OR occurred_at = '{2}')"
                     .format(start, start[:7], start[:4]))
    if end:
        terms.append("substr(occurred_at, 1, 10) <= '{}'".format(end))
    return ' AND '.join(terms)


def check_date(value, what):
    if not value:
        return ''
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        raise QgsProcessingException('{} "{}" is not a date (YYYY-MM-DD)'.format(what, value))


def human_date(iso):
    d = datetime.date.fromisoformat(iso)
    return '{} {}'.format(d.day, d.strftime('%B %Y'))


def sources_text(meta):
    """Data sources and attribution from run_metadata."""
    kinds = sorted({v for k, v in meta.items()
                    if k.startswith('param.source.') and k.endswith('.kind')})
    licences = sorted({v for k, v in meta.items() if k.endswith('_licence') and v})
    lines = []
    if kinds:
        lines.append('Sources: ' + ', '.join(kinds) + '.')
    for licence in licences:
        lines.append(licence)
    made = 'Produced with ctxprof {}'.format(meta.get('version', '')).strip()
    if meta.get('created_at'):
        made += ', profile run {}'.format(meta['created_at'].replace('T', ' ').rstrip('Z'))
    lines.append(made + '.')
    lines.append('Hotspots: kernel density; polygons cover the densest share of the area, '
                 'with PAI (Chainey, Tompson & Uhlig 2008).')
    return '\n'.join(lines)


class CspHotspotMapAlgorithm(CtxprofAlgorithm):
    NAME = 'cspmap'
    DISPLAY_NAME = 'CSP hotspot map'
    GROUP = 'Hotspots'
    GROUP_ID = 'hotspots'
    SHORT = 'The hotspot map for a community safety partnership, as PDF and PNG'
    TAGS = ('map', 'layout', 'print', 'pdf', 'png', 'hotspots', 'csp', 'community safety')
    HELP = (
        'Render the CSP hotspot map of a profile for one category and period.\n\n'
        'Runs ctxprof hotspots on the profile GeoPackage\'s incidents of the chosen category '
        '(any incident with it among its categories) within the period, then fills the print '
        'layout styles/csp_hotspot_map.qpt: the density surface and hotspot polygons over the '
        'profile\'s areas, parks, schools and bus routes; title, period, legend, scale bar, '
        'north arrow, data sources and attribution (from run_metadata) and the protective '
        'marking, and exports it to PDF and PNG. No incident point is drawn.\n\n'
        'Profile GeoPackage: written by Run profile. Period: YYYY-MM-DD dates, default the '
        'profile\'s period. Radius, cell size and share are those of ctxprof hotspots.')

    INPUT = 'INPUT'
    CATEGORY = 'CATEGORY'
    PERIOD_START = 'PERIOD_START'
    PERIOD_END = 'PERIOD_END'
    TITLE = 'TITLE'
    MARKING = 'MARKING'
    RADIUS = 'RADIUS'
    PIXEL = 'PIXEL'
    SHARE = 'SHARE'
    DPI = 'DPI'
    OUTPUT_PDF = 'OUTPUT_PDF'
    OUTPUT_PNG = 'OUTPUT_PNG'
    HOTSPOTS = 'HOTSPOTS'
    MAP_EXTENT = 'MAP_EXTENT'
    MAP_PIXELS = 'MAP_PIXELS'
    N_INCIDENTS = 'N_INCIDENTS'

    def flags(self):
        # A layout belongs to a project and renders on the main thread.
        return super().flags() | QgsProcessingAlgorithm.FlagNoThreading

    def initAlgorithm(self, config=None):  # noqa: N802
        def add(p, help_text):
            p.setHelp(self.tr(help_text))
            self.addParameter(p)

        add(QgsProcessingParameterFile(self.INPUT, self.tr('Profile GeoPackage'),
                                       extension='gpkg'),
            'Profile GeoPackage written by Run profile (incidents, areas, parks, schools, '
            'bus_segments, run_metadata)')
        add(QgsProcessingParameterEnum(self.CATEGORY, self.tr('Category'),
                                       [label for _, label in CATEGORIES], defaultValue=0),
            'Incidents with this category among their categories')
        add(QgsProcessingParameterString(self.PERIOD_START, self.tr('Period start (YYYY-MM-DD)'),
                                         optional=True),
            "First day of the period (default: the profile's period_start)")
        add(QgsProcessingParameterString(self.PERIOD_END, self.tr('Period end (YYYY-MM-DD)'),
                                         optional=True),
            "Last day of the period (default: the profile's period_end)")
        add(QgsProcessingParameterString(self.TITLE, self.tr('Title'), optional=True),
            'Map title (default: "Hotspots: CATEGORY")')
        add(QgsProcessingParameterString(self.MARKING, self.tr('Protective marking'),
                                         defaultValue='OFFICIAL-SENSITIVE'),
            'Government Security Classification marking printed at the top and bottom')
        radius = QgsProcessingParameterNumber(self.RADIUS, self.tr('Kernel radius (m)'),
                                              QgsProcessingParameterNumber.Double,
                                              optional=True, minValue=0)
        add(radius, 'Kernel radius in map units; default: the ArcGIS rule')
        add(QgsProcessingParameterNumber(self.PIXEL, self.tr('Cell size (m)'),
                                         QgsProcessingParameterNumber.Double, 25, minValue=1),
            'Cell size in map units (default 25)')
        add(QgsProcessingParameterNumber(self.SHARE, self.tr('Share of the area in hotspots'),
                                         QgsProcessingParameterNumber.Double, 0.05,
                                         minValue=0.001, maxValue=1),
            'Share of the study area the hotspots cover (default 0.05)')
        add(QgsProcessingParameterNumber(self.DPI, self.tr('PNG resolution (dpi)'),
                                         QgsProcessingParameterNumber.Integer, 150,
                                         minValue=50, maxValue=600),
            'Resolution of the PNG (the PDF is vector)')
        add(QgsProcessingParameterFileDestination(self.OUTPUT_PDF, self.tr('Map (PDF)'),
                                                  'PDF (*.pdf)'),
            'The map as PDF')
        add(QgsProcessingParameterFileDestination(self.OUTPUT_PNG, self.tr('Map (PNG)'),
                                                  'PNG (*.png)'),
            'The map as PNG')
        add(QgsProcessingParameterFileDestination(self.HOTSPOTS, self.tr('Hotspots GeoPackage'),
                                                  'GeoPackage (*.gpkg)', optional=True,
                                                  createByDefault=False),
            'Where to keep the hotspots of the category and period (default: a temporary '
            'file)')
        self.addOutput(QgsProcessingOutputString(
            self.MAP_EXTENT, self.tr('Map extent (xmin,ymin,xmax,ymax, map units)')))
        self.addOutput(QgsProcessingOutputString(
            self.MAP_PIXELS, self.tr('Map frame in the PNG (left,top,width,height, pixels)')))
        self.addOutput(QgsProcessingOutputString(self.N_INCIDENTS, self.tr('Incidents mapped')))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        gpkg = os.path.abspath(self.parameterAsFile(parameters, self.INPUT, context))
        if not os.path.isfile(gpkg):
            raise QgsProcessingException('{}: no such file'.format(gpkg))
        meta = read_metadata(gpkg)
        key, label = CATEGORIES[self.parameterAsEnum(parameters, self.CATEGORY, context)]
        start = check_date(self.parameterAsString(parameters, self.PERIOD_START, context)
                           or meta.get('param.profile.period_start', ''), 'Period start')
        end = check_date(self.parameterAsString(parameters, self.PERIOD_END, context)
                         or meta.get('param.profile.period_end', ''), 'Period end')
        pdf = self.parameterAsFileOutput(parameters, self.OUTPUT_PDF, context)
        png = self.parameterAsFileOutput(parameters, self.OUTPUT_PNG, context)
        hot = self.parameterAsFileOutput(parameters, self.HOTSPOTS, context) or \
            QgsProcessingUtils.generateTempFilename('csp_hotspots.gpkg')
        hot = os.path.abspath(hot)

        # 1. The hotspots of the category and period (0-70% of the progress).
        args = ['hotspots', gpkg, '--layer', 'incidents', '-o', hot,
                '--study-area', gpkg + '|layername=areas',
                '--share', '{:g}'.format(self.parameterAsDouble(parameters, self.SHARE, context)),
                '--pixel', '{:g}'.format(self.parameterAsDouble(parameters, self.PIXEL, context))]
        if parameters.get(self.RADIUS) not in (None, ''):
            args += ['--radius', '{:g}'.format(
                self.parameterAsDouble(parameters, self.RADIUS, context))]
        where = incident_filter(key, start, end)
        if where:
            args += ['--where', where]
        args += ['--progress', '--json']
        steps = QgsProcessingMultiStepFeedback(2, feedback)
        result = self.run_engine(args, steps, partial_output=hot)
        if result.cancelled:
            return {}
        summary = result.json()
        n = summary.get('points', 0)
        feedback.pushInfo(self.tr('{} incidents of {} in the period; {} hotspots').format(
            n, label, len(summary.get('hotspots', []))))
        steps.setCurrentStep(1)

        # 2. The layout.
        project = QgsProject()
        project.setCrs(QgsVectorLayer(gpkg + '|layername=areas', 'a', 'ogr').crs())
        layers = self._layers(project, gpkg, hot, key, label)
        layout = self._layout(project, parameters, context, meta, key, label, start, end, n)
        map_item = layout.itemById('map')
        map_item.setLayers(layers)
        map_item.setKeepLayerSet(True)
        map_item.setExtent(self._fit(project.mapLayersByName(CONTEXTS[0][1])[0].extent(),
                                     map_item.rect()))
        self._finish_items(layout, project)
        layout.refresh()
        steps.setProgress(40)
        if feedback.isCanceled():
            return {}

        # 3. Export.
        exporter = QgsLayoutExporter(layout)
        for path in (pdf, png):
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        status = exporter.exportToPdf(pdf, QgsLayoutExporter.PdfExportSettings())
        if status != QgsLayoutExporter.Success:
            raise QgsProcessingException('Cannot write the PDF {}: {}'.format(
                pdf, exporter.errorMessage()))
        steps.setProgress(70)
        dpi = self.parameterAsInt(parameters, self.DPI, context)
        # The page rendered and saved by Qt: exportToImage would also try to
        # georeference the PNG through GDAL, which cannot update a PNG.
        image = exporter.renderPageToImage(0, QSize(), dpi)
        if image.isNull() or not image.save(png, 'PNG'):
            raise QgsProcessingException('Cannot write the PNG {}'.format(png))
        steps.setProgress(100)

        e = map_item.extent()
        # The map frame on the page (mm), as pixels of the PNG.
        rect = QRectF(map_item.pagePos().x(), map_item.pagePos().y(),
                      map_item.rect().width(), map_item.rect().height())
        scale = dpi / 25.4
        pixels = [round(v * scale, 2) for v in (rect.x(), rect.y(), rect.width(),
                                                rect.height())]
        return {
            self.OUTPUT_PDF: pdf, self.OUTPUT_PNG: png, self.HOTSPOTS: hot,
            self.MAP_EXTENT: '{},{},{},{}'.format(e.xMinimum(), e.yMinimum(), e.xMaximum(),
                                                  e.yMaximum()),
            self.MAP_PIXELS: ','.join('{:g}'.format(v) for v in pixels),
            self.N_INCIDENTS: str(n),
        }

    @staticmethod
    def _fit(extent, frame):
        """extent grown by 4% and widened or heightened to the frame's shape."""
        from qgis.core import QgsRectangle
        cx, cy = extent.center().x(), extent.center().y()
        w, h = extent.width() * 1.04, extent.height() * 1.04
        aspect = frame.width() / frame.height()
        if w / h < aspect:
            w = h * aspect
        else:
            h = w / aspect
        return QgsRectangle(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)

    def _layers(self, project, gpkg, hot, key, label):
        """Adds the map's layers to project, styled; returns them top first."""
        root = project.layerTreeRoot()
        top_first = []

        def add(layer, style, name):
            if not layer.isValid():
                raise QgsProcessingException('Cannot open {} ({})'.format(name, layer.source()))
            layer.setName(name)
            qml = layer_styles.style_path(style) \
                if layer.type() == QgsMapLayerType.VectorLayer \
                else layer_styles.raster_style_path(style)
            message, ok = layer_styles.apply_style(layer, qml)
            if not ok:
                raise QgsProcessingException('Cannot apply the style {}: {}'.format(style,
                                                                                    message))
            project.addMapLayer(layer, False)
            top_first.append(layer)
            return layer

        what = label if key else 'all incidents'
        add(QgsVectorLayer(hot + '|layername=hotspots', 'hotspots', 'ogr'), 'hotspots',
            'Hotspots (by rank)')
        add(QgsRasterLayer('GPKG:{}:hotspot_density'.format(hot), 'hotspot_density', 'gdal'),
            'hotspot_density', 'Density: ' + (key.upper() if key in SILO_KEYS else what))
        contexts = map_contexts()
        above = {legend_name for _, legend_name, _, up in contexts if up}
        for name, legend_name, graduated, _ in reversed(contexts):
            layer = QgsVectorLayer('{}|layername={}'.format(gpkg, name), name, 'ogr')
            if not layer.isValid():
                continue  # a profile without that context
            add(layer, name, legend_name)
            renderer = layer.renderer()
            if not graduated and hasattr(renderer, 'ranges') and renderer.ranges():
                # One symbol (the middle class's) keeps the legend short.
                ranges = renderer.ranges()
                layer.setRenderer(QgsSingleSymbolRenderer(
                    ranges[len(ranges) // 2].symbol().clone()))
        # Legend order = drawing order, top first.
        hotspots, density = top_first[0], top_first[1]
        contexts = top_first[2:]
        ordered = [hotspots] + list(contexts) + [density]
        # The density surface over the areas and parks (a park must not
        # hide a hotspot), under the schools and bus routes.
        drawing = [hotspots] + [lyr for lyr in contexts if lyr.name() in above] + \
            [density] + [lyr for lyr in contexts if lyr.name() not in above]
        for layer in ordered:
            root.addLayer(layer)
        return drawing

    @staticmethod
    def _finish_items(layout, project):
        """What depends on the map's extent and layers: scale bar, legend texts."""
        from qgis.core import QgsLegendStyle, QgsMapLayerLegendUtils, QgsUnitTypes
        from qgis.PyQt.QtGui import QFont
        scalebar = layout.itemById('scalebar')
        scalebar.applyDefaultSize(QgsUnitTypes.DistanceKilometers)
        scalebar.setUnitLabel('km')
        scalebar.setNumberOfSegmentsLeft(0)
        text = scalebar.textFormat()
        text.setFont(QFont('DejaVu Sans'))
        text.setSize(8)
        scalebar.setTextFormat(text)
        scalebar.update()
        legend = layout.itemById('legend')
        for style, size, bold in ((QgsLegendStyle.Title, 11, True),
                                  (QgsLegendStyle.Group, 8, True),
                                  (QgsLegendStyle.Subgroup, 7.5, True),
                                  (QgsLegendStyle.SymbolLabel, 7, False)):
            font = QFont('DejaVu Sans')
            font.setPointSizeF(size)
            font.setBold(bold)
            legend.setStyleFont(style, font)
        legend.setWrapString('|')
        for node in legend.model().rootGroup().findLayers():
            if node.layer() is not None and node.layer().name().startswith('Density'):
                # The band's name ("Band 1: Height") says nothing to a reader.
                QgsMapLayerLegendUtils.setLegendNodeUserLabel(
                    node, 0, 'Kernel density (incidents per cell)')
                legend.model().refreshLayerLegend(node)
        legend.adjustBoxSize()
        legend.updateLegend()

    def _layout(self, project, parameters, context, meta, key, label, start, end, n):
        doc = QDomDocument()
        with open(template_path(), encoding='utf-8') as f:
            if not doc.setContent(f.read()):
                raise QgsProcessingException('Cannot read the layout template ' + TEMPLATE)
        layout = QgsPrintLayout(project)
        layout.initializeDefaults()
        _, ok = layout.loadFromTemplate(doc, QgsReadWriteContext())
        if not ok:
            raise QgsProcessingException('Cannot load the layout template ' + TEMPLATE)
        for item_id in ('map', 'legend', 'title', 'subtitle', 'sources', 'marking_top',
                        'marking_bottom', 'scalebar', 'north_arrow', 'footer'):
            if layout.itemById(item_id) is None:
                raise QgsProcessingException('The layout template {} has no item "{}"'.format(
                    TEMPLATE, item_id))
        title = self.parameterAsString(parameters, self.TITLE, context) or \
            'Hotspots: {}'.format(label if key else 'peer-on-peer abuse, all categories')
        marking = self.parameterAsString(parameters, self.MARKING, context)
        if start and end:
            period = '{} to {}'.format(human_date(start), human_date(end))
        elif start or end:
            period = ('from ' + human_date(start)) if start else ('to ' + human_date(end))
        else:
            period = 'all dates'
        profile = meta.get('param.profile.name', '')
        layout.itemById('title').setText(title)
        layout.itemById('subtitle').setText('{}Period: {} ({} incidents)'.format(
            profile + ' | ' if profile else '', period, n))
        for item_id in ('marking_top', 'marking_bottom'):
            layout.itemById(item_id).setText(marking)
        layout.itemById('sources').setText(sources_text(meta))
        layout.itemById('footer').setText(
            'Areas, parks, schools and bus routes: the profile\'s contexts. Density and '
            'hotspots from incidents of the category in the period only; no individual '
            'incident is shown. Produced {}.'.format(datetime.date.today().isoformat()))
        legend = layout.itemById('legend')
        legend.setAutoUpdateModel(True)
        legend.setLegendFilterByMapEnabled(False)
        legend.setTitle('Legend')
        return layout
