"""What a Chinese user reads, with no English, field name or Python repr leaking through: each
case runs a command with `--lang zh` (a Chinese locale says the same) and asserts the text shown;
the English of the same case stays as it was where that was right."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from jixiao.engine.common import lang
from jixiao.engine.common.i18n import Translator

from .helpers import ROOT, cli

DIAGNOSTICS = ROOT / "tests" / "diagnostics"
DIFF = ROOT / "tests" / "goldens" / "diff"


@pytest.fixture(autouse=True)
def _english_after(monkeypatch: pytest.MonkeyPatch) -> object:
    for name in ("JIXIAO_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    yield
    cli("check", "--explain", "E201")
    lang.choose(None, {})


def leaked(text: str) -> list[str]:
    """Lines with an English word (two letters or more) outside backticks, quoted source lines,
    locations, codes and file names: stricter than test_i18n's two-words heuristic."""
    found = []
    for line in text.splitlines():
        if re.match(r"\s*\d*\s*\|", line) or line.strip().startswith(("-->", ":::", "---", "+++")):
            continue
        said = re.sub(r"`[^`]*`", " ", line)
        said = re.sub(r"\S*[/\\]\S*|\S+\.(jx|yaml|yml|csv|xlsx|json|md|html)\b", " ", said)
        said = re.sub(r"\b([EWS]\d{3}|SHA-256|jixiao|[0-9a-f]{64}|YYYY-MM-DD)\b", " ", said)
        if re.search(r"[A-Za-z]{2,}", said):
            found.append(line)
    return found


def check_zh(path: Path, text: str) -> tuple[int, str]:
    path.write_text(text, encoding="utf-8")
    code, _, err = cli("check", str(path), "--color", "never", "--lang", "zh")
    return code, err


# ----- E102, E103: what the parser found and what it expected ----------------------------------


@pytest.mark.parametrize(
    ("line", "zh", "en"),
    [
        ("full when 甲 且 乙", "意外的词语 `乙`", "unexpected word `乙`"),
        ("full when 甲 >= 85% 90%", "意外的百分比 `90%`", "unexpected percentage `90%`"),
        ("full when 甲 >= 1 2", "意外的数 `2`", "unexpected number `2`"),
        ("full when 甲 >= 2020-01-01 2020-02-01", "意外的日期 `2020-02-01`", "unexpected date"),
        ('full when 甲 "x"', '意外的文本 `"x"`', 'unexpected text `"x"`'),
        ("full when 甲 >= }", "意外的 `}`", "unexpected `}`"),
    ],
)
def test_what_the_parser_found_is_named_in_chinese(
    tmp_path: Path, line: str, zh: str, en: str
) -> None:
    text = (
        f'pack "p" {{ total 2 }}\nfact 甲: percent\nfact 乙: bool\nindicator A "a" 2 {{ {line} }}\n'
    )
    code, err = check_zh(tmp_path / "p.jx", text)
    assert code == 1 and f"错误[E102]: {zh}\n" in err
    assert leaked(err) == [], err
    _, _, english = cli("check", str(tmp_path / "p.jx"), "--color", "never", "--lang", "en")
    assert en in english and "such as" not in english.split("\n")[0]


def test_the_tokens_expected_are_listed_the_chinese_way(tmp_path: Path) -> None:
    text = 'pack "p" { total 2 }\nfact 甲: percent\nindicator A "a" 2 { full when 甲 >= 85% 90% }\n'
    _, err = check_zh(tmp_path / "p.jx", text)
    assert "帮助：此处应为`;`、`by`、`checklist`、`choose`、`deduct`、`else`" in err
    assert "或其余 15 项之一" in err and "`, `" not in err
    text = 'pack "p" { total 2 }\nfact 甲: percent\nindicator A "a" 2 { full when 甲 >= }\n'
    _, err = check_zh(tmp_path / "p.jx", text)
    assert "日期（YYYY-MM-DD）、一个名称、一个数、百分比（如 `85%`）或带引号的文本" in err


def test_a_pack_ending_early_asks_for_the_brace_in_chinese() -> None:
    code, _, err = cli(
        "check", str(DIAGNOSTICS / "E103-missing-brace.jx"), "--color", "never", "--lang", "zh"
    )
    assert code == 1 and "或其余 15 项之一；请补上缺少的 `}`" in err
    assert leaked(err) == [], err
    _, _, english = cli("check", str(DIAGNOSTICS / "E103-missing-brace.jx"), "--color", "never")
    assert "or one of 15 more; add the missing `}`" in english


