"""Header layouts of the survey platforms people export from.

A layout says how many rows sit above the data, what each column is called, and which descriptive text (the
question wording) helps to match it. Recognised: Qualtrics (three header rows: export tags, question texts,
``{"ImportId": ...}``), legacy Qualtrics (``V1, V2, ...`` over the labels), SurveyMonkey (question texts over
answer options), Wenjuanxing / 问卷星 (Chinese question texts with 序号 and 提交答卷时间), and plain one-row headers
(the cxdash template, Google Forms, Excel sheets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

PLAIN, QUALTRICS, QUALTRICS_LEGACY, SURVEYMONKEY, WENJUANXING = (
    "plain",
    "qualtrics",
    "qualtrics_legacy",
    "surveymonkey",
    "wenjuanxing",
)
_QUESTION_NUMBER = re.compile(r"^\s*(?:第?\d+[题題]?[、.．:：)）]?|Q\d+[.:)]?)\s*")
_SM_ANSWER_ROW = {"response", "open-ended response", "回复", "回覆", "开放式回复", "開放式回覆"}


@dataclass(frozen=True)
class Layout:
    """How a file's header is laid out.

    ``top_rows`` counts every row above the first data row (title rows and header rows), so the data row at
    position k (0-based) is row ``top_rows + k + 1`` of the file as a spreadsheet numbers it.
    """

    name: str
    top_rows: int
    columns: list[str]
    labels: dict[str, str] = field(default_factory=dict)
    # Header names the file repeats: (name, 1-based column positions, the names the copies got).
    repeated: list[tuple[str, list[int], list[str]]] = field(default_factory=list)


def _cells(row: list[Any]) -> list[str]:
    return ["" if v is None else str(v).strip() for v in row]


def unique_names(names: list[str]) -> list[str]:
    """Make column names non-empty and unique: blanks become ``column_N``, repeats get `` (2)``, `` (3)``."""
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(names, start=1):
        name = raw.strip() or f"column_{i}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        out.append(name)
    return out


def strip_numbering(text: str) -> str:
    """Drop a leading question number ("3、", "Q3.", "第3题") that survey platforms put before the question."""
    return _QUESTION_NUMBER.sub("", text, count=1).strip()


def _title_rows(rows: list[list[str]]) -> int:
    """Leading rows with at most one filled cell above a wider header (a title like "Survey export, May")."""
    skip = 0
    while skip < min(5, len(rows) - 1):
        filled = sum(1 for c in rows[skip] if c)
        following = sum(1 for c in rows[skip + 1] if c)
        if filled <= 1 and following >= 3:
            skip += 1
        else:
            break
    return skip


def _is_qualtrics(rows: list[list[str]]) -> bool:
    if len(rows) < 3:
        return False
    tags = [c for c in rows[2] if c]
    return bool(tags) and sum(c.startswith('{"ImportId"') for c in tags) >= max(1, len(tags) // 2)


def _is_legacy_qualtrics(rows: list[list[str]]) -> bool:
    head = rows[0]
    return len(rows) >= 2 and len(head) >= 2 and head[0] == "V1" and head[1] == "V2"


def _is_surveymonkey(rows: list[list[str]]) -> bool:
    if len(rows) < 2:
        return False
    head = {c.lower() for c in rows[0]}
    answers = {c.lower() for c in rows[1]}
    return bool(head & {"respondent id", "respondentid", "受访者 id", "受訪者 id"}) and bool(answers & _SM_ANSWER_ROW)


def _is_wenjuanxing(head: list[str]) -> bool:
    return "序号" in head and any("提交答卷时间" in c for c in head)


def _surveymonkey(rows: list[list[str]], skip: int) -> Layout:
    questions, answers = rows[0], rows[1] + [""] * (len(rows[0]) - len(rows[1]))
    names, current = [], ""
    for q, a in zip(questions, answers, strict=False):
        current = q or current  # a matrix question's text sits over its first column only
        sub = a if a.lower() not in _SM_ANSWER_ROW else ""
        names.append(f"{current} - {sub}" if sub else current)
    cols = unique_names(names)
    return Layout(SURVEYMONKEY, skip + 2, cols, dict(zip(cols, names, strict=True)))


def repeated_names(columns: list[str]) -> list[tuple[str, list[int], list[str]]]:
    """The names :func:`unique_names` had to tell apart: each with its column positions and the copies' names."""
    positions: dict[str, list[int]] = {}
    renamed: dict[str, list[str]] = {}
    for i, col in enumerate(columns, start=1):
        base = re.fullmatch(r"(.+) \((\d+)\)", col)
        if base and base.group(1) in positions:
            positions[base.group(1)].append(i)
            renamed[base.group(1)].append(col)
        else:
            positions.setdefault(col, [i])
            renamed.setdefault(col, [])
    return [(name, pos, renamed[name]) for name, pos in positions.items() if len(pos) > 1]


def detect_layout(raw_rows: list[list[Any]]) -> Layout:
    """Recognise the header layout from the first rows of a file (as parsed cells).

    A name the header repeats is kept for every copy, the later ones as "name (2)", "name (3)": the layout's
    ``repeated`` lists them so the upload says so (rather than mapping the first copy silently).
    """
    layout = _detect(raw_rows)
    repeated = repeated_names(layout.columns)
    return replace(layout, repeated=repeated) if repeated else layout


def _detect(raw_rows: list[list[Any]]) -> Layout:
    rows = [_cells(r) for r in raw_rows]
    if not rows or not any(any(r) for r in rows):
        return Layout(PLAIN, 0, [])
    skip = _title_rows(rows)
    rows = rows[skip:]
    if _is_qualtrics(rows):
        cols = unique_names(rows[0])
        labels = dict(zip(cols, rows[1] + [""] * len(cols), strict=False))
        return Layout(QUALTRICS, skip + 3, cols, labels)
    if _is_legacy_qualtrics(rows):
        second = rows[1] + [""] * (len(rows[0]) - len(rows[1]))
        names = [b if re.fullmatch(r"V\d+", a) else a for a, b in zip(rows[0], second, strict=False)]
        cols = unique_names(names)
        return Layout(QUALTRICS_LEGACY, skip + 2, cols, dict(zip(cols, second, strict=False)))
    if _is_surveymonkey(rows):
        return _surveymonkey(rows, skip)
    cols = unique_names(rows[0])
    if _is_wenjuanxing(rows[0]):
        return Layout(WENJUANXING, skip + 1, cols, {c: strip_numbering(c) for c in cols})
    return Layout(PLAIN, skip + 1, cols, {c: strip_numbering(c) for c in cols})
