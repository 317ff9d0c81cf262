"""What each page shows, computed once: one module per page, one function per view of the page.

Each function takes ``(engine, filters, lang="en", *, <the page's other options>)`` and returns a frozen dataclass
of everything the view shows (DataFrames allowed). The page calls it through :func:`cxdash.ui.cache.cached` and
only renders it; ``python -m cxdash report <page>`` prints its fields; the benchmark times exactly it. Views read
the metrics and the base layer, never Streamlit.
"""