# ----- W602: the evaluation period -------------------------------------------------------------


def test_the_evaluation_period_reads_zhi_not_to() -> None:
    jx, yaml = DIAGNOSTICS / "W602-outside-period.jx", DIAGNOSTICS / "W602-outside-period.yaml"
    _, _, err = cli("eval", str(jx), str(yaml), "--color", "never", "--lang", "zh")
    line = next(x for x in err.splitlines() if x.startswith("警告[W602]"))
    assert line.endswith("不在评价期间 2018-05-01 至 2018-06-30 之内") and leaked(line) == []
    _, _, err = cli("eval", str(jx), str(yaml), "--color", "never", "--lang", "en")
    assert "outside the evaluation period 2018-05-01 to 2018-06-30" in err


# ----- diff: what each change is ---------------------------------------------------------------


def test_diff_names_each_part_in_chinese_not_as_a_field() -> None:
    code, out, err = cli("diff", str(DIFF / "old.jx"), str(DIFF / "new.jx"), "--lang", "zh")
    assert code in (0, 1) and err == ""
    heads = [line for line in out.splitlines() if line[:2] in ("~ ", "+ ", "- ")]
    assert heads and all(re.match(r"[~+-] (修改|新增|删除)（[^）]+）：", h) for h in heads), heads
    assert "~ 修改（等级）：等级 `良` 的分数线改变：`良 >= 80` → `良 >= 85`" in heads
    assert "~ 修改（分值）：指标 `A` 分值改变：40 → 30 分" in heads
    assert not re.search(r"\[[a-z ]+\]", out)
    _, english, _ = cli("diff", str(DIFF / "old.jx"), str(DIFF / "new.jx"), "--lang", "en")
    assert "~ changed[grade]: grade band `良` moved" in english


# ----- the translator's lists ------------------------------------------------------------------


def test_a_list_of_code_is_joined_the_chinese_way_and_an_interval_is_not_split() -> None:
    t = Translator({"expected {x}": "此处应为{x}", "a name": "名称", "a number": "数"})
    assert t.translate("expected `a`, `b` or `c`") == "此处应为`a`、`b` 或 `c`"
    assert t.translate("expected a name or a number") == "此处应为名称或数"
    assert t.translate("expected `[0, 5]` or [1, 2]") == "此处应为`[0, 5]` 或 [1, 2]"


# ----- whatif --batch, the progress bar: one project, and the bar's words ----------------------


def test_whatif_batch_counts_one_project_in_either_language(tmp_path: Path) -> None:
    from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK

    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "a.yaml").write_bytes(FOUNDING_EVIDENCE.read_bytes())
    args = ("whatif", str(FOUNDING_PACK), "--batch", str(folder))
    _, out, err = cli(*args, "--lang", "en")
    assert "1 project, 1 scored, 0 not scored" in out and err == "1 project: 1 scored, 0 failed\n"
    assert "1 projects" not in out + err
    _, out, _ = cli(*args, "--lang", "en", "--format", "html")
    assert "1 project, 0 not scored" in out
    _, out, err = cli(*args, "--lang", "zh")
    assert (
        "项目 1 个，已计分 1 个，未能计分 0 个" in out and err == "1 个项目：1 个已计分，0 个失败\n"
    )
    assert leaked(err) == []


def test_the_progress_bar_speaks_the_messages_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    from jixiao.engine.cli import main

    from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    folder = tmp_path / "p"
    folder.mkdir()
    for i in range(2):
        (folder / f"p{i}.yaml").write_bytes(FOUNDING_EVIDENCE.read_bytes())
    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert main(["eval", str(FOUNDING_PACK), "--batch", str(folder), "--lang", "zh"]) == 0
    shown = err.getvalue()
    assert "计分: 100%" in shown and "个项目/s" in shown and "projects" not in shown
    assert "scoring" not in shown


# ----- every diagnostic: no English word outside backticks -------------------------------------

#: Words a Chinese message keeps: formats, products, limits' names, and the DSL's own keywords
#: where a message quotes the language (`money >= percent`, `不适用（exclude）`).
KEPT = set(
    "YAML JSON XLSX CSV UTF Excel WPS Parquet parquet Arrow IPC Feather SQLite PostgreSQL zip "
    "shell Windows README FIFO NaN nan null gb HTTP Testing pack whatif id project project_id "
    "money number count percent bool text date true exclude".split()
)


