// The client's choice of command, with `vscode` and the language client replaced by stand-ins:
// `node --test tests/` (npm test). The setting wins, then the workspace's own virtual
// environment (bin/jixiao, or Scripts\jixiao.exe on Windows), then `jixiao` on the PATH; a
// command that cannot start is said, with how to fix it.
"use strict";

const assert = require("node:assert");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const Module = require("node:module");
const { test } = require("node:test");

function load({ settings = {}, folder, fails = false, platform = process.platform }) {
  const seen = { clients: [], errors: [] };
  const vscode = {
    workspace: {
      getConfiguration: () => ({ get: (key) => settings[key] }),
      workspaceFolders: folder ? [{ uri: { fsPath: folder } }] : undefined,
      createFileSystemWatcher: () => ({}),
    },
    window: { showErrorMessage: (message) => seen.errors.push(message) },
  };
  class LanguageClient {
    constructor(id, name, server, options) {
      seen.clients.push({ id, server, options });
    }
    start() {
      return fails ? Promise.reject(new Error("spawn jixiao ENOENT")) : Promise.resolve();
    }
    stop() {
      return Promise.resolve();
    }
  }
  const original = Module._load;
  Module._load = function (request, ...rest) {
    if (request === "vscode") return vscode;
    if (request === "vscode-languageclient/node") return { LanguageClient };
    return original.call(this, request, ...rest);
  };
  const real = Object.getOwnPropertyDescriptor(process, "platform");
  Object.defineProperty(process, "platform", { value: platform });
  const file = require.resolve("../extension.js");
  delete require.cache[file];
  try {
    return { extension: require(file), seen };
  } finally {
    Module._load = original;
    Object.defineProperty(process, "platform", real);
  }
}

async function started(options) {
  const { extension, seen } = load(options);
  const real = Object.getOwnPropertyDescriptor(process, "platform");
  Object.defineProperty(process, "platform", { value: options.platform || process.platform });
  try {
    await extension.activate({ subscriptions: [] });
  } finally {
    Object.defineProperty(process, "platform", real);
  }
  return seen;
}

function venv(parts) {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "jixiao-ext-"));
  fs.mkdirSync(path.join(folder, ...parts.slice(0, -1)), { recursive: true });
  fs.writeFileSync(path.join(folder, ...parts), "");
  return folder;
}

test("the setting names the command, and its arguments follow `lsp`", async () => {
  const seen = await started({
    settings: { "server.path": "/opt/packs/.venv/bin/jixiao", "server.args": ["--import-path", "t"] },
  });
  const [client] = seen.clients;
  assert.strictEqual(client.server.run.command, "/opt/packs/.venv/bin/jixiao");
  assert.deepStrictEqual(client.server.run.args, ["lsp", "--import-path", "t"]);
  assert.deepStrictEqual(client.options.documentSelector[0], { scheme: "file", language: "jixiao" });
});

test("without a setting, the workspace's .venv/bin/jixiao", async () => {
  const folder = venv([".venv", "bin", "jixiao"]);
  const seen = await started({ folder, platform: "linux" });
  assert.strictEqual(seen.clients[0].server.run.command, path.join(folder, ".venv", "bin", "jixiao"));
});

test("on Windows, the workspace's .venv\\Scripts\\jixiao.exe", async () => {
  const folder = venv([".venv", "Scripts", "jixiao.exe"]);
  const seen = await started({ folder, platform: "win32" });
  assert.strictEqual(
    seen.clients[0].server.run.command,
    path.join(folder, ".venv", "Scripts", "jixiao.exe")
  );
});

test("else `jixiao` on the PATH", async () => {
  const seen = await started({ folder: fs.mkdtempSync(path.join(os.tmpdir(), "jixiao-ext-")) });
  assert.strictEqual(seen.clients[0].server.run.command, "jixiao");
});

test("a command that cannot start is said, with the fix", async () => {
  const seen = await started({ fails: true });
  assert.strictEqual(seen.errors.length, 1);
  assert.match(seen.errors[0], /could not start `jixiao lsp`/);
  assert.match(seen.errors[0], /pip install 'jixiao\[lsp\]'/);
  assert.match(seen.errors[0], /jixiao\.server\.path/);
  assert.match(seen.errors[0], /\.venv\\Scripts\\jixiao\.exe/);
});
