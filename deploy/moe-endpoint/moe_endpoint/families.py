"""The MoE families the endpoint knows, and how each one routes a token.

Nothing here imports torch: the tables are shared by the engine, the tests and /v1/model.

How the routers in transformers choose experts (the rule is applied only when a router returns
bare logits; routers that return their own choice are read as they are):

- softmax_topk (Mixtral, Qwen2-MoE, Qwen3-MoE, OLMoE): softmax over all experts in float32, top-k
  of the probabilities, then divide by their sum when renormalising (Mixtral always; the others
  when `norm_topk_prob` is set). Without renormalisation a token's weights add up to less than 1.
- topk_softmax (GPT-OSS): top-k of the raw logits (the router has a bias), then softmax over
  those k values only, so the weights add up to 1.
- sigmoid_group_topk (DeepSeek-V3 and its relatives): sigmoid scores in float32; the
  `e_score_correction_bias` is added for choosing only. Experts are split into `n_group` groups,
  each group scored by the sum of its two best biased scores, the best `topk_group` groups kept,
  and the top-k experts chosen inside them. The weights are the unbiased sigmoid scores of the
  chosen experts, divided by their sum when `norm_topk_prob` is set, times
  `routed_scaling_factor`. Shared experts see every token and are not part of the choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

SOFTMAX_TOPK = "softmax_topk"
TOPK_SOFTMAX = "topk_softmax"
SIGMOID_GROUP_TOPK = "sigmoid_group_topk"
ROUTER_CHOICE = "router_choice"


@dataclass(frozen=True)
class Family:
    name: str
    model_types: tuple[str, ...]
    rule: str
    #: True, False, or the name of the config flag that decides.
    renormalize: Any
    #: Attribute of the MoE block that holds the router.
    router_attr: str
    #: Attention implementation that the family supports best.
    attn_implementation: str = "sdpa"


FAMILIES: tuple[Family, ...] = (
    Family("mixtral", ("mixtral",), SOFTMAX_TOPK, True, "gate"),
    Family("qwen2_moe", ("qwen2_moe",), SOFTMAX_TOPK, "norm_topk_prob", "gate"),
    Family("qwen3_moe", ("qwen3_moe",), SOFTMAX_TOPK, "norm_topk_prob", "gate"),
    Family("olmoe", ("olmoe",), SOFTMAX_TOPK, "norm_topk_prob", "gate"),
    Family("deepseek_v3", ("deepseek_v3", "glm4_moe"), SIGMOID_GROUP_TOPK, "norm_topk_prob", "gate"),
    # GPT-OSS attends with learned sinks, which the eager attention path implements.
    Family("gpt_oss", ("gpt_oss",), TOPK_SOFTMAX, True, "router", attn_implementation="eager"),
)

SUPPORTED_MODEL_TYPES = tuple(t for f in FAMILIES for t in f.model_types)


def family_for(model_type: str) -> Optional[Family]:
    for family in FAMILIES:
        if model_type in family.model_types:
            return family
    return None


@dataclass(frozen=True)
class RoutingParams:
    """Everything the rule needs besides the logits (and, for sigmoid_group_topk, the bias)."""

    rule: str
    num_experts: int
    top_k: int
    renormalize: bool
    n_group: int = 1
    topk_group: int = 1
    routed_scaling_factor: float = 1.0

    def weight_sum(self) -> Optional[float]:
        """What one token's gate weights add up to, or None when it varies."""
        if self.rule == TOPK_SOFTMAX:
            return 1.0
        if self.rule == SOFTMAX_TOPK:
            return 1.0 if self.renormalize else None
        if self.rule == SIGMOID_GROUP_TOPK:
            return float(self.routed_scaling_factor) if self.renormalize else None
        return None

    def describe(self) -> str:
        e, k = self.num_experts, self.top_k
        if self.rule == SOFTMAX_TOPK:
            norm = "renormalised to sum to 1" if self.renormalize else "not renormalised (they sum to less than 1)"
            return f"softmax over {e} experts, top-{k}; the {k} weights are {norm}"
        if self.rule == TOPK_SOFTMAX:
            return f"top-{k} of {e} router logits, then softmax over those {k} (weights sum to 1)"
        if self.rule == SIGMOID_GROUP_TOPK:
            norm = "renormalised" if self.renormalize else "not renormalised"
            return (
                f"sigmoid scores for {e} experts; bias-corrected scores pick the best {self.topk_group} of "
                f"{self.n_group} groups and top-{k} inside them; weights are the uncorrected scores, {norm}, "
                f"times {self.routed_scaling_factor:g}"
            )
        return f"the router's own choice of {k} of {e} experts"


def _get(config: Any, name: str, default: Any = None) -> Any:
    if isinstance(config, Mapping):
        return config.get(name, default)
    return getattr(config, name, default)


