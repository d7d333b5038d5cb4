"""The fast path for prompt-only requests on a GPU: static shapes, experts without host syncs, and
one CUDA graph per prompt-length bucket.

Why: for a 128-token prompt an MoE forward is dominated by kernel launches and host syncs (the
eager experts loop asks the GPU which experts were hit, layer by layer), not by arithmetic or
memory traffic. Replaying a captured CUDA graph removes both, so the time approaches the floor of
reading each touched weight once.

- Prompts are right-padded to the next bucket length. Attention is causal, so real tokens never
  see the padding and their routing is unchanged; the padding's routing is dropped.
- Fused expert weights (transformers 5 keeps each layer's experts as [E, ...] tensors) get a
  forward that computes every expert for every token and mixes the outputs with the routing
  weights (zero for unchosen experts). With T tokens and top-k of E experts, once T·k ≥ E nearly
  every expert is read anyway, and this form has fixed shapes and no data-dependent launches.
  Short inputs (decoding) gather just the chosen experts' weights instead.
- Router hooks write into static buffers (capture.StaticSink) that the graph replays into.
- Each graph is checked against the eager path once after capture; a mismatch or any failure
  falls back to eager for that bucket (logged), never to a wrong answer.
"""

from __future__ import annotations

import logging
import types
from dataclasses import dataclass
from typing import Callable, Optional

import torch
from torch import nn

from .capture import ListSink, ModelLayout, RoutingCapture, StaticSink

log = logging.getLogger("moe_endpoint.fast_path")

DEFAULT_BUCKETS = (16, 32, 64, 128, 256, 512)


def _is_fused(experts: nn.Module) -> bool:
    gate_up = getattr(experts, "gate_up_proj", None)
    down = getattr(experts, "down_proj", None)
    return isinstance(gate_up, torch.Tensor) and isinstance(down, torch.Tensor) and gate_up.dim() == 3 and down.dim() == 3


def _transposed(experts: nn.Module, hidden: int) -> bool:
    """[E, hidden, 2I] (transposed, GPT-OSS) versus [E, 2I, hidden]."""
    flag = getattr(experts, "is_transposed", None)
    if isinstance(flag, bool):
        return flag
    return experts.gate_up_proj.shape[1] == hidden and experts.gate_up_proj.shape[2] != hidden


def _gate(experts: nn.Module, gate_up: torch.Tensor) -> torch.Tensor:
    apply_gate = getattr(experts, "_apply_gate", None)
    if callable(apply_gate):
        return apply_gate(gate_up)
    gate, up = gate_up.chunk(2, dim=-1)
    return experts.act_fn(gate) * up


