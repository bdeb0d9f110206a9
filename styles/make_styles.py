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
                       QgsClassificationJenks, QgsColorRampShader,
                       QgsFillSymbol,
                       QgsGraduatedSymbolRenderer, QgsLineSymbol, QgsMapLayer,
                       QgsMarkerSymbol, QgsPalLayerSettings, QgsProperty,
                       QgsRasterLayer, QgsRasterShader, QgsRendererCategory,
                       QgsRendererRange, QgsSingleBandPseudoColorRenderer,
                       QgsSingleSymbolRenderer, QgsStyle, QgsSymbolLayer,
                       QgsTextBufferSettings, QgsTextFormat, QgsVectorLayer,
                       QgsVectorLayerSimpleLabeling)
from qgis.core import QgsLayoutMeasurement, QgsProject, QgsReadWriteContext  # noqa: E402
from qgis.PyQt.QtGui import QColor, QFont  # noqa: E402

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
    # police.uk street crime is published for all ages: context, drawn
    # small and under the youth forms of harm, never as youth violence.
    ('violence_all_ages', 'Violence, all ages (police.uk)', '#6F8FAF', 'circle', 1.8, 0),
    ('robbery_all_ages', 'Robbery, all ages (police.uk)', '#8E7CC3', 'circle', 1.8, 0),
    ('weapons_all_ages', 'Possession of weapons, all ages (police.uk)', '#4B4B8F', 'circle', 1.8, 0),
    ('public_order_all_ages', 'Public order, all ages (police.uk)', '#A0A0C0', 'circle', 1.8, 0),
    ('drugs_all_ages', 'Drugs, all ages (police.uk)', '#7F9F7F', 'circle', 1.8, 0),
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


# ---------------------------------------------------------------------------
# Contexts and corridors: graduated by their rate, five classes. The breaks
# below are the defaults a plain QGIS uses (they suit the sample area); the
# plugin recomputes them for each output with the stored classification
# method (natural breaks, Jenks), so that any area gets five populated
# classes. The hotspot colours (reds) are kept for the hotspot layers.

def _ramp(name):
    return QgsStyle.defaultStyle().colorRamp(name)


# Upper bound of a graduated style's top class: above any count or rate.
OPEN_TOP = 1e15


# The value a graduated style gives a feature without one (a school without a
# pupil count has no rate): its own grey "no rate" class, below every rate.
NO_VALUE = -1
NO_VALUE_COLOR = QColor(190, 190, 190, 200)


def _graduated(field, breaks, make_symbol, ramp_name, unit):
    """Five classes on field, the top one open, and a "no rate" class for
    NULL. The breaks are the sample's; ctxprof recomputes them from each
    output's own values when it writes layer_styles (src/write/styles.c),
    keeping the colours, the unit and the "no rate" class."""
    ranges = []
    ramp = _ramp(ramp_name)
    n = len(breaks) - 1
    for i in range(n):
        lo, hi = breaks[i], breaks[i + 1]
        symbol = make_symbol()
        symbol.setColor(ramp.color(i / (n - 1) if n > 1 else 1.0))
        label = '{:g} - {:g} {}'.format(lo, hi, unit)
        if i == n - 1:
            # The top class is open: the worst places (a real borough's
            # busiest LSOA runs to hundreds per ha) are drawn, darkest.
            hi, label = OPEN_TOP, '{:g} or more {}'.format(lo, unit)
        ranges.append(QgsRendererRange(lo, hi, symbol, label))
    symbol = make_symbol()
    symbol.setColor(NO_VALUE_COLOR)
    ranges.append(QgsRendererRange(NO_VALUE, NO_VALUE, symbol, 'No rate'))
    # The class attribute is an expression: NULL (which QGIS's graduated
    # renderer would leave undrawn) becomes NO_VALUE.
    renderer = QgsGraduatedSymbolRenderer('coalesce("{}", {})'.format(field, NO_VALUE), ranges)
    method = QgsClassificationJenks()
    # The legend says the unit when the plugin recomputes the classes.
    method.setLabelFormat('%1 - %2 ' + unit)
    method.setLabelPrecision(1)
    renderer.setClassificationMethod(method)
    renderer.setSourceColorRamp(ramp)
    renderer.setSourceSymbol(make_symbol())
    return renderer


def _polygon_layer(name, fields):
    return QgsVectorLayer('Polygon?crs=EPSG:27700&' + fields, name, 'memory')


