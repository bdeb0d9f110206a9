"""Loading an engine output into the project: one group per run, layers styled.

Processing loads the layers registered with
context.addLayerToLoadOnCompletion() once the algorithm has finished (on the
main thread); a QgsProcessingLayerPostProcessorInterface attached to each one
then applies the layer's style from styles/ and moves it into the run's group.
"""

import collections
import glob
import os
import uuid

from qgis.core import (QgsExpression, QgsGraduatedSymbolRenderer, QgsLayerTreeGroup,
                       QgsLayerTreeLayer,
                       QgsMapLayerType, QgsProcessingContext,
                       QgsProcessingLayerPostProcessorInterface, QgsProcessingUtils,
                       QgsProviderRegistry, QgsRasterBandStats, QgsRendererRange,
                       QgsSingleBandPseudoColorRenderer, QgsWkbTypes)

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

# The packaged plugin carries its styles (build-zip copies them in); a source
# checkout uses the repository's styles/ folder.
STYLE_DIRS = (
    os.path.join(PACKAGE_DIR, 'styles'),
    os.path.normpath(os.path.join(PACKAGE_DIR, '..', '..', 'styles')),
)

# GeoPackage tables that are not results.
_NOT_RESULTS = ('layer_styles',)

_RANK_PROPERTY = 'ctxprof/rank'
_RUN_PROPERTY = 'ctxprof/run'

# LayerDetails.setPostProcessor() hands the C++ object to the context, but in
# QGIS 3.22 nothing then keeps the Python half alive: once the LayerDetails
# wrapper is collected, postProcessLayer is silently never called. The
# post-processors of the last runs are referenced here (bounded: a run's
# context is gone long before 32 more runs have started).
_ALIVE = collections.deque(maxlen=32)


def style_path(layer_name):
    """The .qml for an output layer name, or None when there is none."""
    for folder in STYLE_DIRS:
        path = os.path.join(folder, layer_name + '.qml')
        if os.path.isfile(path):
            return path
    return None


# The only raster ctxprof writes is a density surface: a raster without a
# style of its own name (a kde GeoTIFF) takes this one.
RASTER_STYLE = 'hotspot_density'


def raster_style_path(layer_name):
    return style_path(layer_name) or style_path(RASTER_STYLE)


def output_layers(path):
    """(name, uri, rank, is_raster) for every result layer of a GeoPackage,
    a raster file, or a folder of shapefiles (an export).

    Rasters (the density surface) rank last so they draw below the vectors."""
    if os.path.isdir(path):
        layers = []
        for shp in sorted(glob.glob(os.path.join(glob.escape(path), '*.shp'))):
            layers += output_layers(shp)
        return layers
    layers = []
    for d in QgsProviderRegistry.instance().querySublayers(path):
        if d.name() in _NOT_RESULTS or d.name().startswith(('gpkg_', 'rtree_', 'sqlite_')):
            continue
        if d.type() == QgsMapLayerType.VectorLayer:
            name = d.name()
            if path.lower().endswith('.shp'):  # one layer, named after its file
                name = os.path.splitext(os.path.basename(path))[0]
            layers.append((name, d.uri(), _geometry_rank(d.wkbType()), False))
        elif d.type() == QgsMapLayerType.RasterLayer:
            layers.append((d.name(), d.uri(), 10, True))
    return layers


def _geometry_rank(wkb_type):
    # Points above lines above polygons, tables last: the drawing order that
    # keeps every layer visible.
    g = QgsWkbTypes.geometryType(wkb_type)
    return {QgsWkbTypes.PointGeometry: 0, QgsWkbTypes.LineGeometry: 1,
            QgsWkbTypes.PolygonGeometry: 2}.get(g, 9)


