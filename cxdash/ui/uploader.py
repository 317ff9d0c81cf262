"""Streamlit's file uploader in the user's language.

Streamlit 1.67 draws the uploader's drop zone in its own frontend with fixed English text: an "Upload" button and
"200MB per file • CSV, XLSX" (and "Drag and drop a file here" while a file is dragged over it); ``st.file_uploader``
translates only its label and help. A small style sheet replaces those texts with the catalog's (the server's
200 MB is not cxdash's limit anyway: the upload page states the real one). The texts are ours, never a user's,
and are CSS-escaped all the same. When Streamlit renames its test ids the English text simply shows again.
"""

from __future__ import annotations

import streamlit as st

from cxdash.i18n import t

_ZONE = '[data-testid="stFileUploaderDropzone"]'


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3c ")
    return f'"{escaped}"'


def dropzone_css(lang: str) -> str:
    """The style sheet that shows the drop zone's button and hint in ``lang``."""
    button = _css_string(t("imports.ui.dropzone.button", lang))
    hint = _css_string(t("imports.ui.dropzone.hint", lang))
    return (
        f'{_ZONE} [data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"] p {{font-size: 0;}}\n'
        f'{_ZONE} [data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"] p::after '
        f"{{content: {button}; font-size: 0.875rem;}}\n"
        f'{_ZONE} [data-testid="stFileUploaderDropzoneInstructions"] span {{font-size: 0;}}\n'
        f'{_ZONE} [data-testid="stFileUploaderDropzoneInstructions"] span::after '
        f"{{content: {hint}; font-size: 0.875rem;}}\n"
    )


def translate_dropzones(lang: str) -> None:
    """Apply :func:`dropzone_css` to the page (a style-only element, drawn nowhere)."""
    st.html(f"<style>\n{dropzone_css(lang)}</style>")
