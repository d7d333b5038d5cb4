#!/usr/bin/env bash
# Redraws the /moe example images in docs/images (the /moe route heatmap with its load bars, the
# /moe domains chart and a /moe quiz question) from deploy/moe-endpoint itself, run on the CPU
# with a randomly initialised model of OLMoE's routing shape (16 MoE layers of 64 experts, top-8)
# but a hidden size of 64, and its built-in word tokenizer: nothing is downloaded. The images say
# "random weights". Look at them before committing.
#
#   PYTHON   an interpreter with deploy/moe-endpoint's requirements (default: the environment that
#            scripts/python-endpoint-tests.sh --env-only builds or reuses)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
if [ -n "${PYTHON:-}" ]; then
  python="$PYTHON"
else
  venv="$(QUIZBOT_REQUIRE_PYTHON=1 bash scripts/python-endpoint-tests.sh --env-only)"
  python="$venv/bin/python"
fi
node scripts/ensure-build.mjs

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/olmoe-shape.json" <<'JSON'
{
  "model_type": "olmoe",
  "vocab_size": 1024,
  "hidden_size": 64,
  "intermediate_size": 32,
  "num_hidden_layers": 16,
  "num_attention_heads": 4,
  "num_key_value_heads": 2,
  "max_position_embeddings": 1024,
  "tie_word_embeddings": false,
  "num_experts": 64,
  "num_experts_per_tok": 8,
  "norm_topk_prob": false
}
JSON

token="$(node -e 'console.log(require("crypto").randomBytes(18).toString("hex"))')"
# Port 0: the endpoint binds a free port itself and names it in its "listening on" line.
(
  cd deploy/moe-endpoint
  HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MOE_API_TOKEN="$token" exec "$python" -m moe_endpoint --random-init "$work/olmoe-shape.json" --device cpu --port 0
) >"$work/endpoint.log" 2>&1 &
pid=$!
port=""
for _ in $(seq 1 120); do
  [ -n "$port" ] || port="$(sed -n 's|.*listening on http://[^:]*:\([0-9]*\).*|\1|p' "$work/endpoint.log" | head -n 1)"
  if [ -n "$port" ] && curl -fsS "http://127.0.0.1:$port/v1/health" 2>/dev/null | grep -q '"ready": *true'; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then cat "$work/endpoint.log" >&2; exit 1; fi
  sleep 1
done

export MOE_ENDPOINT_URL="http://127.0.0.1:$port" MOE_API_TOKEN="$token" CONTENT_DIR="$root/content" DATABASE_PATH="$work/bot.sqlite" MOE_RATE_LIMIT_PER_MINUTE=100 MOE_TIMEOUT_MS=120000
cli="$root/dist/src/cli.js"
node "$cli" moe route "Which expert fired matters, and it is hard to inspect." --max-new-tokens 3 --out docs/images/moe-heatmap-example.png
node "$cli" moe domains --out docs/images/moe-domains-example.png
(cd "$work" && printf '/moe quiz\n' | node "$cli" chat >"$work/quiz.txt")
cp "$work/data/images/moe-quiz.png" docs/images/moe-quiz-example.png
sed -n '/^Practice/,/^\[1\]/p' "$work/quiz.txt"
git status --short docs/images