class ResultGroup:
    """The layer tree group for one run's layers, created on first use."""

    def __init__(self, name, project):
        self.name = name
        self.project = project
        self.run_id = uuid.uuid4().hex

    def _find(self, root):
        for node in root.children():
            if isinstance(node, QgsLayerTreeGroup) and \
                    node.customProperty(_RUN_PROPERTY) == self.run_id:
                return node
        return None

    def place(self, layer, rank):
        root = self.project.layerTreeRoot()
        group = self._find(root)
        if group is None:
            group = root.insertGroup(0, self.name)
            group.setCustomProperty(_RUN_PROPERTY, self.run_id)
        node = root.findLayer(layer.id())
        if node is None:
            group_node = QgsLayerTreeLayer(layer)
        else:
            group_node = node.clone()
        group_node.setCustomProperty(_RANK_PROPERTY, rank)
        index = 0
        for child in group.children():
            other = child.customProperty(_RANK_PROPERTY)
            if other is not None and str(other) <= rank:
                index += 1
        group.insertChildNode(index, group_node)
        if node is not None:
            parent = node.parent()
            parent.removeChildNode(node)
            # Re-running into the same file reuses the layers already in the
            # project (Processing finds them by source): their old group,
            # now empty, goes.
            if parent is not root and parent.customProperty(_RUN_PROPERTY) and \
                    not parent.children():
                parent.parent().removeChildNode(parent)
        return group


def _label_unit(label):
    """'1.5 - 2.5 per ha' -> 'per ha': the words after a class label's numbers."""
    words = label.split()
    while words and words[0].replace('.', '', 1).replace('-', '', 1).replace(',', '').isdigit() \
            or words and words[0] == '-':
        words.pop(0)
    return ' '.join(words)


