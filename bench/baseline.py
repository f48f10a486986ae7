"""The founding pack's standards written by hand in Python with Decimal, with deduction reasons.

This is the in-run yardstick for jixiao's evaluator: what a careful programmer would write
instead of a rule engine. It returns leaf points and the reasons points were lost.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

Q = Decimal("0.01")
ZERO = Decimal(0)


def _r(x: Decimal) -> Decimal:
    return x.quantize(Q, rounding=ROUND_HALF_UP)


def _floor(x: Decimal) -> Decimal:
    return x if x > 0 else ZERO


def score(f: dict[str, Any]) -> tuple[dict[str, Decimal], Decimal, list[tuple[str, str]]]:
    p: dict[str, Decimal] = {}
    why: list[tuple[str, str]] = []
    p["A1.1"] = Decimal(2) if f["项目与职能规划相符"] else ZERO
    for item in f["立项依据缺失项"]:
        why.append(("A1.2", f"缺少立项依据：{item}"))
    p["A1.2"] = _r(_floor(2 - Decimal("0.5") * len(f["立项依据缺失项"])))
    for item in f["立项程序缺失环节"]:
        why.append(("A1.3", f"缺少立项程序环节：{item}"))
    p["A1.3"] = _r(_floor(2 - Decimal(len(f["立项程序缺失环节"]))))
    p["A2.1"] = Decimal(2) if f["绩效目标与内容预算匹配"] else Decimal(1)
    for item in f["未量化绩效指标"]:
        why.append(("A2.2", f"绩效指标未量化：{item}"))
    p["A2.2"] = _r(_floor(2 - Decimal("0.5") * len(f["未量化绩效指标"])))
    d = ZERO
    if not f["预算有明细测算"]:
        d += 1
        why.append(("B1.1.1", "预算无明细测算"))
    if not f["预算与工作内容匹配"]:
        d += 2
        why.append(("B1.1.1", "预算与工作内容不匹配"))
    p["B1.1.1"] = _r(_floor(3 - d))
    rate = f["实际支出"] / f["预算金额"]
    p["B1.1.2"] = Decimal(3) if rate >= 1 else _r(_floor(3 * rate))
    p["B1.2"] = Decimal(2) if f["资金管理办法健全"] else ZERO
    b13 = _floor(5 - Decimal(len(f["违规使用资金"])))
    for item in f["违规使用资金"]:
        why.append(("B1.3", f"违规使用资金：{item}"))
    if f["存在截留挤占挪用"]:
        b13 = ZERO
        why.append(("B1.3", "存在截留、挤占、挪用资金，本项不得分"))
    p["B1.3"] = _r(b13)
    for item in f["采购文件缺失项"]:
        why.append(("B2.1.1", f"采购过程文件缺失：{item}"))
    p["B2.1.1"] = _r(_floor(3 - Decimal("0.5") * len(f["采购文件缺失项"])))
    for code, pairs in (
        (
            "B2.1.2",
            (
                ("合同含服务质量考核条款", "合同未明确服务质量考核条款"),
                ("已制定运维方案", "未制定运维方案"),
            ),
        ),
        (
            "B2.2",
            (
                ("已建立过程管理制度", "未建立过程管理制度"),
                ("留存过程监督记录", "未留存过程监督记录"),
            ),
        ),
        (
            "B2.3",
            (("已建立验收管理制度", "未建立验收管理制度"), ("已出具验收报告", "未出具验收报告")),
        ),
    ):
        d = ZERO
        for fact, reason in pairs:
            if not f[fact]:
                d += 1
                why.append((code, reason))
        p[code] = _r(_floor(3 - d))
    done = (f["完成巡检次数"] + f["录像存档次数"]) / (f["计划巡检次数"] + f["会议次数"])
    p["C1.1"] = _r(min(Decimal(11), _floor(11 * done)))
    if f["重复故障次数"]:
        why.append(("C1.2.1", f"发生重复故障{f['重复故障次数']}次"))
    p["C1.2.1"] = _r(_floor(4 - f["重复故障次数"]))
    if f["故障总数"] == 0:
        p["C1.2.2"] = Decimal(4)
    else:
        p["C1.2.2"] = _r(min(Decimal(4), 4 * f["及时修复故障数"] / f["故障总数"]))
    if f["录像存档缺失次数"]:
        why.append(("C1.2.3", f"会议录像缺失或存档资料不完整{f['录像存档缺失次数']}次"))
    p["C1.2.3"] = _r(_floor(4 - f["录像存档缺失次数"]))
    ontime = f["按时完成任务数"] / f["运维任务总数"]
    p["C1.3"] = Decimal(6) if ontime >= 1 else _r(_floor(6 * ontime))
    p["C2.1.1"] = Decimal(6) if f["重大故障次数"] == 0 else ZERO
    p["C2.1.2"] = _r(min(Decimal(6), 6 * f["使用效果肯定回答数"] / f["使用效果回答数"]))
    p["C2.1.3"] = _r(min(Decimal(6), 6 * f["顺利召开会议次数"] / f["会议次数"]))
    p["C2.2.1"] = Decimal(2) if f["已建立长效管理机制"] else ZERO
    if not f["配置专职运维联络人员"]:
        why.append(("C2.2.2", "驻外办未配置专职运维联络人员"))
    p["C2.2.2"] = Decimal(2) if f["配置专职运维联络人员"] else Decimal(1)
    p["C2.2.3"] = Decimal(2) if f["已制定故障应急预案"] else ZERO
    normal = f["设备运行正常率"]
    p["C2.2.4"] = (
        Decimal(2)
        if normal >= Decimal("0.95")
        else Decimal(1)
        if normal >= Decimal("0.90")
        else ZERO
    )
    sat = f["满意样本数"] / f["有效问卷数"]
    p["C2.3.1"] = (
        Decimal(10) if sat >= Decimal("0.85") else _r(min(Decimal(10), 10 * sat / Decimal("0.85")))
    )
    return p, sum(p.values(), ZERO), why
