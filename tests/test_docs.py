"""Every page, CLI command, import kind and KPI is documented: adding one without its documentation fails here.

The documents are read as text; a heading is a Markdown line starting with ``#``. What must be documented comes
from the code itself (the page registry, the argument parser, the import kinds, the KPI catalog), so the list
cannot drift from what users see.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from cxdash.cli import build_parser
from cxdash.i18n import t
from cxdash.imports.kinds import KINDS
from cxdash.ui.navigation import PAGES

DOCS = Path(__file__).resolve().parent.parent / "docs"
CATALOGS = Path(__file__).resolve().parent.parent / "cxdash" / "i18n" / "catalogs"


def headings(name: str) -> set[str]:
    """The heading texts of ``docs/<name>``, without the leading hashes."""
    text = (DOCS / name).read_text(encoding="utf-8")
    return {m.group(1).strip() for m in re.finditer(r"^#+\s+(.+)$", text, flags=re.MULTILINE)}


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[tuple[str, argparse.ArgumentParser]]:
    """Every command path of the CLI with its parser, groups (``report``, ``targets`` ...) included."""
    found = []
    for action in parser._actions:  # argparse keeps its subcommands only here
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                path = f"{prefix}{name}"
                found.append((path, sub))
                found += commands(sub, path + " ")
    return found


def has_subcommands(parser: argparse.ArgumentParser) -> bool:
    """Whether the parser is a group (its commands are documented one by one)."""
    return any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_every_page_has_its_section(spec):
    title = t(spec.title_key, "en")
    assert title in headings("pages.md"), f"docs/pages.md has no section '### {title}' for the page {spec.url_path}"
    text = (DOCS / "pages.md").read_text(encoding="utf-8")
    assert f"`/{spec.url_path}`" in text, f"docs/pages.md does not give the page's address /{spec.url_path}"


def test_every_cli_command_has_its_section_and_help():
    documented = headings("cli.md")
    missing = []
    for path, parser in commands(build_parser()):
        parser.format_help()  # a stray % in a help text makes --help crash
        if not has_subcommands(parser) and path not in documented:
            missing.append(path)
    assert not missing, f"docs/cli.md lacks a '### <command>' section for: {', '.join(missing)}"


@pytest.mark.parametrize("kind", KINDS)
def test_every_import_kind_has_its_fields(kind):
    title = t(f"imports.kind.{kind}", "en")
    assert title in headings("import-formats.md"), (
        f"docs/import-formats.md has no section '### {title}' listing the fields of the import kind {kind}")


def kpi_keys() -> list[str]:
    """The KPI cards the overview can show: those with a title in the catalog."""
    catalog = json.loads((CATALOGS / "overview.json").read_text(encoding="utf-8"))
    return sorted(m.group(1) for k in catalog if (m := re.fullmatch(r"overview\.kpi\.(\w+)\.title", k)))


@pytest.mark.parametrize("key", kpi_keys())
def test_every_kpi_is_defined(key):
    text = (DOCS / "metrics.md").read_text(encoding="utf-8")
    row = re.search(rf"^\|[^|\n]*\| `{key}` \| \[[^\]]+\]\(#([\w-]+)\) \|$", text, flags=re.MULTILINE)
    assert row, f"docs/metrics.md's index of KPIs has no row for `{key}`"
    assert row.group(1) in {anchor(h) for h in headings("metrics.md")}, (
        f"the definition of `{key}` links to #{row.group(1)}, which is no heading of docs/metrics.md")


def test_docs_links_point_to_files_that_exist():
    broken = []
    for doc in [*DOCS.glob("*.md"), *DOCS.glob("*/*.md"), DOCS.parent / "README.md", DOCS.parent / "CONTRIBUTING.md"]:
        if not doc.is_file():
            continue
        for target in re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(DOCS.parent)} -> {target}")
    assert not broken, "links to missing files: " + "; ".join(broken)
