"""The garbage collector paused while a large structure is built.

Checking and compiling a pack allocates hundreds of thousands of long-lived objects (the AST,
the checked program, the graph, the closures) and frees few cycles; each time the youngest
generation fills, the collector walks what is alive, and the older generations' passes over
an ever larger heap make the work grow faster than the pack (`check` of 100,000 indicators).
Paused for the time of the build and restored afterwards, whatever happens.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No automatic collection inside; the collector as it was afterwards (also on an
    exception, and when it was already off)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
