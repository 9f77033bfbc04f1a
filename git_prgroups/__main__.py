from git_prgroups.entry import main

raise SystemExit(main())
