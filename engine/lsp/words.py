"""What each rule form means, in words: the "reads as" column of docs/dsl.md, for hover.

Keyed by the form's name in the registry (`engine.forms`), so a form added later is still
named by its hover (with the registry's name and the documentation's pointer) before a sentence
is written for it here; tests/test_lsp.py lists the forms that have none.
"""

from __future__ import annotations

from jixiao.dsl import ast

READS_AS = {
    "full when": "full or zero: 条件成立得满分，否则不得分 (or the `else` award)",
    "proportional": "按 比率×分值 计分，最高满分 (a rate of 100% or more gives full marks)",
    "reverse": (
        "反向指标: ≤目标得满分，否则 目标/实际×分值 (`linear`: decays to 0 at twice the target)"
    ),
    "forward": "正向指标: ≥目标得满分，否则 实际/目标×分值 (a negative actual counts as 0)",
    "equal": "等于目标: target 0 gives full at ≤ 0, else 0; otherwise as `forward`",
    "tiers": "分档计分: the first band holding the value decides; `[` `]` include, `(` `)` exclude",
    "levels": "定性分级: each level label gives fixed points (a share with `%`)",
    "levels … score": "评价分 within its level's range: the evaluator's score, refused outside it",
    "checklist": "要素符合度: a base, plus a share or points for each element met",
    "choose": "按情形选择: the first branch whose condition holds gives its rule",
    "deduct … per": "每项扣分: the amount for each item (or unit) of the subject, 扣完为止",
    "deduct per … by": "按严重程度扣分: each finding by its field's row, each row capped",
    "deduct … per … of": "按差距扣分: the amount per step of the shortfall (whole/started steps)",
    "deduct … when": "条件扣分: the amount when the condition holds",
    "deduct … within": "酌情扣分: the evaluator's judgement, within the range written",
    "zero when": "不得分: the leaf (or subtree) scores 0 when the condition holds",
    "warn when": "a remark in the report when the condition holds; points are unchanged",
    "add … per": "加分: the amount for each item of the subject, within the section's max",
    "add … when": "加分: the amount when the condition holds, within the section's max",
    "award": "an award: `full`, points, a share of the weight (`60%`) or an expression",
    "panel": (
        "专家评分: each expert scores within the band; the indicator takes the mean, the mean "
        "after dropping the highest and the lowest (`trimmed`), or the median"
    ),
    "by": "按类别: the branch of the choice fact's value gives the rule (分类别适用不同评分标准)",
    "unless": "免扣情形: the deduction is not made when the condition holds, with its reason",
}


def meaning(rule: ast.Clause) -> str:
    """Markdown: the form's name, what it means, where the documentation is."""
    if isinstance(rule, ast.CallRule):
        return f"**call** `{rule.name}(…)`: the function's rules, with these arguments"
    if isinstance(rule, ast.NaPolicy):
        return "**na**: how this indicator scores when a fact it reads is 不适用"
    from ..forms import BY_NODE

    form = BY_NODE.get(type(rule))
    if form is None:
        return ""
    said = READS_AS.get(form.name, "see docs/dsl.md, “Scoring rules of a leaf”")
    return f"**{form.name}**: {said}"