def _fill(alpha=200, outline='90,90,90,255', width='0.2'):
    def make():
        return QgsFillSymbol.createSimple({
            'color': '200,200,200,{}'.format(alpha), 'outline_color': outline,
            'outline_width': width, 'outline_width_unit': 'MM', 'style': 'solid'})
    return make


def make_areas():
    layer = _polygon_layer('areas', 'field=rate:double&field=n_total:integer')
    layer.setRenderer(_graduated('rate', [0, 1.5, 2.5, 3.5, 5, 10], _fill(160), 'Purples',
                                 'per ha'))
    layer.setOpacity(0.75)
    return layer


def make_school_catchments():
    layer = _polygon_layer('school_catchments', 'field=rate:double')
    layer.setRenderer(_graduated('rate', [0, 1.5, 2.5, 3.5, 5, 10],
                                 _fill(110, '60,60,60,255', '0.4'), 'YlGn', 'per ha'))
    return layer


def make_parks():
    layer = _polygon_layer('parks', 'field=rate:double')
    layer.setRenderer(_graduated('rate', [0, 2, 5, 10, 20, 40],
                                 _fill(210, '35,100,35,255', '0.3'), 'Greens', 'per ha'))
    return layer


def make_schools():
    layer = QgsVectorLayer('Point?crs=EPSG:27700&field=rate:double', 'schools', 'memory')

    def marker():
        return QgsMarkerSymbol.createSimple({
            'name': 'square', 'color': '30,30,200,255', 'outline_color': '255,255,255,255',
            'outline_width': '0.3', 'size': '3.2', 'size_unit': 'MM'})
    layer.setRenderer(_graduated('rate', [0, 300, 500, 800, 1200, 3000], marker, 'Blues',
                                 'per 1,000 pupils'))
    return layer


def make_bus_segments():
    layer = QgsVectorLayer('LineString?crs=EPSG:27700&field=rate:double', 'bus_segments',
                           'memory')

    def line():
        return QgsLineSymbol.createSimple({'color': '0,110,140,255', 'width': '0.7',
                                           'width_unit': 'MM', 'capstyle': 'round'})
    layer.setRenderer(_graduated('rate', [0, 5, 15, 30, 60, 200], line, 'PuBuGn', 'per km'))
    return layer


def make_corridors():
    layer = _polygon_layer('corridors', 'field=per_km:double')
    layer.setRenderer(_graduated('per_km', [0, 80, 100, 120, 150, 250],
                                 _fill(90, '200,110,0,255', '0.3'), 'Oranges', 'per km'))
    return layer


def make_corridor_routes():
    layer = QgsVectorLayer('LineString?crs=EPSG:27700&field=per_km:double', 'corridor_routes',
                           'memory')

    def line():
        return QgsLineSymbol.createSimple({'color': '230,120,0,255', 'width': '1.0',
                                           'width_unit': 'MM', 'line_style': 'dash'})
    layer.setRenderer(_graduated('per_km', [0, 80, 100, 120, 150, 250], line, 'Oranges',
                                 'per km'))
    return layer


# ---------------------------------------------------------------------------
# Places of concern: one layer of points and polygons (a GeoPackage layer of
# mixed geometry opens in QGIS as one sublayer per geometry type, each with
# this style). Rule-based, on n_total, in fixed classes: counts, unlike rates,
# mean the same in any area, and 1-4 is what a share package suppresses at
# k = 5. The worst places are the largest, darkest and drawn on top; the
# classes cover every value (the last class is open-ended, and an ELSE rule
# takes 0, NULL and anything else). A point is a coloured disc (its class)
# with a white glyph (its place_type); a polygon is filled and outlined in
# its class's colour.

# (lower bound, label, colour, point size in mm, outline width in mm); the
# last, with bound None, is the ELSE class.
PLACE_CLASSES = (
    (25, '25 or more incidents', '#800026', 8.0, 1.2),
    (10, '10 - 24', '#e31a1c', 6.4, 0.9),
    (5, '5 - 9', '#fd8d3c', 5.2, 0.7),
    (1, '1 - 4', '#fecc5c', 4.2, 0.5),
    (None, 'None linked', '#bdbdbd', 3.6, 0.4),
)
# place_type, legend label, glyph; an ELSE glyph marks any other type.
PLACE_TYPES = (
    ('takeaway', 'Take-away', 'square'),
    ('stairwell', 'Stairwell', 'triangle'),
    ('youth_club', 'Youth club', 'star'),
    ('high_street', 'High street', 'diamond'),
    ('disused_house', 'Disused house', 'pentagon'),
    ('disused_garages', 'Disused garages', 'hexagon'),
    (None, 'Other place', 'circle'),
)
_N_TOTAL = 'coalesce("n_total", 0)'


