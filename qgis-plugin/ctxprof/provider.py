"""The Processing provider "ctxprof": one algorithm per engine command."""

import os

from qgis.PyQt.QtGui import QIcon
from qgis.core import QgsProcessingProvider

from .algorithms import ALGORITHMS
from .runner import EXECUTABLE_SETTING, EXECUTABLE_SETTING_LABEL

PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))


def plugin_version():
    """The version in metadata.txt."""
    try:
        with open(os.path.join(PLUGIN_DIR, 'metadata.txt'), encoding='utf-8') as f:
            for line in f:
                if line.startswith('version='):
                    return line.split('=', 1)[1].strip()
    except OSError:
        pass
    return ''


class CtxprofProvider(QgsProcessingProvider):
    def load(self):
        # The program's path is a provider setting (Settings > Options >
        # Processing > Providers > ctxprof); empty means "ctxprof on PATH".
        from processing.core.ProcessingConfig import ProcessingConfig, Setting
        ProcessingConfig.settingIcons[self.name()] = self.icon()
        ProcessingConfig.addSetting(Setting(
            self.name(), EXECUTABLE_SETTING,
            EXECUTABLE_SETTING_LABEL + ' (empty: the ctxprof on PATH)', '',
            valuetype=Setting.FILE))
        ProcessingConfig.readSettings()
        self.refreshAlgorithms()
        return True

    def unload(self):
        from processing.core.ProcessingConfig import ProcessingConfig
        ProcessingConfig.removeSetting(EXECUTABLE_SETTING)

    def loadAlgorithms(self):  # noqa: N802 (QGIS's name)
        for cls in ALGORITHMS:
            self.addAlgorithm(cls())

    def id(self):
        return 'ctxprof'

    def name(self):
        return 'ctxprof'

    def longName(self):  # noqa: N802
        return 'ctxprof contextual profiling {}'.format(plugin_version()).strip()

    def versionInfo(self):  # noqa: N802
        return plugin_version()

    def icon(self):
        return QIcon(self.svgIconPath())

    def svgIconPath(self):  # noqa: N802
        return os.path.join(PLUGIN_DIR, 'icon.svg')
