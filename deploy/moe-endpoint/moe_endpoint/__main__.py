"""python -m moe_endpoint --model allenai/OLMoE-1B-7B-0924 (or --random-init tiny-olmoe)."""

from __future__ import annotations

import logging
import signal
import sys
import threading

from .server import Api, EngineSlot, make_http_server
from .settings import SettingsError, parse_settings
from .work_queue import WorkQueue

log = logging.getLogger("moe_endpoint")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = parse_settings(argv)
    except SettingsError as err:
        print(f"moe-endpoint: {err}", file=sys.stderr)
        return 2

    slot = EngineSlot()
    work = WorkQueue(settings.queue_size)
    api = Api(settings, slot, work)
    server = make_http_server(api, settings.host, settings.port)
    host, port = server.server_address[:2]
    log.info("listening on http://%s:%s (model %s; loading in the background)", host, port, settings.model_name)

    def load() -> None:
        try:
            from .engine import Engine, load as load_model

            loaded = load_model(settings)
            engine = Engine(loaded, settings.max_prompt_tokens, settings.fast_path)
            slot.set(engine)
            d = engine.describe()
            log.info(
                "ready: %s (%s), %d MoE layers x %d experts, top-%d, on %s",
                d["model"], d["family"], len(d["moe_layers"]), d["experts"], d["top_k"], d["device"],
            )
        except Exception as err:  # noqa: BLE001 - reported by /v1/health and every request
            log.exception("the model failed to load")
            slot.fail(f"{type(err).__name__}: {err}")

    threading.Thread(target=load, name="moe-load", daemon=True).start()

    def stop(_signum, _frame) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
