"""Text that users or files wrote, shown as typed: the one helper every page uses for it (#21).

Streamlit reads Markdown (and its own ``:red[...]`` colours and ``:material/...:`` icons) in ``st.markdown``,
captions, alerts, toasts, subheaders, expander and widget labels and help texts. A plan title such as
``![x](http://host/beacon)`` would make every viewer's browser fetch that image, a ``[link](...)`` would be
clickable, ``:red[x]`` coloured. Every name, title, owner, comment, file, sheet, column, mapping, catalog or note
that reaches one of those places goes through :func:`plain` first. Where no Markdown is read (``st.text``,
``st.code``, dataframes, select-box options) the text is shown as it is.
"""

from __future__ import annotations

import re

# Every ASCII punctuation character Markdown, GFM autolinks, Streamlit's directives or LaTeX could act on;
# CommonMark shows a backslash-escaped punctuation character literally.
_MARKDOWN = frozenset("\\`*_{}[]()<>#+-.!|~:$=&")
# GFM turns bare URLs and e-mail addresses into links after escapes are resolved, so escaping cannot stop it; an
# invisible WORD JOINER (U+2060) inside "://", after "www" and after "@" does, and changes nothing on screen.
_JOIN = "\u2060"
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=@)|(?i:(?<=www))(?=\\\.)")


def plain(text: object, limit: int = 300) -> str:
    """``text`` escaped for any Markdown context so it shows literally; cut at ``limit`` characters.

    Line breaks become spaces (a label or caption is one line; a break could start a heading or a list). URLs and
    e-mail addresses get an invisible word joiner so they are not turned into links.
    """
    value = " ".join(str(text).splitlines()) if text is not None else ""
    cut = value[:limit] + ("…" if len(value) > limit else "")
    return _AUTOLINK.sub(_JOIN, "".join("\\" + ch if ch in _MARKDOWN else ch for ch in cut))
