"""``--only-failed``: which recorded run to repeat, and which of its steps.

The run repeated is the newest run of the **same plan text** (matched by the
sha256 the store keeps with every run), so an edited plan is never re-run
against results of another version of it. From that run, every main step that
did not pass is repeated (for an aborted run, also the steps it never
reached), with the writes it depends on (:func:`select_only_failed`). A run
still going in a live process is not repeated; one whose process is gone
counts as aborted.
"""

from __future__ import annotations

from dataclasses import dataclass

from mfg_ctl.plan import Plan
from mfg_ctl.run.sequencer import select_only_failed
from mfg_ctl.store import RunStore, StoredRun, plan_hash

__all__ = ["NothingToRerun", "Rerun", "RerunError", "choose_rerun"]


class RerunError(Exception):
    """No run to repeat (or one still going): one line for the user."""


class NothingToRerun(Exception):  # noqa: N818 - an answer, not an error
    """Every step of the run to repeat passed; the message says which run."""


@dataclass(frozen=True)
class Rerun:
    """The run repeated, the plan step numbers to run, and what to tell the user."""

    parent: StoredRun
    selected: list[int]
    notes: list[str]


def choose_rerun(store: RunStore, plan: Plan) -> Rerun:
    """The re-run of ``plan``'s last recorded run of the same text; RerunError if none."""
    text_hash = plan_hash(plan.text)
    by_name = store.last_run(plan.name)
    if by_name is None:
        raise RerunError(
            f"no recorded run of plan {plan.name!r}: run it once without --only-failed"
        )
    same = by_name if by_name.plan_hash == text_hash else store.last_run(plan.name, text_hash)
    if same is None:
        raise RerunError(
            f"the last run of {plan.name} (run {by_name.run_id[:8]}) used a different plan "
            f"text and no recorded run used this one: run it once without --only-failed"
        )
    notes = []
    if same.run_id != by_name.run_id:
        notes.append(
            f"the last run of {plan.name} (run {by_name.run_id[:8]}) used a different plan "
            f"text; re-running against run {same.run_id[:8]}, the last run of this exact text"
        )
    aborted = same.status == "aborted"
    if same.status == "running":
        if store.is_running(same):
            raise RerunError(
                f"run {same.run_id[:8]} of this plan is still running (pid {same.pid}); "
                "wait for it or stop it"
            )
        aborted = True  # its process is gone: what it never reached did not pass
    failed = _not_passed(plan, same, aborted)
    if not failed:
        raise NothingToRerun(f"nothing to re-run: every step of run {same.run_id[:8]} passed")
    selected = select_only_failed(plan, failed)
    earlier = len(selected) - len(failed)
    notes.append(
        f"re-running the {len(failed)} step(s) that did not pass in run {same.run_id[:8]}"
        + (f" (+ {earlier} earlier write{'s' * (earlier > 1)})" if earlier else "")
    )
    return Rerun(same, selected, notes)


def _not_passed(plan: Plan, last: StoredRun, aborted: bool) -> list[int]:
    """The plan's main step numbers that did not pass in ``last`` (teardown steps always run)."""
    main = [step for step in last.steps if not step.teardown]
    passed = {step.name for step in main if step.verdict == "pass"}
    failed = {step.name for step in main if step.verdict != "pass"}
    if aborted:  # the steps it never reached did not pass either
        wanted = set(last.selected_steps)
        failed |= {
            step.name
            for step in plan.steps
            if (not wanted or step.number in wanted) and step.name not in passed
        }
    numbers = [step.number for step in plan.steps if step.name in failed]
    if failed and not numbers:
        raise RerunError(
            f"the steps that failed in run {last.run_id[:8]} are no longer in {plan.path}"
        )
    return numbers
