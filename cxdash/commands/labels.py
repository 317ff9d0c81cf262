"""``python -m cxdash labels list|set|clear``: names of uploaded codes (channel, segment, category ...) per language.

A deployment's own codes ("kiosk", "vip") have no name in the catalogs; ``set`` gives one in a language, which every
page, chart, export and report then shows in that language (see :mod:`cxdash.code_labels`). Changes are audited.
"""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from cxdash.code_label_store import set_label, stored_labels
from cxdash.code_labels import PREFIXES
from cxdash.commands.common import engine_from_args, print_json
from cxdash.i18n import LANGUAGES


def register(sub: Any, reports: Any) -> None:
    """Add ``labels list|set|clear``."""
    lab = sub.add_parser("labels", help="names of uploaded codes (channel, segment, category ...) per language")
    lsub = lab.add_subparsers(dest="labels_command", required=True)
    lsub.add_parser("list", help="the names the deployment gave its codes").set_defaults(handler=run_list)
    st = lsub.add_parser("set", help="name a code in a language, e.g. set channel kiosk --lang zh-Hans 自助终端")
    st.add_argument("kind", choices=list(PREFIXES))
    st.add_argument("code")
    st.add_argument("name")
    st.add_argument("--lang", required=True, choices=list(LANGUAGES))
    st.add_argument("--actor", default=None, help="who names it (default: the OS user)")
    st.set_defaults(handler=run_set)
    cl = lsub.add_parser("clear", help="forget a code's name in a language")
    cl.add_argument("kind", choices=list(PREFIXES))
    cl.add_argument("code")
    cl.add_argument("--lang", required=True, choices=list(LANGUAGES))
    cl.add_argument("--actor", default=None)
    cl.set_defaults(handler=run_clear)


def run_list(args: argparse.Namespace) -> int:
    """Print ``{kind: {code: {lang: name}}}``."""
    print_json(stored_labels(engine_from_args(args)))
    return 0


def run_set(args: argparse.Namespace) -> int:
    """Store the name; print the code's names."""
    names = set_label(engine_from_args(args), args.kind, args.code, args.lang, args.name, args.actor or getpass.getuser())
    print_json({"kind": args.kind, "code": args.code, "names": names})
    return 0


def run_clear(args: argparse.Namespace) -> int:
    """Remove the name in one language; print what is left."""
    names = set_label(engine_from_args(args), args.kind, args.code, args.lang, None, args.actor or getpass.getuser())
    print_json({"kind": args.kind, "code": args.code, "names": names})
    return 0
