"""Uploads: reading files, mapping their columns, validating every row, loading in one transaction, history.

The page and the CLI use :func:`prepare` (open a file and propose a mapping) and :func:`run_import` (validate and
load, or only report with ``dry_run``); :mod:`cxdash.imports.batches` lists and deletes batches. Modules:

- ``reading`` / ``encodings`` / ``layouts`` / ``workbooks``: CSV, TSV and XLSX, encodings, platform header layouts
- ``kinds/``: one module per kind of upload declaring everything about it (:class:`cxdash.imports.kinds.ImportKind`)
- ``fields`` / ``mapping_types`` / ``mapping`` / ``scales`` / ``saved``: the field vocabulary, the mapping as data,
  automatic mapping, scale decisions, saved mappings
- ``parsing`` / ``checking`` / ``validation`` / ``rules``: cell parsing and row-level validation
- ``staging`` / ``loading`` / ``load_surveys`` / ``load_records`` / ``catalog_upload``: the load
- ``errors`` (messages, the error report), ``templates`` (upload templates), ``pipeline`` (the steps together)
"""

from cxdash.imports.errors import UploadError
from cxdash.imports.pipeline import ImportOptions, ImportResult, Prepared, prepare, run_import
from cxdash.imports.reading import FileInput

__all__ = ["FileInput", "ImportOptions", "ImportResult", "Prepared", "UploadError", "prepare", "run_import"]
