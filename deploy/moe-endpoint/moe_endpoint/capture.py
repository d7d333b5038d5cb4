"""Forward hooks on the router modules of a transformers MoE model.

Hooks see every call of a router, whatever the model returns (many models drop router logits
from their output unless asked, and never return the experts chosen) and during generation,
where each decoding step calls the routers with one new token.

A hook hands the (experts, weights) of each call to a sink: `ListSink` appends them (eager runs,
any number of calls); `StaticSink` copies them into preallocated tensors, which is what a CUDA
graph can record and replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Protocol

import torch
from torch import nn

from .families import Family, RoutingParams, routing_params
from .routing import selection_from_output

_BLOCK_ATTRS = ("mlp", "block_sparse_moe", "feed_forward", "moe")
_ROUTER_ATTRS = ("gate", "router")


@dataclass
class RouterSite:
    """One MoE layer: its decoder layer index, the MoE block, its router and its experts."""

    layer: int
    block: nn.Module
    router: nn.Module
    experts: nn.Module
    num_experts: int
    top_k: int

    @property
    def bias(self) -> Optional[torch.Tensor]:
        """DeepSeek-style selection bias, on the router or (in some models) on the block."""
        for owner in (self.router, self.block):
            bias = getattr(owner, "e_score_correction_bias", None)
            if isinstance(bias, torch.Tensor):
                return bias
        return None


@dataclass
class ModelLayout:
    num_layers: int
    sites: list[RouterSite]
    dense_layers: list[int]
    shared_experts: int


def decoder_layers(model: nn.Module) -> nn.ModuleList:
    for path in ("model.layers", "model.language_model.layers", "transformer.h", "layers"):
        obj: Any = model
        for part in path.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if isinstance(obj, nn.ModuleList):
            return obj
    raise ValueError("cannot find the decoder layers of this model (looked for model.layers)")


def _router_weight(router: nn.Module) -> Optional[torch.Tensor]:
    weight = getattr(router, "weight", None)
    return weight if isinstance(weight, torch.Tensor) and weight.dim() == 2 else None


def _find_block(layer: nn.Module, router_attr: Optional[str]) -> Optional[tuple[nn.Module, nn.Module, nn.Module]]:
    attrs = (router_attr,) if router_attr else _ROUTER_ATTRS
    for block_attr in _BLOCK_ATTRS:
        block = getattr(layer, block_attr, None)
        if not isinstance(block, nn.Module) or not hasattr(block, "experts"):
            continue
        for attr in attrs:
            router = getattr(block, attr, None)
            if isinstance(router, nn.Module) and _router_weight(router) is not None:
                return block, router, block.experts
    return None


def _count_shared_experts(block: nn.Module, config: Any) -> int:
    if getattr(block, "shared_experts", None) is not None:
        return int(getattr(config, "n_shared_experts", 1) or 1)
    if getattr(block, "shared_expert", None) is not None:
        return 1
    return 0


def find_layout(model: nn.Module, family: Optional[Family], config: Any) -> ModelLayout:
    """Which decoder layers are MoE layers (with their routers) and which are dense."""
    layers = decoder_layers(model)
    sites: list[RouterSite] = []
    dense: list[int] = []
    shared = 0
    default_k = int(getattr(config, "num_experts_per_tok", 0) or getattr(config, "experts_per_token", 0) or 0)
    for index, layer in enumerate(layers):
        found = _find_block(layer, family.router_attr if family else None)
        if not found:
            dense.append(index)
            continue
        block, router, experts = found
        num_experts = int(_router_weight(router).shape[0])  # type: ignore[union-attr]
        top_k = int(getattr(router, "top_k", 0) or getattr(block, "top_k", 0) or default_k)
        if top_k <= 0:
            raise ValueError(f"layer {index}: cannot tell how many experts a token gets (top_k)")
        sites.append(RouterSite(index, block, router, experts, num_experts, top_k))
        shared = max(shared, _count_shared_experts(block, config))
    if not sites:
        raise ValueError("this model has no MoE layers that the endpoint recognises (a router named gate or router next to experts)")
    if len({(s.num_experts, s.top_k) for s in sites}) != 1:
        raise ValueError("MoE layers with different expert counts or top-k are not supported")
    return ModelLayout(num_layers=len(layers), sites=sites, dense_layers=dense, shared_experts=shared)


def params_for(layout: ModelLayout, family: Optional[Family], config: Any) -> RoutingParams:
    first = layout.sites[0]
    return routing_params(family, config, first.num_experts, first.top_k)


class Sink(Protocol):
    def __call__(self, site: int, experts: torch.Tensor, weights: torch.Tensor) -> None: ...


class ListSink:
    """Collects every router call, in call order, per site."""

    def __init__(self, num_sites: int):
        self.experts: list[list[torch.Tensor]] = [[] for _ in range(num_sites)]
        self.weights: list[list[torch.Tensor]] = [[] for _ in range(num_sites)]

    def __call__(self, site: int, experts: torch.Tensor, weights: torch.Tensor) -> None:
        self.experts[site].append(experts)
        self.weights[site].append(weights)

    def stacked(self) -> tuple[torch.Tensor, torch.Tensor]:
        """[sites, tokens, k] experts and weights on the CPU, one transfer each."""
        experts = torch.stack([torch.cat(parts, dim=0) for parts in self.experts])
        weights = torch.stack([torch.cat(parts, dim=0) for parts in self.weights])
        return experts.cpu(), weights.cpu()


class StaticSink:
    """Writes one forward's choices into fixed buffers [sites, tokens, k] (CUDA-graph safe)."""

    def __init__(self, num_sites: int, tokens: int, top_k: int, device: torch.device):
        self.experts = torch.zeros(num_sites, tokens, top_k, dtype=torch.long, device=device)
        self.weights = torch.zeros(num_sites, tokens, top_k, dtype=torch.float32, device=device)

    def __call__(self, site: int, experts: torch.Tensor, weights: torch.Tensor) -> None:
        self.experts[site].copy_(experts)
        self.weights[site].copy_(weights)


class RoutingCapture:
    """Hooks on every router; inactive (and nearly free) unless a sink is attached."""

    def __init__(self, layout: ModelLayout, params: RoutingParams):
        self.layout = layout
        self.params = params
        self.sink: Optional[Sink] = None
        self._handles = [site.router.register_forward_hook(self._hook(i)) for i, site in enumerate(layout.sites)]

    def _hook(self, index: int):
        site = self.layout.sites[index]

        def hook(_module: nn.Module, _inputs: tuple, output: Any) -> None:
            sink = self.sink
            if sink is None:
                return
            experts, weights = selection_from_output(output, self.params, site.bias)
            sink(index, experts, weights)

        return hook

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
