// The jixiao extension: the TextMate grammar (package.json) highlights `.jx` packs, and this
// client starts `jixiao lsp` for everything else — diagnostics as you type, hover, go to
// definition, references, completion, formatting, the outline and quick fixes.
"use strict";

const fs = require("fs");
const path = require("path");
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

// The command to run: the setting, else the workspace's own virtual environment (where
// `pip install -e '.[lsp]'` puts it), else `jixiao` on the PATH.
function serverCommand() {
  const configured = vscode.workspace.getConfiguration("jixiao").get("server.path");
  if (configured) {
    return configured;
  }
  const windows = process.platform === "win32";
  const local = windows ? [".venv", "Scripts", "jixiao.exe"] : [".venv", "bin", "jixiao"];
  for (const folder of vscode.workspace.workspaceFolders || []) {
    const candidate = path.join(folder.uri.fsPath, ...local);
    if (fs.existsSync(candidate)) {
      return candidate;
    }
  }
  return "jixiao";
}

async function activate(context) {
  const args = ["lsp", ...(vscode.workspace.getConfiguration("jixiao").get("server.args") || [])];
  const command = serverCommand();
  const server = { command, args, options: { env: { ...process.env, PYTHONIOENCODING: "utf-8" } } };
  client = new LanguageClient(
    "jixiao",
    "jixiao",
    { run: server, debug: server },
    {
      documentSelector: [{ scheme: "file", language: "jixiao" }, { scheme: "untitled", language: "jixiao" }],
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.jx") },
    }
  );
  try {
    await client.start();
  } catch (error) {
    vscode.window.showErrorMessage(
      `jixiao: could not start \`${command} lsp\` (${error.message || error}). ` +
        "Install it with `pip install 'jixiao[lsp]'`, or set `jixiao.server.path` to the jixiao " +
        "command of your virtual environment (Windows: .venv\\Scripts\\jixiao.exe)."
    );
  }
  context.subscriptions.push({ dispose: () => client && client.stop() });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