def routing_params(family: Optional[Family], config: Any, num_experts: int, top_k: int) -> RoutingParams:
    """The routing parameters of a model from its config (a transformers config or a dict)."""
    if family is None:
        return RoutingParams(ROUTER_CHOICE, num_experts, top_k, bool(_get(config, "norm_topk_prob", False)))
    if isinstance(family.renormalize, bool):
        renormalize = family.renormalize
    else:
        renormalize = bool(_get(config, family.renormalize, False))
    if family.rule == SIGMOID_GROUP_TOPK:
        return RoutingParams(
            family.rule,
            num_experts,
            top_k,
            renormalize,
            n_group=int(_get(config, "n_group", 1) or 1),
            topk_group=int(_get(config, "topk_group", 1) or 1),
            routed_scaling_factor=float(_get(config, "routed_scaling_factor", 1.0) or 1.0),
        )
    return RoutingParams(family.rule, num_experts, top_k, renormalize)


# Configs for --random-init by name. The tiny ones run on a CPU in a second; "olmoe-1b-7b" has the
# shape of allenai/OLMoE-1B-7B-0924 (6.9 B parameters, 13.8 GB in bf16) for the benchmark.
_TINY_COMMON = {
    "vocab_size": 1024,
    "hidden_size": 64,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 1024,
    "tie_word_embeddings": False,
}

PRESETS: dict[str, dict[str, Any]] = {
    "tiny-mixtral": {
        "model_type": "mixtral",
        **_TINY_COMMON,
        "intermediate_size": 96,
        "num_hidden_layers": 2,
        "num_local_experts": 8,
        "num_experts_per_tok": 2,
    },
    "tiny-qwen2-moe": {
        "model_type": "qwen2_moe",
        **_TINY_COMMON,
        "intermediate_size": 128,
        "moe_intermediate_size": 32,
        "shared_expert_intermediate_size": 64,
        "num_hidden_layers": 3,
        "num_experts": 8,
        "num_experts_per_tok": 2,
        "norm_topk_prob": False,
        "decoder_sparse_step": 1,
        # The middle layer is a dense MLP, so the dense-layer reporting is exercised.
        "mlp_only_layers": [1],
    },
    "tiny-qwen3-moe": {
        "model_type": "qwen3_moe",
        **_TINY_COMMON,
        "head_dim": 16,
        "intermediate_size": 128,
        "moe_intermediate_size": 32,
        "num_hidden_layers": 2,
        "num_experts": 8,
        "num_experts_per_tok": 2,
        "norm_topk_prob": True,
        "decoder_sparse_step": 1,
        "mlp_only_layers": [],
    },
    "tiny-olmoe": {
        "model_type": "olmoe",
        **_TINY_COMMON,
        "intermediate_size": 32,
        "num_hidden_layers": 2,
        "num_experts": 8,
        "num_experts_per_tok": 2,
        "norm_topk_prob": False,
    },
    "tiny-deepseek-v3": {
        "model_type": "deepseek_v3",
        **_TINY_COMMON,
        "num_key_value_heads": 4,
        "intermediate_size": 128,
        "moe_intermediate_size": 32,
        "num_hidden_layers": 3,
        "first_k_dense_replace": 1,
        "n_routed_experts": 16,
        "n_shared_experts": 1,
        "num_experts_per_tok": 4,
        "n_group": 4,
        "topk_group": 2,
        "norm_topk_prob": True,
        "routed_scaling_factor": 2.5,
        "q_lora_rank": 32,
        "kv_lora_rank": 16,
        "qk_rope_head_dim": 8,
        "qk_nope_head_dim": 8,
        "v_head_dim": 16,
    },
    "tiny-gpt-oss": {
        "model_type": "gpt_oss",
        **_TINY_COMMON,
        "head_dim": 16,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_local_experts": 8,
        "num_experts_per_tok": 2,
        "sliding_window": 16,
        "layer_types": ["sliding_attention", "full_attention"],
        # GPT-OSS's YaRN rope scaling expects its own long context length.
        "max_position_embeddings": 131072,
    },
    "olmoe-1b-7b": {
        "model_type": "olmoe",
        "vocab_size": 50304,
        "hidden_size": 2048,
        "intermediate_size": 1024,
        "num_hidden_layers": 16,
        "num_attention_heads": 16,
        "num_key_value_heads": 16,
        "num_experts": 64,
        "num_experts_per_tok": 8,
        "norm_topk_prob": False,
        "max_position_embeddings": 4096,
        "rope_theta": 10000.0,
        "tie_word_embeddings": False,
    },
}

TINY_PRESETS = tuple(name for name in PRESETS if name.startswith("tiny-"))
