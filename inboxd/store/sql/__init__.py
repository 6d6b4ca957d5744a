"""Named SQL queries, kept in ``.sql`` files beside this module."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_NAME = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


def read(filename: str) -> str:
    return resources.files(__package__).joinpath(filename).read_text(encoding="utf-8")


@cache
def queries(filename: str) -> dict[str, str]:
    """The queries of a file, by the name in their ``-- name: x`` header."""
    parts = _NAME.split(read(filename))
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}