def _class_filters():
    """The filter expression of each class in PLACE_CLASSES ('' for ELSE)."""
    filters, upper = [], None
    for lower, *_ in PLACE_CLASSES:
        if lower is None:
            filters.append('')
        elif upper is None:
            filters.append('{} >= {}'.format(_N_TOTAL, lower))
        else:
            filters.append('{n} >= {lo} AND {n} < {hi}'.format(n=_N_TOTAL, lo=lower, hi=upper))
        upper = lower
    return filters


def _rule(symbol, label, filter_exp='', is_else=False):
    from qgis.core import QgsRuleBasedRenderer
    # (QGIS 3.22's setIsElse(False) turns the filter into ELSE: the
    # constructor's own argument does not.)
    rule = QgsRuleBasedRenderer.Rule(symbol, 0, 0, 'ELSE' if is_else else filter_exp, label, '', is_else)
    # Rule keys are random uuids: fixed ones, from the label path, keep the
    # .qml reproducible.
    return rule


def _stable_rule_keys(rule, path='ctxprof/places_of_concern'):
    import uuid
    rule.setRuleKey('{%s}' % uuid.uuid5(uuid.NAMESPACE_URL, path))
    for k, child in enumerate(rule.children()):
        _stable_rule_keys(child, '{}/{}:{}'.format(path, k, child.label()))


def make_places_of_concern():
    from qgis.core import QgsRuleBasedRenderer
    layer = QgsVectorLayer('Point?crs=EPSG:27700&field=n_total:integer&field=place_type:string',
                           'places_of_concern', 'memory')
    root = QgsRuleBasedRenderer.Rule(None)
    n = len(PLACE_CLASSES)
    points = _rule(None, 'Places: incidents linked', "geometry_type($geometry) = 'Point'")
    sites = _rule(None, 'Sites: incidents linked', "geometry_type($geometry) = 'Polygon'")
    for k, ((lower, label, color, size, width), filt) in enumerate(zip(PLACE_CLASSES, _class_filters())):
        rank = n - 1 - k  # drawing pass: the worst class on top
        disc = QgsMarkerSymbol.createSimple({
            'name': 'circle', 'color': color, 'outline_color': OUTLINE, 'outline_width': '0.3',
            'outline_width_unit': 'MM', 'size': str(size), 'size_unit': 'MM'})
        disc.symbolLayer(0).setRenderingPass(10 + rank)
        points.appendChild(_rule(disc, label, filt, lower is None))
        c = QColor(color)
        fill = QgsFillSymbol.createSimple({
            'color': '{},{},{},{}'.format(c.red(), c.green(), c.blue(), 0 if lower is None else 150),
            'style': 'no' if lower is None else 'solid', 'outline_color': color,
            'outline_style': 'dash' if lower is None else 'solid',
            'outline_width': str(width), 'outline_width_unit': 'MM'})
        fill.symbolLayer(0).setRenderingPass(rank)
        sites.appendChild(_rule(fill, label, filt, lower is None))
    types = _rule(None, 'Type of place', "geometry_type($geometry) = 'Point'")
    # The glyph grows with its disc, to 55% of its size.
    glyph_size = 'CASE ' + ' '.join(
        'WHEN {} THEN {:g}'.format(f, round(size * 0.55, 2)) for (lower, _, _, size, _), f in
        zip(PLACE_CLASSES, _class_filters()) if lower is not None) + \
        ' ELSE {:g} END'.format(round(PLACE_CLASSES[-1][3] * 0.55, 2))
    for value, label, shape in PLACE_TYPES:
        glyph = QgsMarkerSymbol.createSimple({
            'name': shape, 'color': '255,255,255,255', 'outline_color': OUTLINE,
            'outline_width': '0.25', 'outline_width_unit': 'MM', 'size': '2.2', 'size_unit': 'MM'})
        glyph.symbolLayer(0).setRenderingPass(20)
        glyph.symbolLayer(0).setDataDefinedProperty(QgsSymbolLayer.PropertySize,
                                                    QgsProperty.fromExpression(glyph_size))
        filt = '' if value is None else '"place_type" = \'{}\''.format(value)
        types.appendChild(_rule(glyph, label, filt, value is None))
    for rule in (sites, points, types):
        root.appendChild(rule)
    _stable_rule_keys(root)
    renderer = QgsRuleBasedRenderer(root)
    renderer.setUsingSymbolLevels(True)
    layer.setRenderer(renderer)
    return layer


