"""The demo's servers with real data (filled in with the compute side)."""
from __future__ import annotations

from backend.sandbox.state import State


def seed(state: State) -> None:
    """Proxy servers per AZ, a boot-from-volume instance with two ext4 volumes, an image-booted instance."""
