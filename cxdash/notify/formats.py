"""Chat webhook formats: one rendered message turned into what each kind of incoming bot expects, and the request
(URL, headers, body) that carries it, signed where the kind has a signature (docs/alerts.md).

- ``webhook`` (generic JSON): the notice as an object; headers ``X-Cxdash-Timestamp`` (Unix seconds) and
  ``X-Cxdash-Signature: sha256=<hex HMAC-SHA256(secret, body)>``; the body carries the same timestamp, so the
  signature covers it and a receiver can refuse replays.
- ``feishu`` (Feishu / Lark custom bot): ``msg_type`` ``post`` (rich text); with a secret, ``timestamp`` and
  ``sign = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b""))`` in the body.
- ``dingtalk`` (DingTalk custom robot): ``msgtype`` ``markdown``; with a secret, ``timestamp`` (milliseconds) and
  ``sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")))`` as query parameters.
- ``wecom`` (WeCom group robot): ``msgtype`` ``markdown``; the key in its URL is the only credential.
- ``slack`` (Slack incoming webhook): ``text`` (the fallback) and ``blocks`` (header and mrkdwn sections); the URL
  is the credential, Slack signs only what it sends, not what it receives.

Pure functions: no database, no network. Text from users (rule names, unit names, comments) is escaped for the
Markdown dialect of each format so it can neither link nor format.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cxdash.domain.followup import CHANNEL_KINDS

SIGNATURE_HEADER = "X-Cxdash-Signature"
TIMESTAMP_HEADER = "X-Cxdash-Timestamp"
# WeCom refuses markdown over 4096 bytes, DingTalk's and Feishu's limits are larger; one cap keeps all safe.
MAX_CHAT_BYTES = 3800

# E-mail addresses and phone numbers (7 or more digits, spaces, dots, dashes, a leading +) in free text: a chat
# message never carries a customer's contact data, even when a customer typed it into a comment.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\w)\+?\d[\d\s().-]{5,}\d(?!\w)")
_REDACTED = "***"


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _phone(match: re.Match[str]) -> str:
    found = match.group(0)
    # Dates and times are digit runs too; a phone number has at least 7 digits and no ISO date in it.
    if sum(ch.isdigit() for ch in found) < 7 or _DATE.search(found):
        return found
    return _REDACTED


def redact_contacts(text: str) -> str:
    """``text`` with e-mail addresses and phone-like digit runs (7 digits or more) replaced by ``***``."""
    return _PHONE.sub(_phone, _EMAIL.sub(_REDACTED, text))


# Markdown that DingTalk, WeCom and Slack act on: a backslash does not escape in all of them, so the characters are
# replaced by look-alikes that show the same and act on nothing.
_CHAT_MARKDOWN = str.maketrans({
    "*": "∗", "_": "＿", "`": "ˋ", "<": "‹", ">": "›", "~": "∼", "|": "｜", "&": "＆", "\n": " ", "\r": " ",
})


def chat_text(value: object, limit: int = 300) -> str:
    """User or file text made inert for chat Markdown (one line, cut at ``limit`` characters)."""
    text = "" if value is None else str(value)
    text = text.translate(_CHAT_MARKDOWN)
    # A link needs "](" and a bare URL "://": a word joiner breaks both and shows nothing; "#" only heads a line.
    text = text.replace("](", "]\u2060(").replace("://", ":\u2060//")
    if text.startswith("#"):
        text = "＃" + text[1:]
    return text[:limit] + ("…" if len(text) > limit else "")


@dataclass(frozen=True)
class ChatMessage:
    """A message for a chat channel: a title, lines of (label, value) facts, free lines and an optional link.

    Labels come from the catalogs; values may be user text and are escaped by the format that renders them.
    """

    title: str
    facts: tuple[tuple[str, str], ...] = ()
    lines: tuple[str, ...] = ()
    link: str | None = None
    link_label: str = "Open"
    data: dict[str, Any] = field(default_factory=dict)  # the generic webhook's structured part


def _markdown(msg: ChatMessage) -> str:
    """DingTalk's and WeCom's Markdown: bold labels, one paragraph per fact and line, a ``[label](url)`` link."""
    out = [f"**{chat_text(msg.title, 200)}**"]
    out += [f"**{chat_text(label, 80)}**: {chat_text(value)}" for label, value in msg.facts]
    out += [chat_text(line) for line in msg.lines]
    if msg.link:
        out.append(f"[{chat_text(msg.link_label, 80)}]({msg.link})")
    return _cap("\n\n".join(out))


def _mrkdwn(msg: ChatMessage) -> str:
    """Slack's mrkdwn: ``*bold*`` labels, one line each, a ``<url|label>`` link (the title is the header block)."""
    out = [f"*{chat_text(label, 80)}*: {chat_text(value)}" for label, value in msg.facts]
    out += [chat_text(line) for line in msg.lines]
    if msg.link:
        out.append(f"<{msg.link}|{chat_text(msg.link_label, 80)}>")
    return _cap("\n".join(out))


