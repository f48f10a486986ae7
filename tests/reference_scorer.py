"""An independent exact scorer for generated packs, written from docs/dsl.md alone.

Nothing here imports the engine: a pack is generated as a small tree of `Leaf` specs, each of
which renders itself as DSL text and scores itself with `fractions.Fraction` straight from the
documented meaning of its rule form (the table "Scoring rules of a leaf", "Deductions and
overrides", "Rounding", "Not applicable", the header's grades). The tests render the pack and
the evidence, run the engine, and compare every leaf, branch, total and grade.

The facts every generated pack declares (so that units, percents beyond 100 %, negative percents,
non-terminating quotients and counted units all meet the rules):

    支出, 预算   money in 万元 (预算 nonzero); the evidence writes them in 元, 万元 or bare
    执行率       let percent = 支出 / 预算 (a quotient that often does not terminate)
    完成率       percent, max 150 %
    偏差率       percent, min -100 %
    数, 计划数   counts in 个 (计划数 nonzero); 完成比 = 数 / 计划数
    问题         a list of findings
    合规         bool; 适用 bool that the evidence may mark 不适用
    档次         text, one of 好 / 中 / 差
    酌情         a judgement (酌情扣分) the evidence gives with its reason, or 0
and two functions, 正向 (forward) and 定档 (a two-band tier table with a percent parameter).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction as F

Facts = dict[str, object]

MODES = ("half_up", "half_even", "half_down", "down", "up")


def round_to(x: F, places: int, mode: str) -> F:
    """`rounding PLACES MODE` on an exact value (docs/dsl.md, Rounding)."""
    q = F(1, 10**places)
    n = x / q
    sign = 1 if x >= 0 else -1
    a = abs(n)
    alo = math.floor(a)
    afrac = a - alo
    if mode == "down":
        k = alo
    elif mode == "up":
        k = alo if afrac == 0 else alo + 1
    elif mode == "half_up":
        k = alo + (1 if afrac >= F(1, 2) else 0)
    elif mode == "half_down":
        k = alo + (1 if afrac > F(1, 2) else 0)
    elif mode == "half_even":
        k = alo + (1 if afrac > F(1, 2) or (afrac == F(1, 2) and alo % 2) else 0)
    else:  # pragma: no cover
        raise ValueError(mode)
    return sign * k * q


def clamp(x: F, w: F) -> F:
    return min(w, max(F(0), x))


def pct(x: F) -> str:
    """A fraction of 1 (with at most 4 places once × 100) as a `%` literal: 19/20 → `95%`."""
    v = x * 100
    assert (v * 10000).denominator == 1, x
    return _dec(v) + "%"


def _dec(v: F) -> str:
    sign = "-" if v < 0 else ""
    v = abs(v)
    whole = math.floor(v)
    rest = v - whole
    if not rest:
        return f"{sign}{whole}"
    digits = ""
    while rest and len(digits) < 12:
        rest *= 10
        d = math.floor(rest)
        digits += str(d)
        rest -= d
    assert not rest, v
    return f"{sign}{whole}.{digits}"


def num(v: F) -> str:
    return _dec(v)


# ----- derived facts, as documented ------------------------------------------------------------


def derived(facts: Facts) -> Facts:
    out = dict(facts)
    out["执行率"] = F(facts["支出"]) / F(facts["预算"])  # type: ignore[arg-type]
    out["完成比"] = F(facts["数"]) / F(facts["计划数"])  # type: ignore[arg-type]
    return out


class NotApplicable(Exception):
    """The leaf reads a fact the evidence marks 不适用."""


# ----- conditions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cond:
    text: str
    holds: Callable[[Facts], bool]


OPS: dict[str, Callable[[F, F], bool]] = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def compare(fact: str, op: str, bound: F, literal: str) -> Cond:
    return Cond(f"{fact} {op} {literal}", lambda f: OPS[op](F(f[fact]), bound))  # type: ignore[arg-type]


def fact_bool(name: str, negate: bool = False) -> Cond:
    def holds(f: Facts) -> bool:
        if f[name] == "NA":
            raise NotApplicable
        return bool(f[name]) != negate

    return Cond(("not " if negate else "") + name, holds)


# ----- awards ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Award:
    """`full`, points (`1.5`) or a share of the weight (`60%`)."""

    text: str
    value: Callable[[F], F]


def full() -> Award:
    return Award("full", lambda w: w)


def points(p: F) -> Award:
    return Award(num(p), lambda w: p)


def share(s: F) -> Award:
    return Award(pct(s), lambda w: s * w)


# ----- leaves ---------------------------------------------------------------------------------


@dataclass
class Leaf:
    code: str
    weight: F
    rule: str  # the DSL text of the leaf's clauses
    base: Callable[[Facts, F], F] | None  # None: a leaf with only deductions starts from w
    deductions: list[Callable[[Facts, F], F]] = field(default_factory=list)
    na: str | None = None  # the leaf's own `na …` policy

    def text(self, indent: str) -> str:
        na = f" na {self.na}" if self.na else ""
        return f'{indent}indicator {self.code} "{self.code}" {num(self.weight)} {{{na} {self.rule} }}\n'

    def exact(self, facts: Facts) -> F:
        """The leaf's points before the pack's rounding: base, deductions, then 扣完为止 and the
        weight cap (docs: "Points never go below 0 nor above the weight")."""
        w = self.weight
        x = self.base(facts, w) if self.base is not None else w
        for d in self.deductions:
            x -= d(facts, w)
        return clamp(x, w)


@dataclass
class Branch:
    code: str
    weight: F
    children: list[Leaf | Branch]
    scale: F | None = None  # `W of B`

    def text(self, indent: str = "") -> str:
        of = f" of {num(self.scale)}" if self.scale is not None else ""
        inner = "".join(c.text(indent + "    ") for c in self.children)
        head = f'{indent}indicator {self.code} "{self.code}" {num(self.weight)}{of}'
        return f"{head} {{\n{inner}{indent}}}\n"


Node = Leaf | Branch


@dataclass
class Extra:
    """`bonus E "加分" max M { add a per 问题 }` or `penalty P "扣分" max M { deduct a per 数 }`:
    the section's amount, capped at `max` (docs: Bonus and penalty outside the 100)."""

    kind: str  # bonus | penalty
    cap: F
    amount: F

    def text(self) -> str:
        if self.kind == "bonus":
            return f'bonus E "加分" max {num(self.cap)} {{ add {num(self.amount)} per 问题 }}\n'
        return f'penalty P "扣分" max {num(self.cap)} {{ deduct {num(self.amount)} per 数 }}\n'

    def value(self, facts: Facts) -> F:
        n = F(facts["问题"] if self.kind == "bonus" else facts["数"])  # type: ignore[arg-type]
        return min(self.cap, self.amount * n)


