"""Named crash points of the job life cycle, for the crash-consistency tests.

With ``INBOXD_FAILPOINT=<name>`` in its environment the daemon kills itself with SIGKILL
when it reaches that point, exactly as a power cut or ``kill -9`` would; unset (always, in
production) each point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "INBOXD_FAILPOINT"
POINTS = ("after_claim", "after_row_insert", "mid_file", "after_result", "mid_move")


def failpoint(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
