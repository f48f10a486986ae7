"""What one server process holds, handed to every request through `app.state.jixiao`."""

from __future__ import annotations

from dataclasses import dataclass

from .config import Settings
from .decisions import Log
from .jobs import Jobs
from .metrics import Metrics
from .packs import Packs
from .work import Gate


@dataclass
class State:
    settings: Settings
    packs: Packs
    log: Log
    jobs: Jobs
    gate: Gate
    metrics: Metrics
