"""Import batches, saved mappings, customers, survey responses and their touchpoint scores."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from cxdash.schema.base import BigId, created_columns, id_column, imported_row_columns, metadata

# A response with a comment, as cxdash.metrics.loyalty.themes selects them (the partial index below must match it).
COMMENTED = "comment IS NOT NULL AND length(comment) > 0"

# --- Imports -----------------------------------------------------------------------------------------------
import_batch = Table(
    "import_batch",
    metadata,
    id_column(),
    Column("kind", String(32), nullable=False),  # surveys | tickets | customers | inspections | catalog
    Column("source", String(100), nullable=False, default="file"),
    Column("file_name", String(400), nullable=False),
    Column("sha256", String(64), nullable=False, index=True),
    Column("rows_read", Integer, nullable=False, default=0),
    Column("rows_loaded", Integer, nullable=False, default=0),
    Column("rows_updated", Integer, nullable=False, default=0),
    Column("rows_skipped", Integer, nullable=False, default=0),
    Column("rows_rejected", Integer, nullable=False, default=0),
    Column("mapping", JSON),
    *created_columns(),
    Column("status", String(32), nullable=False, default="loaded"),
)

saved_mapping = Table(
    "saved_mapping",
    metadata,
    id_column(),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("mapping", JSON, nullable=False),
    *created_columns(),
    UniqueConstraint("kind", "name"),
)

# --- Customers and survey responses ------------------------------------------------------------------------
customer = Table(
    "customer",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("external_id", String(128), nullable=False, unique=True),
    Column("segment", String(64), index=True),
    Column("site_id", Integer, ForeignKey("site.id"), index=True),
    Column("first_seen", Date),
    Column("churn_flag", Boolean),
    Column("churn_date", Date),
    # Months as a customer (up to churn, or up to the list's date), as a customer list gives it (migration 0015).
    Column("tenure_months", Float),
    # Maintained at load time so churn (inactivity after the last event) needs no scan of every event.
    Column("first_event_at", DateTime),
    Column("last_event_at", DateTime, index=True),
    Column("batch_id", Integer, ForeignKey("import_batch.id"), index=True),
    # Churn counts and customer samples read these ranges without touching the table (cxdash.metrics.loyalty.churn):
    # who is judged (first event), and the few flagged customers.
    Index("ix_customer_first_event", "first_event_at", "last_event_at", "churn_flag", "churn_date"),
    Index("ix_customer_churn_flag", "churn_flag", "churn_date", "first_event_at", "last_event_at"),
)

survey_response = Table(
    "survey_response",
    metadata,
    *imported_row_columns(),
    Column("person_id", Integer, ForeignKey("person.id"), index=True),
    Column("segment", String(64)),
    Column("channel", String(64)),
    Column("visit_date", Date, nullable=False),
    Column("responded_at", DateTime),
    # Overall perceived (P) and expected (E) on their own scale; scale bounds stored for normalisation.
    Column("overall_p", Float),
    Column("overall_e", Float),
    Column("overall_scale_min", Float),
    Column("overall_scale_max", Float),
    # Scale of this response's touchpoint items (one survey uses one touchpoint scale).
    Column("tp_scale_min", Float),
    Column("tp_scale_max", Float),
    Column("disconfirmation", String(16)),  # below | met | exceeded
    Column("ltr", SmallInteger),  # likelihood to recommend 0-10
    Column("csat", SmallInteger),  # 1-5
    Column("ces", SmallInteger),  # 1-7, 7 = very easy
    Column("contacts_needed", SmallInteger),
    Column("transfers", SmallInteger),
    Column("repeated_story", Boolean),
    Column("comment", Text),
    Column("comment_lang", String(16)),
    # Derived at load (cxdash.metrics.experience.tiers): 0 disappointed, 1 basic, 2 delighted, NULL no tier.
    Column("tier", SmallInteger),
    Column("gap_norm", Float),  # d / (scale range): the disconfirmation on a common 0-1 scale
    UniqueConstraint("source", "external_id"),
    Index("ix_survey_response_visit_date", "visit_date"),
    Index("ix_survey_response_site_date", "site_id", "visit_date"),
    Index("ix_survey_response_team_date", "team_id", "visit_date"),
    Index("ix_survey_response_region_date", "region_id", "visit_date"),
    # The commented responses by day (a third of them): the voice page counts and samples a selection's comments
    # from this index instead of reading every response of the range.
    Index("ix_survey_response_commented", "visit_date", postgresql_where=text(COMMENTED), sqlite_where=text(COMMENTED)),
    # A customer's responses with every fact the churn models aggregate (cxdash.metrics.loyalty.customer_features), so a
    # customer sample reads the index alone instead of rows scattered over the table. The id orders a customer's
    # responses of one day (their first response, cxdash.metrics.loyalty.churn_facts); SQLite keeps it in every index.
    Index("ix_survey_response_customer_facts", "customer_id", "visit_date", "tier", "ltr", "ces", "contacts_needed",
          "transfers", "repeated_story", postgresql_include=["id"]),
)

touchpoint_score = Table(
    "touchpoint_score",
    metadata,
    Column("response_id", BigId, ForeignKey("survey_response.id", ondelete="CASCADE"), primary_key=True),
    Column("touchpoint_id", Integer, ForeignKey("touchpoint.id"), primary_key=True),
    Column("p", Float),
    Column("e", Float),
    Column("importance", Float),
    # Read through their responses only (the key starts with the response): no index on touchpoint (migration
    # 0006). Stored in key order on SQLite: one tree instead of a table and its key index (migration 0005).
    sqlite_with_rowid=False,
)
