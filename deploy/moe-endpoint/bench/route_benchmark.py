"""Milliseconds per /v1/route for a prompt of N tokens on a GPU, next to the floor and next to
transformers' own paths, in one run.

    python bench/route_benchmark.py                      # OLMoE-1B-7B shape, random weights, 128 tokens
    python bench/route_benchmark.py --config tiny-olmoe --tokens 32 --repeats 5   # a quick smoke run

Figures (medians over --repeats after warm-up; each forward is synchronised before the clock
stops):
- copy_bandwidth_tb_s: device-to-device copy of 1 GiB, counting bytes read plus bytes written.
- floor_ms: every weight the prompt touches (attention, norms, routers, shared and dense MLPs, and
  each expert that at least one token chose) read once at that bandwidth. Embedding rows and
  the LM head are left out: routing does not need logits.
- hf_eager_ms / hf_grouped_mm_ms: the model's own forward (no hooks) with transformers' eager
  experts loop, and with its grouped_mm experts where this transformers version has them, at
  --tokens and at --short-tokens to show how little the time depends on the token count.
- endpoint_eager_ms: the endpoint's eager path (hooks on), forward only.
- route_http_ms: POST /v1/route over loopback HTTP to a server on the fast path (static
  experts + CUDA graphs), client-side round trip; route_forward_ms is the server's forward_ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from moe_endpoint.engine import Engine, device_label, load  # noqa: E402
from moe_endpoint.server import Api, EngineSlot, make_http_server  # noqa: E402
from moe_endpoint.settings import Settings  # noqa: E402
from moe_endpoint.work_queue import WorkQueue  # noqa: E402

WORDS = (
    "experts routers tokens layers gates weights load balance latency memory compute sparse dense "
    "model prompt answer question lesson quiz mixture choose route fire inspect rephrase vary"
).split()


def prompt_of(tokenizer, n: int) -> str:
    """Text that the tokenizer splits into exactly n tokens (its start token included)."""
    words: list[str] = []
    text = ""
    i = 0
    while len(tokenizer.encode(text)[0]) < n:
        words.append(WORDS[i % len(WORDS)])
        i += 1
        text = " ".join(words)
    while len(tokenizer.encode(text)[0]) > n and words:
        words.pop()
        text = " ".join(words)
    return text


def timed(fn, repeats: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def copy_bandwidth(device: torch.device) -> float:
    """Bytes per second of a large device copy, read plus write."""
    n = 1 << 28  # 256 Mi float32 = 1 GiB
    src = torch.empty(n, dtype=torch.float32, device=device)
    dst = torch.empty_like(src)
    for _ in range(3):
        dst.copy_(src)
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    repeats = 20
    start.record()
    for _ in range(repeats):
        dst.copy_(src)
    end.record()
    torch.cuda.synchronize()
    seconds = start.elapsed_time(end) / 1000 / repeats
    del src, dst
    torch.cuda.empty_cache()
    return 2 * n * 4 / seconds


def touched_bytes(engine: Engine, routing: list[dict]) -> int:
    """Bytes of every decoder weight the prompt reads, with unchosen experts left out."""
    from moe_endpoint.capture import decoder_layers

    total = 0
    for layer in decoder_layers(engine.model):
        total += sum(p.numel() * p.element_size() for p in layer.parameters())
    for site, layer in zip(engine.layout.sites, routing):
        expert_bytes = sum(p.numel() * p.element_size() for p in site.experts.parameters()) / site.num_experts
        unused = sum(1 for count in layer["load"] if count == 0)
        total -= int(unused * expert_bytes)
    norm = getattr(engine.decoder, "norm", None)
    if norm is not None:
        total += sum(p.numel() * p.element_size() for p in norm.parameters())
    return total


def set_experts_implementation(model, name: str) -> bool:
    """transformers 5 picks the experts kernel from config._experts_implementation."""
    configs = {id(m.config): m.config for m in model.modules() if hasattr(m, "config") and hasattr(m.config, "_experts_implementation")}
    if not configs:
        return False
    for config in configs.values():
        config._experts_implementation = name
    return True


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", default="olmoe-1b-7b", help="a preset, config.json or hub id (random weights)")
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--short-tokens", type=int, default=32)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args()
    if not torch.cuda.is_available():
        print("route_benchmark: needs a CUDA GPU", file=sys.stderr)
        return 2

    device = torch.device("cuda")
    figures: dict[str, object] = {"device": device_label(device), "config": args.config, "tokens": args.tokens}
    figures["torch"] = torch.__version__
    import transformers

    figures["transformers"] = transformers.__version__
    bandwidth = copy_bandwidth(device)
    figures["copy_bandwidth_tb_s"] = round(bandwidth / 1e12, 3)

    settings = Settings(random_init=args.config, device="cuda", dtype="bfloat16", max_prompt_tokens=max(512, args.tokens), fast_path="off")
    loaded = load(settings)
    eager = Engine(loaded, max_prompt_tokens=settings.max_prompt_tokens, fast_path="off")
    figures["parameters_b"] = round(eager.total_params / 1e9, 3)
    figures["weights_gb"] = round(sum(p.numel() * p.element_size() for p in loaded.model.parameters()) / 1e9, 2)

    prompt = prompt_of(eager.tokenizer, args.tokens)
    short = prompt_of(eager.tokenizer, args.short_tokens)
    ids = torch.tensor([eager.tokenizer.encode(prompt)[0]], device=device)
    short_ids = torch.tensor([eager.tokenizer.encode(short)[0]], device=device)
    assert ids.shape[1] == args.tokens, ids.shape

    routed = eager.route(prompt, 0, lambda: False)
    touched = touched_bytes(eager, routed["routing"])
    figures["touched_gb"] = round(touched / 1e9, 2)
    figures["floor_ms"] = round(touched / bandwidth * 1000, 2)

    def hf_forward(x):
        return lambda: eager.decoder(input_ids=x, use_cache=False)

    with torch.inference_mode():
        set_experts_implementation(loaded.model, "eager")
        figures["hf_eager_ms"] = round(timed(hf_forward(ids), args.repeats), 2)
        figures["hf_eager_short_ms"] = round(timed(hf_forward(short_ids), args.repeats), 2)
        if set_experts_implementation(loaded.model, "grouped_mm"):
            try:
                figures["hf_grouped_mm_ms"] = round(timed(hf_forward(ids), args.repeats), 2)
                figures["hf_grouped_mm_short_ms"] = round(timed(hf_forward(short_ids), args.repeats), 2)
            except Exception as err:  # noqa: BLE001 - reported, not fatal
                figures["hf_grouped_mm_error"] = f"{type(err).__name__}: {err}"[:200]
            set_experts_implementation(loaded.model, "eager")
        else:
            figures["hf_grouped_mm_error"] = "this transformers version has no selectable experts implementation"
    figures["endpoint_eager_ms"] = round(timed(lambda: eager.route(prompt, 0, lambda: False), args.repeats), 2)
    eager.capture.remove()

    t0 = time.perf_counter()
    fast = Engine(loaded, max_prompt_tokens=settings.max_prompt_tokens, fast_path="auto")
    figures["fast_path_setup_s"] = round(time.perf_counter() - t0, 1)
    figures["graph_buckets"] = sorted(fast.graphs.graphs) if fast.graphs else []
    check = fast.route(prompt, 0, lambda: False)
    figures["route_execution"] = check["execution"]
    agree = sum(
        sorted(a) == sorted(b)
        for la, lb in zip(check["routing"], routed["routing"])
        for a, b in zip(la["experts"], lb["experts"])
    )
    figures["fast_vs_eager_same_experts"] = round(agree / (len(check["tokens"]) * len(check["routing"])), 4)

    server_settings = Settings(random_init=args.config, max_prompt_tokens=settings.max_prompt_tokens, api_token="bench")
    slot = EngineSlot()
    slot.set(fast)
    work = WorkQueue(4)
    server = make_http_server(Api(server_settings, slot, work), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1/route"
    body = json.dumps({"prompt": prompt}).encode()
    forward_ms: list[float] = []

    def post():
        request = urllib.request.Request(url, data=body, method="POST", headers={"Authorization": "Bearer bench", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            forward_ms.append(json.load(response)["timings"]["forward_ms"])

    figures["route_http_ms"] = round(timed(post, args.repeats), 2)
    figures["route_forward_ms"] = round(statistics.median(forward_ms[3:]), 2)
    figures["route_over_floor"] = round(figures["route_http_ms"] / figures["floor_ms"], 2)
    server.shutdown()
    work.close()

    rows = [
        ("device", figures["device"]),
        ("model", f"{args.config}: {figures['parameters_b']} B parameters, {figures['weights_gb']} GB"),
        ("copy bandwidth", f"{figures['copy_bandwidth_tb_s']} TB/s"),
        (f"floor ({args.tokens} tokens, {figures['touched_gb']} GB touched)", f"{figures['floor_ms']} ms"),
        (f"transformers eager, {args.tokens} / {args.short_tokens} tokens", f"{figures['hf_eager_ms']} / {figures['hf_eager_short_ms']} ms"),
        (
            f"transformers grouped_mm, {args.tokens} / {args.short_tokens} tokens",
            f"{figures.get('hf_grouped_mm_ms', '-')} / {figures.get('hf_grouped_mm_short_ms', '-')} ms"
            if "hf_grouped_mm_ms" in figures
            else str(figures.get("hf_grouped_mm_error")),
        ),
        ("endpoint eager path (forward)", f"{figures['endpoint_eager_ms']} ms"),
        (f"POST /v1/route, fast path ({figures['route_execution']})", f"{figures['route_http_ms']} ms (forward {figures['route_forward_ms']} ms)"),
        ("/v1/route over the floor", f"{figures['route_over_floor']}x"),
        ("same experts, fast vs eager", f"{figures['fast_vs_eager_same_experts']:.2%}"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")
    print(json.dumps(figures))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
