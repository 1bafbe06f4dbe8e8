"""Alembic environment: the engine comes from socialdesk (see runner.py)."""

from alembic import context

from socialdesk.models import metadata

config = context.config


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from socialdesk.config import get_settings
        from socialdesk.db import make_engine

        engine = make_engine(get_settings().resolved_database_url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
