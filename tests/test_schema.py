"""`jixiao schema` is the reader's contract: evidence the schema accepts is read without an error,
and evidence the reader refuses the schema refuses (issue #12: the schema rejected the project's
own survey evidence and accepted `率: abc` or a level the pack does not list)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.dsl.source import Source
from jixiao.engine import compile_source
from jixiao.engine.runtime.evaluator import evaluate
from jixiao.engine.runtime.evidence import load_bytes
from jixiao.engine.tools.schema import evidence_schema

ROOT = Path(__file__).resolve().parent.parent

PACK = """
pack "契约" { total 10  not_applicable full }
fact 预算: money unit "万元" nonzero
fact 支出: money
fact 率: percent
fact 次数: count unit "次"
fact 人数: count default 0
fact 系数: number
fact 健全: bool
fact 档次: text
fact 日期: date
fact 问题: list
fact 酌情: judgement
param 线: percent = 80%
survey 问卷 {
    fact 满意数 = count where 满意度 in ["很满意", "满意"]
    fact 均分 = mean 满意度 { "很满意": 100; "满意": 80; "不满意": 0 }
}
let 执行率: percent = 支出 / 预算
indicator A "a" 1 { full when 执行率 >= 线 else proportional 执行率 }
indicator B "b" 1 { tiers 率 { >= 95%: full; else: 0 } }
indicator C "c" 1 { full when 次数 + 人数 >= 3次 }
indicator D "d" 1 { full when 系数 > 1 and 健全 }
indicator E "e" 1 { levels 档次 { "健全": full; "基本健全": 60%; "不健全": 0 } }
indicator F "f" 1 { full when 日期 <= 2018-06-30 }
indicator G "g" 1 { deduct 0.5 per 问题 "{item}" }
indicator H "h" 1 { deduct 酌情 within [0, 1] }
indicator I "i" 2 { full when 满意数 >= 1 and 均分 >= 60 }
"""


def compiled(text: str = PACK) -> Any:
    plan, _ = compile_source(Source("contract.jx", text))
    assert plan is not None
    return plan


PLAN = compiled()
VALIDATOR = jsonschema.Draft202012Validator(evidence_schema(PLAN.program))


def read_cleanly(text: str) -> tuple[bool, list[str]]:
    """Read without an error: the evidence loads, gives every fact the pack reads (or a
    default or survey does), and scoring finds no level the pack does not list."""
    evidence, diags = load_bytes(text.encode(), "e.json", PLAN.program)
    errors = [f"{d.code} {d.message}" for d in diags if d.is_error]
    if evidence is None or errors:
        return False, errors
    missing = [
        f"missing {n}"
        for n, f in PLAN.program.facts.items()
        if not f.is_param and f.default is None and n not in evidence.values
    ]
    result = evaluate(PLAN, evidence)
    found = [f"{d.code} {d.message}" for d in result.diagnostics if d.is_error and d.code == "E607"]
    return not (missing or found), missing + found


def schema_errors(data: Any) -> list[str]:
    return [e.message for e in VALIDATOR.iter_errors(data)]


# ----- regressions ------------------------------------------------------------------------------


def plain(node: yaml.Node | None) -> Any:
    """A YAML document as JSON would carry it: every scalar as its text, null as null."""
    if isinstance(node, yaml.MappingNode):
        return {k.value: plain(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [plain(x) for x in node.value]
    if node is None or (node.tag == "tag:yaml.org,2002:null" and node.style is None):
        return None
    return node.value


def test_the_founding_survey_evidence_is_valid() -> None:
    pack = ROOT / "rules" / "video-conference-2017.jx"
    plan, _ = compile_source(Source(str(pack), pack.read_text(encoding="utf-8")))
    assert plan is not None
    schema = evidence_schema(plan.program)
    for name in ("video-conference-2017.yaml", "video-conference-2017-survey.yaml"):
        data = plain(yaml.compose((ROOT / "evidence" / name).read_text(encoding="utf-8")))
        errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(data)]
        assert errors == [], name


FULL = {
    "预算": "10万元",
    "支出": 80000,
    "率": "96%",
    "次数": "3次",
    "系数": "1.5",
    "健全": "是",
    "档次": "健全",
    "日期": "2018-05-01",
    "问题": [],
    "酌情": 0,
}
SURVEY = {"问卷": [{"满意度": "满意"}, {"满意度": "不满意"}]}


@pytest.mark.parametrize(
    ("change", "valid"),
    [
        ({}, True),
        ({"率": "abc"}, False),  # was accepted by the schema
        ({"档次": "很健全"}, False),  # a level the pack does not list
        ({"率": "92"}, False),  # 9200%
        ({"率": "120%"}, False),  # outside [0%, 100%]
        ({"支出": -3}, False),  # money is 0 or more
        ({"预算": "0万元"}, False),  # nonzero
        ({"次数": "3人"}, False),  # counted in 次
        ({"预算": "500000元"}, True),  # converts into 万元
        ({"酌情": {"value": 0.5}}, False),  # a judgement needs its reason
        ({"酌情": {"value": 0.5, "reason": "资料不全"}}, True),
        ({"系数": "不适用"}, True),
        ({"满意数": 3}, False),  # given directly and counted by the survey (E621)
        ({"日期": "2018-05-01 00:00:00"}, True),  # as Excel exports a date cell
        ({"日期": "2018/5/1 14:30"}, True),  # a time of day: the day is not in doubt
        ({"日期": "2018-05-01 25:00"}, False),  # no such time
        ({"日期": "2018-05-01 00:00 上午"}, False),
    ],
)
def test_schema_and_reader_agree_on_examples(change: dict[str, Any], valid: bool) -> None:
    data = {"facts": {**FULL, **change}, "surveys": SURVEY}
    text = json.dumps(data, ensure_ascii=False)
    ok, why = read_cleanly(text)
    assert ok == valid, why
    assert (schema_errors(data) == []) == valid, schema_errors(data)


def test_surveys_are_allowed_and_their_facts_not_required() -> None:
    data = {"facts": FULL, "surveys": SURVEY}
    assert schema_errors(data) == []
    assert schema_errors({"facts": FULL}) != []  # neither the survey nor its facts


# ----- the property -----------------------------------------------------------------------------

#: Per fact: values the reader takes, then values it refuses.
VALUES: dict[str, tuple[list[Any], list[Any]]] = {
    "预算": (
        [
            *["10万元", "100000元", 5, "5亿", "¥12", "1,000.5", "五万元", "1.5千元", "20 万元"],
            *["壹拾万元整", "一万二千元", "伍角", "1.2万"],
        ],
        ["0", 0, "-3", "abc", "3次", "0万元", "", None, True],
    ),
    "支出": (
        [80000, "8万元", "0", "12元", "1.5", "三千元", 0, "+5", "贰佰叁拾肆万伍仟元", "叁元零伍分"],
        [-1, "-2万元", "x", "", None, True, "5人", "1.2.3", "壹拾万元整整", "五分整"],
    ),
    "率": (
        ["96%", "100%", "0.5", 1, 0, "0%", "９５%", "100.0%", "0", "百分之九十二", "百分之92.5"],
        ["101%", "92", 1.5, -0.2, "-5%", "abc", "5", None, "95%%", "百分之", "百分之x"],
    ),
    "次数": (
        [3, "3次", "三次", "0", "3.0", 0, "1,000", "一万二千次", "一万", "1.2万"],
        ["3人", 2.5, "-1", "x", "3.5", None],
    ),
    "系数": (["1.5", 2, "-3", "7人", "3.0", -0.5, "二十", "1.2万"], ["abc", None, "", "1e5"]),
    "健全": (
        [True, False, "是", "否", "有", "YES", "no", 1, 0, "1", " 是 "],
        [2, "maybe", None, "", -1],
    ),
    "档次": (["健全", "基本健全", "不健全"], ["很健全", "", 3, True, None]),
    "日期": (["2018-05-01", "2018年5月1日", "2018/5/1"], ["abc", "20180501", 2018, None]),
    "问题": (
        [[], ["甲"], [{"item": "乙", "source": "报告"}], "无", None, [{"description": "丙"}], "[]"],
        [[{"source": "x"}], "甲", [["嵌套"]], [{"item": ""}], 5],
    ),
    "酌情": (
        [0, "0", {"value": 1, "reason": "理由"}, {"value": 0.2, "note": "说明"}, {"value": 0}],
        [0.5, {"value": 0.5}, {"value": "abc", "reason": "r"}, "x", {"value": 1, "why": "x"}],
    ),
}
ANSWERS = st.sampled_from(["很满意", "满意", "不满意", "很满意", "满意", "不满意", "一般", "", 5])
RESPONSES = st.lists(
    st.one_of(
        st.fixed_dictionaries({"满意度": ANSWERS}),
        st.fixed_dictionaries({}, optional={"满意度": ANSWERS, "其他": st.just("x")}),
    ),
    max_size=4,
)


@st.composite
def evidence(draw: st.DrawFn) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for name, (good, bad) in VALUES.items():
        if draw(st.integers(0, 30)) == 0:
            continue  # the fact is missing
        value = draw(st.sampled_from(bad if draw(st.integers(0, 15)) == 0 else [*good, "不适用"]))
        if draw(st.integers(0, 4)) == 0 and name != "酌情":  # with its provenance
            value = {"value": value, "source": "报告"}
        facts[name] = value
    data: dict[str, Any] = {"facts": facts}
    how = draw(st.integers(0, 5))
    if how <= 2:
        data["surveys"] = {"问卷": draw(RESPONSES)}
    elif how <= 4:
        facts["满意数"] = draw(st.sampled_from([3, "2", "x"]))
        facts["均分"] = draw(st.sampled_from([80, "75.5"]))
    if draw(st.booleans()):
        good, bad = ["90%", "0.9", 0, "1"], ["90", 2, "abc", "120%"]
        data["params"] = {
            "线": draw(st.sampled_from(bad if draw(st.integers(0, 9)) == 0 else good))
        }
    if draw(st.integers(0, 5)) == 0:
        data["project"] = draw(st.sampled_from(["项目", {"name": "项目"}, ["x"], 5]))
    return data


@settings(max_examples=300, deadline=None)
@given(evidence())
def test_schema_valid_iff_read_without_error(data: dict[str, Any]) -> None:
    text = json.dumps(data, ensure_ascii=False)
    ok, why = read_cleanly(text)
    errors = schema_errors(json.loads(text))
    assert ok == (errors == []), (why, errors)