# ---------------------------------------------------------------------------
# Hotspots: the density surface in yellow-orange-red, transparent where it is
# low; the hotspot polygons outlined in dark red and labelled with their rank;
# Gi* cells in the usual diverging hot/cold classes.

# (share of the layer's maximum, colour, alpha, label). The plugin rescales
# the values to each surface's own maximum when it loads the layer.
DENSITY_STOPS = (
    (0.00, '#ffffb2', 0, 'Low'),
    (0.10, '#fed976', 90, ''),
    (0.25, '#feb24c', 150, ''),
    (0.45, '#fd8d3c', 190, ''),
    (0.65, '#f03b20', 220, ''),
    (1.00, '#bd0026', 240, 'High'),
)


def make_hotspot_density(folder):
    from osgeo import gdal
    path = os.path.join(folder, 'hotspot_density.tif')
    ds = gdal.GetDriverByName('GTiff').Create(path, 2, 2, 1, gdal.GDT_Float32)
    ds.SetGeoTransform((0, 25, 0, 50, 0, -25))
    ds.GetRasterBand(1).SetNoDataValue(-9999)
    ds.GetRasterBand(1).WriteArray(__import__('numpy').array([[0, 0.5], [0.75, 1]]))
    ds = None
    layer = QgsRasterLayer(path, 'hotspot_density', 'gdal')
    items = []
    for value, color, alpha, label in DENSITY_STOPS:
        c = QColor(color)
        c.setAlpha(alpha)
        items.append(QgsColorRampShader.ColorRampItem(value, c, label))
    ramp_shader = QgsColorRampShader(0.0, 1.0)
    ramp_shader.setColorRampType(QgsColorRampShader.Interpolated)
    ramp_shader.setColorRampItemList(items)
    shader = QgsRasterShader(0.0, 1.0)
    shader.setRasterShaderFunction(ramp_shader)
    renderer = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), 1, shader)
    renderer.setClassificationMin(0.0)
    renderer.setClassificationMax(1.0)
    layer.setRenderer(renderer)
    layer.setOpacity(0.85)
    return layer


def make_hotspots():
    layer = _polygon_layer('hotspots', 'field=rank:integer&field=pai:double')
    symbol = QgsFillSymbol.createSimple({
        'color': '189,0,38,40', 'outline_color': '127,0,0,255', 'outline_width': '0.7',
        'outline_width_unit': 'MM', 'style': 'solid'})
    layer.setRenderer(QgsSingleSymbolRenderer(symbol))
    settings = QgsPalLayerSettings()
    settings.fieldName = "'H' || \"rank\""
    settings.isExpression = True
    fmt = QgsTextFormat()
    fmt.setFont(QFont('DejaVu Sans'))
    fmt.setSize(9)
    fmt.setColor(QColor('#5c0010'))
    buffer = QgsTextBufferSettings()
    buffer.setEnabled(True)
    buffer.setSize(0.8)
    buffer.setColor(QColor('#ffffff'))
    fmt.setBuffer(buffer)
    settings.setFormat(fmt)
    settings.placement = QgsPalLayerSettings.OverPoint
    layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))
    layer.setLabelsEnabled(True)
    return layer


GISTAR_BINS = (
    (-3, 'Cold spot, 99% confidence', '#4575b4', 200),
    (-2, 'Cold spot, 95% confidence', '#91bfdb', 180),
    (-1, 'Cold spot, 90% confidence', '#e0f3f8', 160),
    (0, 'Not significant', '#ffffff', 0),
    (1, 'Hot spot, 90% confidence', '#fee090', 160),
    (2, 'Hot spot, 95% confidence', '#fc8d59', 180),
    (3, 'Hot spot, 99% confidence', '#d73027', 200),
)


def make_hotspot_gistar():
    layer = _polygon_layer('hotspot_gistar', 'field=bin:integer&field=z:double')
    categories = []
    for value, label, color, alpha in GISTAR_BINS:
        c = QColor(color)
        symbol = QgsFillSymbol.createSimple({
            'color': '{},{},{},{}'.format(c.red(), c.green(), c.blue(), alpha),
            'outline_style': 'no', 'style': 'solid' if alpha else 'no'})
        categories.append(QgsRendererCategory(value, symbol, label, True))
    layer.setRenderer(QgsCategorizedSymbolRenderer('bin', categories))
    return layer


