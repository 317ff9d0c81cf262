"""Handing a prepared process to Streamlit's own command line (``cxdash serve``), which runs the entry script
in the package (:data:`APP_SCRIPT`), so an installed cxdash serves the same app as a checkout."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REFUSED_EXIT = 2
APP_SCRIPT = Path(__file__).resolve().parent.parent / "app.py"


def local_mode_notice(address: str | None, signin: bool, allowed: bool) -> tuple[bool, str | None]:
    """What start-up says about local mode: ``(refuse to start, message for stderr or None)``.

    Local mode (no ``[auth]`` section) makes everyone who reaches the server an admin, so on a network address
    (an unset address means every interface) it refuses to start unless ``CXDASH_ALLOW_LOCAL_MODE_ON_NETWORK``
    allows it, and then warns.
    """
    # why: the frame imports Streamlit's runtime; ``serve`` loads this module before Streamlit reads its options
    from cxdash.ui.frame import ALLOW_LOCAL_ENV, is_loopback

    where = address or "every network interface (0.0.0.0)"
    if signin or (address and is_loopback(address)):
        return False, None
    if not allowed:
        return True, (
            f"cxdash: REFUSED: local mode (no sign-in configured) would serve on {where}, and everyone who reaches "
            "it would be an admin. Configure sign-in (an [auth] section in .streamlit/secrets.toml, see "
            "docs/deployment.md), serve on localhost (--server.address localhost), or set "
            f"{ALLOW_LOCAL_ENV}=1 to allow it."
        )
    return False, (
        f"cxdash: WARNING: local mode (no sign-in) serves on {where} because {ALLOW_LOCAL_ENV} is set: EVERYONE "
        "WHO REACHES THIS SERVER IS AN ADMIN."
    )


def _check_local_mode() -> None:
    """Called once Streamlit's options are loaded, before the server starts: say so loudly, or refuse."""
    import os

    from streamlit import config

    # why: the frame imports Streamlit's runtime, which must come after Streamlit loaded its own options
    from cxdash.ui.frame import ALLOW_LOCAL_ENV, _truthy, auth_configured

    address = config.get_option("server.address")
    refuse, message = local_mode_notice(str(address) if address else None, auth_configured(),
                                        _truthy(os.environ.get(ALLOW_LOCAL_ENV)))
    if message:
        print(message, file=sys.stderr, flush=True)
    if refuse:
        raise SystemExit(REFUSED_EXIT)


def run_streamlit(options: Sequence[str]) -> int:
    """Run ``streamlit run cxdash/app.py`` with ``options`` in this process; returns when the server stops.

    Local mode on a network address is refused here, before the server listens (see :func:`local_mode_notice`).
    """
    from streamlit.web import bootstrap
    from streamlit.web import cli as streamlit_cli

    start = bootstrap.run

    def checked_run(*args: Any, **kwargs: Any) -> Any:
        _check_local_mode()
        return start(*args, **kwargs)

    bootstrap.run = checked_run  # type: ignore[assignment]
    sys.argv = ["streamlit", "run", str(APP_SCRIPT), *options]
    try:
        return int(streamlit_cli.main() or 0)
    finally:
        bootstrap.run = start  # type: ignore[assignment]
