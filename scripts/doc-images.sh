#!/usr/bin/env bash
# Redraws the example images in docs/images from the tests that draw them with real data (a year
# of answers given through the bot for the /stats card, twelve learners for the leaderboard card,
# the seeded answers of the question analysis): look at them before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
WRITE_DOCS_IMAGES=1 npx vitest run tests/stats-card.test.ts tests/leaderboard-card.test.ts tests/question-analysis.test.ts
git status --short docs/images
