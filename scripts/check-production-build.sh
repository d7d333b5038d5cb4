#!/usr/bin/env bash
# The production steps of deploy/Dockerfile, run without Docker on a copy of the repository:
# build with every dependency, install the runtime dependencies only (`npm ci --omit=dev`), then
# run the compiled bot from dist/ with only the files the runtime image holds: chat, migrate,
# backup, `npm start` without TypeScript, and the image's HEALTHCHECK against a running bot that
# then stops on SIGTERM.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
bot_pid=""
cleanup() {
  if [ -n "$bot_pid" ]; then kill "$bot_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
fail() {
  printf 'FAILED: %s\n' "$*" >&2
  exit 1
}

app="$work/app"
mkdir -p "$app"
step "copy the sources the image build sees (tracked and new files; not node_modules, dist, data, .env)"
cd "$root"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf - | tar -xf - -C "$app"
else
  tar --exclude=./node_modules --exclude=./dist --exclude=./data --exclude=./.env --exclude=./.tmp -cf - . | tar -xf - -C "$app"
fi
cd "$app"

step "build stage: npm run build with all dependencies"
if [ -d "$root/node_modules/typescript" ]; then
  # The repository's node_modules is the result of `npm ci` on the same lockfile: build with it
  # rather than compiling native modules a second time.
  ln -s "$root/node_modules" node_modules
  npm run build --silent
  rm node_modules
else
  npm ci --no-audit --no-fund
  npm run build --silent
  rm -rf node_modules
fi
[ -f dist/src/cli.js ] || fail "dist/src/cli.js was not built"

step "prod-deps stage: npm ci --omit=dev, then the runtime image's files only"
runtime="$work/runtime"
mkdir -p "$runtime/scripts"
cp package.json package-lock.json "$runtime/"
(cd "$runtime" && npm ci --omit=dev --prefer-offline --no-audit --no-fund)
[ ! -e "$runtime/node_modules/typescript" ] || fail "a dev dependency (typescript) is installed"
[ ! -e "$runtime/node_modules/vitest" ] || fail "a dev dependency (vitest) is installed"
# The same files deploy/Dockerfile copies into the runtime image; nothing else.
cp -r dist bin migrations content "$runtime/"
cp scripts/ensure-build.mjs "$runtime/scripts/"
cd "$runtime"

# A clean environment: no platform credentials, the database outside the app directory.
unset DISCORD_TOKEN DISCORD_APPLICATION_ID SLACK_BOT_TOKEN SLACK_APP_TOKEN SLACK_SIGNING_SECRET HTTP_PORT BACKUP_DIR BACKUP_CRON LOG_LEVEL
export NODE_ENV=production
export DATABASE_PATH="$work/data/quizbot.sqlite"

step "node dist/src/cli.js chat with piped input"
out="$(printf '/help\n/lessons\n' | node dist/src/cli.js chat)" || fail "chat exited with $?"
grep -q '^/quiz' <<<"$out" || fail "the chat's /help does not list /quiz: $out"
grep -q 'moe-' <<<"$out" || fail "the chat's /lessons lists no lesson: $out"

step "node dist/src/cli.js migrate"
out="$(node dist/src/cli.js migrate)" || fail "migrate exited with $?"
grep -q 'is up to date' <<<"$out" || fail "migrate said: $out"

step "node dist/src/cli.js backup"
out="$(node dist/src/cli.js backup "$work/backup.sqlite")" || fail "backup exited with $?"
grep -q 'integrity check ok' <<<"$out" || fail "backup said: $out"

step "npm start without TypeScript installed (no rebuild)"
out="$(printf '/help\n' | npm start --silent 2>&1)" || fail "npm start exited with $?: $out"
grep -q '^/quiz' <<<"$out" || fail "npm start did not open the chat: $out"

step "the image's HEALTHCHECK against a running bot, then SIGTERM"
port="$(node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")"
mkfifo "$work/stdin"
HTTP_PORT="$port" node dist/src/cli.js chat <"$work/stdin" >"$work/bot.out" 2>"$work/bot.err" &
bot_pid=$!
exec 3>"$work/stdin" # keep the chat's input open while it runs
healthy=""
for _ in $(seq 1 100); do
  if HTTP_PORT="$port" node -e "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 9090) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then
    healthy=yes
    break
  fi
  sleep 0.2
done
[ -n "$healthy" ] || fail "/healthz never answered 200: $(cat "$work/bot.err")"
node -e "fetch('http://127.0.0.1:$port/metrics').then((r) => r.text()).then((t) => process.exit(t.includes('quizbot_interactions_total') ? 0 : 1), () => process.exit(1))" ||
  fail "/metrics lacks quizbot_interactions_total"
kill -TERM "$bot_pid"
status=0
wait "$bot_pid" || status=$?
bot_pid=""
exec 3>&-
[ "$status" -eq 0 ] || fail "the bot exited with $status after SIGTERM: $(cat "$work/bot.err")"

step "production build OK"
