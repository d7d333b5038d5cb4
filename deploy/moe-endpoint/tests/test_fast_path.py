"""The GPU fast path: the static experts forward computes what the model's own experts forward
does, and CUDA-graph replays report the same routing as the eager path."""

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from moe_endpoint.engine import Engine, load  # noqa: E402
from moe_endpoint.families import TINY_PRESETS  # noqa: E402
from moe_endpoint.fast_path import _patchable, patch_experts, static_experts_forward, unpatch_experts  # noqa: E402
from moe_endpoint.settings import Settings  # noqa: E402

PROMPT = "Routing can send a rephrased prompt to different experts, and latency varies under uneven expert load."

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.parametrize("preset", TINY_PRESETS)
@pytest.mark.parametrize("tokens", [1, 3, 40])
def test_static_experts_forward_matches_the_models_own(preset, tokens):
    loaded = load(Settings(random_init=preset, device="cpu", dtype="float32", fast_path="off"))
    engine = Engine(loaded, max_prompt_tokens=64, fast_path="off")
    fused = [s for s in engine.layout.sites if _patchable(s.experts)]
    if not fused:
        pytest.skip("this transformers version keeps experts as a list of modules (the fast path leaves them alone)")
    generator = torch.Generator().manual_seed(tokens)
    hidden = int(loaded.config.hidden_size)
    for site in fused:
        x = torch.randn(tokens, hidden, generator=generator)
        index = torch.stack([torch.randperm(site.num_experts, generator=generator)[: site.top_k] for _ in range(tokens)])
        weights = torch.rand(tokens, site.top_k, generator=generator)
        with torch.inference_mode():
            want = site.experts(x, index, weights)
            got = static_experts_forward(site.experts, x, index, weights)
        assert got.numel() == want.numel()
        assert torch.allclose(got.reshape(want.shape), want, atol=1e-5, rtol=1e-4)
    assert patch_experts(engine.layout, hidden) == len(fused)
    unpatch_experts(engine.layout)


@pytest.mark.parametrize("preset", TINY_PRESETS)
def test_a_model_with_the_static_experts_forward_routes_as_before(preset):
    loaded = load(Settings(random_init=preset, device="cpu", dtype="float32", fast_path="off"))
    engine = Engine(loaded, max_prompt_tokens=128, fast_path="off")
    if not patch_experts(engine.layout, int(loaded.config.hidden_size)):
        pytest.skip("this transformers version keeps experts as a list of modules (the fast path leaves them alone)")
    patched = engine.route(PROMPT, 2, lambda: False)
    unpatch_experts(engine.layout)
    original = engine.route(PROMPT, 2, lambda: False)
    assert [t["id"] for t in patched["tokens"]] == [t["id"] for t in original["tokens"]]
    for a, b in zip(patched["routing"], original["routing"]):
        assert a["experts"] == b["experts"]
        flat = lambda rows: [w for row in rows for w in row]  # noqa: E731
        assert flat(a["weights"]) == pytest.approx(flat(b["weights"]), abs=1e-4)


@cuda
@pytest.mark.parametrize("preset", TINY_PRESETS)
def test_graph_replays_report_what_the_eager_path_reports(preset):
    loaded = load(Settings(random_init=preset, device="cuda", dtype="float32"))
    engine = Engine(loaded, max_prompt_tokens=128, fast_path="auto")
    if engine.graphs is None:
        assert not any(_patchable(s.experts) for s in engine.layout.sites), "fused experts but no graph captured"
        pytest.skip("no CUDA graph for this transformers version's experts loop; eager is used")
    fast = engine.route(PROMPT, 0, lambda: False)
    assert fast["execution"] == "cuda_graph"
    graphs, engine.graphs = engine.graphs, None
    slow = engine.route(PROMPT, 0, lambda: False)
    engine.graphs = graphs
    assert slow["execution"] == "eager"
    same = total = 0
    for a, b in zip(fast["routing"], slow["routing"]):
        for row_a, row_b in zip(a["experts"], b["experts"]):
            total += 1
            same += sorted(row_a) == sorted(row_b)
    # Padding changes kernel shapes, so float rounding may flip a near tie; nothing more.
    assert same / total >= 0.97
    assert [sorted(r) for r in fast["routing"][0]["experts"]] == [sorted(r) for r in slow["routing"][0]["experts"]]


@cuda
def test_generation_on_the_gpu_uses_the_eager_path_and_captures_every_token():
    loaded = load(Settings(random_init="tiny-olmoe", device="cuda"))
    engine = Engine(loaded, max_prompt_tokens=128, fast_path="auto")
    result = engine.route(PROMPT, 4, lambda: False)
    assert result["execution"] == "eager"
    assert sum(t["generated"] for t in result["tokens"]) == 4
    assert all(len(layer["experts"]) == len(result["tokens"]) for layer in result["routing"])
