"""The workbench in a real headless Chromium (the distribution's package, driven by Playwright;
no browser is downloaded): open a pack, type an error and see its underline, fix it, evaluate
the founding case from the form and see 87.74 良, download the report, upload a portfolio and
download its records, replay a decision, switch to English."""

from __future__ import annotations

import csv
import io
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")

import uvicorn  # noqa: E402
import yaml  # noqa: E402

from jixiao.engine.serve.app import build  # noqa: E402
from jixiao.engine.serve.config import Settings  # noqa: E402

from .helpers import FOUNDING_EVIDENCE, ROOT, write_xlsx  # noqa: E402
from .serve_helpers import _free_port, packs_folder  # noqa: E402
from .test_batch import portfolio  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FOUNDING = "video-conference-2017"
WAIT = 30_000  # ms: a loaded CI machine


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    tmp = tmp_path_factory.mktemp("workbench")
    packs = packs_folder(tmp)
    for form in ("records", "panel"):  # a record list and a panel in the generated form
        shutil.copy(ROOT / "tests" / "forms" / form / "pack.jx", packs / f"{form}-form.jx")
    settings = Settings(packs=str(packs), db=f"sqlite:///{tmp}/d.db", work_dir=str(tmp / "jobs"))
    port = _free_port()
    config = uvicorn.Config(build(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", tmp
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def page(server: tuple[str, Path]) -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("no chromium installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(WAIT)
        page.goto(server[0] + "/")
        yield page
        browser.close()


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        value = value["value"]
    if isinstance(value, list):
        return "\n".join(x["item"] if isinstance(x, dict) else str(x) for x in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(page: Any, name: str, given: Any) -> None:
    """Type a fact of an evidence file into the form: a list of findings row by row (each
    finding's own source beside it), a choice or yes/no chosen, anything else typed."""
    field = page.locator(f'[data-fact="{name}"]')
    value = given["value"] if isinstance(given, dict) else given
    if field.get_attribute("data-kind") == "list":
        for i, finding in enumerate(value or []):
            page.click(f'[data-add="{name}"]')
            row = field.locator("tr[data-row]").nth(i)
            row.locator("[data-item]").fill(
                finding["item"] if isinstance(finding, dict) else finding
            )
            if isinstance(finding, dict) and finding.get("source"):
                row.locator("[data-item-source]").fill(str(finding["source"]))
    elif field.evaluate("e => e.tagName") == "SELECT":
        field.select_option(_cell(value))
    else:
        field.fill(_cell(value))
    if isinstance(given, dict) and given.get("source"):
        page.fill(f'[data-source="{name}"]', str(given["source"]))


def test_open_a_pack_type_an_error_see_it_underlined_and_fix_it(page: Any) -> None:
    page.click(f'#pack-list li[data-pack="{FOUNDING}"]')
    page.wait_for_selector(".CodeMirror")
    page.wait_for_selector('.tree [data-code="B1.1.2"] .standard')
    page.wait_for_function("document.querySelector('#check-status').className === 'ok'")
    page.click(".CodeMirror-code")
    page.keyboard.press("Control+End")
    typed = "\nindicator 错"
    page.keyboard.type(typed)
    page.wait_for_selector(".CodeMirror-lint-mark-error")
    page.wait_for_function("document.querySelector('#check-status').className === 'bad'")
    assert "E1" in page.inner_text("#problems")
    for _ in typed:
        page.keyboard.press("Backspace")
    page.wait_for_function("document.querySelector('#check-status').className === 'ok'")
    assert page.locator(".CodeMirror-lint-mark-error").count() == 0


def test_the_editor_highlights_every_keyword_of_the_grammar(page: Any) -> None:
    """The editor's keyword lists are read from the TextMate grammar the HTML reports use."""
    from .test_highlight import keyword_words

    page.click(f'#pack-list li[data-pack="{FOUNDING}"]')
    page.wait_for_selector(".CodeMirror")
    words = keyword_words()
    assert page.evaluate("Object.keys(window.jixiaoKeywords).sort()") == sorted(words)
    missed = page.evaluate(
        """(words) => {
            const cm = document.querySelector(".CodeMirror").CodeMirror;
            const mode = cm.getMode();
            const missed = [];
            for (const w of words) {
                const state = CodeMirror.startState(mode);
                const stream = new CodeMirror.StringStream(w, 4);
                if (!mode.token(stream, state) || stream.current() !== w) missed.push(w);
            }
            return missed;
        }""",
        sorted(words),
    )
    assert missed == []


def test_evaluate_the_founding_case_from_the_form(page: Any, tmp_path: Path) -> None:
    page.click('#tabs button[data-tab="evaluate"]')
    page.select_option("#eval-pack", FOUNDING)
    page.wait_for_selector('[data-fact="预算金额"]')
    evidence = yaml.safe_load(FOUNDING_EVIDENCE.read_text("utf-8"))
    page.fill('input[name="project.name"]', evidence["project"]["name"])
    for name, given in evidence["facts"].items():
        _fill(page, name, given)
    page.click("#eval-run")
    page.wait_for_function("document.querySelector('#eval-total').textContent === '87.74'")
    assert page.inner_text("#eval-grade") == "良"
    report = page.frame_locator("#eval-report")
    assert "87.74" in report.locator("body").inner_text()
    with page.expect_download() as info:
        page.click('[data-download="xlsx"]')
    path = tmp_path / "report.xlsx"
    info.value.save_as(path)
    assert path.read_bytes().startswith(b"PK")


def test_upload_a_portfolio_and_download_its_records(page: Any, tmp_path: Path) -> None:
    table = tmp_path / "projects.xlsx"
    write_xlsx(table, portfolio(30))
    page.click('#tabs button[data-tab="portfolio"]')
    page.select_option("#batch-pack", FOUNDING)
    page.set_input_files("#batch-file", str(table))
    page.click("#batch-run")
    page.wait_for_selector('#batch-status[data-status="done"]')
    assert "30/30" in page.inner_text("#batch-status")
    with page.expect_download() as info:
        page.click('[data-records="csv"]')
    path = tmp_path / "records.csv"
    info.value.save_as(path)
    text = path.read_text("utf-8-sig")
    # a header and 30 records (a 扣分说明 cell holds one line per indicator: quoted, as Excel
    # writes a cell with line breaks)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0][0] == "id" and len(rows) == 31
    page.frame_locator("#batch-summary").locator("body").wait_for()


def test_the_decision_log_replays(page: Any) -> None:
    page.click('#tabs button[data-tab="decisions"]')
    page.fill('#decision-filter input[name="project"]', "视频会议")
    page.click('#decision-filter button[type="submit"]')
    button = page.locator("[data-replay]:not([disabled])").first
    button.click()
    page.wait_for_selector(".replayed.same")


def test_switch_to_english(page: Any) -> None:
    page.click("#lang")
    assert page.inner_text("header h1") == "Performance evaluation workbench"
    page.click("#lang")
    assert page.inner_text("header h1") == "绩效评价工作台"


def test_a_parameter_from_the_form_reaches_the_score(page: Any) -> None:
    """common-project-2020 has parameters: the form lists them with the pack's values, and a
    value typed there is sent as `params:`."""
    page.click('#tabs button[data-tab="evaluate"]')
    page.select_option("#eval-pack", "common-project-2020")
    box = page.locator('[data-param="资金到位满分线"]')
    box.wait_for()
    assert box.get_attribute("placeholder")
    box.fill("90%")
    with page.expect_request("**/eval?format=json*") as info:
        page.click("#eval-run")
    assert '"params":{"资金到位满分线":"90%"}' in info.value.post_data


def test_the_form_is_the_evidence_schemas_with_a_list_of_findings_and_a_choice(page: Any) -> None:
    """common-project-2020's form, from its evidence JSON Schema: a choice is a menu of exactly
    its choices, a list of findings grows row by row (each with its source), units and the
    provenance columns are there, and what is sent is the evidence the schema describes."""
    page.click('#tabs button[data-tab="evaluate"]')
    page.select_option("#eval-pack", "common-project-2020")
    choice = page.locator('[data-fact="经济效益档次"]')
    choice.wait_for()
    assert choice.evaluate("e => e.tagName") == "SELECT"
    options = choice.locator("option").evaluate_all("os => os.map(o => o.value)")
    assert options == ["", "达成", "部分达成", "未达成", "不适用"]
    choice.select_option("部分达成")
    page.fill('[data-source="经济效益档次"]', "评价组访谈")
    page.fill('[data-date="经济效益档次"]', "2020-06-30")
    findings = page.locator('[data-fact="违规使用事项"]')
    assert findings.get_attribute("data-kind") == "list"
    for i, (item, source) in enumerate([("超范围列支招待费", "凭证 12"), ("以拨代支", "")]):
        page.click('[data-add="违规使用事项"]')
        findings.locator("tr[data-row]").nth(i).locator("[data-item]").fill(item)
        if source:
            findings.locator("tr[data-row]").nth(i).locator("[data-item-source]").fill(source)
    row = page.locator("#facts tbody tr", has=page.locator('[data-fact="预算资金"]'))
    assert row.locator("td").nth(2).inner_text() == "万元"  # `money 万元`
    page.fill('[data-fact="服务对象满意度"]', "92%")
    with page.expect_request("**/eval?format=json*") as info:
        page.click("#eval-run")
    sent = json.loads(info.value.post_data)["facts"]
    assert sent["经济效益档次"] == {
        "value": "部分达成",
        "source": "评价组访谈",
        "date": "2020-06-30",
    }
    assert sent["违规使用事项"] == [{"item": "超范围列支招待费", "source": "凭证 12"}, "以拨代支"]
    assert sent["服务对象满意度"] == "92%"


def _add_rows(page: Any, fact: str, rows: list[dict[str, str]]) -> None:
    table = page.locator(f'[data-fact="{fact}"]')
    for i, row in enumerate(rows):
        page.click(f'[data-add="{fact}"]')
        for field, value in row.items():
            table.locator("tr[data-row]").nth(i).locator(f'[data-field="{field}"]').fill(value)


def test_a_record_list_is_a_table_of_its_fields(page: Any) -> None:
    page.click('#tabs button[data-tab="evaluate"]')
    page.select_option("#eval-pack", "records-form")
    table = page.locator('[data-fact="子项目"]')
    table.wait_for()
    assert table.get_attribute("data-kind") == "records"
    heads = table.locator("th").all_inner_texts()
    assert heads[:4] == ["名称", "预算 (万元)", "完成数", "目标数"]  # 完成率 is computed
    _add_rows(
        page,
        "子项目",
        [
            {"名称": "县A", "预算": "50", "完成数": "40", "目标数": "40"},
            {"名称": "县B", "预算": "300000元", "完成数": "30", "目标数": "40"},
            {"名称": "县C", "预算": "不适用", "完成数": "十", "目标数": "20"},
        ],
    )
    _add_rows(
        page,
        "培训",
        [
            {"期次": "第一期", "应到": "20", "实到": "19"},
            {"期次": "第二期", "应到": "20", "实到": "16"},
        ],
    )
    with page.expect_request("**/eval?format=json*") as info:
        page.click("#eval-run")
    sent = json.loads(info.value.post_data)["facts"]
    assert sent["子项目"][0] == {"名称": "县A", "预算": 50, "完成数": 40, "目标数": 40}
    assert sent["子项目"][2]["预算"] == "不适用" and sent["子项目"][2]["完成数"] == "十"
    page.wait_for_function("document.querySelector('#eval-total').textContent === '8.12'")


def test_a_panel_is_a_table_of_experts(page: Any) -> None:
    page.click('#tabs button[data-tab="evaluate"]')
    page.select_option("#eval-pack", "panel-form")
    panel = page.locator('[data-fact="专家评分"]')
    panel.wait_for()
    assert panel.get_attribute("data-kind") == "panel"
    experts = [("张三", "8.5"), ("李四", "9"), ("王五", "6"), ("赵六", "9.5"), ("钱七", "8")]
    _add_rows(page, "专家评分", [{"name": n, "score": s, "reason": "理由"} for n, s in experts])
    page.click("#eval-run")
    page.wait_for_function("document.querySelector('#eval-total').textContent === '8.50'")


def test_an_uploaded_evidence_file_is_scored(page: Any) -> None:
    page.click('#tabs button[data-tab="evaluate"]')
    page.select_option("#eval-pack", FOUNDING)
    page.evaluate("document.querySelector('#eval-total').textContent = ''")
    page.set_input_files("#eval-file", str(FOUNDING_EVIDENCE))
    page.wait_for_function("document.querySelector('#eval-total').textContent === '87.74'")
    with page.expect_download() as info:
        page.click('[data-download="docx"]')
    assert info.value.suggested_filename == f"{FOUNDING}.docx"


def test_a_self_evaluation_table_is_scored_and_written_back(page: Any, tmp_path: Path) -> None:
    from .helpers import ROOT

    page.click('#tabs button[data-tab="selfeval"]')
    page.set_input_files("#self-file", str(ROOT / "evidence" / "selfeval" / "clean.xlsx"))
    page.click("#self-run")
    page.locator("#self-download").wait_for()
    report = page.frame_locator("#self-report").locator("body").inner_text()
    assert "2023年视频会议系统运维（示例）" in report and "用户满意度" in report
    with page.expect_download() as info:
        page.click("#self-download")
    path = tmp_path / "scored.xlsx"
    info.value.save_as(path)
    assert path.read_bytes().startswith(b"PK")


def test_the_api_page_scores_the_founding_evidence(page: Any, server: tuple[str, Path]) -> None:
    """The integrator's path: /docs, the eval operation, the founding evidence, Send."""
    page.goto(server[0] + "/docs")
    op = page.locator('details[data-op="POST /v1/packs/{name}/eval"]')
    op.locator("summary").click()
    op.locator('input[name="name"][data-in="path"]').fill(FOUNDING)
    op.locator("textarea").fill(FOUNDING_EVIDENCE.read_text("utf-8"))
    op.locator('button[type="submit"]').click()
    op.locator("pre.response").filter(has_text="87.74").wait_for()
    assert '"grade": "良"' in op.locator("pre.response").inner_text()
    page.goto(server[0] + "/")