def _words(text: str) -> set[str]:
    return {w for line in leaked(text) for w in re.findall(r"[A-Za-z_]{2,}", _bare(line))}


def _bare(line: str) -> str:
    said = re.sub(r"`[^`]*`", " ", line)
    said = re.sub(r"\S*[/\\]\S*|\S+\.(jx|yaml|yml|csv|xlsx|json|md|html|parquet)\b", " ", said)
    said = re.sub(r"\.(xlsx|csv|jx|yaml)\b", " ", said)  # a suffix: `另存为 .xlsx 工作簿`
    return re.sub(
        r"\b([EWS]\d{3}|SHA-256|jixiao|[0-9a-f]{64}|[A-Z][A-Z_]+|[A-Z]{1,3}\d+)\b", " ", said
    )


def _cases() -> list[str]:
    from .test_diagnostics import CASES

    return list(CASES)


@pytest.mark.parametrize("stem", _cases())
def test_no_english_word_in_a_chinese_diagnostic(
    stem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stricter than test_i18n's two English words in a row: one word (`here`, `word`, `short`,
    `deduction`, `more`, `to`) is a leak too."""
    from .test_diagnostics import arguments, sparse_files

    monkeypatch.chdir(DIAGNOSTICS)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    sparse_files()
    _, out, err = cli(*arguments(stem), "--color", "never")
    if out.startswith("{"):  # JSON lines keep English
        out = ""
    left = _words(err + "\n" + out) - KEPT
    assert not left, (left, [x for x in leaked(err + out) if set(re.findall(r"\w+", x)) & left])


@pytest.mark.parametrize(
    ("stem", "shown"),
    [
        ("E303-arity", "此处\n"),  # a one-word label
        ("E301-type-mismatch", "不能在金额与百分比之间使用 `>=`"),
        ("E666-panel-too-few", "`panel … trimmed` 至少需要 3 位（`A`）"),  # not `3 (`A`) 位`
        (
            "E671-missing-field",
            "`子项目` 的记录 2（县B）没有字段 `完成数`",
        ),  # not `记录 `子项目` 的2`
        ("E660-not-among-the-choices", "超出其取值范围（选项 `培训`、`会议`、`其他`）"),
        ("E310-people-against-visits", "单位为次"),
        ("E401-weights", "下级指标分值合计还差 0.5 分"),
        ("E107-checklist-two-bases", "第二个 `base`"),
        ("E111-call-chain", "`第30层` → …（另有 28 个） → `第1层` → `第0层`；调用深度上限为 32"),
        (
            "E114-derived-chain",
            "`小计6` 读取 `小计5` 读取 `小计4` 读取 …（另有 2 个） 读取 `小计1`",
        ),
        ("W408-formula-award", "`B` 的扣分 `调整额` 可能为负"),
        ("W410-never-holds", "须同时落在 (100%, +∞) 和 (-∞, 100%) 中"),
        ("W412-analysis-gave-up", "除法分析在 100000 步后放弃"),
        ("E786-partial-panel", "缺少的专家评分事实 `专家评分`"),
        ("E613-finding-field", "的 `severity` 为 `特别严重`，不是 `一般`、`严重` 之一（`A`）"),
    ],
)
def test_a_chinese_diagnostic_reads(stem: str, shown: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from .test_diagnostics import arguments

    monkeypatch.chdir(DIAGNOSTICS)
    _, _, err = cli(*arguments(stem), "--color", "never", "--lang", "zh")
    assert shown in err, err


def test_no_translation_says_itself_twice() -> None:
    from jixiao.engine.tools import i18n as tool

    doubled = [
        e.msgid
        for e in tool.read_po()
        if len(e.msgstr) > 8 and e.msgstr[: len(e.msgstr) // 2] * 2 == e.msgstr
    ]
    assert doubled == []


# ----- jixiao test: a failing case; every subcommand's help -----------------------------------


def test_a_failing_case_is_told_in_chinese(tmp_path: Path) -> None:
    from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK

    suite = tmp_path / "x.test.yaml"
    suite.write_text(
        f"evidence: {FOUNDING_EVIDENCE.as_posix()}\ncases:\n"
        "  - name: 错的\n    expect:\n      lines:\n        A2.2:\n          - -0.7 不存在的行\n"
        "  - name: 错误事实\n    facts: {实际支出: abc}\n    expect: {total: 1}\n",
        encoding="utf-8",
    )
    code, out, _ = cli("test", str(FOUNDING_PACK), str(suite), "--lang", "zh")
    assert code == 1
    assert (
        "      `A2.2` 的台账行：\n        应为：\n          -0.7 不存在的行\n        实为：\n"
        in out
    )
    assert "      错误[E603]：事实 `实际支出` 应为一笔金额，而不是 `abc`\n" in out
    assert "expected" not in out and "got" not in out and "error[" not in out
    _, out, _ = cli("test", str(FOUNDING_PACK), str(suite), "--lang", "en")
    assert "      lines of `A2.2`:\n        expected:\n" in out
    assert "      error[E603]: fact `实际支出` should be an amount of money, not `abc`\n" in out


SUBCOMMANDS = ("eval", "check", "test", "verify", "schema", "selfeval", "fmt", "lsp", "serve")


@pytest.mark.parametrize("command", [*SUBCOMMANDS, "whatif", "diff"])
def test_every_help_prints_in_chinese(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A translation may add a `%` (`N%` for "N percent"): argparse formats help with `%`, and
    `jixiao test --help` failed with a traceback in Chinese."""
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    code, out, err = cli(command, "--help")
    assert code == 0 and err == "" and "用法：" in out and "\n选项：\n" in out
    assert not re.search(r"(?m)^\S.*[^\x00-\x7f]:$", out)  # `位置参数:`, ASCII after Chinese
    if command == "test":
        assert "覆盖率低于 N%（0 到 100）时判为失败" in out


