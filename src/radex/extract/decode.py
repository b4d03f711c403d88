"""Bytes to text: BOMs, UTF-8, then charset detection (charset-normalizer if installed), latin-1."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SAMPLE = 256 * 1024
_CHAOS_SLACK = 0.02
_PREFERRED = ("cp1252", "cp1251", "cp1250", "iso8859_15", "cp1253", "cp1254", "cp1257")


@dataclass(frozen=True)
class Decoded:
    """Text and the encoding it was read with; ``guessed`` when it was not UTF-8 or a BOM's."""

    text: str
    encoding: str
    guessed: bool = False

    @property
    def warning(self) -> str | None:
        """A line for the extraction's warnings when the encoding was a guess."""
        if not self.guessed:
            return None
        return f"the text is not UTF-8; decoded as {self.encoding} (a guess)"


def bom_encoding(data: bytes) -> tuple[str, int] | None:
    """The encoding a byte-order mark announces and the mark's length, if there is one."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return None


def decode_text(data: bytes) -> Decoded:
    """Decode ``data``: BOM, else strict UTF-8, else detected charset, else latin-1."""
    bom = bom_encoding(data)
    if bom is not None:
        encoding, skip = bom
        return Decoded(data[skip:].decode(encoding, errors="replace"), encoding)
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    detected = _detect(data[:_SAMPLE])
    if detected is not None:
        try:
            return Decoded(data.decode(detected, errors="replace"), detected, guessed=True)
        except LookupError:
            pass
    return Decoded(data.decode("latin-1"), "latin-1", guessed=True)


def is_texty(data: bytes) -> bool:
    """True when ``data`` looks like text in some encoding, not binary (no NULs, few controls)."""
    sample = data[:8192]
    if bom_encoding(sample) is not None:
        return True
    if b"\x00" in sample:
        return False
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls <= len(sample) // 100


def _detect(sample: bytes) -> str | None:
    """The charset charset-normalizer finds most likely, or None (also when not installed)."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - optional dependency
        return None
    matches = list(from_bytes(sample))
    if not matches:
        return None
    # Short samples fit many code pages equally well; among the near-best, prefer common ones.
    calm = min(m.chaos for m in matches) + _CHAOS_SLACK
    near = {m.encoding for m in matches if m.chaos <= calm}
    preferred = next((e for e in _PREFERRED if e in near), None)
    return preferred or str(matches[0].encoding)
