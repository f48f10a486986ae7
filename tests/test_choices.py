"""Choice facts and text checks, as policy authors state them: "培训类/会议类/其他" dispatches
that a misspelling can never silently send to `else`, and "偏差原因说明不超过100字",
"须填写整改措施" as rules. (How they score is data: tests/forms/choices, expressions/text.)"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from .helpers import cli, diagnostics_of

HEAD = 'pack "t" { total 10 grades { 优 >= 9; 良 >= 8; 中 >= 6; 差 else } }\n'
CHOICE = 'fact 类别: choice ["培训", "会议", "其他"]\nfact 率: percent\n'
DISPATCH = (
    HEAD + CHOICE + 'indicator A "a" 10 {\n    choose {\n        when 类别 == "培训": full;\n'
    '        when 类别 == "会议" or 类别 == "其他": proportional 率\n    }\n}\n'
)


def codes(text: str) -> list[str]:
    return [d.code for d in diagnostics_of(text)]


def test_a_dispatch_over_every_choice_checks_clean() -> None:
    assert codes(DISPATCH) == []


def test_a_word_that_is_not_a_choice_is_refused_wherever_it_is_compared() -> None:
    for cond in ('类别 == "培训班"', '"培训班" == 类别', '类别 != "其它"'):
        text = HEAD + CHOICE + f'indicator A "a" 10 {{ full when {cond} }}\n'
        assert "E315" in codes(text), cond


def test_a_choice_left_out_is_warned_unless_else_takes_it() -> None:
    partial = DISPATCH.replace(' or 类别 == "其他"', "")
    assert codes(partial) == ["W315"]
    assert codes(partial.replace('when 类别 == "会议"', "else")) == []


def test_choices_only_on_a_choice_fact() -> None:
    assert "E314" in codes(
        HEAD + 'fact 类别: text ["a", "b"]\nindicator A "a" 10 { full when 类别 == "a" }'
    )
    assert "E314" in codes(
        HEAD + 'fact 类别: choice [""]\nindicator A "a" 10 { full when 类别 == "" }'
    )


def write(folder: Path, facts: dict[str, object]) -> Path:
    (folder / "p.jx").write_text(DISPATCH, encoding="utf-8")
    evidence = folder / "e.yaml"
    evidence.write_text(yaml.safe_dump({"facts": facts}, allow_unicode=True), encoding="utf-8")
    return evidence


def test_evidence_outside_the_choices_is_refused_at_its_line(tmp_path: Path) -> None:
    evidence = write(tmp_path, {"类别": "培训班", "率": "90%"})
    code, out, err = cli("eval", str(tmp_path / "p.jx"), str(evidence), "--format", "json")
    assert code == 1 and "E660" in err and "did you mean `培训`" in err
    assert json.loads(out)["total"] is None  # never scored through `else`


@settings(max_examples=40, deadline=None)
@given(
    st.one_of(
        st.sampled_from(
            ["培训", "会议", "其他", " 培训 ", "培训班", "其它", "", "培 训", "Training"]
        ),
        st.text(max_size=6),
    )
)
def test_the_schema_and_the_reader_agree_on_choices(value: str) -> None:
    """Whatever a hand (or Excel) writes in the cell: the schema accepts it exactly when
    `eval` reads it without an error."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        evidence = write(Path(folder), {"类别": value, "率": "90%"})
        code, _, err = cli("eval", str(Path(folder) / "p.jx"), str(evidence))
        _, schema_text, _ = cli("schema", str(Path(folder) / "p.jx"))
    data = {"facts": {"类别": value, "率": "90%"}}
    valid = jsonschema.Draft202012Validator(json.loads(schema_text)).is_valid(data)
    assert valid == (code == 0), (value, err)


def test_length_counts_chinese_characters_as_written(tmp_path: Path) -> None:
    pack = HEAD + 'fact 说明: text\nindicator A "a" 10 { full when length(说明) <= 5 else 0 }\n'
    (tmp_path / "p.jx").write_text(pack, encoding="utf-8")
    for text, points in (
        ("政策调整", "10.00"),
        ("  五个汉字啊  ", "10.00"),
        ("六个汉字超了", "0.00"),
    ):
        evidence = tmp_path / "e.yaml"
        evidence.write_text(yaml.safe_dump({"facts": {"说明": text}}, allow_unicode=True), "utf-8")
        code, out, err = cli("eval", str(tmp_path / "p.jx"), str(evidence), "--format", "json")
        assert code == 0, err
        assert json.loads(out)["total"] == points, text


def test_text_functions_take_only_text() -> None:
    base = HEAD + "fact 数: count\nfact 说明: text\n"
    assert "E302" in codes(base + 'indicator A "a" 10 { full when length(数) <= 5 }')
    assert "E303" in codes(base + 'indicator A "a" 10 { full when empty(说明, 说明) }')
