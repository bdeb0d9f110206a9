"""The provider's algorithms: one module per engine command.

To add one, write algorithms/<command>.py with a CtxprofAlgorithm subclass
(see base.py and run_profile.py) and list its class here.
"""

from .run_profile import RunProfileAlgorithm

ALGORITHMS = (
    RunProfileAlgorithm,
)
