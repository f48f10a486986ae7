"""The server's counters in the Prometheus text exposition format (version 0.0.4), kept by
hand: four families do not need a client library.

    jixiao_requests_total{method,route,status}
    jixiao_request_seconds (histogram){route}
    jixiao_evaluations_total{pack,outcome}      outcome: scored | unscored | refused
    jixiao_errors_total{code}                   diagnostic codes, or the problem's kind
"""

from __future__ import annotations

import threading
from collections import Counter

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _labels(pairs: tuple[tuple[str, str], ...]) -> str:
    def esc(v: str) -> str:
        return v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')

    return "{" + ",".join(f'{k}="{esc(v)}"' for k, v in pairs) + "}"


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[tuple[str, str], ...]] = Counter()
        self.evaluations: Counter[tuple[tuple[str, str], ...]] = Counter()
        self.errors: Counter[tuple[tuple[str, str], ...]] = Counter()
        self.buckets: dict[str, list[int]] = {}
        self.sums: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(("method", method), ("route", route), ("status", str(status)))] += 1
            counts = self.buckets.setdefault(route, [0] * len(BUCKETS))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            self.sums[route] += seconds  # type: ignore[assignment]
            self.counts[route] += 1

    def evaluation(self, pack: str, outcome: str) -> None:
        with self._lock:
            self.evaluations[(("pack", pack), ("outcome", outcome))] += 1

    def error(self, code: str) -> None:
        with self._lock:
            self.errors[(("code", code),)] += 1

    def text(self) -> str:
        out: list[str] = []
        with self._lock:
            out += [
                "# HELP jixiao_requests_total HTTP requests answered.",
                "# TYPE jixiao_requests_total counter",
            ]
            out += [
                f"jixiao_requests_total{_labels(k)} {v}" for k, v in sorted(self.requests.items())
            ]
            out += [
                "# HELP jixiao_request_seconds Time to answer a request.",
                "# TYPE jixiao_request_seconds histogram",
            ]
            for route in sorted(self.buckets):
                r = (("route", route),)
                for bound, n in zip(BUCKETS, self.buckets[route], strict=True):
                    out.append(
                        f"jixiao_request_seconds_bucket{_labels((*r, ('le', str(bound))))} {n}"
                    )
                out.append(
                    f"jixiao_request_seconds_bucket{_labels((*r, ('le', '+Inf')))} "
                    f"{self.counts[route]}"
                )
                out.append(f"jixiao_request_seconds_sum{_labels(r)} {self.sums[route]:.6f}")
                out.append(f"jixiao_request_seconds_count{_labels(r)} {self.counts[route]}")
            out += [
                "# HELP jixiao_evaluations_total Evaluations, by pack and outcome.",
                "# TYPE jixiao_evaluations_total counter",
            ]
            out += [
                f"jixiao_evaluations_total{_labels(k)} {v}"
                for k, v in sorted(self.evaluations.items())
            ]
            out += [
                "# HELP jixiao_errors_total Errors answered, by diagnostic code or problem kind.",
                "# TYPE jixiao_errors_total counter",
            ]
            out += [f"jixiao_errors_total{_labels(k)} {v}" for k, v in sorted(self.errors.items())]
        return "\n".join(out) + "\n"
