"""What every ctxprof algorithm shares."""

from qgis.PyQt.QtCore import QCoreApplication
from qgis.core import QgsProcessingAlgorithm

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
