"""Altair chart builders, one module per area; they take plain data and return charts, pages only show them."""
