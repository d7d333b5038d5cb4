"""Plain-Python figures over captured routing: expert load per layer and how far two prompts'
routing differs. No torch here, so the numbers are tested on any machine."""

from __future__ import annotations

from typing import Sequence


def expert_load(experts_per_token: Sequence[Sequence[int]], num_experts: int) -> list[int]:
    """How many (token, slot) choices went to each expert."""
    load = [0] * num_experts
    for row in experts_per_token:
        for expert in row:
            load[expert] += 1
    return load


def jaccard(a: set[int], b: set[int]) -> float:
    """|a ∩ b| / |a ∪ b|; two empty sets are the same set."""
    union = a | b
    return 1.0 if not union else len(a & b) / len(union)


def load_overlap(load_a: Sequence[int], load_b: Sequence[int]) -> float:
    """Histogram intersection of two load distributions: the sum over experts of the smaller share."""
    total_a, total_b = sum(load_a), sum(load_b)
    if total_a == 0 or total_b == 0:
        return 1.0 if total_a == total_b else 0.0
    return sum(min(x / total_a, y / total_b) for x, y in zip(load_a, load_b))


def compare_layers(
    layers: Sequence[int],
    experts_a: Sequence[Sequence[Sequence[int]]],
    experts_b: Sequence[Sequence[Sequence[int]]],
    num_experts: int,
) -> list[dict]:
    """Per MoE layer: the overlap of the expert sets and of the load distributions of two prompts.

    experts_a[i] is layer i's list of per-token expert ids for prompt a.
    """
    out = []
    for layer, rows_a, rows_b in zip(layers, experts_a, experts_b):
        set_a = {e for row in rows_a for e in row}
        set_b = {e for row in rows_b for e in row}
        out.append(
            {
                "layer": layer,
                "jaccard": round(jaccard(set_a, set_b), 4),
                "load_overlap": round(min(1.0, load_overlap(expert_load(rows_a, num_experts), expert_load(rows_b, num_experts))), 4),
                "experts_a": len(set_a),
                "experts_b": len(set_b),
                "shared": len(set_a & set_b),
            }
        )
    return out


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0
