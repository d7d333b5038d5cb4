"""The wire protocol: the JSON Schema in ../protocol/ and the builders of each response.

The schema file is the one definition both sides check against (the bot validates the same file
in its tests); requests are validated with it before anything reaches the model.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional, Sequence

from . import PROTOCOL_VERSION

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "protocol" / "moe-endpoint.v1.schema.json"

MESSAGES = (
    "ErrorResponse",
    "HealthResponse",
    "ModelResponse",
    "RouteRequest",
    "RouteResponse",
    "CompareRequest",
    "CompareResponse",
)


@lru_cache(maxsize=1)
def load_schema() -> dict:
    with SCHEMA_PATH.open(encoding="utf-8") as f:
        return json.load(f)


@lru_cache(maxsize=None)
def validator(message: str):
    """A jsonschema validator for one message of the protocol (e.g. "RouteRequest")."""
    from jsonschema import Draft202012Validator

    schema = load_schema()
    if message not in schema["$defs"]:
        raise KeyError(f"unknown message {message}")
    root = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{message}"}
    return Draft202012Validator(root)


def first_error(message: str, value: Any) -> Optional[str]:
    """None when value is a valid `message`, else one short sentence naming the field."""
    errors = sorted(validator(message).iter_errors(value), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if not errors:
        return None
    error = errors[0]
    where = ".".join(str(p) for p in error.absolute_path) or "body"
    if error.validator == "additionalProperties":
        return f"{where}: unknown field ({error.message.split('(')[-1].rstrip(')')})"[:200]
    if error.validator == "required":
        return f"{where}: {error.message}"[:200]
    # Keep user text out of the message: name the rule, not the value.
    rule = error.validator
    limit = error.validator_value
    if rule in ("type", "enum", "const"):
        return f"{where}: must be {_describe_type(rule, limit)}"
    if rule in ("minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "exclusiveMinimum"):
        return f"{where}: {rule} is {limit}"
    return f"{where}: does not match the protocol ({rule})"


def _describe_type(rule: str, value: Any) -> str:
    if rule == "type":
        return value if isinstance(value, str) else " or ".join(value)
    if rule == "const":
        return json.dumps(value)
    return "one of " + ", ".join(json.dumps(v) for v in value)


def error_body(code: str, message: str, retry_after_s: Optional[float] = None) -> dict:
    body: dict[str, Any] = {"code": code, "message": message[:500]}
    if retry_after_s is not None:
        body["retry_after_s"] = retry_after_s
    return {"error": body}


def token_entries(ids: Sequence[int], texts: Sequence[str], prompt_length: int) -> list[dict]:
    return [
        {"index": i, "id": int(token_id), "text": text, "generated": i >= prompt_length}
        for i, (token_id, text) in enumerate(zip(ids, texts))
    ]


def layer_routing(layer: int, experts: Sequence[Sequence[int]], weights: Sequence[Sequence[float]], num_experts: int) -> dict:
    """One MoE layer of a route response; experts and weights are per token, highest weight first."""
    from .stats import expert_load

    return {
        "layer": layer,
        "experts": [[int(e) for e in row] for row in experts],
        "weights": [[round(float(w), 5) for w in row] for row in weights],
        "load": expert_load(experts, num_experts),
    }


def timings(queue_ms: float, tokenize_ms: float, forward_ms: float, total_ms: float) -> dict:
    return {
        "queue_ms": round(max(0.0, queue_ms), 3),
        "tokenize_ms": round(max(0.0, tokenize_ms), 3),
        "forward_ms": round(max(0.0, forward_ms), 3),
        "total_ms": round(max(0.0, total_ms), 3),
    }


def base_fields(model: dict) -> dict:
    """The fields every route and compare response repeats from the model description."""
    return {
        "protocol_version": PROTOCOL_VERSION,
        "model": model["model"],
        "family": model["family"],
        "random_weights": model["random_weights"],
        "experts": model["experts"],
        "top_k": model["top_k"],
    }
