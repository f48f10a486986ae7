"""The founding pack's standards as a GoRules ZEN decision model (JDM), written by hand, and the
portfolio pipeline around it, file to file: a CSV of projects (as `bench/run.py` writes them)
in, one JSON line per project out with its total, grade and leaf points — no explanations (ZEN
has none to give). The peer `bench/run.py --batch-only` measures side by side with `jixiao eval
--batch`; installed by the `bench` extra only (`zen-engine`).

    python bench/zen_pipeline.py projects.csv records.jsonl
    python bench/zen_pipeline.py projects.parquet records.jsonl   (typed columns, by pyarrow)
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator

#: the facts under ASCII names (ZEN's expression language reads identifiers)
NAMES = {
    "项目与职能规划相符": "plan_ok", "立项依据缺失项": "basis_missing",
    "立项程序缺失环节": "procedure_missing", "绩效目标与内容预算匹配": "goals_match",
    "未量化绩效指标": "unquantified", "预算有明细测算": "budget_detailed",
    "预算与工作内容匹配": "budget_matches", "资金管理办法健全": "funds_rules",
    "违规使用资金": "misuse", "存在截留挤占挪用": "diverted", "采购文件缺失项": "purchase_missing",
    "合同含服务质量考核条款": "contract_quality", "已制定运维方案": "ops_plan",
    "已建立过程管理制度": "process_rules", "留存过程监督记录": "process_records",
    "已建立验收管理制度": "acceptance_rules", "已出具验收报告": "acceptance_report",
    "计划巡检次数": "planned_checks", "完成巡检次数": "done_checks", "会议次数": "meetings",
    "录像存档次数": "recordings", "重复故障次数": "repeat_faults", "故障总数": "faults",
    "及时修复故障数": "faults_fixed", "录像存档缺失次数": "recordings_missing",
    "运维任务总数": "tasks", "按时完成任务数": "tasks_on_time", "重大故障次数": "major_faults",
    "使用效果回答数": "effect_answers", "使用效果肯定回答数": "effect_yes",
    "顺利召开会议次数": "meetings_held", "已建立长效管理机制": "long_term",
    "配置专职运维联络人员": "liaison", "已制定故障应急预案": "contingency",
    "设备运行正常率": "uptime", "问卷发放数": "surveys", "有效问卷数": "valid_surveys",
    "满意样本数": "satisfied",
}  # fmt: skip
LISTS = {"basis_missing", "procedure_missing", "unquantified", "misuse", "purchase_missing"}


def floor0(x: str) -> str:
    return f"max([0, {x}])"


def r(x: str) -> str:
    return f"round({x}, 2)"


LEAVES = {
    "A1.1": "plan_ok ? 2 : 0",
    "A1.2": r(floor0("2 - 0.5 * len(basis_missing)")),
    "A1.3": r(floor0("2 - len(procedure_missing)")),
    "A2.1": "goals_match ? 2 : 1",
    "A2.2": r(floor0("2 - 0.5 * len(unquantified)")),
    "B1.1.1": r(floor0("3 - (budget_detailed ? 0 : 1) - (budget_matches ? 0 : 2)")),
    "B1.1.2": f"real_spent / budget >= 1 ? 3 : {r(floor0('3 * real_spent / budget'))}",
    "B1.2": "funds_rules ? 2 : 0",
    "B1.3": f"diverted ? 0 : {r(floor0('5 - len(misuse)'))}",
    "B2.1.1": r(floor0("3 - 0.5 * len(purchase_missing)")),
    "B2.1.2": r(floor0("3 - (contract_quality ? 0 : 1) - (ops_plan ? 0 : 1)")),
    "B2.2": r(floor0("3 - (process_rules ? 0 : 1) - (process_records ? 0 : 1)")),
    "B2.3": r(floor0("3 - (acceptance_rules ? 0 : 1) - (acceptance_report ? 0 : 1)")),
    "C1.1": r(
        "min([11, " + floor0("11 * (done_checks + recordings) / (planned_checks + meetings)") + "])"
    ),
    "C1.2.1": r(floor0("4 - repeat_faults")),
    "C1.2.2": f"faults == 0 ? 4 : {r('min([4, 4 * faults_fixed / faults])')}",
    "C1.2.3": r(floor0("4 - recordings_missing")),
    "C1.3": f"tasks_on_time / tasks >= 1 ? 6 : {r(floor0('6 * tasks_on_time / tasks'))}",
    "C2.1.1": "major_faults == 0 ? 6 : 0",
    "C2.1.2": r("min([6, 6 * effect_yes / effect_answers])"),
    "C2.1.3": r("min([6, 6 * meetings_held / meetings])"),
    "C2.2.1": "long_term ? 2 : 0",
    "C2.2.2": "liaison ? 2 : 1",
    "C2.2.3": "contingency ? 2 : 0",
    "C2.2.4": "uptime >= 0.95 ? 2 : (uptime >= 0.90 ? 1 : 0)",
    "C2.3.1": "satisfied / valid_surveys >= 0.85 ? 10 : "
    + r("min([10, 10 * satisfied / valid_surveys / 0.85])"),
}
NAMES.update({"实际支出": "real_spent", "预算金额": "budget"})


def model() -> str:
    keys = {code: code.replace(".", "_") for code in LEAVES}
    expressions = [
        {"id": str(i), "key": keys[code], "value": value}
        for i, (code, value) in enumerate(LEAVES.items())
    ]
    total = " + ".join(f"$.{k}" for k in keys.values())
    expressions.append({"id": "t", "key": "total", "value": total})
    expressions.append(
        {
            "id": "g",
            "key": "grade",
            "value": '$.total >= 90 ? "优" : ($.total >= 80 ? "良" : '
            '($.total >= 60 ? "中" : "差"))',
        }
    )
    return json.dumps(
        {
            "nodes": [
                {"id": "in", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
                {
                    "id": "score",
                    "type": "expressionNode",
                    "name": "score",
                    "position": {"x": 1, "y": 0},
                    "content": {"expressions": expressions},
                },
                {
                    "id": "out",
                    "type": "outputNode",
                    "name": "Response",
                    "position": {"x": 2, "y": 0},
                },
            ],
            "edges": [
                {"id": "a", "sourceId": "in", "targetId": "score", "type": "edge"},
                {"id": "b", "sourceId": "score", "targetId": "out", "type": "edge"},
            ],
        },
        ensure_ascii=False,
    )


def main(source: str, target: str) -> None:
    import zen

    decision = zen.ZenEngine().create_decision(model())
    codes = {code.replace(".", "_"): code for code in LEAVES}
    with open(target, "w", encoding="utf-8") as out:
        for ident, facts in (parquet_facts if source.endswith(".parquet") else csv_facts)(source):
            result = decision.evaluate(facts)["result"]
            record = {
                "id": ident,
                "total": result["total"],
                "grade": result["grade"],
                "scores": {codes[k]: result[k] for k in codes},
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def csv_facts(source: str) -> Iterator[tuple[str, dict[str, object]]]:
    with open(source, encoding="utf-8", newline="") as f:
        rows = csv.reader(f)
        header = [NAMES.get(h, h) for h in next(rows)]
        for row in rows:
            facts: dict[str, object] = {}
            for name, cell in zip(header[1:], row[1:], strict=True):
                if name in LISTS:
                    facts[name] = [i for i in cell.split("；") if i]
                elif cell in ("是", "否"):
                    facts[name] = cell == "是"
                else:
                    facts[name] = float(cell)
            yield row[0], facts


def parquet_facts(source: str) -> Iterator[tuple[str, dict[str, object]]]:
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(source).iter_batches(batch_size=4096):
        columns = {NAMES.get(k, k): v for k, v in batch.to_pydict().items()}
        ids = columns.pop("id")
        for i, ident in enumerate(ids):
            facts: dict[str, object] = {}
            for name, values in columns.items():
                value = values[i]
                if name in LISTS:
                    facts[name] = list(value or ())
                elif isinstance(value, bool):
                    facts[name] = value
                else:
                    facts[name] = float(value)
            yield ident, facts


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
