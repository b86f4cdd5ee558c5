"""Commands of the study-file group (registered by `cnsrwe.cli`)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
    del app
