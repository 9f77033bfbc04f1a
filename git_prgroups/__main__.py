from git_prgroups.cli import main

raise SystemExit(main())
