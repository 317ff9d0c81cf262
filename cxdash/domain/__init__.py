"""Definitions every layer shares (tiers, tolerance, ...): plain values and pure functions, importing only base."""
