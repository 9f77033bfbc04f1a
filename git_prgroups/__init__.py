"""Ship many related pull requests at once, declared in prgroups.toml."""

__version__ = "0.1.0"
