"""What every ctxprof algorithm shares.

Most algorithms are declarative: a subclass names the command (COMMAND, the
words after `ctxprof`), lists its options (OPTIONS: one Option per CLI
argument, with the CLI's default and help) and says which output to load
(LOAD). CommandAlgorithm turns the options into Processing parameters, the
parameter values back into the command line, runs the engine and returns its
outputs. Run profile and the CSP hotspot map override processAlgorithm.
"""

import json
import os

from qgis.PyQt.QtCore import QCoreApplication
from qgis.core import (QgsProcessingAlgorithm, QgsProcessingException,
                       QgsProcessingOutputString, QgsProcessingParameterBoolean,
                       QgsProcessingParameterCrs, QgsProcessingParameterDefinition,
                       QgsProcessingParameterEnum, QgsProcessingParameterFile,
                       QgsProcessingParameterFileDestination,
                       QgsProcessingParameterFolderDestination, QgsProcessingParameterNumber,
                       QgsProcessingParameterString)

from ..runner import run_ctxprof


class CtxprofAlgorithm(QgsProcessingAlgorithm):
    """Base class: subclasses set NAME, DISPLAY_NAME, GROUP, GROUP_ID, SHORT,
    HELP and TAGS, and implement initAlgorithm and processAlgorithm, calling
    self.run_engine()."""

    NAME = ''
    DISPLAY_NAME = ''
    GROUP = 'Profiling'
    GROUP_ID = 'profiling'
    SHORT = ''
    HELP = ''
    TAGS = ()

    def createInstance(self):  # noqa: N802 (QGIS's name)
        return type(self)()

    def name(self):
        return self.NAME

    def displayName(self):  # noqa: N802
        return self.tr(self.DISPLAY_NAME)

    def group(self):
        return self.tr(self.GROUP)

    def groupId(self):  # noqa: N802
        return self.GROUP_ID

    def shortDescription(self):  # noqa: N802
        return self.tr(self.SHORT)

    def shortHelpString(self):  # noqa: N802
        return self.tr(self.HELP)

    def tags(self):
        return ['ctxprof'] + [self.tr(t) for t in self.TAGS]

    def tr(self, text):
        return QCoreApplication.translate('ctxprof', text)

    def run_engine(self, args, feedback, partial_output=None):
        """Runs `ctxprof ARGS...` (see runner.run_ctxprof)."""
        return run_ctxprof(args, feedback, partial_output=partial_output)


# Kinds of Option: how a CLI argument appears in Processing.
FILE, FOLDER, STRING, NUMBER, INT, FLAG, ENUM, CRS, OUT_FILE, OUT_FOLDER = (
    'file', 'folder', 'string', 'number', 'int', 'flag', 'enum', 'crs', 'out_file', 'out_folder')


