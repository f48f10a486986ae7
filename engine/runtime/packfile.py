"""Reading a pack file into a `Source`: the pipeline's first step, where every way the file can
fail (not there, a device, too large, not text) becomes a diagnostic."""

from __future__ import annotations

from jixiao.dsl.diagnostics import JixiaoError
from jixiao.dsl.source import DecodeError, Source, decode


def read_pack(path: str) -> Source:
    """Read a pack file, turning every way it can fail into a diagnostic."""
    from . import files

    try:  # a regular file (or a piped standard input) within MAX_TEXT_BYTES, never a device
        data = files.read_given(str(path), files.MAX_TEXT_BYTES, "MAX_TEXT_BYTES")
        text, encoding = decode(data)
        return Source(str(path), text, encoding)
    except (files.FileRefused, DecodeError) as exc:
        from ..common import messages

        if isinstance(exc, files.FileRefused):
            r = exc.refusal
            refused = messages.refused_file(r.kind, str(path), r.text)
            if refused is not None:
                raise JixiaoError([refused]) from None
            why = r.text
        else:
            why = str(exc)
        raise JixiaoError([messages.pack_unreadable(str(path), why)]) from None