@dataclass
class Veto:
    """`veto when COND grade G` / `cap G` / `zero CODE` (docs: Vetoes)."""

    cond: Cond
    action: str  # grade | cap | zero
    target: str

    def text(self) -> str:
        return f'veto when {self.cond.text} {self.action} {self.target} "否决"\n'


@dataclass
class Pack:
    total: F
    places: int
    mode: str
    scope: str  # leaves | total
    grades: list[tuple[str, F]]  # (label, lower bound); the last is `else`
    na_policy: str | None
    nodes: list[Node]
    extras: list[Extra] = field(default_factory=list)
    overflow: str = "cap"
    vetoes: list[Veto] = field(default_factory=list)

    def text(self) -> str:
        bands = "; ".join(f"{g} >= {num(b)}" for g, b in self.grades[:-1])
        grades = f"grades {{ {bands}; {self.grades[-1][0]} else }}"
        na = f"\n    not_applicable {self.na_policy}" if self.na_policy else ""
        head = (
            f'pack "参考" {{\n    total {num(self.total)}\n'
            f"    rounding {self.places} {self.mode} on {self.scope}\n    {grades}{na}\n"
            f"    overflow {self.overflow}\n}}\n"
        )
        tree = "".join(n.text("") for n in self.nodes)
        rest = "".join(e.text() for e in self.extras) + "".join(v.text() for v in self.vetoes)
        return head + FACTS + tree + rest


