"""The moto version the patches are written against, and the guard that refuses any other."""

from __future__ import annotations

import moto

PINNED_MOTO = "5.2.5"


def check_version() -> None:
    if moto.__version__ != PINNED_MOTO:
        raise RuntimeError(
            f"the local mode patches moto {PINNED_MOTO} internals, but moto {moto.__version__} is installed: "
            "install the version pinned in requirements.txt, or update workflow/local/patches/"
        )