class Option:
    """One argument of a ctxprof command.

    name: the Processing parameter name; flag: the CLI option ('--radius'),
    or None for a positional argument; label: the CLI help line (used as
    description and help); default: the CLI's default (None: the option is
    left out unless given); optional: whether it may be left empty;
    choices: ENUM values; extension / file_filter: FILE and OUT_FILE filters;
    advanced: shown under Advanced parameters.
    """

    def __init__(self, name, flag, kind, label, default=None, optional=True, choices=None,
                 extension='', file_filter='', advanced=False, minimum=None, maximum=None):
        self.name = name
        self.flag = flag
        self.kind = kind
        self.label = label
        self.default = default
        self.optional = optional
        self.choices = choices
        self.extension = extension
        self.file_filter = file_filter
        self.advanced = advanced
        self.minimum = minimum
        self.maximum = maximum

    def parameter(self, tr):
        label, kind = tr(self.label), self.kind
        if kind == FILE:
            p = QgsProcessingParameterFile(self.name, label, QgsProcessingParameterFile.File,
                                           self.extension, self.default, self.optional)
        elif kind == FOLDER:
            p = QgsProcessingParameterFile(self.name, label, QgsProcessingParameterFile.Folder,
                                           '', self.default, self.optional)
        elif kind == STRING:
            p = QgsProcessingParameterString(self.name, label, self.default, False,
                                             self.optional)
        elif kind in (NUMBER, INT):
            p = QgsProcessingParameterNumber(
                self.name, label,
                QgsProcessingParameterNumber.Double if kind == NUMBER
                else QgsProcessingParameterNumber.Integer,
                self.default, self.optional)
            if self.minimum is not None:
                p.setMinimum(self.minimum)
            if self.maximum is not None:
                p.setMaximum(self.maximum)
        elif kind == FLAG:
            p = QgsProcessingParameterBoolean(self.name, label, bool(self.default), True)
        elif kind == ENUM:
            default = self.choices.index(self.default) if self.default in self.choices else None
            p = QgsProcessingParameterEnum(self.name, label, list(self.choices), False, default,
                                           self.optional)
        elif kind == CRS:
            p = QgsProcessingParameterCrs(self.name, label, self.default, self.optional)
        elif kind == OUT_FILE:
            p = QgsProcessingParameterFileDestination(self.name, label, self.file_filter,
                                                      self.default, self.optional, False)
        elif kind == OUT_FOLDER:
            p = QgsProcessingParameterFolderDestination(self.name, label, self.default,
                                                        self.optional, False)
        else:
            raise ValueError(kind)
        p.setHelp(label)
        if self.advanced:
            p.setFlags(p.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        return p

    def given(self, parameters):
        value = parameters.get(self.name)
        return value is not None and value != ''

    def arguments(self, alg, parameters, context):
        """The command-line words for this option's value (possibly none)."""
        kind = self.kind
        if kind == FLAG:
            on = alg.parameterAsBoolean(parameters, self.name, context)
            return [self.flag] if on else []
        if kind == ENUM:
            if not self.given(parameters) and self.default is None:
                return []
            value = self.choices[alg.parameterAsEnum(parameters, self.name, context)]
        elif kind in (FILE, FOLDER):
            value = alg.parameterAsFile(parameters, self.name, context)
            # QgsProcessingParameterFile accepts a GDAL URI
            # (file.gpkg|layername=x); only the path part is made absolute.
            if value:
                path, sep, rest = value.partition('|')
                value = os.path.abspath(path) + sep + rest
        elif kind == OUT_FILE:
            value = alg.parameterAsFileOutput(parameters, self.name, context)
            value = os.path.abspath(value) if value else value
        elif kind == OUT_FOLDER:
            value = alg.parameterAsString(parameters, self.name, context)
            value = os.path.abspath(value) if value else value
        elif kind == CRS:
            if not self.given(parameters):
                return []
            crs = alg.parameterAsCrs(parameters, self.name, context)
            value = crs.authid() or crs.toWkt() if crs.isValid() else ''
        elif kind == NUMBER:
            if not self.given(parameters) and self.default is None:
                return []
            value = '{:g}'.format(alg.parameterAsDouble(parameters, self.name, context))
        elif kind == INT:
            if not self.given(parameters) and self.default is None:
                return []
            value = str(alg.parameterAsInt(parameters, self.name, context))
        else:
            value = alg.parameterAsString(parameters, self.name, context)
        if value is None or value == '':
            if not self.optional:
                raise QgsProcessingException('{} is required'.format(self.label))
            return []
        return [value] if self.flag is None else [self.flag, value]


class CommandAlgorithm(CtxprofAlgorithm):
    """An algorithm that is one ctxprof command.

    COMMAND: the words after `ctxprof` (['export', 'shp']); OPTIONS: its
    arguments in command-line order; OUTPUT: the name of the option naming
    what it writes (returned as that output, and removed if cancelled);
    LOAD: 'gpkg', 'raster', 'folder' or None: what to load into the project
    when LOAD_LAYERS is on. The engine's --json summary is returned as JSON.
    """

    COMMAND = ()
    OPTIONS = ()
    OUTPUT = 'OUTPUT'
    LOAD = None
    JSON = 'JSON'
    LOAD_LAYERS = 'LOAD_LAYERS'

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        for option in self.OPTIONS:
            self.addParameter(option.parameter(self.tr))
        if self.LOAD:
            load = QgsProcessingParameterBoolean(
                self.LOAD_LAYERS, self.tr('Load the result layers into the project, styled'),
                defaultValue=True)
            load.setHelp(self.tr('Add the output layers to the project as a group, each with '
                                 'its style'))
            self.addParameter(load)
        self.addOutput(QgsProcessingOutputString(
            self.JSON, self.tr('Summary of the run (JSON, from --json)')))

    def command_line(self, parameters, context):
        args = list(self.COMMAND)
        for option in self.OPTIONS:
            args += option.arguments(self, parameters, context)
        return args + ['--progress', '--json']

    def output_path(self, parameters, context):
        for option in self.OPTIONS:
            if option.name == self.OUTPUT:
                words = option.arguments(self, parameters, context)
                return words[-1] if words else ''
        return ''

    def group_name(self, output, summary):
        return '{} ({})'.format(self.DISPLAY_NAME, os.path.basename(output.rstrip('/')))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        args = self.command_line(parameters, context)
        output = self.output_path(parameters, context)
        result = self.run_engine(args, feedback, partial_output=output or None)
        if result.cancelled:
            return {}
        summary = self.summary(result, feedback)
        output = summary.get('output') or output
        results = {self.JSON: json.dumps(summary) if summary else result.stdout}
        if output:
            results[self.OUTPUT] = output
        results.update(self.extra_results(summary, parameters, context, feedback) or {})
        if self.LOAD and output and self.parameterAsBoolean(parameters, self.LOAD_LAYERS,
                                                             context):
            from ..layers import load_on_completion
            loaded = load_on_completion(output, self.group_name(output, summary), context,
                                        feedback)
            if loaded:
                feedback.pushInfo(self.tr('Loading {}').format(', '.join(loaded)))
        return results

    def summary(self, result, feedback):
        """The --json summary as a dict ({} when the command printed none)."""
        text = result.stdout.strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError:
            feedback.pushInfo(text)
            return {}
        return value if isinstance(value, dict) else {'result': value}

    def extra_results(self, summary, parameters, context, feedback):
        """Outputs beyond OUTPUT and JSON; subclasses override."""
        return {}


# Options shared by kde, hotspots and evaluate (src/cli: the KDE options).
KERNELS = ('quartic', 'triangular', 'uniform', 'triweight', 'epanechnikov')


def kde_options(**labels):
    """The KDE options with kde's help lines; labels replaces some by name
    (hotspots and evaluate word them differently)."""
    options = [
        Option('LAYER', '--layer', STRING, 'Input layer (default: the first)'),
        Option('WHERE', '--where', STRING,
               'OGR SQL filter, e.g. "\\"Crime type\\" = \'Robbery\'"'),
        Option('RADIUS', '--radius', NUMBER,
               'Kernel radius (bandwidth) in map units; default: the ArcGIS rule', minimum=0),
        Option('PIXEL', '--pixel', NUMBER, 'Cell size in map units (default 25)', default=25,
               optional=False, minimum=0),
        Option('KERNEL', '--kernel', ENUM,
               'quartic (default), triangular, uniform, triweight, epanechnikov',
               default='quartic', choices=KERNELS, optional=False),
        Option('DECAY', '--decay', NUMBER,
               'Triangular kernel: value at the radius relative to the centre (0)',
               advanced=True),
        Option('SCALED', '--scaled', FLAG,
               'Density (kernels integrate to 1) instead of raw kernel sums', default=False),
        Option('WEIGHT', '--weight', STRING, 'Numeric field weighting each point',
               advanced=True),
        Option('EXTENT', '--extent', STRING,
               'Grid extent (default: the points grown by the radius)',
               advanced=True),
        Option('CRS', '--crs', CRS,
               "Projected CRS to work in (default: the layer's; EPSG:27700 for lon/lat)",
               advanced=True),
        Option('THREADS', '--threads', INT, 'Threads (default: every core)', advanced=True,
               minimum=1),
        Option('QGIS_COMPAT', '--qgis-compat', FLAG,
               "Reproduce QGIS 3.22's Heatmap (Kernel Density Estimation) cell for cell",
               default=False, advanced=True),
    ]
    for option in options:
        option.label = labels.get(option.name, option.label)
    return options
