"""Tiny randomly initialised models of every family: the captured experts are what the family's
rule gives on the router logits (and, where the experts module is called with them, what the
model dispatched), gate weights add up as the family says, dense layers and shared experts are
reported as such, generation is captured, and every answer validates against the protocol.

Runs on CPU in float32 where torch and transformers are installed; test_fast_path.py covers the
GPU path.
"""

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

import torch.nn.functional as F  # noqa: E402

from moe_endpoint.capture import find_layout  # noqa: E402
from moe_endpoint.engine import Engine, load  # noqa: E402
from moe_endpoint.families import TINY_PRESETS, family_for  # noqa: E402
from moe_endpoint.protocol import first_error  # noqa: E402
from moe_endpoint.server import Api, EngineSlot  # noqa: E402
from moe_endpoint.settings import Settings  # noqa: E402
from moe_endpoint.work_queue import WorkQueue  # noqa: E402

from . import reference_rules as ref  # noqa: E402

PROMPT = "Which expert fired matters, and it is hard to inspect."

# What the families promise, written down independently of the code under test.
EXPECTED = {
    "tiny-mixtral": {"family": "mixtral", "weight_sum": 1.0, "dense": [], "shared": 0},
    "tiny-qwen2-moe": {"family": "qwen2_moe", "weight_sum": None, "dense": [1], "shared": 1},
    "tiny-qwen3-moe": {"family": "qwen3_moe", "weight_sum": 1.0, "dense": [], "shared": 0},
    "tiny-olmoe": {"family": "olmoe", "weight_sum": None, "dense": [], "shared": 0},
    "tiny-deepseek-v3": {"family": "deepseek_v3", "weight_sum": 2.5, "dense": [0], "shared": 1},
    "tiny-gpt-oss": {"family": "gpt_oss", "weight_sum": 1.0, "dense": [], "shared": 0},
}


def randomize_routers(model, config, seed):
    """Spread router logits (and biases) so that no two experts tie."""
    generator = torch.Generator().manual_seed(seed)
    layout = find_layout(model, family_for(config.model_type), config)
    with torch.no_grad():
        for site in layout.sites:
            weight = site.router.weight
            weight.copy_(torch.randn(weight.shape, generator=generator) * 0.5)
            bias = getattr(site.router, "bias", None)
            if isinstance(bias, torch.Tensor):
                bias.copy_(torch.randn(bias.shape, generator=generator) * 0.5)
            if site.bias is not None:
                site.bias.copy_(torch.randn(site.bias.shape, generator=generator) * 0.3)


@pytest.fixture(scope="module", params=TINY_PRESETS)
def engine(request):
    settings = Settings(random_init=request.param, device="cpu", dtype="float32", fast_path="off")
    loaded = load(settings)
    randomize_routers(loaded.model, loaded.config, seed=7)
    engine = Engine(loaded, max_prompt_tokens=256, fast_path="off")
    engine.preset = request.param
    return engine


class Recorder:
    """Our own hooks: each router's input (to recompute logits) and what the experts received."""

    def __init__(self, engine):
        self.inputs = [[] for _ in engine.layout.sites]
        self.dispatched = [[] for _ in engine.layout.sites]
        self.handles = []
        for i, site in enumerate(engine.layout.sites):
            self.handles.append(site.router.register_forward_hook(self._router(i)))
            self.handles.append(site.experts.register_forward_pre_hook(self._experts(i), with_kwargs=True))

    def _router(self, i):
        def hook(module, inputs, _output):
            self.inputs[i].append(inputs[0].detach().reshape(-1, inputs[0].shape[-1]).clone())

        return hook

    def _experts(self, i):
        def hook(_module, args, kwargs):
            ints = [t for t in (*args, *kwargs.values()) if isinstance(t, torch.Tensor) and not t.is_floating_point()]
            if ints:
                self.dispatched[i].append(ints[0].reshape(-1, ints[0].shape[-1]).clone())

        return hook

    def remove(self):
        for h in self.handles:
            h.remove()


def reference_choice(engine, site, hidden):
    """The family rule on logits we compute ourselves from the router's weights."""
    router = site.router
    bias = getattr(router, "bias", None)
    logits = F.linear(hidden.float(), router.weight.float(), bias.float() if isinstance(bias, torch.Tensor) else None)
    p = engine.params
    rows = logits.tolist()
    if p.rule == "softmax_topk":
        return [ref.softmax_topk(r, p.top_k, p.renormalize) for r in rows]
    if p.rule == "topk_softmax":
        return [ref.topk_softmax(r, p.top_k) for r in rows]
    if p.rule == "sigmoid_group_topk":
        corr = site.bias.float().tolist() if site.bias is not None else [0.0] * p.num_experts
        return [ref.sigmoid_group_topk(r, p.top_k, p.n_group, p.topk_group, p.renormalize, p.routed_scaling_factor, corr) for r in rows]
    raise AssertionError(p.rule)


