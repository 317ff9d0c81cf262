"""The app's entry script, the one Streamlit runs (``cxdash serve``): router and frame, in :mod:`cxdash.ui.frame`.

Streamlit resolves the pages' relative links from this script's folder and reads the packaged
``cxdash/.streamlit/config.toml`` beside it, so it lives in the package: an installed cxdash serves it as a checkout
does. Importing it runs the app (it is a script, not a library module).
"""

from cxdash.ui.frame import run_app

run_app()
