"""Writes the sample 项目支出绩效自评表 tables of this folder (run from the repository root:
`python evidence/selfeval/make_samples.py`). The projects and numbers are invented for the
samples; the layout is the national template's, with merged 一级/二级 cells as offices save it.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent
HEADER = [
    "一级指标",
    "二级指标",
    "三级指标",
    "年度指标值",
    "实际完成值",
    "分值",
    "得分",
    "偏差原因分析及改进措施",
]


def write(
    name: str,
    project: str,
    funds: list[list[object]],
    rows: list[list[object]],
    total: object,
    budget_weight: int = 10,
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "自评表"
    sheet.append(["项目支出绩效自评表"])
    sheet.merge_cells("A1:H1")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(["项目名称", project])
    sheet.append(
        ["项目资金（万元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"]
    )
    for row in funds:
        sheet.append(row)
    sheet.append(["年度总体目标", "完成运维任务，保障系统稳定运行"])
    sheet.append(HEADER)
    first = sheet.max_row + 1
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # "=0" is a target typed as text, not a formula
    last = sheet.max_row
    sheet.append(["总分", "", "", "", "", 100, total])
    # merge runs of equal 一级/二级 cells, as the printed template does
    for col in (1, 2):
        start = first
        for r in range(first + 1, last + 2):
            same = r <= last and sheet.cell(r, col).value in (None, sheet.cell(start, col).value)
            if not same:
                if r - 1 > start:
                    sheet.merge_cells(
                        start_row=start, start_column=col, end_row=r - 1, end_column=col
                    )
                start = r
    book.save(HERE / name)


ROWS = [
    ["产出指标", "数量指标", "巡检次数", "≥12次", "12", 10, 10, ""],
    ["产出指标", "数量指标", "保障会议次数", "≥6次", "6", 10, 10, ""],
    ["产出指标", "质量指标", "故障修复及时率", "≥95%", "91.3%", 10, 9.61, "部分故障需厂商配件"],
    ["产出指标", "质量指标", "重大故障次数", "=0", "0", 10, 10, ""],
    ["产出指标", "时效指标", "运维完成时间", "12月底之前完成", "100%", 5, 5, ""],
    ["产出指标", "成本指标", "运维成本", "≤10万元", "10", 5, 5, ""],
    ["效益指标", "社会效益指标", "视频会议保障效果", "效果明显", "达成预期指标", 15, 14, ""],
    [
        "效益指标",
        "可持续影响指标",
        "长效运维机制",
        "严格执行相关制度规定",
        "部分达成",
        15,
        11,
        "制度待完善",
    ],
    ["满意度指标", "服务对象满意度指标", "用户满意度", "≥90%", "91.3%", 10, 10, ""],
]
FUNDS = [
    ["年度资金总额", "", 10, 10, 10, 10, "100%", 10],
    ["其中：本年财政拨款", "", 10, 10, 10, "", "", ""],
    ["上年结转资金", "", 0, 0, 0, "", "", ""],
    ["其他资金", "", 0, 0, 0, "", "", ""],
]


def main() -> None:
    write("clean.xlsx", "2023年视频会议系统运维（示例）", FUNDS, ROWS, 94.61)
    defects = [list(r) for r in ROWS]
    defects[0][6] = 8  # printed 8 where the rule gives 10
    defects[2][6] = 10  # 91.3% of a ≥95% target printed as full marks
    defects[1][4] = "完成"  # a numeric target with a word as its actual
    defects[3][3] = "≥50个以上或80%"  # a target no one can read
    defects[5][4] = "14"  # 140% of the cost ceiling → reverse: scored down
    defects[6][4] = "达成预期指标"
    defects[6][6] = 10  # 10 of 15 for 达成: below its 80% band
    defects.insert(2, ["产出指标", "数量指标", "培训人次", "≥100人次", "150", 0, 0, ""])
    funds = [
        ["年度资金总额", "", 0, 0, 0, 10, "0%", 0],  # the sum row printed as zero
        ["其中：本年财政拨款", "", 90, 90, 80, "", "", ""],
        ["上年结转资金", "", 0, 0, 0, "", "", ""],
        ["其他资金", "", 0, 0, 0, "", "", ""],
    ]
    write("defects.xlsx", "2023年示例项目（含常见错误）", funds, defects, 0)
    # 湖北口径: 预算执行率 20 分 (20/80), 定性档次 80/50
    hubei = [list(r) for r in ROWS]
    hubei[6][5], hubei[6][6] = 10, 9
    hubei[7][5], hubei[7][6] = 10, 5.5  # 部分达成 at 55%: within 50–80%, not within 60–80%
    hubei[8][5], hubei[8][6] = 10, 10
    hubei_funds = [list(FUNDS[0]), *FUNDS[1:]]
    hubei_funds[0][5], hubei_funds[0][7] = 20, 20
    write("hubei-20-80.xlsx", "2023年示例项目（湖北20/80口径）", hubei_funds, hubei, 94.11)
    # 定性档次 80/50 only, with the national 10/90 split: run with --param 部分达成下限=50%
    cut = [list(r) for r in ROWS]
    cut[7][6] = 8  # 部分达成 at 8 of 15 (53%): within 50–80%, below the national 60%
    write("cut-80-50.xlsx", "2023年示例项目（定性80/50口径）", FUNDS, cut, 91.61)


if __name__ == "__main__":
    main()
