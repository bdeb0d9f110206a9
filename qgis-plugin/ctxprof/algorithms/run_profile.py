"""ctxprof:runprofile — `ctxprof run PROFILE.ini [-o OUT.gpkg]`."""

import configparser
import os

from qgis.core import (QgsProcessingOutputNumber, QgsProcessingOutputString,
                       QgsProcessingOutputVectorLayer, QgsProcessingParameterBoolean,
                       QgsProcessingParameterFile, QgsProcessingParameterFileDestination)

from ..layers import load_on_completion
from .base import CtxprofAlgorithm

# The counts of the `--json` summary's "total" object, returned as outputs.
COUNTS = (
    ('ROWS_READ', 'rows_read', 'Rows read'),
    ('INCIDENTS', 'incidents', 'Incidents'),
    ('REJECTS_LOAD', 'rejects_load', 'Rows rejected while loading'),
    ('REJECTS_GEOCODE', 'rejects_geocode', 'Rows that could not be placed'),
    ('LINKAGE', 'linkage', 'Linkage records'),
    ('UNMAPPED_CODES', 'unmapped_codes', 'Rows with codes missing from the code map'),
)


def profile_output(profile):
    """The `[profile] output` of a profile file, resolved against its folder, or ''.

    Only used to clean up after a cancelled run when no OUTPUT was given; the
    engine itself is the authority on the profile's meaning.
    """
    parser = configparser.ConfigParser(interpolation=None, strict=False,
                                       inline_comment_prefixes=(';', '#'))
    try:
        parser.read(profile, encoding='utf-8')
        value = parser.get('profile', 'output', fallback='').strip()
    except (configparser.Error, UnicodeDecodeError, OSError):
        return ''
    if not value:
        return ''
    return os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(profile)), value))


class RunProfileAlgorithm(CtxprofAlgorithm):
    NAME = 'runprofile'
    DISPLAY_NAME = 'Run profile'
    GROUP = 'Profiling'
    GROUP_ID = 'profiling'
    SHORT = 'Run every stage of a profile into one GeoPackage'
    TAGS = ('profile', 'incidents', 'geocode', 'contextual safeguarding', 'geopackage')
    HELP = (
        'Run every stage of a profile into one GeoPackage (ctxprof run).\n\n'
        'Loads every source of the profile, normalises and pseudonymises it, places each '
        'incident, and writes incidents, rejects and run_metadata into one GeoPackage. '
        'The output is written to a temporary file beside the output and renamed into place '
        'when complete. Every input row ends as an incident or a reject with a reason.\n\n'
        'Profile: the profile file (.ini) naming the sources, contexts and settings '
        '(ctxprof help profile describes every key).\n'
        'Output GeoPackage: where to write; empty writes to the profile\'s own output.\n\n'
        'The result layers load into the project as a group named after the profile, '
        'styled from the plugin\'s styles. The log shows, for every source, the rows read, '
        'incidents, and rows rejected while loading or not placed.')

    PROFILE = 'PROFILE'
    OUTPUT = 'OUTPUT'
    LOAD_LAYERS = 'LOAD_LAYERS'
    INCIDENTS_LAYER = 'INCIDENTS_LAYER'
    PROFILE_NAME = 'PROFILE_NAME'

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        profile = QgsProcessingParameterFile(
            self.PROFILE, self.tr('Profile'),
            behavior=QgsProcessingParameterFile.File, extension='ini')
        profile.setHelp(self.tr('Profile file (.ini): the sources, contexts and settings to run'))
        self.addParameter(profile)

        output = QgsProcessingParameterFileDestination(
            self.OUTPUT, self.tr("Output GeoPackage (default: the profile's output)"),
            fileFilter=self.tr('GeoPackage (*.gpkg)'), optional=True, createByDefault=False)
        output.setHelp(self.tr("Output GeoPackage (default: the profile's output)"))
        self.addParameter(output)

        load = QgsProcessingParameterBoolean(
            self.LOAD_LAYERS, self.tr('Load the result layers into the project, styled'),
            defaultValue=True)
        load.setHelp(self.tr('Add the output layers to the project as a group named after the '
                             'profile, each with its style from the plugin'))
        self.addParameter(load)

        self.addOutput(QgsProcessingOutputString(self.PROFILE_NAME, self.tr('Profile name')))
        self.addOutput(QgsProcessingOutputVectorLayer(
            self.INCIDENTS_LAYER, self.tr('Incidents layer')))
        for key, _, label in COUNTS:
            self.addOutput(QgsProcessingOutputNumber(key, self.tr(label)))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        profile = self.parameterAsFile(parameters, self.PROFILE, context)
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        load = self.parameterAsBoolean(parameters, self.LOAD_LAYERS, context)
        # The engine resolves relative paths itself; absolute ones make its
        # messages name the file unambiguously in the log.
        profile = os.path.abspath(profile)
        args = ['run', profile]
        if output:
            output = os.path.abspath(output)
            args += ['-o', output]
        args += ['--progress', '--json']

        result = self.run_engine(args, feedback,
                                 partial_output=output or profile_output(profile))
        if result.cancelled:
            return {}

        summary = result.json()
        output = summary.get('output') or output
        if output and not os.path.isabs(output):
            output = os.path.abspath(output)
        name = summary.get('profile') or os.path.splitext(os.path.basename(profile))[0]
        self._report(summary, feedback)

        results = {self.OUTPUT: output, self.PROFILE_NAME: name,
                   self.INCIDENTS_LAYER: '{}|layername=incidents'.format(output)}
        total = summary.get('total', {})
        for key, field, _ in COUNTS:
            results[key] = total.get(field)

        if load:
            loaded = load_on_completion(output, name, context, feedback)
            if loaded:
                feedback.pushInfo(self.tr('Loading {} into the group "{}"').format(
                    ', '.join(loaded), name))
        return results

    def _report(self, summary, feedback):
        feedback.pushInfo(self.tr('Profile "{}" -> {}').format(
            summary.get('profile', ''), summary.get('output', '')))
        if summary.get('demo_key'):
            feedback.pushWarning(self.tr('This run used the sample area\'s demo pseudonym key: '
                                         'never use it for real data.'))
        for source, c in summary.get('sources', {}).items():
            feedback.pushInfo('  ' + self._counts_line(source, c))
        total = summary.get('total')
        if total:
            feedback.pushInfo(self._counts_line(self.tr('total'), total))
        seconds = summary.get('seconds', {}).get('total')
        if seconds is not None:
            feedback.pushInfo(self.tr('Engine time: {:.2f} s').format(seconds))

    def _counts_line(self, name, c):
        line = self.tr('{}: {} rows read, {} incidents, {} rejected while loading, '
                       '{} not placed').format(name, c.get('rows_read', 0), c.get('incidents', 0),
                                               c.get('rejects_load', 0),
                                               c.get('rejects_geocode', 0))
        if c.get('linkage'):
            line += self.tr(', {} linkage records').format(c['linkage'])
        if c.get('unmapped_codes'):
            line += self.tr(', {} with unmapped codes').format(c['unmapped_codes'])
        return line
