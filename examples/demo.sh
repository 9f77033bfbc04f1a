#!/usr/bin/env bash
# The session notes' whole day on the embedded local forge, in a throwaway sandbox:
# a bare origin, a clone, the example spec, and the real `git prgroups` commands.
# It never touches the repository it is started from.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
sandbox="$(mktemp -d "${TMPDIR:-/tmp}/prgroups-demo.XXXXXX")"
export GIT_AUTHOR_NAME="Demo" GIT_AUTHOR_EMAIL="demo@example.com"
export GIT_COMMITTER_NAME="Demo" GIT_COMMITTER_EMAIL="demo@example.com"

if [ -t 1 ]; then bold=$'\033[1m' dim=$'\033[2m' plain=$'\033[0m'; else bold="" dim="" plain=""; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
run() { printf '%s$ %s%s\n' "$dim" "$*" "$plain"; "$@"; }

step "A bare origin and a clone, with the example spec committed, in"
echo "$sandbox"
git init -q --bare -b main "$sandbox/origin.git"
git clone -q "$sandbox/origin.git" "$sandbox/scylla" 2>/dev/null
cd "$sandbox/scylla"
git checkout -q -b main 2>/dev/null || true
echo "# scylla" > README.md
cp "$here/prgroups.toml" prgroups.toml
git add README.md prgroups.toml
git commit -q -m "start the audit epic"
git push -q origin main

step "The plan: group A now, then B and C once what they wait for merges"
run git prgroups plan

step "up: worktrees for group A only, cut from origin/main"
run git prgroups up
run ls ..

commit_in() {  # a change in an entry's worktree, committed as the maintainer would
  local name="$1"
  (cd "$sandbox/scylla-$name" && echo "$name" > "$name.md" && git add "$name.md" \
    && git prgroups commit > /dev/null)
}

step "Work in each group-A worktree: one commit each"
for name in fix-model-configs delete-mojo-guides remove-python-justification \
  update-claude-md-tree config-tooling-cleanup code-hygiene remove-workspace-manager; do
  commit_in "$name"
done

step "up: seven PRs with auto-merge; they land, and groups B and C start"
run git prgroups up
run git prgroups status

step "prune: the merged worktrees and branches go; finished issues close"
run git prgroups prune
run ls ..

step "Work in groups B and C; meanwhile a colleague pushes to main"
commit_in fix-language-defaults
commit_in consolidate-docs
git clone -q "$sandbox/origin.git" "$sandbox/colleague"
(cd "$sandbox/colleague" && echo "a colleague's fix" > NEWS.md && git add NEWS.md \
  && git commit -q -m "docs: add NEWS" && git push -q origin main)

step "sync: B and C rebased onto the new origin/main (old tips kept)"
run git prgroups sync
run git prgroups status

step "up: the last two are pushed and land"
run git prgroups up

step "prune: the rest goes; #401 (shared by three PRs) closes with the last"
run git prgroups prune
run ls ..

step "up once more: nothing left to do"
run git prgroups up
git fetch -q origin
run git log --oneline origin/main

step "report: the day's record, from the forge and prgroups' own history"
run git prgroups report

printf '\nThe sandbox stays for you to look at; delete it when done:\n%s\n' "$sandbox"
