"""The HTTP rules without a model: a stand-in engine behind the real Api, queue and HTTP server."""

import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from moe_endpoint.errors import PromptTooLong
from moe_endpoint.protocol import first_error, layer_routing
from moe_endpoint.server import Api, EngineSlot, make_http_server
from moe_endpoint.settings import Settings
from moe_endpoint.work_queue import WorkQueue

TOKEN = "t0ken"


# The fields every routing answer of the stand-in model starts with.
HEADER = {
    "protocol_version": 1,
    "model": "stand-in",
    "family": "olmoe",
    "random_weights": True,
    "experts": 4,
    "top_k": 2,
}


class StandInEngine:
    """Answers like the real engine; `gate` holds requests until released, `fail` raises."""

    def __init__(self):
        self.gate = threading.Event()
        self.gate.set()
        self.fail = None
        self.calls = 0

    def describe(self):
        return {
            "protocol_version": 1,
            "model": "stand-in",
            "family": "olmoe",
            "model_type": "olmoe",
            "random_weights": True,
            "layers": 2,
            "moe_layers": [0, 1],
            "dense_layers": [],
            "experts": 4,
            "top_k": 2,
            "shared_experts": 0,
            "routing": {"rule": "softmax_topk", "renormalize": False, "weight_sum": None, "description": "d"},
            "parameters": {"total": 100, "active": 60},
            "dtype": "float32",
            "device": "cpu",
        }

    def _wait(self, should_stop):
        self.calls += 1
        while not self.gate.wait(0.01):
            if should_stop():
                from moe_endpoint.errors import Stopped

                raise Stopped()
        if self.fail:
            raise self.fail

    def route(self, prompt, max_new_tokens, should_stop):
        self._wait(should_stop)
        words = prompt.split()
        if len(words) > 50:
            raise PromptTooLong(len(words), 50)
        n = len(words) + max_new_tokens
        experts = [[i % 4, (i + 1) % 4] for i in range(n)]
        weights = [[0.6, 0.3] for _ in range(n)]
        return {
            **HEADER,
            "shared_experts": 0,
            "tokens": [{"index": i, "id": i + 2, "text": f"w{i}", "generated": i >= len(words)} for i in range(n)],
            "moe_layers": [0, 1],
            "dense_layers": [],
            "routing": [layer_routing(l, experts, weights, 4) for l in (0, 1)],
            "timings": {"tokenize_ms": 0.1, "forward_ms": 1.0},
            "device": "cpu",
            "execution": "eager",
        }

    def compare(self, prompts, should_stop):
        self._wait(should_stop)
        return {
            **HEADER,
            "prompts": [{"tokens": p.split()} for p in prompts],
            "layers": [{"layer": 0, "jaccard": 1.0, "load_overlap": 1.0, "experts_a": 2, "experts_b": 2, "shared": 2}],
            "mean_jaccard": 1.0,
            "mean_load_overlap": 1.0,
            "timings": {"tokenize_ms": 0.1, "forward_ms": 1.0},
            "device": "cpu",
            "execution": "eager",
        }


@pytest.fixture
def api():
    settings = Settings(random_init="stand-in", api_token=TOKEN, max_prompt_chars=200, max_new_tokens=4, queue_size=1, request_timeout_s=0.5)
    slot = EngineSlot()
    engine = StandInEngine()
    slot.set(engine)
    work = WorkQueue(settings.queue_size)
    yield Api(settings, slot, work), engine
    engine.gate.set()
    work.close()


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def post(api, path, body, headers=AUTH):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api.handle("POST", path, headers, raw)


def test_route_answers_in_the_protocol(api):
    api, _ = api
    r = post(api, "/v1/route", {"prompt": "which expert fired", "max_new_tokens": 1})
    assert r.status == 200
    assert first_error("RouteResponse", r.body) is None
    assert len(r.body["tokens"]) == 4
    assert r.body["timings"]["total_ms"] >= r.body["timings"]["queue_ms"] >= 0


def test_model_and_compare_and_health(api):
    api, _ = api
    model = api.handle("GET", "/v1/model", AUTH, b"")
    assert model.status == 200 and first_error("ModelResponse", model.body) is None
    assert model.body["limits"]["max_new_tokens"] == 4
    compare = post(api, "/v1/compare", {"prompts": ["a b", "a c"]})
    assert compare.status == 200 and first_error("CompareResponse", compare.body) is None
    health = api.handle("GET", "/v1/health", {}, b"")
    assert health.status == 200 and first_error("HealthResponse", health.body) is None


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {TOKEN}"}, {"Authorization": TOKEN}],
)
def test_the_bearer_token_is_required(api, headers):
    api, engine = api
    r = post(api, "/v1/route", {"prompt": "hi"}, headers=headers)
    assert r.status == 401
    assert r.body["error"]["code"] == "unauthorized"
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert engine.calls == 0


