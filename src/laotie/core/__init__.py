"""Domain-free building blocks: database, unit of work, errors, money, events, auth primitives."""
