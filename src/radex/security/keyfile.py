"""The vault's key file: JSON of key id → base64 key, mode 0600, written atomically."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from radex.errors import ConfigError

FORMAT_VERSION = 1


def read_key_file(path: Path) -> tuple[str, dict[str, bytes]]:
    """The (current key id, keys) in ``path``; refuses a file group or others can read."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(f"the key file {path} does not exist") from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"the key file {path} is readable by other users, so RADEX will not use it",
            hint=f"chmod 600 {path}",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        current = data["current"]
        keys = {str(k): base64.b64decode(v, validate=True) for k, v in data["keys"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise ConfigError(
            f"the key file {path} is not valid",
            hint='it must be JSON {"current": "<id>", "keys": {"<id>": "<base64>"}}',
        ) from None
    if not isinstance(current, str) or current not in keys:
        raise ConfigError(f"the key file {path} names a current key it does not hold")
    return current, keys


def write_key_file(
    path: Path, current: str, keys: Mapping[str, bytes], *, exclusive: bool = False
) -> bool:
    """Write the key file atomically with mode 0600; with ``exclusive``, never overwrite.

    Returns False when ``exclusive`` and another process created the file first.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    body = {
        "version": FORMAT_VERSION,
        "current": current,
        "keys": {k: base64.b64encode(v).decode("ascii") for k, v in keys.items()},
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(body, out, indent=2, sort_keys=True)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        if not exclusive:
            os.replace(tmp, path)
            return True
        try:
            os.link(tmp, path)  # atomic and refuses to clobber a file another process made
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
