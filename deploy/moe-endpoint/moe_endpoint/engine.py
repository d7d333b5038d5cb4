"""Loads an MoE model and answers route and compare requests with the router's choices.

One engine serves one request at a time (the work queue guarantees it), so the capture hooks and
the CUDA graphs need no locking.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import os
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

import torch
from torch import nn

from . import PROTOCOL_VERSION
from .capture import ListSink, ModelLayout, RoutingCapture, find_layout, params_for
from .errors import PromptTooLong, Stopped
from .families import PRESETS, RoutingParams, family_for
from .protocol import base_fields, layer_routing, token_entries
from .routing import sort_by_weight
from .settings import Settings
from .stats import compare_layers, mean
from .tokenization import HfTokenizer, SimpleTokenizer, Tokenizer

log = logging.getLogger("moe_endpoint.engine")


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"MOE_DEVICE={name} but no CUDA device is available")
    return device


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    if name == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    dtypes = {"bfloat16": torch.bfloat16, "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16, "float32": torch.float32, "fp32": torch.float32}
    if name not in dtypes:
        raise RuntimeError(f"MOE_DTYPE must be one of auto, {', '.join(dtypes)} (got {name})")
    return dtypes[name]


def device_label(device: torch.device) -> str:
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return "cpu"


def random_config(spec: str):
    """A transformers config from a preset name, a config.json path, or a hub id/dir."""
    from transformers import AutoConfig

    if spec in PRESETS:
        values = dict(PRESETS[spec])
    elif spec.endswith(".json") and os.path.isfile(spec):
        with open(spec, encoding="utf-8") as f:
            values = json.load(f)
        if "model_type" not in values:
            raise RuntimeError(f"{spec} has no model_type")
    else:
        return AutoConfig.from_pretrained(spec)
    model_type = values.pop("model_type")
    return AutoConfig.for_model(model_type, **values)


@dataclass
class Loaded:
    model: nn.Module
    tokenizer: Tokenizer
    config: Any
    name: str
    random_weights: bool
    device: torch.device
    dtype: torch.dtype


def load(settings: Settings) -> Loaded:
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    device = resolve_device(settings.device)
    dtype = resolve_dtype(settings.dtype, device)
    remote = settings.trust_remote_code
    if settings.random_init:
        config = random_config(settings.random_init)
        family = family_for(config.model_type)
        attn = settings.attn_implementation or (family.attn_implementation if family else "sdpa")
        torch.manual_seed(settings.seed)
        with torch.device(device):
            model = AutoModelForCausalLM.from_config(config, dtype=dtype, attn_implementation=attn, trust_remote_code=remote)
        if settings.tokenizer:
            hf_tokenizer = AutoTokenizer.from_pretrained(settings.tokenizer)
            if len(hf_tokenizer) > int(config.vocab_size):
                raise RuntimeError(
                    f"the tokenizer {settings.tokenizer} has {len(hf_tokenizer)} tokens but the config's vocab_size is {config.vocab_size}"
                )
            tokenizer: Tokenizer = HfTokenizer(hf_tokenizer)
        else:
            tokenizer = SimpleTokenizer(int(config.vocab_size), getattr(config, "pad_token_id", None))
        loaded = Loaded(model, tokenizer, config, settings.model_name, True, device, dtype)
    else:
        assert settings.model
        config = AutoConfig.from_pretrained(settings.model, trust_remote_code=remote)
        family = family_for(config.model_type)
        attn = settings.attn_implementation or (family.attn_implementation if family else "sdpa")
        model = AutoModelForCausalLM.from_pretrained(
            settings.model,
            dtype=dtype,
            device_map=str(device) if device.type == "cuda" else None,
            attn_implementation=attn,
            trust_remote_code=remote,
        )
        if device.type != "cuda":
            model.to(device)
        tokenizer = HfTokenizer(AutoTokenizer.from_pretrained(settings.tokenizer or settings.model, trust_remote_code=remote))
        loaded = Loaded(model, tokenizer, config, settings.model, False, device, dtype)
    model.eval()
    return loaded


def count_parameters(model: nn.Module, layout: ModelLayout) -> tuple[int, int]:
    """Total parameters, and those one token uses (the routed experts count k of E)."""
    total = sum(p.numel() for p in model.parameters())
    routed = 0
    active_routed = 0
    for site in layout.sites:
        n = sum(p.numel() for p in site.experts.parameters())
        routed += n
        active_routed += n * site.top_k // site.num_experts
    return total, total - routed + active_routed


class Engine:
    def __init__(self, loaded: Loaded, max_prompt_tokens: int, fast_path: str = "auto"):
        self.loaded = loaded
        self.model = loaded.model
        self.tokenizer = loaded.tokenizer
        self.device = loaded.device
        self.max_prompt_tokens = max_prompt_tokens
        config = loaded.config
        self.family = family_for(getattr(config, "model_type", ""))
        if self.family is None:
            log.warning("model type %r is not a known MoE family; reporting what its routers return", getattr(config, "model_type", "?"))
        self.layout = find_layout(self.model, self.family, config)
        self.params: RoutingParams = params_for(self.layout, self.family, config)
        self.capture = RoutingCapture(self.layout, self.params)
        self.decoder = getattr(self.model, "model", self.model)
        self._keep_last = {"logits_to_keep": 1} if "logits_to_keep" in inspect.signature(self.model.forward).parameters else {}
        self.total_params, self.active_params = count_parameters(self.model, self.layout)
        self._description: Optional[dict] = None
        self.graphs = None
        if fast_path != "off" and self.device.type == "cuda":
            with self._on_device():
                self._enable_fast_path(config)

    def _on_device(self):
        """The model's GPU as the current device of the calling thread (the worker is another thread)."""
        return torch.cuda.device(self.device) if self.device.type == "cuda" else contextlib.nullcontext()

    # --- fast path -----------------------------------------------------------------------------

    def _enable_fast_path(self, config: Any) -> None:
        from .fast_path import GraphedPrefill, patch_experts

        hidden = int(getattr(config, "hidden_size"))
        patched = patch_experts(self.layout, hidden)
        log.info("static experts forward on %d of %d MoE layers", patched, len(self.layout.sites))
        if patched < len(self.layout.sites):
            # An experts loop that asks the GPU which experts were hit cannot be captured.
            log.info("CUDA graphs need the static experts forward on every MoE layer; prompts run eagerly")
            return
        graphs = GraphedPrefill(
            self.decoder,
            self.capture,
            self.device,
            self.tokenizer.pad_token_id,
            max_tokens=self.max_prompt_tokens,
            vocab_size=int(getattr(config, "vocab_size", 32000)),
        )
        self.graphs = graphs if graphs.graphs else None

    # --- requests --------------------------------------------------------------------------------

    def describe(self) -> dict:
        if self._description is None:
            self._description = self._describe()
        return dict(self._description)

    def _describe(self) -> dict:
        return {
            "protocol_version": PROTOCOL_VERSION,
            "model": self.loaded.name,
            "family": self.family.name if self.family else "other",
            "model_type": str(getattr(self.loaded.config, "model_type", "")),
            "random_weights": self.loaded.random_weights,
            "layers": self.layout.num_layers,
            "moe_layers": [s.layer for s in self.layout.sites],
            "dense_layers": list(self.layout.dense_layers),
            "experts": self.params.num_experts,
            "top_k": self.params.top_k,
            "shared_experts": self.layout.shared_experts,
            "routing": {
                "rule": self.params.rule,
                "renormalize": self.params.renormalize,
                "weight_sum": self.params.weight_sum(),
                "description": self.params.describe(),
            },
            "parameters": {"total": int(self.total_params), "active": int(self.active_params)},
            "dtype": str(self.loaded.dtype).replace("torch.", ""),
            "device": device_label(self.device),
        }

    def _tokenize(self, prompt: str) -> tuple[list[int], list[str]]:
        ids, pieces = self.tokenizer.encode(prompt)
        if len(ids) > self.max_prompt_tokens:
            raise PromptTooLong(len(ids), self.max_prompt_tokens)
        if not ids:
            raise PromptTooLong(0, self.max_prompt_tokens)
        return ids, pieces

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def _run(self, ids: list[int], max_new_tokens: int, should_stop: Callable[[], bool]) -> tuple[torch.Tensor, torch.Tensor, list[int], str]:
        """[sites, tokens, k] experts and weights (CPU), generated ids, and how it ran."""
        with self._on_device():
            return self._run_here(ids, max_new_tokens, should_stop)

    def _run_here(self, ids: list[int], max_new_tokens: int, should_stop: Callable[[], bool]) -> tuple[torch.Tensor, torch.Tensor, list[int], str]:
        if max_new_tokens == 0 and self.graphs is not None:
            graph = self.graphs.bucket(len(ids))
            if graph is not None:
                experts, weights = self.graphs.run(ids, graph)
                return experts, weights, [], "cuda_graph"
        sink = ListSink(len(self.layout.sites))
        self.capture.sink = sink
        generated: list[int] = []
        try:
            with torch.inference_mode():
                input_ids = torch.tensor([ids], dtype=torch.long, device=self.device)
                if max_new_tokens == 0:
                    self.decoder(input_ids=input_ids, use_cache=False)
                else:
                    generated = self._generate(input_ids, max_new_tokens, should_stop)
            experts, weights = sink.stacked()
        finally:
            self.capture.sink = None
        return experts, weights, generated, "eager"

    def _generate(self, input_ids: torch.Tensor, max_new_tokens: int, should_stop: Callable[[], bool]) -> list[int]:
        """Greedy decoding; each step's routers are captured, the last token's included."""
        past = None
        current = input_ids
        generated: list[int] = []
        eos = self.tokenizer.eos_token_id
        for _ in range(max_new_tokens):
            out = self.model(input_ids=current, past_key_values=past, use_cache=True, **self._keep_last)
            past = out.past_key_values
            token = int(out.logits[0, -1].argmax())
            generated.append(token)
            if should_stop():
                raise Stopped()
            if eos is not None and token == eos:
                break
            current = torch.tensor([[token]], dtype=torch.long, device=self.device)
        # One more step so the last generated token's routing is reported too.
        last = torch.tensor([[generated[-1]]], dtype=torch.long, device=self.device)
        self.model(input_ids=last, past_key_values=past, use_cache=True, **self._keep_last)
        return generated

    def _layers(self, experts: torch.Tensor, weights: torch.Tensor) -> list[dict]:
        experts, weights = sort_by_weight(experts, weights)
        experts_list = experts.tolist()
        weights_list = weights.tolist()
        return [
            layer_routing(site.layer, experts_list[i], weights_list[i], self.params.num_experts)
            for i, site in enumerate(self.layout.sites)
        ]

    def route(self, prompt: str, max_new_tokens: int, should_stop: Callable[[], bool]) -> dict:
        t0 = time.perf_counter()
        ids, pieces = self._tokenize(prompt)
        t1 = time.perf_counter()
        experts, weights, generated, execution = self._run(ids, max_new_tokens, should_stop)
        self._sync()
        t2 = time.perf_counter()
        all_ids = ids + generated
        texts = pieces + [self.tokenizer.piece(t) for t in generated]
        model = self.describe()
        return {
            **base_fields(model),
            "shared_experts": model["shared_experts"],
            "tokens": token_entries(all_ids, texts, len(ids)),
            "moe_layers": model["moe_layers"],
            "dense_layers": model["dense_layers"],
            "routing": self._layers(experts, weights),
            "timings": {"tokenize_ms": (t1 - t0) * 1000, "forward_ms": (t2 - t1) * 1000},
            "device": model["device"],
            "execution": execution,
        }

    def compare(self, prompts: list[str], should_stop: Callable[[], bool]) -> dict:
        t0 = time.perf_counter()
        encoded = [self._tokenize(p) for p in prompts]
        t1 = time.perf_counter()
        runs = []
        for ids, _ in encoded:
            if should_stop():
                raise Stopped()
            runs.append(self._run(ids, 0, should_stop))
        self._sync()
        t2 = time.perf_counter()
        (experts_a, _, _, execution), (experts_b, _, _, _) = runs
        layers = compare_layers([s.layer for s in self.layout.sites], experts_a.tolist(), experts_b.tolist(), self.params.num_experts)
        model = self.describe()
        return {
            **base_fields(model),
            "prompts": [{"tokens": pieces} for _, pieces in encoded],
            "layers": layers,
            "mean_jaccard": round(mean([l["jaccard"] for l in layers]), 4),
            "mean_load_overlap": round(mean([l["load_overlap"] for l in layers]), 4),
            "timings": {"tokenize_ms": (t1 - t0) * 1000, "forward_ms": (t2 - t1) * 1000},
            "device": model["device"],
            "execution": execution,
        }
