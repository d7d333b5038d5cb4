"""Each family's routing rule on router logits, and reading a router's own output.

The rules mirror the routers in transformers (see families.py for the prose). They are used when
a router returns bare logits (the MoE block then chooses the experts itself: Mixtral, Qwen and
OLMoE before transformers 5, DeepSeek-V3 from 5 on). Routers that return their choice (indices and
weights) are read as they are, so what is reported is what the model used.
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import torch

from .families import ROUTER_CHOICE, SIGMOID_GROUP_TOPK, SOFTMAX_TOPK, TOPK_SOFTMAX, RoutingParams


def softmax_topk(logits: torch.Tensor, top_k: int, renormalize: bool) -> tuple[torch.Tensor, torch.Tensor]:
    probs = torch.softmax(logits, dim=-1, dtype=torch.float32)
    weights, experts = torch.topk(probs, top_k, dim=-1)
    if renormalize:
        weights = weights / weights.sum(dim=-1, keepdim=True)
    return experts, weights


def topk_softmax(logits: torch.Tensor, top_k: int) -> tuple[torch.Tensor, torch.Tensor]:
    values, experts = torch.topk(logits, top_k, dim=-1)
    return experts, torch.softmax(values.float(), dim=-1)


def sigmoid_group_topk(
    logits: torch.Tensor,
    top_k: int,
    n_group: int,
    topk_group: int,
    renormalize: bool,
    routed_scaling_factor: float,
    bias: Optional[torch.Tensor],
) -> tuple[torch.Tensor, torch.Tensor]:
    scores = logits.float().sigmoid()
    # The correction bias steers the choice only; the weights come from the plain scores.
    choice = scores + bias.float().to(scores.device) if bias is not None else scores
    tokens, num_experts = scores.shape
    group_size = num_experts // n_group
    group_scores = choice.view(tokens, n_group, group_size).topk(min(2, group_size), dim=-1)[0].sum(dim=-1)
    group_idx = torch.topk(group_scores, k=topk_group, dim=-1, sorted=False)[1]
    group_mask = torch.zeros_like(group_scores).scatter_(1, group_idx, 1)
    score_mask = group_mask.unsqueeze(-1).expand(tokens, n_group, group_size).reshape(tokens, num_experts)
    # transformers fills the experts of dropped groups with 0.0 (not -inf); kept as is so that the
    # report matches what the model does.
    choice = choice.masked_fill(~score_mask.bool(), 0.0)
    experts = torch.topk(choice, k=top_k, dim=-1, sorted=False)[1]
    weights = scores.gather(1, experts)
    if renormalize:
        weights = weights / (weights.sum(dim=-1, keepdim=True) + 1e-20)
    return experts, weights * routed_scaling_factor


def apply_rule(logits: torch.Tensor, params: RoutingParams, bias: Optional[torch.Tensor] = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(experts, weights), each [tokens, top_k], from [tokens, num_experts] logits."""
    logits = logits.reshape(-1, logits.shape[-1])
    if params.rule == SOFTMAX_TOPK or params.rule == ROUTER_CHOICE:
        return softmax_topk(logits, params.top_k, params.renormalize)
    if params.rule == TOPK_SOFTMAX:
        return topk_softmax(logits, params.top_k)
    if params.rule == SIGMOID_GROUP_TOPK:
        return sigmoid_group_topk(
            logits, params.top_k, params.n_group, params.topk_group, params.renormalize, params.routed_scaling_factor, bias
        )
    raise ValueError(f"unknown routing rule {params.rule}")


RouterOutput = Union[torch.Tensor, Sequence[object]]


def selection_from_output(
    output: RouterOutput, params: RoutingParams, bias: Optional[torch.Tensor] = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The experts and gate weights a router module chose, from what its forward returned.

    Router outputs seen in transformers 4.56 to 5.x:
    - logits [T, E] (an nn.Linear gate; DeepSeek-V3's router from 5 on): the family rule decides;
    - (indices [T, k], weights [T, k]) (DeepSeek-V3 before 5);
    - (scores [T, E] with zeros outside the choice, indices [T, k]) (GPT-OSS before 5);
    - (logits or probabilities [T, E], weights [T, k], indices [T, k]) (transformers 5 routers).
    """
    if isinstance(output, torch.Tensor):
        return apply_rule(output, params, bias)
    tensors = [t for t in output if isinstance(t, torch.Tensor)]
    integer = [t for t in tensors if not t.is_floating_point()]
    floats = [t for t in tensors if t.is_floating_point()]
    if not integer:
        if not floats:
            raise TypeError("the router returned no tensors")
        return apply_rule(floats[0], params, bias)
    experts = integer[0].reshape(-1, integer[0].shape[-1])
    same_shape = [f for f in floats if f.reshape(-1, f.shape[-1]).shape == experts.shape]
    if same_shape:
        # With k == E the logits have the weights' shape too; the weights come after them.
        weights = same_shape[-1].reshape(experts.shape)
    else:
        dense = next((f for f in floats if f.shape[-1] == params.num_experts), None)
        if dense is None:
            raise TypeError("the router returned indices without matching weights")
        weights = dense.reshape(-1, params.num_experts).gather(1, experts)
    return experts.long(), weights.float()


def sort_by_weight(experts: torch.Tensor, weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each token's choices ordered by gate weight, highest first (the top-1 expert leads)."""
    weights, order = torch.sort(weights, dim=-1, descending=True, stable=True)
    return experts.gather(-1, order), weights
