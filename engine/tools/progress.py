"""Progress of `jixiao eval --batch` on a terminal: percentage, rate and time left (tqdm).

Silent unless standard error is a terminal, so logs, pipes and tests get no progress text; tqdm
is imported only then. Messages written while the bar is shown (a project that failed) go
through `note`, which clears the bar, prints the line and redraws it.
"""

from __future__ import annotations

from ..common.lang import current

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any, TextIO


#: The bar's words in the messages' language: (what it does, what it counts).
_WORDS = {"zh": ("计分", " 个项目"), "en": ("scoring", " projects")}


class Progress:
    """A progress bar over `total` projects (None: not known in advance) on `stream`, or
    nothing at all when `stream` is not a terminal."""

    def __init__(self, total: int | None, stream: TextIO) -> None:
        self.stream = stream
        self.bar: Any = None
        if hasattr(stream, "isatty") and stream.isatty():
            from tqdm import tqdm

            desc, unit = _WORDS[current()]
            self.bar = tqdm(
                total=total or None,
                file=stream,
                unit=unit,
                desc=desc,
                dynamic_ncols=True,
                mininterval=0.2,
                smoothing=0.1,
            )

    def advance(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def note(self, line: str) -> None:
        """Write a line (ending in a newline) to the stream without breaking the bar."""
        if self.bar is None:
            self.stream.write(line)
        else:
            self.bar.write(line.rstrip("\n"), file=self.stream)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
