"""An indicator's own value of a pack parameter (`param 达成线 = 95%` inside `indicator B1`).

The checker declares it as a parameter of its own, named `达成线@B1`, which B1's clauses (with
the functions they call, and its children's) read instead of `达成线`: so the planner and the
evaluator see one more parameter and nothing new. A pack name never holds `@`, so the name
cannot meet an author's; reports show the author's name, `达成线`, with where the value came
from (`B1 的取值`).
"""

from __future__ import annotations

SEP = "@"


def own_name(param: str, code: str) -> str:
    """The parameter an indicator's own value is declared as."""
    return f"{param}{SEP}{code}"


def split_own(name: str) -> tuple[str, str | None]:
    """(the author's name, the indicator whose own value it is, or None)."""
    param, sep, code = name.partition(SEP)
    return (param, code) if sep else (name, None)
