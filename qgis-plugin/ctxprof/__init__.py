"""ctxprof QGIS plugin: a Processing provider that runs the ctxprof engine."""


def classFactory(iface):  # noqa: N802 (QGIS's name)
    """Called by QGIS (and qgis_process) to create the plugin."""
    from .plugin import CtxprofPlugin
    return CtxprofPlugin(iface)