def _cap(text: str) -> str:
    data = text.encode("utf-8")
    if len(data) <= MAX_CHAT_BYTES:
        return text
    return data[:MAX_CHAT_BYTES].decode("utf-8", errors="ignore") + "…"


def generic_payload(msg: ChatMessage, language: str) -> dict[str, Any]:
    """The generic JSON webhook's object: title, facts, lines, link and the structured ``data`` of the notice."""
    return {"title": msg.title, "language": language, "facts": [{"label": k, "value": v} for k, v in msg.facts],
            "lines": list(msg.lines), "link": msg.link, **msg.data}


def feishu_payload(msg: ChatMessage, language: str) -> dict[str, Any]:
    """Feishu / Lark ``post`` (rich text): one paragraph per fact and line, the link as an ``a`` element."""
    paragraphs: list[list[dict[str, str]]] = [[{"tag": "text", "text": f"{label}: {value}"}] for label, value in msg.facts]
    paragraphs += [[{"tag": "text", "text": line}] for line in msg.lines]
    if msg.link:
        paragraphs.append([{"tag": "a", "text": msg.link_label, "href": msg.link}])
    locale = "en_us" if language == "en" else "zh_cn"
    return {"msg_type": "post", "content": {"post": {locale: {"title": msg.title, "content": paragraphs}}}}


def dingtalk_payload(msg: ChatMessage, language: str) -> dict[str, Any]:
    """DingTalk ``markdown``: the title shown in the conversation list and the Markdown text."""
    return {"msgtype": "markdown", "markdown": {"title": chat_text(msg.title, 100), "text": _markdown(msg)}}


def wecom_payload(msg: ChatMessage, language: str) -> dict[str, Any]:
    """WeCom ``markdown`` (at most 4096 bytes)."""
    return {"msgtype": "markdown", "markdown": {"content": _markdown(msg)}}


def slack_payload(msg: ChatMessage, language: str) -> dict[str, Any]:
    """Slack ``text`` (notifications and old clients) and ``blocks`` (a header and an mrkdwn section)."""
    body = _mrkdwn(msg)
    return {
        "text": chat_text(msg.title, 150),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": msg.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": body[:2900]}},
        ],
    }


# One builder per kind of cxdash.domain.followup.CHANNEL_KINDS (tests/test_notify_formats.py checks they match).
PAYLOADS = {"webhook": generic_payload, "feishu": feishu_payload, "dingtalk": dingtalk_payload,
            "wecom": wecom_payload, "slack": slack_payload}


def payload_for(kind: str, msg: ChatMessage, language: str) -> dict[str, Any]:
    """The body object of a channel of ``kind`` for ``msg`` (ValueError for an unknown kind)."""
    if kind not in PAYLOADS or kind not in CHANNEL_KINDS:
        raise ValueError(f"unknown channel kind {kind!r}")
    return PAYLOADS[kind](msg, language)


# --- Signatures -----------------------------------------------------------------------------------------------
def generic_signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over the exact body bytes."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def feishu_sign(secret: str, timestamp: int) -> str:
    """Feishu / Lark: base64 of HMAC-SHA256 keyed with ``"{timestamp}\\n{secret}"`` over an empty message."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk: base64 of HMAC-SHA256 keyed with the secret over ``"{timestamp}\\n{secret}"`` (not URL-encoded)."""
    msg = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode("utf-8"), msg, hashlib.sha256).digest()).decode("ascii")


@dataclass(frozen=True)
class Request:
    """An HTTP POST ready to send."""

    url: str
    headers: dict[str, str]
    body: bytes


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def build_request(kind: str, url: str, secret: str | None, payload: dict[str, Any], timestamp: int) -> Request:
    """The signed POST of ``payload`` to a channel of ``kind`` at ``url``; ``timestamp`` in Unix seconds."""
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "cxdash-notify"}
    body_obj = dict(payload)
    if kind == "webhook":
        body_obj["timestamp"] = timestamp
        body = _dumps(body_obj)
        headers[TIMESTAMP_HEADER] = str(timestamp)
        if secret:
            headers[SIGNATURE_HEADER] = generic_signature(secret, body)
        return Request(url, headers, body)
    if kind == "feishu" and secret:
        body_obj = {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp), **body_obj}
    if kind == "dingtalk" and secret:
        ms = timestamp * 1000
        url = _with_query(url, {"timestamp": str(ms), "sign": dingtalk_sign(secret, ms)})
    return Request(url, headers, _dumps(body_obj))


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def accepted(kind: str, status: int, body: bytes) -> str | None:
    """None when the channel accepted the message, else why not (the bots answer 200 with an error code)."""
    if not 200 <= status < 300:
        return f"HTTP {status}: {body[:200].decode('utf-8', errors='replace')}"
    if kind in ("feishu", "dingtalk", "wecom"):
        try:
            answer = json.loads(body or b"{}")
        except ValueError:
            return None
        if isinstance(answer, dict):
            code = answer.get("code", answer.get("errcode", answer.get("StatusCode", 0)))
            if code not in (0, None, "0"):
                return f"{kind} error {code}: {str(answer.get('msg') or answer.get('errmsg') or '')[:200]}"
    return None
