"""The protocol's JSON Schema against the shared samples (the bot's tests read the same file)."""

import json
from pathlib import Path

import pytest

from moe_endpoint.protocol import MESSAGES, SCHEMA_PATH, error_body, first_error, layer_routing, load_schema, timings, token_entries

SAMPLES = json.loads((Path(__file__).resolve().parent.parent / "protocol" / "examples" / "samples.json").read_text())["samples"]


def test_the_schema_is_a_valid_draft_2020_12_schema():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(load_schema())
    assert SCHEMA_PATH.name == "moe-endpoint.v1.schema.json"
    assert set(MESSAGES) <= set(load_schema()["$defs"])


@pytest.mark.parametrize("sample", SAMPLES, ids=[f"{s['message']}: {s['note']}" for s in SAMPLES])
def test_each_sample_is_judged_as_the_samples_file_says(sample):
    problem = first_error(sample["message"], sample["value"])
    assert (problem is None) == sample["valid"], problem


def test_every_message_has_valid_and_invalid_samples():
    for message in MESSAGES:
        kinds = {s["valid"] for s in SAMPLES if s["message"] == message}
        assert kinds == {True, False}, message


def test_problems_name_the_field_and_not_the_users_text():
    problem = first_error("RouteRequest", {"prompt": 42})
    assert problem == "prompt: must be string"
    problem = first_error("RouteRequest", {"prompt": "secret words", "max_new_tokens": "many"})
    assert problem.startswith("max_new_tokens:")
    assert "secret" not in problem


def test_builders_produce_valid_fragments():
    tokens = token_entries([1, 7, 9], ["<s>", "Hi", "!"], prompt_length=2)
    assert [t["generated"] for t in tokens] == [False, False, True]
    layer = layer_routing(3, [[2, 0], [1, 2], [2, 3]], [[0.6, 0.4], [0.5, 0.5], [0.7, 0.3]], num_experts=4)
    assert layer["load"] == [1, 1, 3, 1]
    body = {
        "protocol_version": 1,
        "model": "m",
        "family": "olmoe",
        "random_weights": True,
        "experts": 4,
        "top_k": 2,
        "shared_experts": 0,
        "tokens": tokens,
        "moe_layers": [3],
        "dense_layers": [0, 1, 2],
        "routing": [layer],
        "timings": timings(-1, 0.5, 2, 3),
        "device": "cpu",
        "execution": "eager",
    }
    assert first_error("RouteResponse", body) is None
    assert body["timings"]["queue_ms"] == 0
    assert first_error("ErrorResponse", error_body("timeout", "x" * 900)) is None
