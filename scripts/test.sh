#!/usr/bin/env bash
# `npm test`: everything CI checks, from a fresh clone on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm packages exactly as locked, whenever node_modules is missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# The real VS Code (code-server), Chromium and the browser driver for the end-to-end tests.
bash test/e2e/setup.sh
# Slurm and munge for the Slurm executor's tests (each test file starts and stops its cluster).
bash test/slurm/setup.sh

npm run lint
npm run build
npm run test:unit
# The VSIX as users get it (production bundle), then what is inside it.
npm run package
node --import tsx --test --test-reporter=spec test/package/*.test.ts
# The VSIX installed in code-server, driven through Chromium; screenshots in test-results/.
node --import tsx --test --test-concurrency=1 --test-reporter=spec test/e2e/*.e2e.ts
