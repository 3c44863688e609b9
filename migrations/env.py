"""Alembic environment for Flask-Migrate: the app's engine and metadata, batch mode for SQLite."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
# Keep loggers configured by the app (and pytest) alive.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
config.set_main_option("sqlalchemy.url", target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%"))


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=target_db.metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        # no empty revisions from autogenerate
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    with target_db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            run_sqlite_migrations(connection, conf_args)
            return
        context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()


def run_sqlite_migrations(connection, conf_args):
    """SQLite's documented procedure for changing a table (https://www.sqlite.org/lang_altertable.html, "making
    other kinds of table schema changes"): foreign-key checks off (the app turns them on for every connection,
    and batch mode's DROP of a rebuilt parent table would fail or cascade), every migration in ONE transaction
    (a failure leaves the file as it was, never half-migrated), `PRAGMA foreign_key_check` before the commit,
    checks back on. PRAGMA foreign_keys is a no-op inside a transaction, so the driver's implicit transactions
    are turned off and BEGIN is ours."""
    driver = connection.connection.driver_connection
    saved_isolation = driver.isolation_level
    driver.isolation_level = None
    try:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.exec_driver_sql("BEGIN")
        try:
            context.configure(
                connection=connection, target_metadata=target_db.metadata, transactional_ddl=True, **conf_args
            )
            context.run_migrations()
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                tables = sorted({row[0] for row in broken})
                raise RuntimeError(f"migration left rows whose references point nowhere in: {', '.join(tables)}")
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
    finally:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()
        driver.isolation_level = saved_isolation


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
