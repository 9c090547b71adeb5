"""The commands, one module per group (``main.py`` registers them).

- ``project``: new, check (a whole repo);
- ``schema``: update, table, column, index, relation, enum (changelog entries);
- ``orm``: types, generate, sync (each workspace's ORM outputs and migrations).
"""
