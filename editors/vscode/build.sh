#!/usr/bin/env bash
# Build the extension: install the exact dependencies of package-lock.json, check the grammar
# against its annotated fixtures and the client against stand-ins of VS Code, and package
# `jixiao.vsix` (install it with `code --install-extension jixiao.vsix`). Needs Node.js 18 or
# later and npm.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run --silent test:grammar
npm test --silent
npx vsce package --allow-missing-repository --out jixiao.vsix
