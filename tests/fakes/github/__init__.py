"""A fake GitHub that the real `gh` binary talks to over loopback.

gh treats the host `github.localhost` as plain http (`http://api.github.localhost/graphql`), so
pointing HTTP_PROXY at this server routes every request here without root or /etc/hosts. The
repository behind it is a real bare git repository: head SHAs are read from it live and merges
are real git operations on it.

GraphQL is answered by a small executor over the query gh actually sends (aliases, fragments,
variables), so every response holds exactly the requested selection set. That matters because gh
decodes mutations and introspection strictly and fails on any extra key.

The modules, in the order a request meets them: http_server (the wire), server (FakeGitHub: state,
knobs, REST, the request pipeline), graphql (parser and executor), graph and mutations (the
GraphQL query and mutation roots, mixed into FakeGitHub), model (PRs, issues, the git origin);
binaries finds the gh binaries to run.
"""

from .binaries import GhBinary, gh_binaries
from .graphql import GraphQLError, GraphQLSyntaxError
from .model import FakeIssue, FakePR, MergeConflict, Received
from .server import FakeGitHub, Hang, RateLimits

__all__ = [
    "FakeGitHub",
    "FakeIssue",
    "FakePR",
    "GhBinary",
    "GraphQLError",
    "GraphQLSyntaxError",
    "Hang",
    "MergeConflict",
    "RateLimits",
    "Received",
    "gh_binaries",
]
