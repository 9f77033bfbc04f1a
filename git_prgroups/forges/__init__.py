"""Where pull requests live: GitHub through gh, or records kept beside the repository."""
