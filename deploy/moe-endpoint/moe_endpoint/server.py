"""The HTTP API: /v1/health, /v1/model, /v1/route, /v1/compare.

`Api.handle` is plain Python (method, path, headers, body in; status, headers, JSON out), so the
rules (bearer token, size limits, queue, deadlines, error shapes) are tested without a model;
`serve` puts it behind the standard library's threading HTTP server. Clients never see a stack
trace: unexpected failures are logged with a reference and answered with that reference.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping, Optional, Protocol

from . import PROTOCOL_VERSION
from .errors import PromptTooLong, Stopped
from .protocol import error_body, first_error, timings
from .settings import Settings
from .work_queue import QueueFull, RequestTimeout, WorkQueue

log = logging.getLogger("moe_endpoint")

MAX_BODY_BYTES = 64 * 1024


class Engine(Protocol):
    def describe(self) -> dict: ...

    def route(self, prompt: str, max_new_tokens: int, should_stop: Callable[[], bool]) -> dict: ...

    def compare(self, prompts: list[str], should_stop: Callable[[], bool]) -> dict: ...


@dataclass
class Response:
    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: Optional[dict[str, str]] = None, retry_after_s: Optional[float] = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.retry_after_s = retry_after_s


class EngineSlot:
    """Holds the engine once it has loaded (in the background), or why it failed to."""

    def __init__(self) -> None:
        self._engine: Optional[Engine] = None
        self._error: Optional[str] = None
        self._lock = threading.Lock()

    def set(self, engine: Engine) -> None:
        with self._lock:
            self._engine = engine

    def fail(self, message: str) -> None:
        with self._lock:
            self._error = message

    @property
    def engine(self) -> Optional[Engine]:
        return self._engine

    @property
    def error(self) -> Optional[str]:
        return self._error


class Api:
    def __init__(self, settings: Settings, slot: EngineSlot, work: WorkQueue, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.slot = slot
        self.work = work
        self.clock = clock

    # --- entry point -------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Response:
        started = self.clock()
        try:
            path = path.split("?", 1)[0].rstrip("/") or "/"
            routes = {
                "/v1/health": ("GET", self._health),
                "/v1/model": ("GET", self._model),
                "/v1/route": ("POST", self._route),
                "/v1/compare": ("POST", self._compare),
            }
            if path not in routes:
                raise ApiError(404, "not_found", f"no such endpoint {path[:80]}; see /v1/health, /v1/model, /v1/route, /v1/compare")
            expected, handler = routes[path]
            if method != expected:
                raise ApiError(405, "method_not_allowed", f"{path} takes {expected}", headers={"Allow": expected})
            if path != "/v1/health":
                self._authorize(headers)
            return handler(body, started)
        except ApiError as err:
            return Response(err.status, error_body(err.code, err.message, err.retry_after_s), err.headers)
        except Exception:  # noqa: BLE001 - the client gets a reference, the log gets the trace
            ref = uuid.uuid4().hex[:8]
            log.exception("request failed (ref %s)", ref)
            return Response(500, error_body("internal", f"internal error (ref {ref}); the server log has the details"))

    # --- checks ------------------------------------------------------------------------------

    def _authorize(self, headers: Mapping[str, str]) -> None:
        token = self.settings.api_token
        if not token:
            return
        given = _header(headers, "authorization") or ""
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            raise ApiError(401, "unauthorized", "missing or wrong bearer token (MOE_API_TOKEN)", headers={"WWW-Authenticate": "Bearer"})

    def _engine(self) -> Engine:
        engine = self.slot.engine
        if engine is None:
            if self.slot.error:
                raise ApiError(503, "loading", f"the model failed to load: {self.slot.error}"[:300])
            raise ApiError(503, "loading", "the model is still loading; try again shortly", headers={"Retry-After": "10"}, retry_after_s=10)
        return engine

    def _json(self, body: bytes, message: str) -> dict:
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(413, "payload_too_large", f"the request body is over {MAX_BODY_BYTES // 1024} KiB")
        try:
            value = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ApiError(400, "bad_request", "the body is not valid JSON") from None
        problem = first_error(message, value)
        if problem:
            raise ApiError(400, "bad_request", problem)
        return value

    def _check_prompt(self, prompt: str, name: str = "prompt") -> None:
        limit = self.settings.max_prompt_chars
        if len(prompt) > limit:
            raise ApiError(413, "prompt_too_long", f"{name} has {len(prompt)} characters; the limit is {limit}")

    def _run(self, fn: Callable[[Callable[[], bool]], dict]):
        try:
            return self.work.submit(fn, self.settings.request_timeout_s)
        except QueueFull as full:
            retry = full.retry_after_s
            raise ApiError(
                429,
                "queue_full",
                f"the GPU is busy ({self.work.capacity} requests already waiting); retry in about {retry:g} s",
                headers={"Retry-After": str(int(retry))},
                retry_after_s=retry,
            ) from None
        except (RequestTimeout, Stopped):
            raise ApiError(504, "timeout", f"the request did not finish within {self.settings.request_timeout_s:g} s") from None
        except PromptTooLong as long:
            raise ApiError(413, "prompt_too_long", str(long)) from None

    # --- endpoints ---------------------------------------------------------------------------

    def _health(self, _body: bytes, _started: float) -> Response:
        engine = self.slot.engine
        status = "ok" if engine else ("error" if self.slot.error else "loading")
        body = {
            "status": status,
            "protocol_version": PROTOCOL_VERSION,
            "model": self.settings.model_name,
            "ready": engine is not None,
            "queue": {"depth": self.work.depth(), "capacity": self.work.capacity},
        }
        return Response(200 if engine else 503, body)

    def _limits(self) -> dict:
        s = self.settings
        return {
            "max_prompt_chars": s.max_prompt_chars,
            "max_prompt_tokens": s.max_prompt_tokens,
            "max_new_tokens": s.max_new_tokens,
            "queue_capacity": s.queue_size,
            "request_timeout_s": s.request_timeout_s,
        }

    def _model(self, _body: bytes, _started: float) -> Response:
        return Response(200, {**self._engine().describe(), "limits": self._limits()})

    def _route(self, body: bytes, started: float) -> Response:
        request = self._json(body, "RouteRequest")
        prompt = request["prompt"]
        self._check_prompt(prompt)
        max_new = request.get("max_new_tokens", 0)
        if max_new > self.settings.max_new_tokens:
            raise ApiError(400, "bad_request", f"max_new_tokens: this server allows at most {self.settings.max_new_tokens}")
        engine = self._engine()
        result = self._run(lambda should_stop: engine.route(prompt, max_new, should_stop))
        return Response(200, self._with_timings(result.value, result.queue_ms, started))

    def _compare(self, body: bytes, started: float) -> Response:
        request = self._json(body, "CompareRequest")
        prompts = request["prompts"]
        for i, prompt in enumerate(prompts):
            self._check_prompt(prompt, f"prompts.{i}")
        engine = self._engine()
        result = self._run(lambda should_stop: engine.compare(prompts, should_stop))
        return Response(200, self._with_timings(result.value, result.queue_ms, started))

    def _with_timings(self, value: dict, queue_ms: float, started: float) -> dict:
        measured = value.get("timings") or {}
        total_ms = (self.clock() - started) * 1000
        return {
            **value,
            "timings": timings(queue_ms, measured.get("tokenize_ms", 0.0), measured.get("forward_ms", 0.0), total_ms),
        }


def _header(headers: Mapping[str, str], name: str) -> Optional[str]:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def make_http_server(api: Api, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        server_version = "moe-endpoint/1"
        protocol_version = "HTTP/1.1"

        def _serve(self, method: str) -> None:
            length = self.headers.get("Content-Length")
            body = b""
            try:
                size = int(length) if length else 0
            except ValueError:
                size = -1
            if size < 0:
                response = Response(400, error_body("bad_request", "bad Content-Length"))
            elif size > MAX_BODY_BYTES:
                response = Response(413, error_body("payload_too_large", f"the request body is over {MAX_BODY_BYTES // 1024} KiB"))
                self.close_connection = True
            else:
                body = self.rfile.read(size) if size else b""
                response = api.handle(method, self.path, dict(self.headers.items()), body)
            self._send(response)

        def _send(self, response: Response) -> None:
            payload = json.dumps(response.body, separators=(",", ":")).encode("utf-8")
            try:
                self.send_response(response.status, HTTPStatus(response.status).phrase)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Cache-Control", "no-store")
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its own timeout); nothing to tell it

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def do_PUT(self) -> None:  # noqa: N802
            self._serve("PUT")

        def do_DELETE(self) -> None:  # noqa: N802
            self._serve("DELETE")

        def log_message(self, fmt: str, *args: Any) -> None:
            # Access log without bodies: prompts are the users' text.
            log.info("%s %s", self.address_string(), fmt % args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
