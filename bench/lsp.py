"""`jixiao lsp` on a large pack: the time from an edit (`didChange`) to its diagnostics
(`publishDiagnostics`), and of a hover right after an edit, through a real client over stdio.

    .venv/bin/python bench/lsp.py [--indicators 2000] [--edits 10]

The pack is bench/run.py's generated pack; each edit misspells, then restores, the fact a leaf
reads (alternately: an error appears, then goes), as an author typing would. The figure includes
the server's pause for typing (`DEBOUNCE`), reported beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from lsprotocol import types as lsp  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402
from run import generated_pack  # noqa: E402

from jixiao.engine.lsp.server import DEBOUNCE  # noqa: E402


async def measure(indicators: int, edits: int) -> None:
    client = LanguageClient("bench", "1")
    arrived: asyncio.Queue[tuple[float, lsp.PublishDiagnosticsParams]] = asyncio.Queue()

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def publish(params: lsp.PublishDiagnosticsParams) -> None:
        arrived.put_nowait((time.perf_counter(), params))

    await client.start_io(sys.executable, "-m", "jixiao.engine.cli", "lsp")
    await client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
    client.initialized(lsp.InitializedParams())
    text = generated_pack(indicators)
    with tempfile.TemporaryDirectory() as tmp:
        uri = (Path(tmp) / "generated.jx").as_uri()
        start = time.perf_counter()
        item = lsp.TextDocumentItem(uri=uri, language_id="jixiao", version=1, text=text)
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(item))
        done, first = await arrived.get()
        print(f"{indicators:,} indicators, {len(text):,} characters")
        print(f"open → diagnostics: {done - start:.3f} s ({len(first.diagnostics)} diagnostics)")
        times, hovers = [], []
        for version in range(2, edits + 2):
            changed = text.replace("proportional 率", "proportional 律", 1) if version % 2 else text
            sent = time.perf_counter()
            client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    lsp.VersionedTextDocumentIdentifier(version=version, uri=uri),
                    [lsp.TextDocumentContentChangeWholeDocument(changed)],
                )
            )
            while True:
                done, params = await arrived.get()
                if params.version == version:
                    break
            times.append(done - sent)
            codes = sorted({d.code for d in params.diagnostics if isinstance(d.code, str)})
            assert ("E201" in codes) == bool(version % 2), codes
            asked = time.perf_counter()
            await client.text_document_hover_async(
                lsp.HoverParams(lsp.TextDocumentIdentifier(uri), lsp.Position(1, 6))
            )
            hovers.append(time.perf_counter() - asked)
        print(
            f"didChange → publishDiagnostics over {edits} edits: median "
            f"{statistics.median(times):.3f} s, max {max(times):.3f} s "
            f"(of which {DEBOUNCE} s is the pause for typing)"
        )
        print(f"hover right after: median {statistics.median(hovers) * 1000:.1f} ms")
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--indicators", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(measure(args.indicators, args.edits))


if __name__ == "__main__":
    main()
