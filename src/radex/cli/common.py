"""The shared Typer app and the one place RadexError becomes a message and an exit code."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from radex.errors import InputError, NotFoundError, RadexError

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    name="radex",
    help="RADEX: ask questions of your Confluence, and keep it tidy.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, soft_wrap=True)  # an error stays one line


def translate_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn RadexError into a one-line message and a non-zero exit code (2 for bad input)."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except RadexError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
            code = 2 if isinstance(exc, (InputError, NotFoundError)) else 1
            raise typer.Exit(code) from None

    return wrapper
