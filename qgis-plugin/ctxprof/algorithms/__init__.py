"""The provider's algorithms: one per engine command, and the CSP hotspot map.

To add one, declare a CommandAlgorithm subclass in commands.py (or write a
module of its own for anything more than a command; see run_profile.py and
cspmap.py) and list its class here.
"""

from .commands import (CorridorsAlgorithm, DataRequestAlgorithm, EvaluateAlgorithm,
                       ExportShpAlgorithm, GazetteerAlgorithm, GeocodeAlgorithm,
                       HotspotsAlgorithm, KdeAlgorithm, OverlapAlgorithm, PeersAlgorithm,
                       PeopleAlgorithm, ShareAlgorithm, SnapAlgorithm)
from .cspmap import CspHotspotMapAlgorithm
from .run_profile import RunProfileAlgorithm

ALGORITHMS = (
    RunProfileAlgorithm,
    GazetteerAlgorithm,
    GeocodeAlgorithm,
    SnapAlgorithm,
    CorridorsAlgorithm,
    PeopleAlgorithm,
    OverlapAlgorithm,
    PeersAlgorithm,
    KdeAlgorithm,
    HotspotsAlgorithm,
    EvaluateAlgorithm,
    ExportShpAlgorithm,
    ShareAlgorithm,
    DataRequestAlgorithm,
    CspHotspotMapAlgorithm,
)
