from git_prgroups.entry import program

program()