# ---------------------------------------------------------------------------
# Peer groups: a star at each group's centre, sized by its members; the links
# from a group to its contexts dashed, coloured by the kind of context.

def make_peer_groups():
    layer = QgsVectorLayer('Point?crs=EPSG:27700&field=n_members:integer', 'peer_groups',
                           'memory')
    symbol = QgsMarkerSymbol.createSimple({
        'name': 'star', 'color': '106,61,154,255', 'outline_color': '255,255,255,255',
        'outline_width': '0.3', 'size': '5', 'size_unit': 'MM'})
    symbol.symbolLayer(0).setDataDefinedProperty(
        QgsSymbolLayer.PropertySize,
        QgsProperty.fromExpression('scale_linear(coalesce("n_members", 2), 2, 20, 4, 10)'))
    layer.setRenderer(QgsSingleSymbolRenderer(symbol))
    return layer


PEER_CONTEXTS = (
    ('schools', 'School', '#1f3cc8'),
    ('school_catchments', 'School catchment', '#4daf4a'),
    ('parks', 'Park', '#238b45'),
    ('bus_segments', 'Bus route segment', '#00798c'),
    ('areas', 'Area', '#7a5195'),
    ('', 'Other context', '#888888'),
)


def make_peer_group_contexts():
    layer = QgsVectorLayer('LineString?crs=EPSG:27700&field=context_type:string',
                           'peer_group_contexts', 'memory')
    categories = []
    for value, label, color in PEER_CONTEXTS:
        symbol = QgsLineSymbol.createSimple({'color': color, 'width': '0.5',
                                             'width_unit': 'MM', 'line_style': 'dash'})
        categories.append(QgsRendererCategory(value, symbol, label, True))
    layer.setRenderer(QgsCategorizedSymbolRenderer('context_type', categories))
    return layer


# ---------------------------------------------------------------------------
# The CSP hotspot map: an A4 landscape print layout. The algorithm
# ctxprof:cspmap finds its items by id and fills in the texts and layers;
# the texts here are what a user opening the template by hand sees.

LAYOUT = 'csp_hotspot_map'
A4 = (297.0, 210.0)


def _label(layout, item_id, text, rect, size, bold=False, color='#000000', halign=None):
    from qgis.core import QgsLayoutItemLabel, QgsLayoutPoint, QgsLayoutSize
    from qgis.PyQt.QtCore import Qt
    label = QgsLayoutItemLabel(layout)
    label.setId(item_id)
    label.setText(text)
    # QGIS 3.22 labels take a font and a colour (setTextFormat is 3.24).
    font = QFont('DejaVu Sans')
    font.setPointSizeF(size)
    font.setBold(bold)
    label.setFont(font)
    label.setFontColor(QColor(color))
    label.setHAlign(halign if halign is not None else Qt.AlignLeft)
    label.setVAlign(Qt.AlignVCenter)
    label.attemptMove(QgsLayoutPoint(rect[0], rect[1]))
    label.attemptResize(QgsLayoutSize(rect[2], rect[3]))
    layout.addLayoutItem(label)
    return label


