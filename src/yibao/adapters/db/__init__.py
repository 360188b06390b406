"""The system of record: SQLAlchemy tables, Alembic migrations, the unit of work. SQLite or PostgreSQL."""