def _reclassify(layer, renderer):
    """New classes for this layer's values with the style's method, ramp and
    symbol. NULL values (a school without a pupil count has no rate) are left
    out: QGIS 3.22's own updateClasses counts them as 0."""
    attr = renderer.classAttribute()
    field = layer.fields().lookupField(attr)
    if field < 0:  # an expression, coalesce("rate", -1): its one column
        columns = list(QgsExpression(attr).referencedColumns())
        field = layer.fields().lookupField(columns[0]) if len(columns) == 1 else -1
    if field < 0:
        return False
    values = [v for v in (f.attribute(field) for f in layer.getFeatures())
              if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not values:
        return False
    # The "no rate" class (below 0, where the expression puts NULL) is kept.
    no_value = [r for r in renderer.ranges() if r.upperValue() < 0]
    old = [r for r in renderer.ranges() if r.upperValue() >= 0]
    unit = _label_unit(old[0].label()) if old else ''
    classes = renderer.classificationMethod().classes(sorted(values), len(old) or 5)
    if not classes:
        return False
    ramp, source = renderer.sourceColorRamp(), renderer.sourceSymbol()
    top = max(abs(c.upperBound()) for c in classes)
    fmt = '{:.0f} - {:.0f}' if top >= 100 else '{:.1f} - {:.1f}'
    renderer.deleteAllClasses()
    for i, c in enumerate(classes):
        symbol = (source or old[min(i, len(old) - 1)].symbol()).clone()
        if ramp is not None:
            symbol.setColor(ramp.color(i / (len(classes) - 1) if len(classes) > 1 else 1.0))
        label = (fmt.format(c.lowerBound(), c.upperBound()) + ' ' + unit).strip()
        renderer.addClassRange(QgsRendererRange(c.lowerBound(), c.upperBound(), symbol, label))
    for r in no_value:
        renderer.addClassRange(r)
    return True


def fit_style_to_data(layer):
    """Adapts a loaded style to this layer's values.

    Graduated styles keep their field, colours and classification method
    (natural breaks) and get their classes recomputed from the layer; the
    density ramp (stored as shares 0..1 of the maximum) is stretched to the
    surface's own maximum. Returns True when something changed."""
    if layer.type() == QgsMapLayerType.VectorLayer:
        renderer = layer.renderer()
        if isinstance(renderer, QgsGraduatedSymbolRenderer):
            return _reclassify(layer, renderer)
        return False
    if layer.type() == QgsMapLayerType.RasterLayer:
        renderer = layer.renderer()
        if not isinstance(renderer, QgsSingleBandPseudoColorRenderer):
            return False
        shader = renderer.shader()
        ramp = shader.rasterShaderFunction() if shader else None
        if ramp is None or ramp.maximumValue() != 1.0:
            return False  # a style with real values: kept as it is
        stats = layer.dataProvider().bandStatistics(renderer.band(), QgsRasterBandStats.Max)
        top = stats.maximumValue
        if not top or top <= 0:
            return False
        items = ramp.colorRampItemList()
        for item in items:
            item.value *= top
        ramp.setColorRampItemList(items)
        legend = ramp.legendSettings()
        if legend is not None:
            legend.setMinimumLabel('Low')
            legend.setMaximumLabel('High ({:.3g})'.format(top))
            ramp.setLegendSettings(legend)
        ramp.setMinimumValue(0.0)
        ramp.setMaximumValue(top)
        shader.setMinimumValue(0.0)
        shader.setMaximumValue(top)
        renderer.setClassificationMin(0.0)
        renderer.setClassificationMax(top)
        return True
    return False


def apply_style(layer, qml):
    """Loads qml (when given) and fits it to the data; ('', True) or (message, False)."""
    if qml:
        message, ok = layer.loadNamedStyle(qml)
        if not ok:
            return message, False
    fit_style_to_data(layer)
    layer.triggerRepaint()
    return '', True


class StylePostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Styles a loaded result layer and moves it into its run's group."""

    def __init__(self, group, rank, qml):
        super().__init__()
        self.group = group
        self.rank = rank
        self.qml = qml

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 (QGIS's name)
        # A layer already in the project may read the file this run replaced.
        if layer.dataProvider() is not None:
            layer.dataProvider().reloadData()
        # Without a style file the layer keeps the default style QGIS read
        # from the GeoPackage's layer_styles table.
        message, ok = apply_style(layer, self.qml)
        if not ok:
            feedback.pushWarning('Cannot apply the style {} to {}: {}'.format(
                self.qml, layer.name(), message))
        self.group.place(layer, self.rank)


def _drop_stale_layers(project, gpkg_path, names):
    """Re-running into a file: its layers that the new run no longer writes
    leave the project, and run groups left empty go too."""
    target = os.path.realpath(gpkg_path)
    for layer in list(project.mapLayers().values()):
        source = layer.source()
        if source.startswith('GPKG:'):
            path, _, name = source[5:].rpartition(':')
        else:
            path, _, rest = source.partition('|')
            name = rest.partition('layername=')[2].partition('|')[0]
        if path and os.path.realpath(path) == target and name not in names:
            project.removeMapLayer(layer.id())
    root = project.layerTreeRoot()
    for node in list(root.children()):
        if isinstance(node, QgsLayerTreeGroup) and node.customProperty(_RUN_PROPERTY) and \
                not node.children():
            root.removeChildNode(node)


def load_on_completion(gpkg_path, group_name, context, feedback):
    """Registers every result layer of `gpkg_path` to load, styled, into a new group.

    Returns the names of the layers registered.
    """
    project = context.project()
    if project is None:
        return []
    _drop_stale_layers(project, gpkg_path, [layer[0] for layer in output_layers(gpkg_path)])
    group = ResultGroup(group_name, project)
    names = []
    alive = []
    _ALIVE.append(alive)
    for name, uri, geometry_rank, is_raster in output_layers(gpkg_path):
        hint = QgsProcessingUtils.LayerHint.Raster if is_raster else QgsProcessingUtils.LayerHint.Vector
        details = QgsProcessingContext.LayerDetails(name, project, name, hint)
        details.forceName = True
        qml = raster_style_path(name) if is_raster else style_path(name)
        post = StylePostProcessor(group, '%d:%s' % (geometry_rank, name), qml)
        alive.append(post)
        details.setPostProcessor(post)
        context.addLayerToLoadOnCompletion(uri, details)
        names.append(name)
        if qml is None and geometry_rank != 9:
            feedback.pushDebugInfo('No style for layer {} in {}'.format(name, ', '.join(STYLE_DIRS)))
    return names
