"""Upload templates: the plain cxdash layout of each kind, with English or Chinese headers, as CSV and XLSX.

The headers are words the automatic mapping knows, so a filled-in template maps without a single change. The
files in ``data/templates/`` are written by :func:`write_templates` (``python -m cxdash.imports.templates``).
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from cxdash.export import escape_frame
from cxdash.imports.kinds import KINDS, get_kind

TEMPLATE_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "templates"
LANGS = ("en", "zh")


def template_frame(kind: str, lang: str = "en") -> pd.DataFrame:
    """The template of ``kind`` with one example row; ``lang`` "en" or "zh" for the header words."""
    declared = get_kind(kind)
    cols = declared.template
    header = [en if lang == "en" else zh for en, zh, _ in cols]
    values: list[object] = [v for _, _, v in cols]
    for head, value in declared.template_extra(lang) if declared.template_extra else []:
        header.append(head)
        values.append(value)
    return pd.DataFrame([values], columns=header)


def template_bytes(kind: str, lang: str, fmt: str) -> bytes:
    """A template file's bytes: ``fmt`` "csv" (UTF-8 with BOM, so Excel shows Chinese) or "xlsx"."""
    frame = escape_frame(template_frame(kind, lang))
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8-sig")
    buf = io.BytesIO()
    frame.to_excel(buf, index=False, sheet_name=kind)
    return buf.getvalue()


def template_name(kind: str, lang: str, fmt: str) -> str:
    """File name of a template, e.g. ``cxdash_surveys_template_zh.xlsx``."""
    return f"cxdash_{kind}_template_{lang}.{fmt}"


def write_templates(folder: Path = TEMPLATE_DIR) -> list[Path]:
    """Write every template (kinds x languages x formats) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in KINDS:
        for lang in LANGS:
            for fmt in ("csv", "xlsx"):
                path = folder / template_name(kind, lang, fmt)
                path.write_bytes(template_bytes(kind, lang, fmt))
                written.append(path)
    return written


if __name__ == "__main__":
    for p in write_templates():
        print(p)
