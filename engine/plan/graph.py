"""The dependency graph: facts → derived facts → indicators → parents. The only networkx user.

The graph decides the evaluation order of derived facts (a deterministic topological order:
ties broken by declaration order, so the same pack always evaluates, and explains, in the same
sequence), reports cycles naming every member, and answers which evidence facts each indicator
rests on — used to name every indicator a missing fact affects.
"""

from __future__ import annotations

import networkx as nx

from jixiao.dsl.diagnostics import JixiaoError

from ..common import messages as msg
from ..common.ir import Order, Program


def _fact(name: str) -> str:
    return f"fact:{name}"


def _let(name: str) -> str:
    return f"let:{name}"


def _ind(code: str) -> str:
    return f"indicator:{code}"


def order(program: Program) -> Order:
    """Build the graph and the evaluation order; raise JixiaoError on a cycle."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    rank: dict[str, int] = {}

    def add(node: str) -> None:
        if node not in rank:
            rank[node] = len(rank)
            graph.add_node(node)

    def ref(name: str) -> str:
        return _let(name) if name in program.derived else _fact(name)

    for name in program.facts:
        add(_fact(name))
    for name, derived in program.derived.items():
        add(_let(name))
        for read in derived.reads:
            add(ref(read))
            graph.add_edge(ref(read), _let(name))
    for indicator in program.indicators:
        add(_ind(indicator.code))
        for read in indicator.reads:
            add(ref(read))
            graph.add_edge(ref(read), _ind(indicator.code))
        if indicator.parent is not None:
            add(_ind(indicator.parent))
            graph.add_edge(_ind(indicator.code), _ind(indicator.parent))

    cycles = _cycles(graph, rank)
    if cycles:
        diagnostics = []
        for members in cycles:
            names = [m.split(":", 1)[1] for m in members]
            spans = [program.derived[n].span for n in names]
            diagnostics.append(msg.cycle(names, spans))
        raise JixiaoError(diagnostics)

    topo = list(nx.lexicographical_topological_sort(graph, key=rank.__getitem__))
    derived_order = tuple(n.split(":", 1)[1] for n in topo if n.startswith("let:"))

    needs: dict[str, tuple[str, ...]] = {}
    users: dict[str, set[str]] = {}
    for indicator in program.indicators:
        node = _ind(indicator.code)
        ancestors = nx.ancestors(graph, node)
        facts = sorted(
            (a.split(":", 1)[1] for a in ancestors if a.startswith("fact:")),
            key=lambda n: rank[_fact(n)],
        )
        needs[indicator.code] = tuple(facts)
        if indicator.is_leaf:
            for a in ancestors:
                if not a.startswith("indicator:"):
                    users.setdefault(a.split(":", 1)[1], set()).add(indicator.code)
    tree_rank = {ind.code: i for i, ind in enumerate(program.indicators)}
    return Order(
        derived_order,
        needs,
        {k: tuple(sorted(v, key=tree_rank.__getitem__)) for k, v in users.items()},
    )


def _cycles(graph: nx.DiGraph[str], rank: dict[str, int]) -> list[list[str]]:
    """Each strongly connected group of derived facts, members in declaration order."""
    groups = []
    for component in nx.strongly_connected_components(graph):
        members = sorted(component, key=rank.__getitem__)
        if len(members) > 1 or graph.has_edge(members[0], members[0]):
            groups.append(members)
    return sorted(groups, key=lambda g: rank[g[0]])
