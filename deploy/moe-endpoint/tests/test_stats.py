from moe_endpoint.stats import compare_layers, expert_load, jaccard, load_overlap, mean


def test_expert_load_counts_every_slot():
    assert expert_load([[0, 1], [1, 2], [1, 0]], 4) == [2, 3, 1, 0]


def test_jaccard():
    assert jaccard({1, 2}, {1, 2}) == 1.0
    assert jaccard({1, 2}, {3}) == 0.0
    assert jaccard({1, 2, 3}, {2, 3, 4}) == 0.5
    assert jaccard(set(), set()) == 1.0


def test_load_overlap_is_the_shared_share():
    assert load_overlap([2, 2], [2, 2]) == 1.0
    assert load_overlap([4, 0], [0, 4]) == 0.0
    assert abs(load_overlap([3, 1], [1, 1]) - 0.75) < 1e-9
    assert load_overlap([0, 0], [0, 0]) == 1.0
    assert load_overlap([1, 0], [0, 0]) == 0.0


def test_compare_layers_reports_each_layer():
    a = [[[0, 1], [1, 2]], [[3, 0]]]
    b = [[[0, 1], [1, 2]], [[1, 2]]]
    layers = compare_layers([1, 4], a, b, 4)
    assert layers[0] == {"layer": 1, "jaccard": 1.0, "load_overlap": 1.0, "experts_a": 3, "experts_b": 3, "shared": 3}
    assert layers[1]["layer"] == 4
    assert layers[1]["jaccard"] == 0.0
    assert layers[1]["shared"] == 0
    assert mean([l["jaccard"] for l in layers]) == 0.5
