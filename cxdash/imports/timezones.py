"""The time zone of times written without an offset, and turning such local times into naive UTC.

The store keeps timestamps as naive UTC (:mod:`cxdash.service.calendar`). Helpdesk and survey exports usually write
local wall-clock times ("2026-11-20 09:15") with no offset, so an upload says which zone those times are in:
by default the deployment's zone (:func:`deployment_zone`): the ``imports.default_timezone`` setting when an admin
set one, else the zone of the default SLA policy's business calendar (the desk the tickets are measured against),
else UTC. Values that carry an offset or ``Z`` are already absolute and ignore the choice. The same zone names the
local day of a stored UTC time (the sidebar's data span).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from cxdash.audit import record_audit
from cxdash.db import get_setting, put_setting
from cxdash.schema import business_calendar
from cxdash.service.policies import DEFAULT_PRIORITY, list_policies

UTC = "UTC"
# Offered on the upload page (any IANA name works from the CLI and in saved mappings).
COMMON_ZONES = (
    "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Macau", "Asia/Singapore", "Asia/Tokyo", "Asia/Seoul",
    "Asia/Kolkata", "Asia/Dubai", "Australia/Sydney", "UTC", "Europe/London", "Europe/Berlin", "Europe/Paris",
    "Europe/Moscow", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Sao_Paulo",
)


def valid_zone(name: str | None) -> bool:
    """Whether ``name`` is a time zone the system knows (IANA name or ``UTC``)."""
    if not name:
        return False
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


ZONE_SETTING = "imports.default_timezone"
# Why the default zone is what it is (``imports.tz_reason.<reason>`` on the mapping step).
REASONS = ("setting", "sla", "utc")


def deployment_zone(conn: Connection) -> tuple[str, str]:
    """The deployment's local zone and why: ``(zone, reason)`` with ``reason`` one of :data:`REASONS`.

    The ``imports.default_timezone`` setting wins when it names a known zone; else the zone of the default SLA
    policy's calendar (the active priority-only "normal" policy, else the first active policy in the SLA module's
    order); else UTC, so a deployment without SLA policies (no demo) never guesses a zone.
    """
    configured = get_setting(conn, ZONE_SETTING)
    if isinstance(configured, str) and valid_zone(configured):
        return configured, "setting"
    policies = list_policies(conn, active_only=True)
    if not policies:
        return UTC, "utc"
    chosen = next((p for p in policies if p.priority == DEFAULT_PRIORITY and p.specificity == 0), policies[0])
    zone = conn.execute(
        select(business_calendar.c.timezone).where(business_calendar.c.id == chosen.calendar_id)
    ).scalar()
    return (str(zone), "sla") if valid_zone(zone) else (UTC, "utc")


def default_timezone(conn: Connection) -> str:
    """The zone of times without an offset when an upload does not say: :func:`deployment_zone`'s zone."""
    return deployment_zone(conn)[0]


def default_zone(engine: Engine) -> str:
    """:func:`default_timezone` on a connection of its own (for the upload page)."""
    with engine.connect() as conn:
        return default_timezone(conn)


def default_zone_reason(engine: Engine) -> tuple[str, str]:
    """:func:`deployment_zone` on a connection of its own (the upload page shows the reason)."""
    with engine.connect() as conn:
        return deployment_zone(conn)


def set_default_zone(engine: Engine, zone: str | None, actor: str | None = None) -> None:
    """Set the deployment's zone (``None`` or "" forgets it, back to the SLA calendar's zone or UTC), audited.

    Raises:
        ValueError: ``zone`` is not a time zone the system knows.
    """
    if zone and not valid_zone(zone):
        raise ValueError(f"unknown time zone: {zone!r} (use an IANA name such as Asia/Shanghai, or UTC)")
    with engine.begin() as conn:
        put_setting(conn, ZONE_SETTING, zone or None)
        record_audit(conn, actor, "edit_settings", "setting", ZONE_SETTING, {"timezone": zone or None})


def zone_offset(name: str, at: datetime | None = None) -> str:
    """The zone's UTC offset at ``at`` (default now) as ``"UTC+08:00"``."""
    offset = pd.Timestamp(at or datetime.now(), tz=UTC).tz_convert(name).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def local_to_utc(values: pd.Series, zone: str, naive: pd.Series | np.ndarray | None = None) -> pd.Series:
    """Read naive ``datetime64`` values as wall-clock times in ``zone`` and return them as naive UTC.

    Only the rows where ``naive`` is true are converted (default: all); the rest are already UTC. Vectorised and
    DST-safe: a time in the repeated hour of a fall-back is read as the first (daylight-saving) instant, a time in
    the skipped hour of a spring-forward moves on to the first valid instant after the gap.
    """
    if zone == UTC or values.empty:
        return values
    mask = np.ones(len(values), dtype=bool) if naive is None else np.asarray(naive, dtype=bool)
    mask &= values.notna().to_numpy()
    if not mask.any():
        return values
    local = pd.DatetimeIndex(values.to_numpy()[mask])
    converted = (
        local.tz_localize(zone, ambiguous=np.ones(len(local), dtype=bool), nonexistent="shift_forward")
        .tz_convert(UTC)
        .tz_localize(None)
    )
    out = values.to_numpy(copy=True)
    out[mask] = converted.to_numpy(dtype=out.dtype)
    return pd.Series(out, index=values.index, name=values.name)


def utc_to_local(values: pd.Series, zone: str) -> pd.Series:
    """Naive UTC ``datetime64`` values as naive wall-clock times in ``zone`` (the inverse of
    :func:`local_to_utc`); used where a local calendar date is wanted, such as a visit date."""
    if zone == UTC or values.empty:
        return values
    return values.dt.tz_localize(UTC).dt.tz_convert(zone).dt.tz_localize(None)
