"""The routing rules and the reading of router outputs against the plain-Python reference."""

import pytest

torch = pytest.importorskip("torch")

from moe_endpoint.families import SIGMOID_GROUP_TOPK, SOFTMAX_TOPK, TOPK_SOFTMAX, RoutingParams  # noqa: E402
from moe_endpoint.routing import apply_rule, selection_from_output, sort_by_weight  # noqa: E402

from . import reference_rules as ref  # noqa: E402


def as_dicts(experts, weights):
    return [dict(zip(e, w)) for e, w in zip(experts.tolist(), weights.tolist())]


def assert_same(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert set(g) == set(w)
        for expert in w:
            assert g[expert] == pytest.approx(w[expert], abs=1e-5)


@pytest.fixture
def logits():
    return torch.randn(12, 16, generator=torch.Generator().manual_seed(3))


@pytest.mark.parametrize("renormalize", [True, False])
def test_softmax_topk(logits, renormalize):
    params = RoutingParams(SOFTMAX_TOPK, 16, 4, renormalize)
    experts, weights = apply_rule(logits, params)
    assert_same(as_dicts(experts, weights), [ref.softmax_topk(row, 4, renormalize) for row in logits.tolist()])
    sums = weights.sum(-1)
    if renormalize:
        assert torch.allclose(sums, torch.ones_like(sums), atol=1e-6)
    else:
        assert bool((sums < 1).all())
    assert params.weight_sum() == (1.0 if renormalize else None)


def test_topk_softmax(logits):
    params = RoutingParams(TOPK_SOFTMAX, 16, 4, True)
    experts, weights = apply_rule(logits, params)
    assert_same(as_dicts(experts, weights), [ref.topk_softmax(row, 4) for row in logits.tolist()])
    assert torch.allclose(weights.sum(-1), torch.ones(12), atol=1e-6)


@pytest.mark.parametrize("renormalize", [True, False])
def test_sigmoid_group_topk(logits, renormalize):
    bias = torch.randn(16, generator=torch.Generator().manual_seed(4)) * 0.3
    params = RoutingParams(SIGMOID_GROUP_TOPK, 16, 4, renormalize, n_group=4, topk_group=2, routed_scaling_factor=2.5)
    experts, weights = apply_rule(logits, params, bias)
    want = [ref.sigmoid_group_topk(row, 4, 4, 2, renormalize, 2.5, bias.tolist()) for row in logits.tolist()]
    assert_same(as_dicts(experts, weights), want)
    for row in experts.tolist():  # chosen experts come from at most topk_group groups
        assert len({e // 4 for e in row}) <= 2
    if renormalize:
        assert torch.allclose(weights.sum(-1), torch.full((12,), 2.5), atol=1e-5)


def test_the_correction_bias_picks_but_does_not_weigh():
    logits = torch.zeros(1, 8)
    bias = torch.zeros(8)
    bias[5] = 10.0
    params = RoutingParams(SIGMOID_GROUP_TOPK, 8, 2, False, n_group=1, topk_group=1, routed_scaling_factor=1.0)
    experts, weights = apply_rule(logits, params, bias)
    chosen = dict(zip(experts[0].tolist(), weights[0].tolist()))
    assert 5 in chosen
    assert chosen[5] == pytest.approx(0.5)  # sigmoid(0), not 10.5


def test_router_outputs_of_every_shape_are_read():
    params = RoutingParams(SOFTMAX_TOPK, 8, 2, True)
    idx = torch.tensor([[3, 1], [0, 7]])
    w = torch.tensor([[0.7, 0.3], [0.6, 0.4]])
    dense = torch.zeros(2, 8).scatter_(1, idx, w)
    logits = torch.randn(2, 8)
    for output in [(idx, w), (dense, idx), (logits, w, idx), (logits.to(torch.bfloat16), w.to(torch.bfloat16), idx)]:
        experts, weights = selection_from_output(output, params)
        assert experts.tolist() == idx.tolist()
        assert torch.allclose(weights, w, atol=1e-2)
        assert weights.dtype == torch.float32
    # Bare logits: the family rule decides.
    experts, weights = selection_from_output(logits, params)
    want = apply_rule(logits, params)
    assert torch.equal(experts, want[0]) and torch.allclose(weights, want[1])


def test_when_every_expert_is_chosen_the_weights_are_not_mistaken_for_logits():
    params = RoutingParams(SOFTMAX_TOPK, 2, 2, True)
    logits = torch.tensor([[5.0, -5.0]])
    w = torch.tensor([[0.9, 0.1]])
    idx = torch.tensor([[0, 1]])
    _, weights = selection_from_output((logits, w, idx), params)
    assert weights.tolist() == w.tolist()


def test_sort_by_weight_puts_the_top_expert_first():
    experts, weights = sort_by_weight(torch.tensor([[4, 2, 9]]), torch.tensor([[0.1, 0.7, 0.2]]))
    assert experts.tolist() == [[2, 9, 4]]
    assert weights[0].tolist() == pytest.approx([0.7, 0.2, 0.1])
