"""The message catalogue's upkeep: `python -m jixiao.engine.tools.i18n update|check|compile`.

- `update` extracts every message the code writes in English (strings and f-strings of the
  modules `sources()` lists, and the `EXTRA` texts made elsewhere, such as argparse's) into
  `engine/common/locale/zh/LC_MESSAGES/jixiao.po`: new msgids are added untranslated, entries
  the code no longer writes are dropped, translations are kept. Run it after adding messages
  (or merging branches that did), then translate the entries it lists.
- `check` lists each msgid without a Chinese translation and each stale entry; exit 1 if any
  (tests/test_i18n.py runs it).
- `compile` writes `jixiao.mo` beside the `.po` (every install reads the `.po`, so this is only
  a 2 ms speed-up for a packager, and the `.mo` is never committed).

An f-string's msgid is its template: each `{expression}` becomes a named field (`{name}`,
`{len_chain}`), which the translation places where Chinese needs it. A string is a message
when it has English words (two or more letters) and a space: names, codes and paths are not
extracted. A text that reads the same in Chinese is translated as itself.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from jixiao.engine.common.catalogue import PoEntry, compile_po, parse_po, po_string
from jixiao.engine.common.i18n import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]  # the checkout (dsl/ and engine/ beside each other)

#: Modules whose English strings reach users, relative to the checkout: every module of the
#: language and the engine but the renderers of reports (their labels are Chinese and English
#: side by side, chosen by the report's language; `render/outputs.py` writes messages) and this.
#: Not messages: the codes' documentation (docs/diagnostics.md, `check --explain`), the JSON
#: Schema's descriptions (JSON keeps English), `verify`'s generated evidence.
SKIP = (
    "engine/render/__",
    "engine/render/docx",
    "engine/render/explain",
    "engine/render/html",
    "engine/render/json_report",
    "engine/render/markdown",
    "engine/render/prose",
    "engine/render/sheets",
    "engine/render/table",
    "engine/render/word",
    "engine/render/xlsx",
    "engine/tools/i18n.py",
    "engine/common/i18n.py",
    "engine/common/catalogue.py",
    "engine/common/codes.py",
    "engine/tools/schema.py",
    "engine/tools/strategies.py",
    "dsl/formatter.py",
)


def sources(root: Path) -> list[Path]:
    found = sorted([*(root / "dsl").rglob("*.py"), *(root / "engine").rglob("*.py")])
    keep = [p for p in found if not p.relative_to(root).as_posix().startswith(SKIP)]
    # the messages first, so that each msgid's `#:` names where most of them live
    first = [root / "engine" / "common" / "messages.py", root / "dsl" / "parser.py"]
    return [*first, *(p for p in keep if p not in first)]


#: Texts not written as literals in those modules: argparse's own (translated by patching its
#: `_`), the kinds' names (`Kind.MONEY` reads `money`).
EXTRA = (
    "usage: ",
    "positional arguments",
    "options",
    "show this help message and exit",
    "show program's version number and exit",
    "the following arguments are required: %s",
    "unrecognized arguments: %s",
    "invalid choice: %(value)r (choose from %(choices)s)",
    "argument %(argument_name)s: %(message)s",
    "expected one argument",
    "%(prog)s: error: %(message)s\n",
    "invalid %(type)s value: %(value)r",
    "ambiguous option: %(option)s could match %(matches)s",
    "not allowed with argument %s",
    # a portfolio row's problem as batch.py writes it (`_problem`), and a folder row's
    "{d_message} [{d_code}]; {d_help}",
    "{d_message} [{d_code}]",
    "money",
    "number",
    "count",
    "percent",
    "bool",
    "text",
    "date",
    "list",
    "judgement",
    "records",
    "panel",
    # `diff`'s names of a change's parts (`tools/diff.py`), each a field of its messages
    "fact",
    "parameter",
    "rule",
    "veto",
    "threshold",
    "award",
    "step",
    "cap",
    "target",
    "subject",
    "reason",
    "argument",
    "condition",
    "type",
    "unit",
    "default",
    "min",
    "max",
    "choices",
    "nonzero",
    "shared",
    "label",
    "survey",
    "bonus",
    "penalty",
    "kind",
    "name",
    "change",
    "changes",
    "{word} `{x}` → `{y}`",
    # W408's `{what}` (`messages.formula_award`): an award is `award` above
    "deduction",
    # W412's `{analysis}` (`plan/analysis.Budget`), with `tier table` and `formula award`
    "division",
    # `jixiao lsp`'s outline groups and completion details (`lsp/features.py`, `lsp/analysis.py`)
    "facts",
    "functions",
    "function",
    "indicator",
    "keyword",
)

_WORDS = re.compile(r"[A-Za-z]{2,}")


def _is_message(msgid: str) -> bool:
    """English words and a space outside the fields; not markup, a pattern or a file name."""
    literal = re.sub(r"\{[^{}]*\}", "", msgid.replace("{{", "").replace("}}", ""))
    if msgid.lstrip().startswith("<") or "\\" in msgid or msgid.startswith("^"):
        return False
    if " " in literal.strip():
        return bool(_WORDS.search(literal))
    # one word beside a field: `unexpected {found}`, `formatted {path}`
    return bool(re.search(r"[A-Za-z]{3,}", literal)) and " " in msgid.strip()


def _field_name(node: ast.expr) -> str:
    name = re.sub(r"\W+", "_", ast.unparse(node), flags=re.ASCII).strip("_")
    name = re.sub(r"_+", "_", name)[:40].strip("_") or "value"
    return name if not name[0].isdigit() else f"v_{name}"


def template(node: ast.expr) -> str | None:
    """The msgid of a string expression, always a `str.format` template: a literal with its
    braces doubled, an f-string or `"…" + x` with a field for each expression; None for
    anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.replace("{", "{{").replace("}", "}}")
    if isinstance(node, ast.JoinedStr):
        out = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                out.append(str(part.value).replace("{", "{{").replace("}", "}}"))
            elif isinstance(part, ast.FormattedValue):
                out.append("{" + _field_name(part.value) + "}")
        return "".join(out)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = template(node.left), template(node.right)
        if left is None and right is None:
            return None
        return (left or "{" + _field_name(node.left) + "}") + (
            right or "{" + _field_name(node.right) + "}"
        )
    return None


