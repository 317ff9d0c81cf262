"""Definitions of the improvement loop shared by its writers and the uploads: the inspection score scale.

An inspection scores a checklist item from :data:`SCORE_MIN` to :data:`SCORE_MAX`; the inspection form
(:mod:`cxdash.improve.inspection_results`) and an uploaded checklist file (:mod:`cxdash.imports.scales`) check the same
bounds.
"""

from __future__ import annotations

SCORE_MIN, SCORE_MAX = 0.0, 10.0
