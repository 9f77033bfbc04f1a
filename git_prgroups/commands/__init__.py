"""One module per subcommand: library functions the command line calls."""