def test_the_score_tables_losses_take_full_width_parentheses_in_chinese() -> None:
    from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK

    _, out, _ = cli("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--lang", "zh")
    assert "C1.2.2 故障修复及时率  3.65 / 4  （失 0.35 分）\n" in out and "(失" not in out
    _, out, _ = cli("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--lang", "en")
    assert "C1.2.2 故障修复及时率  3.65 / 4  (lost 0.35)\n" in out


def test_selfeval_names_the_row_whose_target_it_cannot_read() -> None:
    """A message ending in two fields (`{name}{aside}`) put the row's name after the target."""
    table = ROOT / "evidence" / "selfeval" / "defects.xlsx"
    _, out, _ = cli("selfeval", str(table), "--lang", "zh")
    assert "[S1] 无法读取重大故障次数的目标 `≥50个以上或80%`\n" in out
    _, out, _ = cli("selfeval", str(table), "--lang", "zh", "--qualitative-fallback")
    assert "[S1] 无法读取重大故障次数的目标 `≥50个以上或80%`；按定性指标计分\n" in out
    _, out, _ = cli("selfeval", str(table), "--lang", "en", "--qualitative-fallback")
    assert (
        "[S1] cannot read the target `≥50个以上或80%` of 重大故障次数; scored as qualitative" in out
    )


def test_a_space_kept_for_code_goes_where_the_field_is_chinese() -> None:
    t = Translator(
        {
            "{where} changed": "{where} 改变",
            "veto": "否决",
            "indicator `{code}`": "指标 `{code}`",
            "added {n} items": "新增 {n} 项",
        }
    )
    assert t.translate("veto changed") == "否决改变"
    assert t.translate("indicator `A` changed") == "指标 `A` 改变"
    assert t.translate("added 2 items") == "新增 2 项"


def test_diff_says_a_recoded_indicator_and_a_veto_without_stray_spaces() -> None:
    _, out, _ = cli("diff", str(DIFF / "old.jx"), str(DIFF / "new.jx"), "--lang", "zh")
    assert "~ 修改（编号）：指标 `A2`（目标）改编号为 `A9`" in out
    old, new = DIFF / "sections-old.jx", DIFF / "sections-new.jx"
    _, out, _ = cli("diff", str(old), str(new), "--lang", "zh")
    assert "~ 修改（否决）：否决改变：" in out and "+ 新增（否决）：新增否决：" in out