def test_bad_requests_get_clear_answers(api):
    api, engine = api
    cases = [
        (post(api, "/v1/route", b"{not json"), 400, "bad_request", "not valid JSON"),
        (post(api, "/v1/route", {"prompt": ""}), 400, "bad_request", "prompt: minLength"),
        (post(api, "/v1/route", {"prompt": "hi", "top_p": 1}), 400, "bad_request", "unknown field"),
        (post(api, "/v1/route", {"prompt": "hi", "max_new_tokens": 5}), 400, "bad_request", "at most 4"),
        (post(api, "/v1/route", {"prompt": "x" * 201}), 413, "prompt_too_long", "201 characters; the limit is 200"),
        (post(api, "/v1/compare", {"prompts": ["a", "y" * 300]}), 413, "prompt_too_long", "prompts.1 has 300"),
        (post(api, "/v1/route", {"prompt": "w " * 60}), 413, "prompt_too_long", "60 tokens long"),
        (post(api, "/v1/route", b"x" * (65 * 1024)), 413, "payload_too_large", "KiB"),
        (api.handle("GET", "/v1/route", AUTH, b""), 405, "method_not_allowed", "takes POST"),
        (api.handle("GET", "/v2/route", AUTH, b""), 404, "not_found", "no such endpoint"),
    ]
    for response, status, code, text in cases:
        assert response.status == status, response.body
        assert response.body["error"]["code"] == code
        assert text in response.body["error"]["message"]
        assert first_error("ErrorResponse", response.body) is None
    assert engine.calls == 1  # only the prompt that reached the tokenizer


def test_a_full_queue_answers_429_at_once(api):
    api, engine = api
    engine.gate.clear()
    results = {}

    def send(name):
        results[name] = post(api, "/v1/route", {"prompt": "hi"})

    running = threading.Thread(target=send, args=("running",))
    running.start()
    while engine.calls == 0:
        time.sleep(0.005)
    waiting = threading.Thread(target=send, args=("waiting",))
    waiting.start()
    while api.work.depth() < 2:
        time.sleep(0.005)
    refused = post(api, "/v1/route", {"prompt": "hi"})
    assert refused.status == 429
    assert refused.body["error"]["code"] == "queue_full"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.body["error"]["retry_after_s"] >= 1
    engine.gate.set()
    running.join()
    waiting.join()
    assert results["running"].status == 200 and results["waiting"].status == 200


def test_a_request_that_runs_too_long_gets_504_and_the_worker_moves_on(api):
    api, engine = api
    engine.gate.clear()
    r = post(api, "/v1/route", {"prompt": "hi"})
    assert r.status == 504
    assert r.body["error"]["code"] == "timeout"
    assert "0.5 s" in r.body["error"]["message"]
    engine.gate.set()
    assert post(api, "/v1/route", {"prompt": "hi again"}).status == 200


def test_unexpected_failures_show_a_reference_not_a_trace(api, caplog):
    api, engine = api
    engine.fail = RuntimeError("CUDA error: an illegal memory access at /secret/path.py:12")
    r = post(api, "/v1/route", {"prompt": "hi"})
    assert r.status == 500
    message = r.body["error"]["message"]
    assert message.startswith("internal error (ref ")
    assert "secret" not in json.dumps(r.body) and "Traceback" not in json.dumps(r.body)
    ref = message.split("ref ")[1][:8]
    assert any(ref in rec.getMessage() for rec in caplog.records)


def test_while_loading_everything_but_health_is_503():
    settings = Settings(random_init="x", api_token=TOKEN)
    slot = EngineSlot()
    work = WorkQueue(1)
    try:
        api = Api(settings, slot, work)
        health = api.handle("GET", "/v1/health", {}, b"")
        assert health.status == 503 and health.body["status"] == "loading"
        assert first_error("HealthResponse", health.body) is None
        r = post(api, "/v1/route", {"prompt": "hi"})
        assert r.status == 503 and r.body["error"]["code"] == "loading"
        slot.fail("OSError: no such model")
        assert api.handle("GET", "/v1/health", {}, b"").body["status"] == "error"
        assert "no such model" in post(api, "/v1/route", {"prompt": "hi"}).body["error"]["message"]
    finally:
        work.close()


def test_over_real_http(api):
    api, _ = api
    server = make_http_server(api, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        request = urllib.request.Request(
            base + "/v1/route",
            data=json.dumps({"prompt": "hello world"}).encode(),
            headers={**AUTH, "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/json"
            assert first_error("RouteResponse", json.load(response)) is None
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(urllib.request.Request(base + "/v1/model"), timeout=5)
        assert denied.value.code == 401
        assert json.load(denied.value)["error"]["code"] == "unauthorized"
    finally:
        server.shutdown()
        server.server_close()