def _stable_uuids(path):
    """Replaces the random item uuids of a saved layout by fixed ones (in
    order of appearance), so that the template is reproducible."""
    import re
    import uuid
    with open(path, encoding='utf-8') as f:
        text = f.read()
    found = []
    for m in re.finditer(r'\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}', text):
        if m.group(0) not in found:
            found.append(m.group(0))
    for i, old in enumerate(found):
        new = '{%s}' % uuid.uuid5(uuid.NAMESPACE_URL, 'ctxprof/csp_hotspot_map/%d' % i)
        text = text.replace(old, new)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def make_layout(project):
    from qgis.core import (QgsLayoutItemLegend, QgsLayoutItemMap, QgsLayoutItemPage,
                           QgsLayoutItemPicture, QgsLayoutItemScaleBar, QgsLayoutPoint,
                           QgsLayoutSize, QgsPrintLayout, QgsUnitTypes)
    from qgis.PyQt.QtCore import Qt
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    layout.setName('CSP hotspot map')
    layout.pageCollection().page(0).setPageSize('A4', QgsLayoutItemPage.Landscape)
    w, h = A4
    marking = 'OFFICIAL-SENSITIVE'
    _label(layout, 'marking_top', marking, (5, 2, w - 10, 6), 10, True, '#b00020',
           Qt.AlignHCenter)
    _label(layout, 'marking_bottom', marking, (5, h - 8, w - 10, 6), 10, True, '#b00020',
           Qt.AlignHCenter)
    _label(layout, 'title', 'Peer-on-peer abuse hotspots', (10, 9, 200, 10), 17, True)
    _label(layout, 'subtitle', 'Profile and period', (10, 19, 200, 7), 10)

    map_item = QgsLayoutItemMap(layout)
    map_item.setId('map')
    map_item.attemptMove(QgsLayoutPoint(10, 28))
    map_item.attemptResize(QgsLayoutSize(200, 160))
    map_item.setFrameEnabled(True)
    map_item.setFrameStrokeWidth(QgsLayoutMeasurement(0.3))
    map_item.setBackgroundColor(QColor('#ffffff'))
    layout.addLayoutItem(map_item)

    legend = QgsLayoutItemLegend(layout)
    legend.setId('legend')
    legend.setTitle('Legend')
    legend.setLinkedMap(map_item)
    legend.attemptMove(QgsLayoutPoint(215, 28))
    legend.attemptResize(QgsLayoutSize(75, 110))
    legend.setResizeToContents(False)
    legend.setSymbolWidth(6)
    legend.setSymbolHeight(3.5)
    layout.addLayoutItem(legend)

    north = QgsLayoutItemPicture(layout)
    north.setId('north_arrow')
    north.setPicturePath(':/images/north_arrows/layout_default_north_arrow.svg')
    north.setLinkedMap(map_item)
    north.setNorthMode(QgsLayoutItemPicture.GridNorth)
    north.attemptMove(QgsLayoutPoint(270, 145))
    north.attemptResize(QgsLayoutSize(15, 20))
    layout.addLayoutItem(north)

    scalebar = QgsLayoutItemScaleBar(layout)
    scalebar.setId('scalebar')
    scalebar.setStyle('Single Box')
    scalebar.setLinkedMap(map_item)
    scalebar.setUnits(QgsUnitTypes.DistanceKilometers)
    scalebar.setUnitLabel('km')
    scalebar.setMapUnitsPerScaleBarUnit(1000)
    scalebar.setNumberOfSegments(2)
    scalebar.setNumberOfSegmentsLeft(0)
    scalebar.setUnitsPerSegment(0.5)
    scalebar.setHeight(2.5)
    scalebar.attemptMove(QgsLayoutPoint(215, 150))
    layout.addLayoutItem(scalebar)

    _label(layout, 'sources', 'Data sources and attribution', (215, 168, 75, 30), 6.5)
    _label(layout, 'footer', 'Produced with ctxprof', (10, 189, 200, 8), 6.5)
    return layout


# Layer name -> function making a layer styled (raster styles take a scratch
# folder for their template raster), and the style categories it saves.
_VECTOR = QgsMapLayer.Symbology | QgsMapLayer.Rendering
STYLES = {
    'incidents': (make_incidents, _VECTOR),
    'areas': (make_areas, _VECTOR),
    'school_catchments': (make_school_catchments, _VECTOR),
    'parks': (make_parks, _VECTOR),
    'schools': (make_schools, _VECTOR),
    'bus_segments': (make_bus_segments, _VECTOR),
    'corridors': (make_corridors, _VECTOR),
    'corridor_routes': (make_corridor_routes, _VECTOR),
    'hotspot_density': (make_hotspot_density, _VECTOR),
    'hotspots': (make_hotspots, _VECTOR | QgsMapLayer.Labeling),
    'hotspot_gistar': (make_hotspot_gistar, _VECTOR),
    'peer_groups': (make_peer_groups, _VECTOR),
    'peer_group_contexts': (make_peer_group_contexts, _VECTOR),
    'places_of_concern': (make_places_of_concern, _VECTOR),
}


def main(argv):
    out_dir = os.path.abspath(argv[1]) if len(argv) > 1 else HERE
    os.makedirs(out_dir, exist_ok=True)
    app = QgsApplication([], False)
    app.initQgis()
    try:
        for name, (make, categories) in STYLES.items():
            layer = make(_home) if name == 'hotspot_density' else make()
            path = os.path.join(out_dir, name + '.qml')
            message, ok = layer.saveNamedStyle(path, categories)
            if not ok:
                print('make_styles: {}: {}'.format(path, message), file=sys.stderr)
                return 1
            print(path)
        path = os.path.join(out_dir, LAYOUT + '.qpt')
        if not make_layout(QgsProject.instance()).saveAsTemplate(path, QgsReadWriteContext()):
            print('make_styles: cannot write ' + path, file=sys.stderr)
            return 1
        _stable_uuids(path)
        print(path)
    finally:
        app.exitQgis()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