@pytest.mark.parametrize(
    ("command", "missing", "shown"),
    [
        ("lsp", "pygls", "jixiao lsp 需要 pygls：pip install 'jixiao[lsp]'\n"),
        ("serve", "uvicorn", "jixiao serve 需要安装其附加依赖：pip install 'jixiao[serve]'\n"),
    ],
)
def test_a_missing_extra_is_told_in_chinese(
    command: str, missing: str, shown: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    for name in [m for m in sys.modules if m.startswith(missing + ".")]:
        monkeypatch.setitem(sys.modules, name, None)  # its submodules, if imported before
    monkeypatch.setitem(sys.modules, missing, None)  # `import` raises ImportError
    monkeypatch.delitem(sys.modules, "jixiao.engine.lsp.server", raising=False)
    args = (command, "--packs", str(ROOT / "rules")) if command == "serve" else (command,)
    code, _, err = cli(*args, "--lang", "zh")
    assert code == 2 and err == shown


def test_a_list_and_a_panel_are_counted_in_each_languages_own_words() -> None:
    """English had `1 items：a；b`: a plural of one, and Chinese punctuation."""
    from types import SimpleNamespace

    from jixiao.dsl.ast import Kind
    from jixiao.engine.common.result import Panel
    from jixiao.engine.render.explain import value_text

    one = (SimpleNamespace(text="缺少记录"),)
    two = (SimpleNamespace(text="甲"), SimpleNamespace(text="乙"))
    assert value_text(Kind.LIST, one, "en") == "1 item: 缺少记录"
    assert value_text(Kind.LIST, two, "en") == "2 items: 甲; 乙"
    assert value_text(Kind.LIST, two, "zh") == "2 项：甲；乙"
    panel = object.__new__(Panel)
    object.__setattr__(panel, "marks", (SimpleNamespace(expert="张三", score=Decimal(4)),))
    assert value_text(Kind.PANEL, panel, "en").startswith("1 expert: 张三 4")
    assert value_text(Kind.PANEL, panel, "zh").startswith("1 位专家：张三 4")


def test_diff_over_a_portfolio_of_one_project(tmp_path: Path) -> None:
    from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK

    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "a.yaml").write_bytes(FOUNDING_EVIDENCE.read_bytes())
    new = tmp_path / "new.jx"
    text = FOUNDING_PACK.read_text(encoding="utf-8")
    deduction = 'deduct 1 when not 配置专职运维联络人员 "'
    assert deduction in text
    new.write_text(text.replace(deduction, deduction.replace("1", "0.5")), encoding="utf-8")
    args = ("diff", str(FOUNDING_PACK), str(new), "--batch", str(folder))
    _, out, _ = cli(*args, "--lang", "en")
    assert "score impact on the portfolio: 1 project, 1 scored by both packs" in out
    assert "  C2.2.2 人员配置保障情况  0.50  (1 project)\n" in out and "1 projects" not in out
    _, out, _ = cli(*args, "--lang", "zh")
    assert "对批量项目的得分影响：项目 1 个，两版均计分 1 个，得分变化 1 个" in out
    assert "  C2.2.2 人员配置保障情况  0.50（涉及项目 1 个）\n" in out


def test_the_dot_of_a_record_field_is_expected_as_the_character(tmp_path: Path) -> None:
    text = (
        'pack "p" { total 2 }\nfact 记录: records { 金额: money }\n'
        'indicator A "a" 2 { full when sum(记录 金额) > 0 }\n'
    )
    code, err = check_zh(tmp_path / "p.jx", text)
    assert code == 1 and "意外的词语 `金额`" in err and "`-`、`.` 或其余 9 项之一" in err
    _, _, english = cli("check", str(tmp_path / "p.jx"), "--color", "never", "--lang", "en")
    assert "`-`, `.` or one of 9 more" in english and " dot" not in english


def test_fmt_check_names_both_sides_of_its_diff_in_chinese(tmp_path: Path) -> None:
    pack = tmp_path / "p.jx"
    pack.write_text('pack "p" {   total 2 }\nfact 甲: bool\nindicator A "a" 2 {full when 甲}\n')
    code, out, _ = cli("fmt", "--check", str(pack), "--lang", "zh")
    assert code == 1 and f"--- {pack}（原样）\n+++ {pack}（格式化后）\n" in out
    _, out, _ = cli("fmt", "--check", str(pack), "--lang", "en")
    assert f"--- {pack} (as is)\n+++ {pack} (formatted)\n" in out


def test_serving_without_tokens_is_warned_in_chinese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("uvicorn")
    from jixiao.engine.serve import app

    monkeypatch.setattr(app, "serve", lambda *args: None)  # the warning only, no server
    args = ("serve", "--packs", str(ROOT / "rules"), "--host", "0.0.0.0")
    db = ("--db", f"sqlite:///{tmp_path / 'd.db'}")
    code, _, err = cli(*args, *db, "--lang", "zh")
    assert code == 0 and err.startswith("警告：在 0.0.0.0 上提供服务而未设置令牌：")


