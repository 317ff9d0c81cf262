"""cxdash: customer-experience management on a SQL store.

The package is Streamlit-free except for ``cxdash.ui``: every query, statistic and chart spec lives here as a
plain typed function, and the pages only render what these functions return.
"""

__version__ = "0.1.0"
