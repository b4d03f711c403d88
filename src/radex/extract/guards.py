"""Checks made before any library opens a file: size, emptiness, zip bombs."""

from __future__ import annotations

import io
import zipfile
from typing import NoReturn

from radex.errors import ExtractionError
from radex.extract.model import MIB, Limits

SIZE_SETTING = "RADEX_MAX_IMPORT_SIZE_MB"
MAX_MEMBERS = 10_000
"""Parts a zip container may have; Office files have tens to a few thousand."""
RATIO_FLOOR = 1 * MIB
"""Members (and containers) that unpack to less than this are never called bombs by ratio."""
_ARCHIVES = (".zip", ".jar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".tar", ".zst")


def check_size(size: int, limits: Limits) -> None:
    """Refuse empty files and files over ``max_bytes``, saying how to raise the limit."""
    if size == 0:
        raise ExtractionError("the file is empty", hint="upload a file with content")
    if size > limits.max_bytes:
        raise ExtractionError(
            f"the file is {_mib(size)}, more than the {_mib(limits.max_bytes)} limit",
            hint=f"split the file, or raise the limit with the setting {SIZE_SETTING}",
        )


def check_zip(data: bytes, limits: Limits, label: str) -> None:
    """Refuse a zip container whose central directory promises a decompression bomb."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise ExtractionError(
            f"the {label} file is truncated or corrupt: {exc}",
            hint="open it in the program that made it and save it again",
        ) from exc
    if len(members) > MAX_MEMBERS:
        _bomb(label, f"it has {len(members):,} parts (at most {MAX_MEMBERS:,})")
    total = 0
    for member in members:
        name = member.filename.lower()
        if name.endswith(_ARCHIVES):
            _bomb(label, f"it contains a nested archive ({member.filename[:100]})")
        if member.flag_bits & 0x1:
            raise ExtractionError(
                f"the {label} file has encrypted parts",
                hint="save it again without a password",
            )
        total += member.file_size
        if member.file_size > RATIO_FLOOR:
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > limits.max_ratio:
                _bomb(
                    label,
                    f"{member.filename[:100]} unpacks {ratio:,.0f}:1 "
                    f"(at most {limits.max_ratio:g}:1)",
                )
    if total > limits.max_unzipped_bytes:
        _bomb(label, f"it unpacks to {_mib(total)} (at most {_mib(limits.max_unzipped_bytes)})")
    if total > RATIO_FLOOR and total / len(data) > limits.max_ratio:
        _bomb(label, f"it unpacks {total / len(data):,.0f}:1 (at most {limits.max_ratio:g}:1)")


def _bomb(label: str, detail: str) -> NoReturn:
    """Raise the bomb error."""
    raise ExtractionError(
        f"the {label} file looks like a decompression bomb: {detail}",
        hint="if the file is genuine, raise max_ratio or max_unzipped_bytes in the limits",
    )


def _mib(size: int) -> str:
    """A size in MiB for messages."""
    return f"{size / MIB:,.1f} MiB" if size >= MIB // 10 else f"{size:,} bytes"
