"""SQLAlchemy tables, the database wrapper with its known errors, repositories and migrations."""
