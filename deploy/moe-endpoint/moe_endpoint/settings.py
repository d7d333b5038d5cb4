"""Settings from the command line, falling back to MOE_* environment variables."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Optional, Sequence


@dataclass(frozen=True)
class Settings:
    model: Optional[str] = None
    random_init: Optional[str] = None
    tokenizer: Optional[str] = None
    host: str = "127.0.0.1"
    port: int = 8000
    api_token: Optional[str] = None
    device: str = "auto"
    dtype: str = "auto"
    max_prompt_chars: int = 2000
    max_prompt_tokens: int = 512
    max_new_tokens: int = 16
    queue_size: int = 4
    request_timeout_s: float = 30.0
    fast_path: str = "auto"
    attn_implementation: Optional[str] = None
    trust_remote_code: bool = False
    seed: int = 0

    @property
    def model_name(self) -> str:
        """The checkpoint, or "random:<config>" (a config file by its name, not its path)."""
        if self.model:
            return self.model
        spec = self.random_init or ""
        return "random:" + (os.path.splitext(os.path.basename(spec))[0] if spec.endswith(".json") else spec)


class SettingsError(Exception):
    pass


def _env(name: str, default: Optional[str] = None) -> Optional[str]:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, value: Optional[str], low: int, high: int) -> int:
    try:
        n = int(str(value))
    except ValueError:
        raise SettingsError(f"{name} must be a whole number (got {value!r})") from None
    if not low <= n <= high:
        raise SettingsError(f"{name} must be between {low} and {high} (got {n})")
    return n


def parse_settings(argv: Optional[Sequence[str]] = None) -> Settings:
    p = argparse.ArgumentParser(
        prog="python -m moe_endpoint",
        description="Serve per-token expert routing of a Hugging Face MoE model over HTTP.",
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument("--model", default=_env("MOE_MODEL"), help="hub id or local path of an MoE checkpoint (MOE_MODEL)")
    source.add_argument(
        "--random-init",
        metavar="CONFIG",
        default=_env("MOE_RANDOM_INIT"),
        help="a randomly initialised model: a preset name (tiny-olmoe, olmoe-1b-7b, ...), a config.json, or a hub id/dir with one",
    )
    p.add_argument("--tokenizer", default=_env("MOE_TOKENIZER"), help="tokenizer for --random-init (default: a built-in word tokenizer)")
    p.add_argument("--host", default=_env("MOE_HOST", "127.0.0.1"))
    p.add_argument("--port", default=_env("MOE_PORT", "8000"))
    p.add_argument("--device", default=_env("MOE_DEVICE", "auto"), help="auto, cuda, cuda:1, cpu")
    p.add_argument("--dtype", default=_env("MOE_DTYPE", "auto"), help="auto (bf16 on GPU, fp32 on CPU), bfloat16, float16, float32")
    p.add_argument("--max-prompt-chars", default=_env("MOE_MAX_PROMPT_CHARS", "2000"))
    p.add_argument("--max-prompt-tokens", default=_env("MOE_MAX_PROMPT_TOKENS", "512"))
    p.add_argument("--max-new-tokens", default=_env("MOE_MAX_NEW_TOKENS", "16"), help="cap on generated tokens per request")
    p.add_argument("--queue-size", default=_env("MOE_QUEUE_SIZE", "4"), help="requests that may wait; more get 429")
    p.add_argument("--request-timeout", default=_env("MOE_REQUEST_TIMEOUT_S", "30"), help="seconds, queueing included")
    p.add_argument("--fast-path", default=_env("MOE_FAST_PATH", "auto"), choices=["auto", "off"], help="CUDA graphs for prompt-only requests")
    p.add_argument("--attn-implementation", default=_env("MOE_ATTN_IMPLEMENTATION"), help="override the attention kernel (sdpa, eager, ...)")
    p.add_argument("--trust-remote-code", action="store_true", default=_env("MOE_TRUST_REMOTE_CODE", "0") == "1")
    p.add_argument("--seed", default=_env("MOE_SEED", "0"), help="seed for --random-init")
    a = p.parse_args(argv)
    if not a.model and not a.random_init:
        raise SettingsError("set MOE_MODEL (or --model) to a hub id or local path, or use --random-init <config>")
    try:
        timeout = float(a.request_timeout)
    except ValueError:
        raise SettingsError(f"MOE_REQUEST_TIMEOUT_S must be a number of seconds (got {a.request_timeout!r})") from None
    if not 0 < timeout <= 600:
        raise SettingsError("MOE_REQUEST_TIMEOUT_S must be between 0 and 600 seconds")
    settings = Settings(
        model=a.model,
        random_init=a.random_init,
        tokenizer=a.tokenizer,
        host=a.host,
        port=_int("MOE_PORT", a.port, 0, 65535),
        api_token=_env("MOE_API_TOKEN"),
        device=a.device,
        dtype=a.dtype,
        max_prompt_chars=_int("MOE_MAX_PROMPT_CHARS", a.max_prompt_chars, 1, 20000),
        max_prompt_tokens=_int("MOE_MAX_PROMPT_TOKENS", a.max_prompt_tokens, 1, 8192),
        max_new_tokens=_int("MOE_MAX_NEW_TOKENS", a.max_new_tokens, 0, 256),
        queue_size=_int("MOE_QUEUE_SIZE", a.queue_size, 1, 1000),
        request_timeout_s=timeout,
        fast_path=a.fast_path,
        attn_implementation=a.attn_implementation,
        trust_remote_code=bool(a.trust_remote_code),
        seed=_int("MOE_SEED", a.seed, 0, 2**31 - 1),
    )
    if not settings.api_token and settings.host not in ("127.0.0.1", "localhost", "::1"):
        raise SettingsError(
            f"MOE_API_TOKEN is not set: refusing to listen on {settings.host} without a token (set one, or listen on 127.0.0.1)"
        )
    return settings
