"""Alembic environment: runs on the connection cxdash.db hands over, or on the URL of CXDASH_DATABASE_URL."""

from alembic import context

from cxdash.db import database_url, make_engine
from cxdash.schema import metadata

config = context.config
target_metadata = metadata


def run() -> None:
    """Run migrations on the given connection (programmatic) or on a fresh engine (alembic CLI)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = make_engine(database_url(config.get_main_option("sqlalchemy.url") or None), migrate=False)
    with engine.begin() as conn:
        _run_on(conn)


def _run_on(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