def tie_tokens(engine, site, hidden):
    """Tokens whose k-th and (k+1)-th router logits tie: any of the tied experts is a right answer."""
    bias = getattr(site.router, "bias", None)
    logits = F.linear(hidden.float(), site.router.weight.float(), bias.float() if isinstance(bias, torch.Tensor) else None)
    top = logits.topk(engine.params.top_k + 1, dim=-1).values
    return {t for t, row in enumerate(top.tolist()) if abs(row[-2] - row[-1]) < 1e-6}


@pytest.mark.parametrize("max_new_tokens", [0, 2])
def test_captured_experts_follow_the_family_rule(engine, max_new_tokens):
    recorder = Recorder(engine)
    try:
        result = engine.route(PROMPT, max_new_tokens, lambda: False)
    finally:
        recorder.remove()
    tokens = result["tokens"]
    prompt_tokens = sum(1 for t in tokens if not t["generated"])
    assert len(tokens) == prompt_tokens + max_new_tokens
    ties = {}
    for i, (site, layer) in enumerate(zip(engine.layout.sites, result["routing"])):
        assert layer["layer"] == site.layer
        assert len(layer["experts"]) == len(tokens)
        hidden = torch.cat(recorder.inputs[i])
        want = reference_choice(engine, site, hidden)
        ties[i] = tie_tokens(engine, site, hidden)
        assert len(ties[i]) < len(tokens) // 2  # the comparison still covers most tokens
        got = [dict(zip(e, w)) for e, w in zip(layer["experts"], layer["weights"])]
        assert len(got) == len(want)
        for t, (g, w) in enumerate(zip(got, want)):
            if t in ties[i]:
                continue
            assert set(g) == set(w), f"{engine.preset} layer {site.layer} token {t}"
            for expert, weight in w.items():
                assert g[expert] == pytest.approx(weight, abs=1e-4)
        for row_w in layer["weights"]:
            assert row_w == sorted(row_w, reverse=True)  # top-1 first
        assert sum(layer["load"]) == len(tokens) * engine.params.top_k
        if recorder.dispatched[i]:
            # transformers 5 (and GPT-OSS): the experts module received exactly these experts.
            dispatched = torch.cat(recorder.dispatched[i]).sort(dim=-1).values.tolist()
            assert dispatched == [sorted(row) for row in layer["experts"]]


def test_gate_weights_add_up_as_the_family_says(engine):
    expected = EXPECTED[engine.preset]
    assert engine.params.weight_sum() == expected["weight_sum"]
    result = engine.route(PROMPT, 0, lambda: False)
    sums = [sum(row) for layer in result["routing"] for row in layer["weights"]]
    if expected["weight_sum"] is None:
        assert all(0 < s < 1 for s in sums)
    else:
        assert sums == pytest.approx([expected["weight_sum"]] * len(sums), abs=1e-3)


def test_dense_layers_and_shared_experts_are_reported(engine):
    expected = EXPECTED[engine.preset]
    d = engine.describe()
    assert d["family"] == expected["family"]
    assert d["dense_layers"] == expected["dense"]
    assert d["shared_experts"] == expected["shared"]
    assert sorted(d["moe_layers"] + d["dense_layers"]) == list(range(d["layers"]))
    assert d["parameters"]["total"] > d["parameters"]["active"] > 0
    assert d["random_weights"] is True


def test_answers_validate_against_the_protocol(engine):
    settings = Settings(random_init=engine.preset, max_new_tokens=4)
    slot = EngineSlot()
    slot.set(engine)
    work = WorkQueue(2)
    try:
        api = Api(settings, slot, work)
        model = api.handle("GET", "/v1/model", {}, b"")
        assert model.status == 200 and first_error("ModelResponse", model.body) is None
        route = api.handle("POST", "/v1/route", {}, json.dumps({"prompt": PROMPT, "max_new_tokens": 3}).encode())
        assert route.status == 200 and first_error("RouteResponse", route.body) is None
        assert route.body["execution"] == "eager"
        same = api.handle("POST", "/v1/compare", {}, json.dumps({"prompts": [PROMPT, PROMPT]}).encode())
        assert same.status == 200 and first_error("CompareResponse", same.body) is None
        assert all(l["jaccard"] == 1.0 and l["load_overlap"] == 1.0 for l in same.body["layers"])
        other = api.handle("POST", "/v1/compare", {}, json.dumps({"prompts": [PROMPT, "Rephrased: is it hard to see which expert ran?"]}).encode())
        assert other.status == 200 and first_error("CompareResponse", other.body) is None
        assert other.body["mean_jaccard"] <= 1.0
        too_long = api.handle("POST", "/v1/route", {}, json.dumps({"prompt": "word " * 400}).encode())
        assert too_long.status == 413 and too_long.body["error"]["code"] == "prompt_too_long"
    finally:
        work.close()
