"""Messages in Chinese and English (issue #15 item 3): the catalogue is complete, the language
follows `--lang`, JIXIAO_LANG and the locale (Windows' names too), a Chinese run says no English
sentence, an English report has no Chinese labels, and JSON keeps its English texts."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from jixiao.engine.common import lang
from jixiao.engine.common.catalogue import compile_po, mo_bytes, parse_po, translations
from jixiao.engine.common.i18n import CATALOGUE, Translator, load_catalogue
from jixiao.engine.tools import i18n as tool

from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK, ROOT, check_golden, cli

DIAGNOSTICS = ROOT / "tests" / "diagnostics"
ZH_GOLDENS = ROOT / "tests" / "goldens" / "zh"


@pytest.fixture(autouse=True)
def _english_after(monkeypatch: pytest.MonkeyPatch) -> object:
    """Each test starts with no language chosen and leaves none behind."""
    for name in ("JIXIAO_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    yield
    cli("check", "--explain", "E201")  # an English run resets the process-wide choice
    lang.choose(None, {})  # English messages, and no language chosen for the reports


def english_sentences(text: str) -> list[str]:
    """Lines that say something in English: two English words in a row outside backticks,
    source lines, file names and paths, codes and the `jixiao` name (a heuristic)."""
    found = []
    for line in text.splitlines():
        said = line
        if re.match(r"\s*\d+\s*\|", said) or said.strip().startswith(("-->", ":::")):
            continue  # a quoted source line, a location
        said = re.sub(r"^[\s|^\-]*", "", said)  # an underline: its label stays
        said = re.sub(r"`[^`]*`", " ", said)
        said = re.sub(r"\[[^\]]*\]|\{[^}]*\}|--[a-z-]+|\b[A-Z][A-Z_]+\b", " ", said)  # usage
        said = re.sub(r"\S*[/\\]\S*|\S+\.(jx|yaml|yml|csv|xlsx|json|md|html)\b", " ", said)
        said = re.sub(r"\b([EWS]\d{3}|jixiao|MAX_[A-Z_]+|NAME=VALUE)\b", " ", said)
        if re.search(r"[A-Za-z]{2,}[\s,;:]+[A-Za-z]{2,}", said):
            found.append(line)
    return found


# ----- the catalogue ---------------------------------------------------------------------------


def test_every_message_has_a_chinese_translation_and_no_entry_is_stale() -> None:
    """After adding messages, run `python -m jixiao.engine.tools.i18n update` and translate
    the entries this lists (docs/i18n.md)."""
    missing, stale = tool.problems()
    listing = "".join(f"\n  untranslated: {m!r}" for m in missing)
    listing += "".join(f"\n  stale: {m!r}" for m in stale)
    assert not missing and not stale, f"run the i18n update and translate:{listing}"


def test_each_translation_uses_only_its_own_fields() -> None:
    entries = parse_po((CATALOGUE / "jixiao.po").read_text(encoding="utf-8"))
    bad = [e.msgid for e in entries if e.msgstr and not tool.fields_ok(e.msgid, e.msgstr)]
    assert bad == []
    for entry in entries:  # each msgstr is a valid format string over its msgid's fields
        if entry.msgid and entry.msgstr and tool.field_names(entry.msgid):
            entry.msgstr.format_map(dict.fromkeys(tool.field_names(entry.msgid), "x"))


def test_a_new_message_is_listed_until_translated(tmp_path: Path) -> None:
    po = tmp_path / "jixiao.po"
    shutil.copy(CATALOGUE / "jixiao.po", po)
    entries = parse_po(po.read_text(encoding="utf-8"))
    removed = next(e for e in entries if e.msgid == "unknown fact `{name}`")
    entries.remove(removed)
    tool.write_po(entries, po)
    missing, stale = tool.problems(po)
    assert missing == ["unknown fact `{name}`"] and stale == []
    tool.update(po)  # extracted again, untranslated
    assert "unknown fact `{name}`" in {e.msgid for e in parse_po(po.read_text("utf-8"))}
    assert tool.problems(po)[0] == ["unknown fact `{name}`"]


def test_the_extractor_names_fields_after_their_expressions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        'def f(name, chain):\n    """a docstring is not a message"""\n'
        '    return f"unknown fact `{name}` in {len(chain)} packs", "an item {x}", "one"\n',
        encoding="utf-8",
    )
    assert tool.extract_file(module) == [
        "unknown fact `{name}` in {len_chain} packs",
        "an item {{x}}",
    ]


def test_a_compiled_catalogue_reads_as_the_po_does(tmp_path: Path) -> None:
    import gettext

    po = CATALOGUE / "jixiao.po"
    folder = tmp_path / "zh"
    folder.mkdir()
    shutil.copy(po, folder / "jixiao.po")
    compile_po(folder / "jixiao.po", folder / "jixiao.mo")
    with (folder / "jixiao.mo").open("rb") as stream:
        read = gettext.GNUTranslations(stream)
    catalog = translations(parse_po(po.read_text(encoding="utf-8")))
    assert read.gettext("unknown fact `{name}`") == catalog["unknown fact `{name}`"]
    assert load_catalogue(folder) == catalog  # the .mo, not older than the .po, is used
    assert mo_bytes(catalog) == mo_bytes(dict(reversed(list(catalog.items()))))  # sorted


# ----- which language -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("zh_CN.UTF-8", "zh"),
        ("zh_TW.Big5", "zh"),
        ("zh-Hans", "zh"),
        ("Chinese (Simplified)_China", "zh"),  # Windows: locale.getlocale()[0]
        ("Chinese (Simplified)_People's Republic of China", "zh"),
        ("Chinese_Taiwan.950", "zh"),
        ("English_United States", "en"),
        ("en_US.UTF-8", "en"),
        ("de_DE", "en"),
        ("C", None),
        ("C.UTF-8", None),
        ("POSIX", None),
        ("", None),
        (None, None),
    ],
)
def test_locale_names(name: str | None, expected: str | None) -> None:
    assert lang.from_locale_name(name) == expected


def test_windows_asks_the_user_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    import locale

    monkeypatch.setattr(locale, "getlocale", lambda *a: ("Chinese (Simplified)_China", "936"))
    assert lang.from_environment({}, platform="win32") == "zh"
    monkeypatch.setattr(locale, "getlocale", lambda *a: ("English_United States", "1252"))
    assert lang.from_environment({}, platform="win32") == "en"
    monkeypatch.setattr(locale, "getlocale", lambda *a: (None, None))
    assert lang.from_environment({}, platform="win32") == "en"
    # POSIX never asks: no variable set is the C locale
    assert lang.from_environment({}, platform="linux") == "en"


@pytest.mark.parametrize(
    ("env", "explicit", "expected"),
    [
        ({"LANG": "zh_CN.UTF-8"}, None, "zh"),
        ({"LANG": "zh_CN.UTF-8"}, "en", "en"),  # --lang first
        ({"LANG": "en_US.UTF-8", "JIXIAO_LANG": "zh"}, None, "zh"),
        ({"LANG": "zh_CN.UTF-8", "JIXIAO_LANG": "en"}, None, "en"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}, None, "en"),  # LC_ALL overrides LANG
        ({"LANG": "en_US", "LC_MESSAGES": "zh_CN.UTF-8"}, None, "zh"),
        ({"LANGUAGE": "zh_CN"}, None, "en"),  # GNU LANGUAGE alone does not set a locale
        ({"JIXIAO_LANG": "klingon", "LANG": "zh_CN"}, None, "zh"),  # an unknown value is ignored
    ],
)
def test_which_language(env: dict[str, str], explicit: str | None, expected: str) -> None:
    assert lang.choose(explicit, env) == expected


def test_reports_are_chinese_unless_english_is_chosen() -> None:
    lang.choose(None, {"LANG": "en_US.UTF-8"})
    assert lang.current() == "en" and lang.report_lang() == "zh"
    lang.choose(None, {"JIXIAO_LANG": "en"})
    assert lang.report_lang() == "en"
    lang.choose("en", {"LANG": "zh_CN.UTF-8"})
    assert lang.report_lang() == "en"


# ----- Chinese ----------------------------------------------------------------------------------

#: One golden per kind of message: names, types, weights, graph, evidence, warnings, files.
ZH_SAMPLE = (
    "E100-missing-pack",
    "E101-ampersands",
    "E102-chinese-and",
    "E201-unknown-fact",
    "E301-type-mismatch",
    "E401-weights",
    "E605-missing-fact",
    "E606-division-by-zero",
    "E660-not-among-the-choices",
    "E681-missing-folder",
    "W201-unused",
    "W406-unguarded-division",
    "W602-outside-period",
)


def _diagnostic_args(stem: str) -> list[str]:
    from .test_diagnostics import arguments

    return arguments(stem)


@pytest.mark.parametrize("stem", ZH_SAMPLE)
def test_chinese_golden(stem: str, update_goldens: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not any(DIAGNOSTICS.glob(f"{stem}.*")):
        pytest.skip(f"no case {stem}")
    monkeypatch.chdir(DIAGNOSTICS)
    code, _, err = cli(*_diagnostic_args(stem), "--color", "never", "--lang", "zh")
    assert english_sentences(err) == []
    check_golden(ZH_GOLDENS / f"{stem}.expected", f"exit: {code}\n{err}", update_goldens)


#: Cases whose text is not jixiao's to translate: PyYAML's own words (E602), the id columns'
#: accepted names (E620).
NOT_OURS = ("E602-fullwidth-colon", "E602-not-yaml", "E602-tab-indent", "E620-")


def _cases() -> list[str]:
    from .test_diagnostics import CASES

    return [c for c in CASES if not c.startswith(NOT_OURS)]


@pytest.mark.parametrize("stem", _cases())
def test_a_chinese_locale_says_every_diagnostic_in_chinese(
    stem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .test_diagnostics import sparse_files

    monkeypatch.chdir(DIAGNOSTICS)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    sparse_files()
    code, out, err = cli(*_diagnostic_args(stem), "--color", "never")
    assert "Traceback" not in err and code in (0, 1, 2)
    assert english_sentences(err) == [], err
    if not out.startswith("{"):  # JSON lines (a portfolio's records) keep English texts
        assert english_sentences(out) == [], out


def test_the_english_goldens_are_untouched_by_the_catalogue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(DIAGNOSTICS)
    expected = (DIAGNOSTICS / "E201-unknown-fact.expected").read_text(encoding="utf-8")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    code, _, err = cli("check", "E201-unknown-fact.jx", "--color", "never", "--lang", "en")
    assert f"exit: {code}\n{err}" == expected


@pytest.mark.parametrize(
    "args",
    [
        ("check", str(FOUNDING_PACK)),
        ("check", str(ROOT / "rules")),
        ("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE)),
        ("test", str(FOUNDING_PACK)),
        ("test", str(ROOT / "rules")),
        ("selfeval", str(ROOT / "evidence" / "selfeval" / "defects.xlsx")),
        ("selfeval", str(ROOT / "evidence" / "selfeval" / "clean.xlsx")),
        ("check", "--bogus"),  # argparse's own usage error
        ("eval", str(FOUNDING_PACK)),  # jixiao's usage error
        ("check", str(ROOT / "no-such.jx")),
    ],
)
def test_a_chinese_locale_says_no_english_sentence(
    args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    code, out, err = cli(*args)
    assert code in (0, 1, 2) and "Traceback" not in err
    assert english_sentences(err) == [], err
    assert english_sentences(out) == [], out


def test_argparse_speaks_chinese_and_english_again_after(monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = cli("check", "--bogus", "--lang", "zh")
    assert code == 2 and "用法：" in err and "错误：" in err and "无法识别的参数" in err
    code, _, err = cli("check", "--bogus")
    assert code == 2 and "usage:" in err and "unrecognized arguments" in err


def test_a_portfolio_in_chinese(tmp_path: Path) -> None:
    """Batch messages: the progress notes, the CSV's 错误 column, the summary's failure list
    ("missing from the evidence" among them); JSON lines keep the English texts."""
    folder = tmp_path / "p"
    folder.mkdir()
    shutil.copy(FOUNDING_EVIDENCE, folder / "a.yaml")
    (folder / "b.yaml").write_text("facts:\n  预算金额: abc\n", encoding="utf-8")
    (folder / "c.yaml").write_text("facts: {}\n", encoding="utf-8")
    csv, summary = tmp_path / "r.csv", tmp_path / "s.md"
    args = ("eval", str(FOUNDING_PACK), "--batch", str(folder), "--lang", "zh")
    code, _, err = cli(*args, "--output", str(csv), "--summary", str(summary))
    assert code == 1 and "3 个项目：1 个已计分，2 个失败" in err
    for text in (err, csv.read_text(encoding="utf-8-sig"), summary.read_text(encoding="utf-8")):
        assert english_sentences(text) == [], text
    assert "证据中缺少事实" in summary.read_text(encoding="utf-8")
    code, out, _ = cli(*args)
    assert "missing from the evidence" in out  # JSON lines: the contract's English


def test_json_keeps_english_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DIAGNOSTICS)
    english = cli("check", "E201-unknown-fact.jx", "--format", "json")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert cli("check", "E201-unknown-fact.jx", "--format", "json") == english
    assert cli("check", "E201-unknown-fact.jx", "--format", "json", "--lang", "zh") == english


def test_translation_of_templates() -> None:
    t = Translator(
        {
            "unknown fact `{name}`": "未知事实 `{name}`",
            "did you mean `{close_0}`?": "是否想写 `{close_0}`？",
            "{hint}see `{name}`": "{hint}见 `{name}`",
            "{errors} error{s}": "{errors} 个错误",
            "a name": "一个名称",
        }
    )
    assert t.translate("unknown fact `预算`") == "未知事实 `预算`"
    # a field in backticks holds no backtick; the hint before it is translated in turn
    assert t.translate("did you mean `甲`? see `乙`") == "是否想写 `甲`？见 `乙`"
    assert t.translate("3 errors") == "3 个错误"
    assert t.translate("an Excel error value") == "an Excel error value"  # not a plural
    assert t.translate("x: a name") == "x：一个名称"
    assert t.translate("nothing known") == "nothing known"


# ----- English ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["table", "markdown", "html"])
def test_an_english_report_has_no_chinese_labels(fmt: str) -> None:
    """Everything Chinese in an English report is the pack's or the evidence's own text."""
    own = FOUNDING_PACK.read_text(encoding="utf-8") + FOUNDING_EVIDENCE.read_text("utf-8")
    code, out, _ = cli("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--lang", "en",
                       "--format", fmt)  # fmt: skip
    assert code == 0
    runs = set(re.findall(r"[\u3400-\u9fff\uff01-\uff5e“”、。《》〔〕]+", out))
    # a reason with its finding (`采购过程文件缺失：比选记录未留存`) is the pack's text filled
    foreign = {r for r in runs if r not in own and not all(p in own for p in r.split("："))}
    assert foreign == set()


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_an_english_selfeval_report_has_no_chinese_labels(fmt: str) -> None:
    """The report's own words; the table's (项目支出绩效自评表's headers, cells, the generated
    pack's fact names such as `实际_R16`) stay as they are."""
    table = ROOT / "evidence" / "selfeval" / "defects.xlsx"
    code, out, _ = cli("selfeval", str(table), "--lang", "en", "--format", fmt)
    assert code == 1 and ("12 findings:" in out or "Findings (12)" in out)
    labels = ("发现的问题", "处问题", "未计分 ", "总分 —", "行未计分")
    if fmt == "text":
        labels += ("目标 ", "实际 ", "表中 ", "等级 ")
    assert [x for x in labels if x in out] == []
    code, out, _ = cli("selfeval", str(table), "--lang", "zh", "--format", fmt)
    assert "发现的问题" in out or "发现 12 处问题" in out


@pytest.mark.parametrize("suffix", [".md", ".html"])
def test_an_english_portfolio_summary_has_english_headings(tmp_path: Path, suffix: str) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    shutil.copy(FOUNDING_EVIDENCE, folder / "a.yaml")
    (folder / "b.yaml").write_text("facts: {}\n", encoding="utf-8")
    summary = tmp_path / f"s{suffix}"
    cli(
        "eval",
        str(FOUNDING_PACK),
        "--batch",
        str(folder),
        "--summary",
        str(summary),
        "--lang",
        "en",
    )
    text = summary.read_text(encoding="utf-8")
    assert "portfolio summary" in text and "Projects not scored" in text
    for label in ("项目组合评价汇总", "等级分布", "主要失分原因", "未能计分的项目", "累计失分"):
        assert label not in text, label
    assert "missing from the evidence" in text  # the failure list in English too
    csv = tmp_path / "r.csv"
    cli("eval", str(FOUNDING_PACK), "--batch", str(folder), "--output", str(csv), "--lang", "en")
    header = csv.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("id,name,total,grade,") and header.endswith(",errors,Points lost")


# ----- the later commands: whatif, diff, eval --partial, verify ---------------------------------

DIFF = ROOT / "tests" / "goldens" / "diff"
PLANTED = (  # a tier table that loses points as its rate rises: verify finds a counterexample
    'pack "有错" { total 5 }\nfact 完成率: percent\n'
    'indicator A "完成情况" 5 { tiers 完成率 { >= 95%: 1; >= 90%: full; else: 0 } }\n'
)


def visible(text: str) -> str:
    """What a reader sees of a page: no stylesheet, no tags, entities read."""
    import html

    if "<html" not in text:
        return text
    text = re.sub(r"(?s)<style>.*?</style>|<script.*?</script>", "", text)
    text = re.sub(r"(?s)<code>(.*?)</code>", r"`\1`", text)  # a pack's own text, as in prose
    return html.unescape(re.sub(r"<[^>]+>", "\n", text))


def chinese_runs(text: str) -> set[str]:
    return set(re.findall(r"[\u3400-\u9fff\uff01-\uff5e、。《》〔〕「」［］（）]+", visible(text)))


def foreign_chinese(text: str, *own_files: Path) -> set[str]:
    """Chinese in an English output that is not the inputs' own text (names, reasons, units):
    a reason with its finding (`问题：甲`) is the pack's text filled."""
    # the national grades are a pack's own when it declares none
    own = "优良中差" + "".join(p.read_text(encoding="utf-8") for p in own_files)
    runs = chinese_runs(text)
    return {r for r in runs if r not in own and not all(p in own for p in r.split("："))}


def _portfolio(tmp_path: Path) -> Path:
    folder = tmp_path / "portfolio"
    folder.mkdir()
    shutil.copy(FOUNDING_EVIDENCE, folder / "a.yaml")
    text = FOUNDING_EVIDENCE.read_text(encoding="utf-8")
    (folder / "b.yaml").write_text(text.replace("value: 23,", "value: 40,", 1), encoding="utf-8")
    return folder


def _partial_evidence(tmp_path: Path) -> Path:
    """The founding evidence without its survey facts: `eval --partial` ranges them."""
    lines = FOUNDING_EVIDENCE.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [x for x in lines if not x.lstrip().startswith(("问卷", "有效问卷", "满意", "使用效果"))]
    path = tmp_path / "partial.yaml"
    path.write_text("".join(kept), encoding="utf-8")
    return path


def _later_commands(tmp_path: Path) -> dict[str, tuple[tuple[str, ...], tuple[Path, ...]]]:
    """Each output of the later commands: its arguments, and the inputs whose own text it may
    show (names, reasons, units)."""
    pack, evidence = str(FOUNDING_PACK), str(FOUNDING_EVIDENCE)
    founding = (FOUNDING_PACK, FOUNDING_EVIDENCE)
    folder = str(_portfolio(tmp_path))
    partial = _partial_evidence(tmp_path)
    planted = tmp_path / "planted.jx"
    planted.write_text(PLANTED, encoding="utf-8")
    old, new, ev = DIFF / "old.jx", DIFF / "new.jx", DIFF / "evidence.yaml"
    ranged = ("eval", pack, str(partial), "--partial")
    return {
        "whatif": (("whatif", pack, evidence), founding),
        "whatif html": (("whatif", pack, evidence, "--format", "html"), founding),
        "whatif to": (("whatif", pack, evidence, "--to", "优", "--fixed", "故障总数"), founding),
        "whatif batch": (("whatif", pack, "--batch", folder), founding),
        "whatif batch html": (("whatif", pack, "--batch", folder, "--format", "html"), founding),
        "diff": (("diff", str(old), str(new)), (old, new)),
        "diff html": (("diff", str(old), str(new), "--format", "html"), (old, new)),
        "diff evidence": (("diff", str(old), str(new), str(ev)), (old, new, ev)),
        "diff evidence html": (
            ("diff", str(old), str(new), str(ev), "--format", "html"),
            (old, new, ev),
        ),
        "diff batch": (("diff", str(FOUNDING_PACK), str(new), "--batch", folder), (*founding, new)),
        "partial": (ranged, (FOUNDING_PACK, partial)),
        "partial markdown": ((*ranged, "--format", "markdown"), (FOUNDING_PACK, partial)),
        "partial html": ((*ranged, "--format", "html"), (FOUNDING_PACK, partial)),
        "verify": (("verify", pack, "--examples", "20"), founding),
        "verify counterexample": (
            ("verify", str(planted), "--examples", "100", "--out", str(tmp_path / "found")),
            (planted,),
        ),
    }


LATER = (
    "whatif",
    "whatif html",
    "whatif to",
    "whatif batch",
    "whatif batch html",
    "diff",
    "diff html",
    "diff evidence",
    "diff evidence html",
    "diff batch",
    "partial",
    "partial markdown",
    "partial html",
    "verify",
    "verify counterexample",
)


@pytest.mark.parametrize("name", LATER)
def test_a_chinese_locale_says_no_english_sentence_in_the_later_commands(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """whatif, diff (structural, with evidence, over a portfolio), eval --partial and verify:
    under a Chinese locale their reports and messages say no English sentence."""
    args, _ = _later_commands(tmp_path)[name]
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    code, out, err = cli(*args)
    assert code in (0, 1) and "Traceback" not in err, err
    if name == "partial html":  # the section it adds; the page around it is eval's report
        out = out[out.index('<section class="partial">') :]
    assert english_sentences(visible(out)) == [], out
    assert english_sentences(err) == [], err
    for written in (tmp_path / "found").glob("*.yaml"):  # verify's counterexample, its note
        note = "".join(x for x in written.read_text("utf-8").splitlines(True) if x[:1] == "#")
        assert note and english_sentences(note) == [], note


@pytest.mark.parametrize("name", LATER)
def test_no_chinese_chrome_in_the_later_commands_with_lang_en(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --lang en, everything Chinese in their outputs is the pack's or the evidence's own
    text — even under a Chinese locale."""
    args, own = _later_commands(tmp_path)[name]
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    code, out, err = cli(*args, "--lang", "en")
    assert code in (0, 1) and "Traceback" not in err, err
    assert foreign_chinese(out, *own) == set(), out
    assert foreign_chinese(err, *own) == set(), err
    for written in (tmp_path / "found").glob("*.yaml"):
        note = "".join(x for x in written.read_text("utf-8").splitlines(True) if x[:1] == "#")
        assert "counterexample" in note and foreign_chinese(note, *own) == set(), note


@pytest.mark.parametrize(
    ("args", "zh", "en"),
    [
        (("whatif", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE)), "现得分 87.74", "Score now 87.74"),
        (
            ("diff", str(DIFF / "old.jx"), str(DIFF / "new.jx"), "--format", "html"),
            "规则包修订对比",
            "Revision of a rule pack",
        ),
        (("diff", str(DIFF / "old.jx"), str(DIFF / "new.jx")), "无结构变化", "re-weighted"),
    ],
)
def test_the_later_commands_follow_lang(args: tuple[str, ...], zh: str, en: str) -> None:
    _, out_zh, _ = cli(*args, "--lang", "zh")
    _, out_en, _ = cli(*args, "--lang", "en")
    assert (zh in out_zh or en not in out_zh) and zh not in out_en and en in out_en
    if "--format" not in args and args[0] == "diff":
        assert "分值改变" in out_zh  # a change's message, through the catalogue


def test_whatif_json_is_the_same_in_every_language() -> None:
    args = ("whatif", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--format", "json")
    assert cli(*args, "--lang", "zh")[:2] == cli(*args, "--lang", "en")[:2]


def test_a_users_name_in_backticks_is_never_translated() -> None:
    t = Translator({"unknown fact `{name}`": "未知事实 `{name}`", "default": "默认值"})
    assert t.translate("unknown fact `default`") == "未知事实 `default`"


def test_joined_messages_asides_and_brackets_are_translated_whole() -> None:
    t = Translator(
        {
            "{record} of `{name}` {what}": "`{name}` 的{record} {what}",
            "`{e}` has no record of `{r}` to take{why}": "`{e}` 没有可取的 `{r}` 记录{why}",
            " ({n} left out)": "（{n} 条未计入）",
            "indicator {names} needs it": "指标 {names} 需要它",
            "scores {s}, outside {interval}, {band}": "评分 {s}，超出 {interval}：{band}",
            "the band": "分值范围",
        }
    )
    # a loose template does not swallow a second message after `; `
    said = t.translate(
        "`mean(甲)` has no record of `乙` to take (2 left out); indicator `A` needs it"
    )
    assert said == "`mean(甲)` 没有可取的 `乙` 记录（2 条未计入）；指标 `A` 需要它"
    assert t.translate("scores 9, outside [0, 5], the band") == "评分 9，超出 [0, 5]：分值范围"
