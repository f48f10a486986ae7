"""Bounded work: every input that could make jixiao's work or output grow beyond the input's own
size meets a named limit with a clear error, or is handled in linear size — never a hang, a
RecursionError, a MemoryError or exit 3."""

from __future__ import annotations

import json
from pathlib import Path

from jixiao.engine.render.json_report import INLINE_LIST_ITEMS

from .helpers import cli

# ----- JSON grows linearly with a list -----------------------------------------------------------

LIST_PACK = 'fact 问题: list\nindicator A "a" 100 { deduct 0.01 per 问题 "问题：{item}" }\n'


def _json_size(tmp_path: Path, n: int) -> int:
    pack = tmp_path / "p.jx"
    pack.write_text(LIST_PACK, encoding="utf-8")
    evidence = tmp_path / f"e{n}.yaml"
    items = "".join(f"    - 第{i}个问题\n" for i in range(n))
    evidence.write_text(f"facts:\n  问题:\n{items}", encoding="utf-8")
    code, out, err = cli("eval", str(pack), str(evidence), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    lines = doc["indicators"][0]["lines"]
    assert len(lines) == n + 1  # the base, then one line per finding naming its item
    assert lines[-1]["item"]["text"] == f"第{n - 1}个问题"
    if n > INLINE_LIST_ITEMS:
        assert lines[1]["facts"][0]["value"] == {"list": "问题", "count": n}
        assert doc["lists"]["问题"]["value"][-1] == f"第{n - 1}个问题"
    return len(out.encode("utf-8"))


def test_json_output_grows_linearly_with_a_list(tmp_path: Path) -> None:
    """2,000 findings gave 137 MB (each line repeated the whole list); 8,000 a MemoryError."""
    small, large = _json_size(tmp_path, 500), _json_size(tmp_path, 2000)
    assert large < 4.2 * small
    assert large < 4_000_000  # ~1 KB a line


def test_a_short_list_is_still_written_on_its_lines(tmp_path: Path) -> None:
    _json_size(tmp_path, INLINE_LIST_ITEMS)  # no `lists` needed; the golden covers the layout
