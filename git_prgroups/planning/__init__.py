"""The planning room: (spec, world, rendered texts) → actions, as pure functions.

Nothing in here runs a process, reads a file or asks the clock; the import
contract in pyproject.toml keeps it so. Tests build worlds by hand
(tests/test_planning.py).
"""
