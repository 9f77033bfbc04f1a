"""`git prgroups try`: the entries' pushed heads merged onto the fresh base in the
spec's order and checked together, before any of them lands; when the combination
fails, the smallest failing prefix (found by a search `jobs` probes wide) names the
entry whose addition breaks it. Nothing is pushed, and nothing of the user's changes.

A combination already tried (same base, same heads, same checks) is not run again:
its verdict is kept by content (tried.py), and so is each prefix's.
"""

from __future__ import annotations

from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor

from git_prgroups.errors import UsageError
from git_prgroups.events import Event, Events, showing
from git_prgroups.execute import cores
from git_prgroups.execute.trying import CheckRun, Clash, Trying
from git_prgroups.forges.base import Forge
from git_prgroups.git import Git
from git_prgroups.interrupt import STOP
from git_prgroups.observe import observe
from git_prgroups.planning.trial import NotTried, Trial, choose, narrowed, next_probes
from git_prgroups.spec import Spec
from git_prgroups.store import Store
from git_prgroups.tried import Tried, Verdict


def one_choice(names: Collection[str], *, wave: int | None, all_open: bool) -> None:
    if sum((bool(names), wave is not None, all_open)) > 1:
        raise UsageError("git prgroups try: choose entry names, --wave N or --all-open")


def run_try(
    spec: Spec,
    git: Git,
    forge: Forge,
    events: Events,
    *,
    only: Collection[str] = (),
    wave: int | None = None,
    dry_run: bool = False,
    jobs: int | None = None,
) -> Events:
    git.fetch(spec.defaults.remote)
    world = observe(spec, git, forge)
    try:
        trial = choose(spec, world, only, wave=wave)
    except NotTried as why:
        events.add(Event("refused", str(why)))
        return events
    untrusted = [c for c in trial.checks if c in world.untrusted]
    if untrusted:
        text = "its checks are not allowed to run here yet: git prgroups trust, then try again"
        events.add(Event("refused", text, details={"reason": "not-trusted"}))
        return events
    store = Store.of(git.common_dir())
    tried = Tried.load(store.tried)
    known = tried.verdicts.get(trial.digest)
    if known is not None:  # tried already, as it is now: nothing runs
        if not dry_run:
            tried.last = trial.digest
            tried.save()
        events.add(verdict_event(known, trial, again=True))
        return events
    width = max(1, jobs or cores())
    if dry_run:
        text = (
            f"try {', '.join(trial.names)} together on {trial.base[:7]}: merged in a checkout "
            f"of its own under {store.tries}, then checked; on a failure, the prefixes "
            f"searched {width} at a time"
        )
        events.add(Event("would-run", text, details={"entries": trial.names}))
        return events
    verdict = _trying(trial, Trying(git, store), tried, events, width)
    tried.verdicts[trial.digest] = verdict
    tried.last = trial.digest
    tried.save()
    events.add(verdict_event(verdict, trial))
    return events


def _trying(trial: Trial, trying: Trying, tried: Tried, events: Events, width: int) -> Verdict:
    count = len(trial.members)
    names = tuple(trial.names)
    with trying.checkouts(min(width, count)) as (merging, slots):
        combined = trying.combine(merging, trial)
        if isinstance(combined, Clash):
            return Verdict("conflict", trial.base, names, combined.name, combined.partner,
                           combined.files)  # fmt: skip
        runs: dict[int, CheckRun | Verdict] = {}

        def probe(k: int) -> CheckRun | Verdict:
            prefix = trial.prefix(k)
            known = tried.verdicts.get(_checked(prefix))
            if known is not None:
                return known
            slot = slots.get()
            events.progress.started(trial.members[k - 1].name)
            try:
                log = trying.store.logs / f"try-{prefix.digest[:12]}.log"
                return trying.check(slot, combined[k - 1], prefix, log)
            finally:
                events.progress.finished(trial.members[k - 1].name)
                slots.put(slot)

        def round_of(ks: list[int]) -> None:
            with ThreadPoolExecutor(len(ks)) as pool:
                outcomes = list(pool.map(probe, ks))
            for k, outcome in zip(ks, outcomes, strict=True):
                runs[k] = outcome
                if isinstance(outcome, CheckRun):
                    _remember(tried, trial.prefix(k), outcome)
                    events.add(_tried_event(trial, k, outcome))
            tried.save()  # each round's: a kill later keeps what was learnt
            STOP.check()

        with showing(events.progress, "checks together", count):
            round_of([count])
            if _ok(runs[count]):
                return Verdict("ok", trial.base, names)
            passing, failing = 0, count
            while probes := next_probes(passing, failing, width):
                round_of(probes)
                results = {k: _ok(runs[k]) for k in probes}
                passing, failing = narrowed(passing, failing, results)
        culprit = runs[failing]
        log = str(culprit.log) if culprit.log else None
        return Verdict("fails", trial.base, names, trial.members[failing - 1].name,
                       log=log, tail=culprit.tail)  # fmt: skip


def _ok(run: CheckRun | Verdict) -> bool:
    return run.ok if isinstance(run, CheckRun) else run.outcome == "ok"


def _remember(tried: Tried, prefix: Trial, run: CheckRun) -> None:
    names = tuple(prefix.names)
    tried.verdicts[_checked(prefix)] = (
        Verdict("ok", prefix.base, names)
        if run.ok
        else Verdict("fails", prefix.base, names, names[-1], log=str(run.log), tail=run.tail)
    )


def _checked(prefix: Trial) -> str:
    """Where one check run's result is kept: apart from the verdicts of whole trials, so
    that a try stopped after checking the whole (which fails) is not taken, next time,
    for one that searched for the culprit."""
    return f"checked:{prefix.digest}"


def _tried_event(trial: Trial, k: int, run: CheckRun) -> Event:
    last = trial.members[k - 1].name
    how = "pass" if run.ok else "fail"
    text = f"{k} of {len(trial.members)} together (up to {last}): the checks {how}"
    details = {"entries": trial.names[:k], "ok": run.ok, "log": str(run.log)}
    return Event("tried", text, last, details=details)


def verdict_event(verdict: Verdict, trial: Trial, *, again: bool = False) -> Event:
    """The one line a try ends with (`again`: known already, nothing ran)."""
    at = f"on {trial.base[:7]}" + (" (tried already: nothing ran)" if again else "")
    names = ", ".join(verdict.members)
    details = {"entries": list(verdict.members), "base": verdict.base, "cached": again}
    if verdict.outcome == "ok":
        return Event("together", f"{names} pass their checks together {at}", details=details)
    if verdict.outcome == "conflict":
        with_whom = f" with {verdict.partner}" if verdict.partner else " onto those before it"
        text = f"does not merge{with_whom} {at}: nothing was checked"  # the face names the files
        details |= {"partner": verdict.partner, "files": list(verdict.files)}
        return Event("conflict", text, verdict.culprit, details=details)
    culprit = verdict.culprit or ""
    before = verdict.members[: verdict.members.index(culprit)] if culprit in verdict.members else ()
    added = f"added to {', '.join(before)}" if before else "alone"
    failed = verdict.tail.splitlines()[0] if verdict.tail else "the checks fail"
    text = f"breaks the combination {at} ({added}, {failed})"
    text += f"; log: {verdict.log}" if verdict.log else ""
    return Event("culprit", text, verdict.culprit,
                 details={**details, "log": verdict.log, "tail": verdict.tail})  # fmt: skip
