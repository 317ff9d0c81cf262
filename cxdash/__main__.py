"""``python -m cxdash``: see :mod:`cxdash.cli`."""

from cxdash.cli import main

raise SystemExit(main())