def test_an_editor_shows_a_diagnostic_in_chinese() -> None:
    """`jixiao lsp` chooses its language as every command does (the editor's environment): a
    Chinese user's editor showed the English message, `help:` and the fix's title."""
    pytest.importorskip("pygls")
    from jixiao.dsl.parser import parse_text
    from jixiao.engine.lsp.server import JixiaoServer

    text = 'pack "p" { total 2 }\nfact 相符: bool\nindicator A "a" 2 { full when 相符 = true }\n'
    try:
        parse_text(text, "p.jx")
    except Exception as exc:  # JixiaoError
        [d] = exc.diagnostics  # type: ignore[attr-defined]
    server = JixiaoServer()
    nowhere = server.diagnostic.__globals__["lsp"].Range(
        server.diagnostic.__globals__["lsp"].Position(0, 0),
        server.diagnostic.__globals__["lsp"].Position(0, 0),
    )
    server.range = lambda span: nowhere  # type: ignore[method-assign]  # not initialised
    lang.choose("zh", {})
    shown = server.diagnostic("file:///p.jx", d.labels[0].span.source, d)
    assert shown.message.startswith("意外的 `=`（此处不应出现）\n帮助：比较请写 `==`")
    assert shown.data is not None and shown.data["fixes"][0]["title"] == "改用 `==` 比较"
    lang.choose("en", {})
    shown = server.diagnostic("file:///p.jx", d.labels[0].span.source, d)
    assert shown.message.startswith("unexpected `=` (not expected here)\nhelp: to compare")


def test_an_editors_hover_is_in_chinese() -> None:
    from jixiao.engine.lsp import features
    from jixiao.engine.lsp.analysis import analyse

    from .helpers import FOUNDING_PACK

    text = FOUNDING_PACK.read_text(encoding="utf-8")
    analysis = analyse(str(FOUNDING_PACK), text)
    lang.choose("zh", {})
    found = features.hover(analysis, text.find("fact 预算金额") + 6)
    assert found is not None
    assert found[1].startswith("**事实** `预算金额`：金额\n\n单位：元\n\n不为 0（`nonzero`）")
    assert "\n\n声明于 本文件:16:6" in found[1] and leaked(found[1]) == []
    found = features.hover(analysis, text.find("A1.1") + 1)
    assert found is not None and "评分标准：\n\n> 项目与部门职能及规划相符得满分" in found[1]
    lang.choose("en", {})
    found = features.hover(analysis, text.find("fact 预算金额") + 6)
    assert found is not None and found[1].startswith("**fact** `预算金额`: money")
    assert "declared at this file:16:6" in found[1]


def test_an_editors_completion_and_outline_are_in_chinese() -> None:
    from jixiao.engine.lsp import features
    from jixiao.engine.lsp.analysis import analyse

    from .helpers import FOUNDING_PACK

    text = FOUNDING_PACK.read_text(encoding="utf-8")
    analysis = analyse(str(FOUNDING_PACK), text)
    lang.choose("zh", {})
    items = {i.label: i.detail for i in features.completion(analysis, text, len(text))}
    assert items["A1.1"] == "指标 战略目标适应性，分值 2" and items["预算金额"] == "事实：金额"
    assert items["indicator"] == "关键字" and items["abs"] == "内置函数"
    groups = [o.name for o in features.outline(analysis) if o.kind == "group"]
    assert groups[:2] == ["事实", "派生事实"]
    lang.choose("en", {})
    items = {i.label: i.detail for i in features.completion(analysis, text, len(text))}
    assert items["A1.1"] == "indicator 战略目标适应性, weight 2" and items["indicator"] == "keyword"


def test_coverage_names_a_proportional_rule_as_written() -> None:
    """A bare `proportional` (English, and no rule named) among 未覆盖 items."""
    from .helpers import FOUNDING_PACK

    _, out, _ = cli("test", str(FOUNDING_PACK), "-k", "故障", "--lang", "zh")
    line = next(x for x in out.splitlines() if x.strip().startswith("C1.2.2"))
    assert "；`proportional 故障修复及时率` 的评分；" in line and leaked(line) == []
    _, out, _ = cli("test", str(FOUNDING_PACK), "-k", "故障", "--lang", "en")
    assert "; `proportional 故障修复及时率` scores;" in out
