"""``python -m cxdash import KIND FILE`` and ``python -m cxdash batches list|delete``.

The import command runs the same pipeline as the upload page, prints the summary as JSON, writes the error report
when rows were rejected, and exits with 0 when rows were valid, 1 when nothing could be loaded and 2 when the file
itself was refused (bad input: the message says why).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from cxdash.commands.common import engine_from_args, print_json, print_rows
from cxdash.i18n import t
from cxdash.imports.batches import delete_batch, list_batches
from cxdash.imports.errors import error_report_csv
from cxdash.imports.kinds import ALIASES, KINDS, resolve
from cxdash.imports.mapping import DATE_ORDERS, ON_DUPLICATE, apply_choices
from cxdash.imports.pipeline import ImportOptions, prepare, proposal_text, run_import
from cxdash.imports.reading import FileInput
from cxdash.imports.saved import get_mapping, save_mapping
from cxdash.imports.scales import decisions_json, declare, open_questions, question_text


def register(sub: Any, reports: Any) -> None:
    """Add ``import`` and ``batches``."""
    p = sub.add_parser(
        "import", help="import survey responses, tickets, customers, inspections or the catalog",
        description="Import one file (CSV, TSV or XLSX) and print a JSON summary.",
        epilog="exit codes: 0 = rows were valid (loaded, or skipped as already loaded; a dry run that found valid "
               "rows); 1 = nothing loaded (no valid row, or --all-or-nothing with rejected rows); 2 = bad input: "
               "the file itself was refused (unreadable, too big, wrong delimiter or encoding, a required column "
               "missing), the message on stderr says why. With 1 or 2 nothing was written.")
    p.add_argument("kind", choices=[*KINDS, *ALIASES])
    p.add_argument("file", type=Path)
    p.add_argument("--mapping", help="use a saved mapping by name")
    p.add_argument("--save-mapping", metavar="NAME", help="save the mapping used under NAME")
    p.add_argument("--on-duplicate", choices=ON_DUPLICATE, default="skip",
                   help="rows already loaded (same source and id): skip (default) or update")
    p.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
    p.add_argument("--create-missing", action="store_true", help="create unknown sites, teams and people")
    p.add_argument("--confirm-new", metavar="KEY", action="append", default=[],
                   help="create a near-duplicate anyway (a key from the summary's near_matches; repeatable)")
    p.add_argument("--all-or-nothing", action="store_true", help="load nothing when any row is rejected")
    p.add_argument("--error-report", type=Path, help="where to write rejected rows (default: FILE.errors.csv here)")
    p.add_argument("--encoding", help="override the detected encoding (e.g. gb18030, big5, utf-16)")
    p.add_argument("--delimiter", help="override the detected delimiter (use '\\t' for tab)")
    p.add_argument("--sheet", help="XLSX sheet name (default: the first)")
    p.add_argument("--source", help="source name for idempotency (default: the platform or 'file')")
    p.add_argument("--date-order", choices=DATE_ORDERS, help="order of a/b/yyyy dates (default: auto)")
    p.add_argument("--timezone", metavar="ZONE",
                   help="time zone of date-times written without an offset, e.g. Asia/Shanghai or UTC (default: the "
                        "saved mapping's, else the default SLA policy's calendar zone, else UTC)")
    p.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                   help="map a column of the file to a field (repeatable), e.g. --map 'Q7=comment' --map 'Score=csat'")
    p.add_argument("--ignore", action="append", default=[], metavar="COLUMN",
                   help="do not read this column, whatever it was matched to (repeatable)")
    p.add_argument("--visit-date", metavar="YYYY-MM-DD",
                   help="visit date of every row without its own (a survey wave whose file has no dates)")
    p.add_argument("--scale", action="append", default=[], metavar="COLUMN=LO-HI",
                   help="declare the scale of a score column or group, e.g. nps=1-11 or wifi=1-5 (repeatable); "
                        "needed when the values fit several scales")
    p.add_argument("--na", action="append", default=[], metavar="[COLUMN=]CODE",
                   help="a not-applicable code, for every score column (--na 99) or one (--na wifi=0); repeatable. "
                        "Such answers are stored as missing and counted, never rated")
    p.add_argument("--actor", default=None, help="who imports (default: the OS user)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--progress", action="store_true", help="print progress lines on stderr even without a terminal")
    p.add_argument("--chunk-rows", type=int, default=50_000, help="rows validated and loaded per step")
    p.set_defaults(handler=run)
    b = sub.add_parser("batches", help="import history: list batches or delete one")
    bsub = b.add_subparsers(dest="batches_action", required=True)
    bl = bsub.add_parser("list", help="list import batches, newest first")
    bl.add_argument("--kind", choices=KINDS)
    bl.add_argument("--format", choices=["csv", "json"], default="json")
    bl.set_defaults(handler=run_list)
    bd = bsub.add_parser("delete", help="delete one batch's rows")
    bd.add_argument("batch_id", type=int)
    bd.add_argument("--actor", default=None)
    bd.set_defaults(handler=run_delete)


def _progress(quiet: bool, lines: bool = False) -> Any:
    if lines:

        def line(done: int, total: int) -> None:
            print(f"progress {done} {total}", file=sys.stderr, flush=True)

        return line
    if quiet or not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        print(f"\r{min(99, 100 * done // max(total, 1)):3d}%  {done:,} rows", end="", file=sys.stderr, flush=True)

    return show


def run(args: argparse.Namespace) -> int:
    """Import one file; print the summary as JSON."""
    kind = resolve(args.kind)
    engine = engine_from_args(args)
    mapping = get_mapping(engine, kind, args.mapping) if args.mapping else None
    delimiter = "\t" if args.delimiter in ("\\t", "tab") else args.delimiter
    prepared = prepare(engine, FileInput.from_path(args.file), kind, args.encoding, delimiter, args.sheet, mapping)
    if args.source:
        prepared.mapping.source = args.source
    if args.date_order:
        prepared.mapping.date_order = args.date_order
    if args.timezone:
        prepared.mapping.timezone = args.timezone
    apply_choices(prepared.mapping, prepared.table.columns, args.map, args.ignore, args.visit_date)
    chosen = set(args.map) | set(args.ignore)
    for loaded_id, when in prepared.loaded_as:
        print(t("imports.cli.already_loaded", "en", batch=loaded_id, when=f"{when:%Y-%m-%d %H:%M}"), file=sys.stderr)
    for prop in prepared.proposals:
        if prop.column not in chosen and not args.quiet:
            print(proposal_text(prop, "en", cli=True), file=sys.stderr)
    if args.map or args.ignore:
        # The columns changed: decide on the final ones, so --scale and --na can name a column just mapped.
        prepared.decide_scales()
    if args.scale or args.na:
        declare(prepared.mapping, prepared.scales, args.scale, args.na)
        prepared.decide_scales()
    questions = open_questions(prepared.scales)
    if questions:
        # Nothing is written: print the decisions and say which column needs which flag.
        json.dump({"kind": kind, "file_name": args.file.name, "status": "scale_question",
                   "scales": decisions_json(prepared.scales)}, sys.stdout, ensure_ascii=False, indent=2, default=str)
        print()
        for q in questions:
            columns, choices = question_text(q)
            print(t("imports.error.scale_question", "en", columns=columns, choices=choices), file=sys.stderr)
        return 2
    actor = args.actor or getpass.getuser()
    options = ImportOptions(args.on_duplicate, args.create_missing, args.all_or_nothing, args.dry_run, actor,
                            chunk_rows=args.chunk_rows, confirmed_new=frozenset(args.confirm_new))
    result = run_import(engine, prepared, options, _progress(args.quiet, args.progress))
    if not args.quiet and sys.stderr.isatty():
        print(file=sys.stderr)
    summary = result.summary() | {"encoding": prepared.table.encoding, "layout": prepared.table.layout.name,
                                  "timezone": prepared.mapping.timezone, "unknown": result.unknown,
                                  "near_matches": {m.key: m.candidate_text() for m in result.near_matches},
                                  "columns": prepared.mapping.columns, "visit_date": prepared.mapping.visit_date,
                                  "already_loaded_as": [i for i, _ in prepared.loaded_as],
                                  "scales": decisions_json(prepared.scales)}
    problem = result.main_problem("en", cli=True)
    if problem:
        summary["main_problem"] = problem
    if prepared.table.warnings:
        summary["warnings"] = [t(key, "en", **params) for key, params in prepared.table.warnings]
    if len(result.errors):
        path = args.error_report or Path(f"{args.file.name}.errors.csv")
        path.write_bytes(error_report_csv(result.errors))
        summary["error_report"] = str(path)
    if args.save_mapping:
        save_mapping(engine, args.save_mapping, prepared.mapping, actor)
    print_json(summary)
    return 0 if result.rows_valid > 0 and result.status in ("loaded", "dry_run", "nothing_new") else 1


def run_list(args: argparse.Namespace) -> int:
    """Print the import history."""
    frame = list_batches(engine_from_args(args), args.kind).drop(columns=["mapping"])
    print_rows(frame.to_dict("records"), args.format)
    return 0


def run_delete(args: argparse.Namespace) -> int:
    """Delete one batch and print what went."""
    counts = delete_batch(engine_from_args(args), args.batch_id, args.actor or getpass.getuser())
    json.dump({"batch_id": args.batch_id, "deleted": counts}, sys.stdout, indent=2)
    print()
    return 0