def _routing_args(args: tuple, kwargs: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """(indices, weights) whatever the experts forward calls them (top_k_index, router_indices, ...)."""
    tensors = [t for t in (*args, *kwargs.values()) if isinstance(t, torch.Tensor)]
    index = next(t for t in tensors if not t.is_floating_point())
    weights = next(t for t in tensors if t.is_floating_point())
    return index, weights


def static_experts_forward(self: nn.Module, hidden_states: torch.Tensor, *args, **kwargs) -> torch.Tensor:
    """Same result as the eager experts loop, with shapes fixed by the input's shape alone."""
    top_k_index, top_k_weights = _routing_args(args, kwargs)
    shape = hidden_states.shape
    hidden = shape[-1]
    x = hidden_states.reshape(-1, hidden).to(self.gate_up_proj.dtype)
    tokens = x.shape[0]
    top_k_index = top_k_index.reshape(tokens, -1)
    num_experts = self.gate_up_proj.shape[0]
    top_k = top_k_index.shape[-1]
    if top_k_weights.shape[-1] != top_k or top_k_weights.numel() != top_k_index.numel():  # dense [T, E] scores
        top_k_weights = top_k_weights.reshape(tokens, -1).gather(1, top_k_index)
    top_k_weights = top_k_weights.reshape(tokens, top_k)
    transposed = _transposed(self, hidden)
    has_bias = getattr(self, "gate_up_proj_bias", None) is not None
    if tokens * top_k >= num_experts:
        # Every expert on every token, mixed by a [T, E] matrix that is zero off the choice.
        mix = torch.zeros(tokens, num_experts, dtype=torch.float32, device=x.device)
        mix.scatter_add_(1, top_k_index, top_k_weights.float())
        w_up = self.gate_up_proj if transposed else self.gate_up_proj.transpose(1, 2)  # [E, H, 2I]
        gate_up = torch.matmul(x.unsqueeze(0), w_up)  # [E, T, 2I]
        if has_bias:
            gate_up = gate_up + self.gate_up_proj_bias.unsqueeze(1)
        act = _gate(self, gate_up)  # [E, T, I]
        w_down = self.down_proj if transposed else self.down_proj.transpose(1, 2)  # [E, I, H]
        out = torch.bmm(act, w_down)  # [E, T, H]
        if has_bias:
            out = out + self.down_proj_bias.unsqueeze(1)
        mixed = torch.einsum("eth,te->th", out.float(), mix)
        return mixed.to(hidden_states.dtype).reshape(shape)
    # Few tokens: gather only the chosen experts' weights.
    flat = top_k_index.reshape(-1)
    xs = x.repeat_interleave(top_k, dim=0).unsqueeze(1)  # [T*k, 1, H]
    w_up = self.gate_up_proj[flat]
    w_up = w_up if transposed else w_up.transpose(1, 2)
    gate_up = torch.bmm(xs, w_up)  # [T*k, 1, 2I]
    if has_bias:
        gate_up = gate_up + self.gate_up_proj_bias[flat].unsqueeze(1)
    act = _gate(self, gate_up)
    w_down = self.down_proj[flat]
    w_down = w_down if transposed else w_down.transpose(1, 2)
    out = torch.bmm(act, w_down).squeeze(1)  # [T*k, H]
    if has_bias:
        out = out + self.down_proj_bias[flat]
    out = out.float() * top_k_weights.reshape(-1, 1).float()
    return out.view(tokens, top_k, hidden).sum(dim=1).to(hidden_states.dtype).reshape(shape)


def _patchable(experts: nn.Module) -> bool:
    if not _is_fused(experts):
        return False
    # Experts with biases (GPT-OSS) interleave and clamp their gate; only their own _apply_gate
    # (transformers 5) knows how, so without it they keep their forward.
    if getattr(experts, "gate_up_proj_bias", None) is not None and not callable(getattr(experts, "_apply_gate", None)):
        return False
    return True


def _agrees(experts: nn.Module, original: Callable, hidden: int, top_k: int, tokens: int) -> bool:
    generator = torch.Generator(device="cpu").manual_seed(tokens)
    device, dtype = experts.gate_up_proj.device, experts.gate_up_proj.dtype
    num_experts = experts.gate_up_proj.shape[0]
    x = (torch.randn(tokens, hidden, generator=generator) * 0.5).to(device=device, dtype=dtype)
    index = torch.stack([torch.randperm(num_experts, generator=generator)[:top_k] for _ in range(tokens)]).to(device)
    weights = torch.rand(tokens, top_k, generator=generator).to(device=device, dtype=torch.float32)
    with torch.inference_mode():
        want = original(x, index, weights.to(dtype)).float()
        got = static_experts_forward(experts, x, index, weights.to(dtype)).float()
    if want.numel() != got.numel():
        return False
    want, got = want.reshape(-1), got.reshape(-1)
    tolerance = 1e-4 if dtype == torch.float32 else 3e-2
    scale = want.abs().max().clamp_min(1e-6)
    return bool(((want - got).abs().max() / scale) <= tolerance)


def patch_experts(layout: ModelLayout, hidden_size: int) -> int:
    """Gives every fused experts module the static forward, after checking on random input that
    it computes what the module's own forward does; returns how many were patched."""
    patched = 0
    for site in layout.sites:
        experts = site.experts
        if not _patchable(experts):
            continue
        original = experts.forward
        try:
            ok = all(_agrees(experts, original, hidden_size, site.top_k, n) for n in (2, max(2, site.num_experts)))
        except Exception as err:  # noqa: BLE001 - an unexpected layout keeps the original forward
            log.warning("layer %d: static experts forward not used (%s: %s)", site.layer, type(err).__name__, err)
            ok = False
        if not ok:
            log.warning("layer %d: static experts forward disagrees with the model's; keeping the original", site.layer)
            continue
        experts.forward = types.MethodType(static_experts_forward, experts)
        patched += 1
    return patched


def unpatch_experts(layout: ModelLayout) -> None:
    for site in layout.sites:
        if "forward" in vars(site.experts):
            del site.experts.forward


@dataclass
class _Graph:
    length: int
    graph: "torch.cuda.CUDAGraph"
    input_ids: torch.Tensor
    sink: StaticSink


class GraphedPrefill:
    """CUDA graphs of the decoder's prompt-only forward, one per bucket length."""

    def __init__(
        self,
        decoder: nn.Module,
        capture: RoutingCapture,
        device: torch.device,
        pad_token_id: int,
        buckets: tuple[int, ...] = DEFAULT_BUCKETS,
        max_tokens: int = 512,
        vocab_size: int = 32000,
    ):
        self.decoder = decoder
        self.capture = capture
        self.device = device
        self.pad_token_id = pad_token_id
        self.graphs: dict[int, _Graph] = {}
        self.pool = torch.cuda.graph_pool_handle()
        lengths = sorted({b for b in buckets if b < max_tokens} | {max_tokens})
        for length in lengths:
            try:
                graph = self._capture(length)
                if self._agrees_with_eager(graph, vocab_size):
                    self.graphs[length] = graph
                else:
                    log.warning("CUDA graph for %d tokens disagrees with the eager path; using eager for it", length)
            except Exception as err:  # noqa: BLE001 - any capture failure means eager for this length
                log.warning("cannot capture a CUDA graph for %d tokens (%s: %s); using eager for it", length, type(err).__name__, err)
                torch.cuda.synchronize(device)
        if self.graphs:
            log.info("CUDA graphs ready for prompt lengths %s", sorted(self.graphs))

    def _forward(self, input_ids: torch.Tensor) -> None:
        self.decoder(input_ids=input_ids, use_cache=False)

    def _capture(self, length: int) -> _Graph:
        sites = len(self.capture.layout.sites)
        sink = StaticSink(sites, length, self.capture.params.top_k, self.device)
        input_ids = torch.full((1, length), self.pad_token_id, dtype=torch.long, device=self.device)
        self.capture.sink = sink
        try:
            side = torch.cuda.Stream(self.device)
            side.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(side), torch.inference_mode():
                for _ in range(2):  # warm-up: lazy initialisation and autotuning happen outside the graph
                    self._forward(input_ids)
            torch.cuda.current_stream(self.device).wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.inference_mode(), torch.cuda.graph(graph, pool=self.pool):
                self._forward(input_ids)
        finally:
            self.capture.sink = None
        return _Graph(length, graph, input_ids, sink)

    def _agrees_with_eager(self, graph: _Graph, vocab_size: int) -> bool:
        generator = torch.Generator().manual_seed(graph.length)
        ids = torch.randint(2, max(3, vocab_size), (graph.length,), generator=generator).tolist()
        replayed_experts, _ = self.run(ids, graph)
        sink = ListSink(len(self.capture.layout.sites))
        self.capture.sink = sink
        try:
            with torch.inference_mode():
                self._forward(torch.tensor([ids], device=self.device))
        finally:
            self.capture.sink = None
        eager_experts, _ = sink.stacked()
        same = torch.equal(replayed_experts.sort(dim=-1).values, eager_experts.sort(dim=-1).values)
        return bool(same)

    def bucket(self, tokens: int) -> Optional[_Graph]:
        fitting = [length for length in self.graphs if length >= tokens]
        return self.graphs[min(fitting)] if fitting else None

    def run(self, ids: list[int], graph: _Graph) -> tuple[torch.Tensor, torch.Tensor]:
        """[sites, len(ids), k] experts and weights on the CPU."""
        n = len(ids)
        padded = torch.full((1, graph.length), self.pad_token_id, dtype=torch.long)
        padded[0, :n] = torch.tensor(ids, dtype=torch.long)
        graph.input_ids.copy_(padded, non_blocking=False)
        graph.graph.replay()
        experts = graph.sink.experts[:, :n].cpu()
        weights = graph.sink.weights[:, :n].cpu()
        return experts, weights


def supported(device: torch.device) -> bool:
    return device.type == "cuda" and torch.cuda.is_available()


Forward = Callable[[torch.Tensor], None]
