"""The only Streamlit-aware part of cxdash: page context, cached wrappers and shared widgets."""
