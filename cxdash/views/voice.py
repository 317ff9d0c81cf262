"""The voice-of-the-customer page's views: the comment themes of the selection, and the comments of one theme
(a click on a theme; its own view so the themes are not read again)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from cxdash.filters import Filters
from cxdash.metrics.loyalty.themes import Voice, theme_comments, voice

COMMENTS_SHOWN = 100  # newest comments listed for a theme


@dataclass(frozen=True)
class VoiceView:
    """Themes with lift (complaints and praise), per tier and touchpoint, emerging, and the sample sizes."""

    voice: Voice


@dataclass(frozen=True)
class CommentsView:
    """The newest comments containing ``term``, as plain text."""

    term: str
    rows: pd.DataFrame  # response_id, visit_date, site, ltr, tier, comment


def voice_view(engine: Engine, filters: Filters, lang: str = "en") -> VoiceView:
    """The themes of the selection, touchpoints named in ``lang``."""
    return VoiceView(voice(engine, filters, lang))


def comments_view(engine: Engine, filters: Filters, lang: str = "en", *, term: str,
                  limit: int = COMMENTS_SHOWN) -> CommentsView:
    """The ``limit`` newest comments of the selection containing ``term``, sites named in ``lang``."""
    return CommentsView(term, theme_comments(engine, filters, term, limit, lang))