FACTS = """fact 支出: money unit "万元"
fact 预算: money unit "万元" nonzero
fact 完成率: percent max 150%
fact 偏差率: percent min -100%
fact 数: count unit "个"
fact 计划数: count unit "个" nonzero
fact 问题: list default []
fact 合规: bool
fact 适用: bool
fact 档次: text
fact 酌情: judgement
let 执行率: percent = 支出 / 预算
let 完成比: percent = 数 / 计划数
function 正向(目标: number, 实际: number) { forward 实际 target 目标 }
function 定档(率: percent, 线: percent, 分: number) { tiers 率 { >= 线: full; else: 分 } }
"""


@dataclass
class Scores:
    points: dict[str, F | None]  # None: excluded as not applicable
    total: F | None
    grade: str | None


def score(pack: Pack, facts: Facts) -> Scores:
    """The whole pack, exactly, as docs/dsl.md states it."""
    f = derived(facts)
    rnd = pack.scope == "leaves"
    points: dict[str, F | None] = {}
    excluded = F(0)

    zeroed = {v.target for v in pack.vetoes if v.action == "zero" and v.cond.holds(f)}

    def leaf(node: Leaf, factor: F, inside_zeroed: bool = False) -> F | None:
        nonlocal excluded
        try:
            x = node.exact(f)
        except NotApplicable:
            policy = node.na or pack.na_policy
            assert policy is not None
            if node.code in zeroed:
                # 本项不得分 whatever the policy: 0 of its weight, never full nor left out
                points[node.code] = F(0)
                return F(0)
            if policy == "exclude":
                if not inside_zeroed:  # a zeroed subtree scores 0 of its whole weight
                    excluded += node.weight * factor
                points[node.code] = None
                return None
            x = node.weight if policy == "full" else F(0)
        if rnd:
            x = round_to(x, pack.places, pack.mode)
        points[node.code] = x
        return x

    def branch(node: Branch, outer: F, inside_zeroed: bool) -> F | None:
        """An `of` branch scales its children's sum by W / B and is rounded like a leaf; a
        plain branch is their exact sum; all children excluded: the branch is excluded too
        (unless zeroed by a veto: then 0 of its whole weight)."""
        zero = inside_zeroed or node.code in zeroed
        factor = node.weight / node.scale if node.scale is not None else F(1)
        kids = [visit(c, outer * factor, zero) for c in node.children]
        applicable = [k for k in kids if k is not None]
        if not applicable and node.code in zeroed:
            x: F | None = F(0)
        elif not applicable:
            x = None
        else:
            x = sum(applicable, F(0)) * factor
            if node.scale is not None and rnd:
                x = round_to(x, pack.places, pack.mode)
            if node.code in zeroed:
                x = F(0)
        points[node.code] = x
        return x

    def visit(node: Node, factor: F, inside_zeroed: bool) -> F | None:
        if isinstance(node, Branch):
            return branch(node, factor, inside_zeroed)
        x = leaf(node, factor, inside_zeroed)
        if node.code in zeroed and x is not None:  # a vetoed indicator scores 0
            x = points[node.code] = F(0)
        return x

    tree = F(0)
    for node in pack.nodes:
        x = visit(node, F(1), False)
        if x is not None:
            tree += x
    applicable_weight = pack.total - excluded
    if applicable_weight == 0:
        return Scores(points, None, None)
    # 4. rescaled over the applicable weight; 5. bonus and penalty; floor at 0; 6. the
    # overflow cap; 7. the pack's rounding of the total
    total = tree * pack.total / applicable_weight
    for extra in pack.extras:
        total += extra.value(f) if extra.kind == "bonus" else -extra.value(f)
    total = max(total, F(0))
    if pack.overflow == "cap":
        total = min(total, pack.total)
    total = round_to(total, pack.places, pack.mode)
    labels = [g for g, _ in pack.grades]
    grade = pack.grades[-1][0]
    for label, bound in pack.grades[:-1]:
        if total >= bound:
            grade = label
            break
    # 8. grade vetoes in declaration order
    for veto in pack.vetoes:
        if veto.action == "zero" or not veto.cond.holds(f):
            continue
        if veto.action == "grade":
            grade = veto.target
        elif labels.index(grade) < labels.index(veto.target):
            grade = veto.target
    return Scores(points, total, grade)
