"""Hostile text for the plain-text tests (#21): Markdown and HTML payloads planted in every kind of user- or
file-supplied string, and a check that a rendered app shows them only escaped.

``payload(port)`` joins the corpus into one string that fits a 200-character name column; every image and link
in it points at ``127.0.0.1:<port>`` so a browser test can watch for requests. ``plant(url, port)`` writes it into
a site's name, a touchpoint's name, a checklist item's pain point and standard, an action plan's title, owner and
action, a stored user's name, an import batch's file name and a saved mapping's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import select, update

from cxdash.audit import now_utc
from cxdash.db import bump_data_version, make_engine
from cxdash.schema import action_plan, app_user, checklist_item, import_batch, saved_mapping, site, touchpoint
from cxdash.ui.text import plain

# What Markdown, GFM, HTML or Streamlit's directives would act on: none may appear unescaped in a Markdown context.
DANGEROUS = ("![", "](", "<img", "<a ", ":red[x]", "**b**")


def payload(port: int) -> str:
    """The corpus as one string (under 200 characters)."""
    host = f"http://127.0.0.1:{port}"
    return (f"![x]({host}/md.png) <img src={host}/img.png> [l]({host}/link) :red[x] **b** "
            f"<a href={host}/a>a</a>")


def plant(url: str, port: int) -> dict[str, int]:
    """Write the payload into the database at ``url``; returns the ids of the site, plan and batch used."""
    text = payload(port)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            site_id = conn.execute(select(site.c.id).order_by(site.c.id).limit(1)).scalar_one()
            conn.execute(update(site).where(site.c.id == site_id).values(name=text))
            tp_id = conn.execute(select(touchpoint.c.id).order_by(touchpoint.c.id).limit(1)).scalar_one()
            conn.execute(update(touchpoint).where(touchpoint.c.id == tp_id)
                         .values(name_en=text, name_zh_hans=text, name_zh_hant=text))
            words = {"en": text, "zh-Hans": text, "zh-Hant": text}
            conn.execute(update(checklist_item).values(pain_point=words, standard=words))
            plan_id = conn.execute(select(action_plan.c.id).where(action_plan.c.status == "open")
                                   .order_by(action_plan.c.id).limit(1)).scalar_one()
            conn.execute(update(action_plan).where(action_plan.c.id == plan_id)
                         .values(title=text, owner=text, action=text, metric=text[:200]))
            conn.execute(update(app_user).values(name=text))
            batch_id = conn.execute(import_batch.insert().values(
                kind="surveys", source="file", file_name=text + ".csv", sha256="f" * 64, rows_read=1, rows_loaded=1,
                created_by="setup", created_at=now_utc(), status="loaded")).inserted_primary_key[0]
            conn.execute(saved_mapping.insert().values(name=text, kind="surveys", mapping={}, created_by="setup",
                                                       created_at=now_utc()))
            bump_data_version(conn)
    finally:
        engine.dispose()
    return {"site": int(site_id), "plan": int(plan_id), "batch": int(batch_id)}


def markdown_strings(at: Any) -> Iterator[str]:
    """Every string of the last run that Streamlit reads as Markdown: element bodies, labels, help texts,
    st.table cells."""
    from google.protobuf.message import Message

    def walk(msg: Message) -> Iterator[str]:
        for field, value in msg.ListFields():
            items = list(value) if isinstance(value, Iterable) and not isinstance(value, (str, bytes, Message)) \
                else [value]
            if field.type == field.TYPE_MESSAGE:
                for item in items:
                    if isinstance(item, Message):
                        yield from walk(item)
            elif field.type == field.TYPE_STRING and field.name in ("body", "label", "help", "tooltip", "caption"):
                yield from (str(v) for v in items)

    def nodes(node: Any) -> Iterator[Any]:
        yield node
        for child in getattr(node, "children", {}).values():
            yield from nodes(child)

    for node in nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None:
            yield from walk(proto)
    for table in at.table:
        frame = table.value
        yield from (str(v) for v in frame.to_numpy().ravel())


def unescaped(text: str) -> str:
    """``text`` with every backslash-escaped character replaced by a placeholder (what Markdown acts on)."""
    return re.sub(r"\\.", "\x00", text)


def check_plain(at: Any, port: int) -> int:
    """Assert no Markdown string of the run holds a payload piece unescaped; return how often the escaped
    payload was shown."""
    shown = 0
    escaped = plain(payload(port))
    for text in markdown_strings(at):
        bare = unescaped(text)
        bad = [d for d in DANGEROUS if d in bare]
        assert not bad, (bad, text[:300])
        shown += escaped in text
    return shown