def extract_file(path: Path) -> list[str]:
    """The msgids of one module, in the order they are written."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    inner: set[int] = set()  # the parts of an f-string or a sum already taken whole
    for node in ast.walk(tree):
        # not messages: type annotations, and the ledger's and reports' words, which are
        # Chinese and English side by side already (`Words("…", "…")`, `_W = {…}`), chosen by
        # the report's language
        skipped: list[ast.AST] = []
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "_W":
            skipped.append(node)  # a report's words, as below, with their type annotated
        elif isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            skipped.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            skipped.append(node.returns)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("Words", "cast"):
            skipped.extend(node.args)
        elif isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "_W":
            skipped.append(node.value)  # a report's words in both languages: `_W = {"zh": …}`
        for root in skipped:
            inner.update(id(child) for child in ast.walk(root))
    # a label's text is shown under the source even when it is one word (`here`, `weight`)
    labels = {
        id(node.args[1])
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "Label"
        and len(node.args) > 1
    }
    found: list[str] = []
    for node in ast.walk(tree):
        if id(node) in docstrings or id(node) in inner or not isinstance(node, ast.expr):
            continue
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            msgid = template(node)
            if msgid is not None and ("{" in msgid):
                # its operands are taken whole; a conditional operand's strings stay messages
                stack: list[ast.expr] = [node.left, node.right]
                while stack:
                    child = stack.pop()
                    if isinstance(child, ast.BinOp) and isinstance(child.op, ast.Add):
                        inner.add(id(child))
                        stack += [child.left, child.right]
                    elif isinstance(child, ast.Constant | ast.JoinedStr):
                        inner.add(id(child))
                        inner.update(id(part) for part in ast.walk(child))
        msgid = template(node) if not isinstance(node, ast.BinOp) or id(node) not in inner else None
        if isinstance(node, ast.JoinedStr):
            for child in node.values:
                inner.add(id(child))
        if msgid is not None and "\x00" in msgid:  # `text\0LIMIT`: the text is what is shown
            msgid = msgid.split("\x00")[0]
        if msgid is None:
            continue
        if not _is_message(msgid) and not (id(node) in labels and _WORDS.search(msgid)):
            continue
        found.append(msgid)
    return found


def extract(root: Path = ROOT) -> list[tuple[str, str]]:
    """(msgid, where) of every message, each msgid once, in source order."""
    seen: dict[str, str] = {}
    for path in sources(root):
        for msgid in extract_file(path):
            seen.setdefault(msgid, path.relative_to(root).as_posix())
    for msgid in EXTRA:
        seen.setdefault(msgid, "(argparse, kinds)")
    return list(seen.items())


HEADER = PoEntry(
    "",
    "Project-Id-Version: jixiao\nLanguage: zh_CN\nMIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n",
    [
        "# Chinese messages of jixiao. Source texts are the English the code writes;",
        "# `python -m jixiao.engine.tools.i18n update` keeps this file in step with the code.",
        "# Glossary: docs/i18n.md.",
    ],
)


def write_po(entries: list[PoEntry], path: Path) -> None:
    out: list[str] = []
    for entry in entries:
        out.extend(entry.comments)
        out.append(po_string(entry.msgid, "msgid"))
        out.append(po_string(entry.msgstr, "msgstr"))
        out.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out), encoding="utf-8")


def _po_path() -> Path:
    return CATALOGUE / "jixiao.po"


def read_po(path: Path | None = None) -> list[PoEntry]:
    path = path or _po_path()
    if not path.exists():
        return []
    return parse_po(path.read_text(encoding="utf-8"), str(path))


def update(path: Path | None = None) -> tuple[int, int]:
    """Bring the catalogue in step with the code; (added, dropped)."""
    path = path or _po_path()
    old = {e.msgid: e for e in read_po(path) if e.msgid}
    entries = [HEADER]
    for msgid, where in extract():
        before = old.pop(msgid, None)
        comments = [c for c in (before.comments if before else []) if not c.startswith("#:")]
        fmt = "#, python-brace-format" if _has_fields(msgid) else None
        comments = [c for c in comments if not c.startswith("#,")]
        entries.append(
            PoEntry(msgid, before.msgstr if before else "", [f"#: {where}", *filter(None, [fmt])])
        )
    added = sum(1 for e in entries[1:] if not e.msgstr)
    write_po(entries, path)
    return added, len(old)


def _has_fields(msgid: str) -> bool:
    try:
        return bool(field_names(msgid))
    except ValueError:
        return False


def problems(path: Path | None = None) -> tuple[list[str], list[str]]:
    """(msgids the code writes that have no translation, entries the code no longer writes)."""
    entries = {e.msgid: e for e in read_po(path) if e.msgid}
    wanted = [msgid for msgid, _ in extract()]
    missing = [m for m in wanted if m not in entries or not entries[m].msgstr or entries[m].fuzzy]
    stale = sorted(set(entries) - set(wanted))
    return missing, stale


def fields_ok(msgid: str, msgstr: str) -> bool:
    """Does the translation use only the fields its msgid has?"""
    try:
        return field_names(msgstr) <= field_names(msgid)
    except ValueError:  # not a format string: single braces not doubled
        return False


def field_names(text: str) -> set[str]:
    """The fields of a `str.format` template."""
    import string

    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else ""
    if command == "update":
        untranslated, dropped = update()
        sys.stdout.write(
            f"{_po_path()}: {untranslated} entries to translate, {dropped} stale dropped\n"
        )
        return 0
    if command == "check":
        missing, stale = problems()
        for msgid in missing:
            sys.stdout.write(f"untranslated: {msgid!r}\n")
        for msgid in stale:
            sys.stdout.write(f"stale: {msgid!r}\n")
        return 1 if missing or stale else 0
    if command == "compile":
        compile_po(_po_path(), _po_path().with_suffix(".mo"))
        sys.stdout.write(f"wrote {_po_path().with_suffix('.mo')}\n")
        return 0
    sys.stderr.write("usage: python -m jixiao.engine.tools.i18n update|check|compile\n")
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
