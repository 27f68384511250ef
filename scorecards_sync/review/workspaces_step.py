"""Every workspace of the config file in one change request (`--all-workspaces`).

**Plan.** Each workspace is validated and planned on its own paths, against its own
Cortex, with its own key (read from the variable the workspace names, only when it is
planned). The one sticky comment has a section per workspace. Its first lines, before
anything truncation could cut, are one hidden marker per section:

    <!-- scorecards-sync:<key>#workspaces checksum=<over all sections> -->
    <!-- scorecards-sync:workspace <name> checksum=<that workspace's plan checksum> -->

**Why both checksums.** Each section keeps its own checksum so that the apply can check
every workspace's plan against the one reviewed for it, and say which workspace moved.
The comment's marker carries one checksum over all sections (each name with its
checksum, hashed), empty when any section failed (invalid descriptors, a missing key,
a plan Cortex rejects or over the thresholds): the reviewed plan is the set of
sections, so one failed section means nothing stands as reviewed.

**Apply.** On the merge, every workspace is planned again; all are checked before any
is applied: if one has no reviewed section or another checksum, or a reviewed section
has no workspace any more (the sections must hash to the comment's own checksum), nothing
is applied anywhere. Then each workspace's saved plan is applied to its own Cortex with its own
key, and one "applied" comment lists each workspace's outcome.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from scorecards_sync.applier import ApplyResult, apply_plan, check_fresh, touched_tags
from scorecards_sync.config import Settings
from scorecards_sync.console import EXIT_ERROR, EXIT_OK
from scorecards_sync.errors import ScorecardsSyncError
from scorecards_sync.impact import Impact
from scorecards_sync.plan import Plan
from scorecards_sync.planfile import read_plan
from scorecards_sync.record import Since
from scorecards_sync.render.plan_markdown import MarkdownPlanRenderer, code, escape
from scorecards_sync.render.results import summary_line
from scorecards_sync.review.apply_step import (
    NOT_SENT,
    check_event,
    comment_result,
    record_result,
    refuse,
    reviewed,
    unreviewed,
)
from scorecards_sync.review.plan_step import problems_of
from scorecards_sync.review.run import ReviewRun
from scorecards_sync.review.sticky import find_sticky, parse_marker, path_key
from scorecards_sync.review.summary import caution_md, paths_md
from scorecards_sync.workflow import live_fingerprints, open_client, unless_forced, verify_applied

KEY_SUFFIX = "#workspaces"  # `#` never occurs in a path key: no clash with one path's comment
_SECTION = re.compile(
    r"^<!-- scorecards-sync:workspace (?P<name>[^\s>]+) checksum=(?P<checksum>[^\s>]*) -->$",
    re.MULTILINE,
)
# Room in a comment for the markers, headings and footers around the rendered plans.
_FRAME = 600


@dataclass(frozen=True)
class Workspace:
    """One workspace to plan: its name, its paths, and its settings (with its key), read
    only when called."""

    name: str
    paths: tuple[str, ...]
    settings: Callable[[], Settings]


@dataclass
class _Section:
    workspace: Workspace
    problems: list[str] = field(default_factory=list)
    plan: Plan | None = None
    base: str | None = None
    saved: Path | None = None
    settings: Settings | None = None
    since: Since | None = None
    impacts: Mapping[str, Impact] = field(default_factory=dict)

    @property
    def checksum(self) -> str:
        return "" if self.problems or self.plan is None else self.plan.checksum()


def comment_key(workspaces: Sequence[Workspace]) -> str:
    """The sticky comment's key: every workspace's paths, then `#workspaces`."""
    return path_key(sorted({p for w in workspaces for p in w.paths})) + KEY_SUFFIX


def section_marker(name: str, checksum: str) -> str:
    return f"<!-- scorecards-sync:workspace {_marker_name(name)} checksum={checksum} -->"


def _marker_name(name: str) -> str:
    """A workspace's name as a marker holds it (no space, no `>`)."""
    return quote(name, safe="-_.~")


def _named(section: _Section) -> str:
    return _marker_name(section.workspace.name)


def reviewed_sections(body: str) -> dict[str, str]:
    """Each workspace's reviewed checksum, from the markers of a plan comment."""
    return {m["name"]: m["checksum"] for m in _SECTION.finditer(body)}


def combined_checksum(checksums: Mapping[str, str]) -> str:
    """One checksum over every section (name and checksum), empty when any is empty."""
    if not checksums or not all(checksums.values()):
        return ""
    text = "".join(f"{_marker_name(n)} {c}\n" for n, c in sorted(checksums.items()))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


# -- plan ---------------------------------------------------------------------------------------


def run_plan_all(run: ReviewRun, workspaces: Sequence[Workspace]) -> int:
    number, key = run.run_event.number, comment_key(workspaces)
    try:
        base = run.options.base_ref or run.run_event.base
        sections = [_plan_one(run, w, base, server_check=True) for w in workspaces]
        if number is not None and run.options.comment != "false":
            _comment_plans(run, number, key, sections)
    except BaseException:
        if number is not None and run.options.comment != "false":
            _withdraw(run, number, key)
        raise
    return EXIT_ERROR if any(s.problems for s in sections) else EXIT_OK


def _plan_one(
    run: ReviewRun, workspace: Workspace, base: str | None, *, server_check: bool
) -> _Section:
    section = _Section(workspace, base=base)
    name = workspace.name
    run.say(f"=== workspace {name} ===")
    run.summary.append(f"### Workspace {code(name)} · {paths_md(workspace.paths)}")
    source = run.validate(base, workspace.paths)
    if source is None:
        section.problems.append("the descriptors have errors; nothing was sent to Cortex")
        run.summary.append(NOT_SENT)
        return section
    try:
        settings = workspace.settings()
        source, since = run.host.since(run, settings, source, base)
        with open_client(settings) as client:
            planned = run.make_plan(
                client, settings, source, server_check=server_check, impact=run.options.impact
            )
    except ScorecardsSyncError as exc:
        section.problems.append(str(exc))
        run.annotate("error", f"workspace {name}: {exc}")
        return section
    unsafe = unless_forced(planned.unsafe, force=run.options.force)
    section.problems += problems_of(planned.rejected, None if unsafe is None else str(unsafe))
    section.plan, section.base, section.settings, section.since = (
        planned.plan,
        since.base,
        settings,
        since,
    )
    section.impacts = run.impacts
    section.saved = run.record(planned.plan, since.base, section.problems, label=name)
    for problem in section.problems:
        run.annotate("error", f"workspace {name}: {problem}")
    return section


def _comment_plans(run: ReviewRun, number: int, key: str, sections: Sequence[_Section]) -> None:
    checksums = {s.workspace.name: s.checksum for s in sections}
    changes = any(s.plan is not None and s.plan.has_changes for s in sections)
    room = (run.host.comment_limit - _FRAME * (len(sections) + 1)) // max(len(sections), 1)
    names = ", ".join(code(s.workspace.name) for s in sections)
    parts = [
        *(section_marker(s.workspace.name, s.checksum) for s in sections),
        f"### Scorecards plan · every workspace ({names})",
    ]
    for section in sections:
        parts += _section_md(run, section, room)
    parts.append(
        "<sub>On merge, the apply job applies each workspace's section to that workspace, "
        "only if every workspace's plan still has its checksum.</sub>"
        if combined_checksum(checksums)
        else "<sub>A workspace's plan failed: nothing will be applied on merge.</sub>"
    )
    with run.host.session() as session:
        if session.cannot_comment:
            run.say(f"No plan {run.host.words.comment}: {session.cannot_comment}")
            return
        thread, author = session.thread(number), session.author()
        quiet = run.options.comment == "true" and not changes
        if quiet and find_sticky(thread.list_comments(), key, author=author) is None:
            run.say(f"No changes, so no plan {run.host.words.comment}.")
            return
        result = run.upsert(
            thread, key, combined_checksum(checksums), "\n\n".join(parts), author=author
        )
    word = run.host.words.comment
    run.say(f"Plan {word} {result.action} on {run.host.words.prefix}{number}.")
    if result.comment.url:
        run.outputs["comment-url"] = result.comment.url


def _section_md(run: ReviewRun, section: _Section, room: int) -> list[str]:
    workspace = section.workspace
    head = f"#### Workspace {code(workspace.name)} · {paths_md(workspace.paths)}"
    failed = [caution_md(escape(p)) for p in section.problems]
    if section.plan is None:
        return [head, *failed]
    renderer = MarkdownPlanRenderer(max_chars=room, checksum=False, impacts=section.impacts)
    return [head, *failed, renderer.render(section.plan), run.footer(section.plan, section.base)]


def _withdraw(run: ReviewRun, number: int, key: str) -> None:
    """After a failed plan run: an earlier plan comment loses its checksums."""
    try:
        with run.host.session() as session:
            if session.cannot_comment:
                return
            thread, author = session.thread(number), session.author()
            comment = find_sticky(thread.list_comments(), key, author=author)
            marker = parse_marker(comment.body) if comment is not None else None
            if marker is None or not marker.checksum:
                return
            body = (
                "### Scorecards plan · every workspace\n\n❌ **The last plan run failed**, so "
                "there is no current plan: nothing will be applied on merge until a plan run "
                "succeeds."
            )
            run.upsert(thread, key, "", body, author=author)
    except ScorecardsSyncError as exc:
        run.annotate("warning", f"could not withdraw the earlier plan: {exc}")


# -- apply --------------------------------------------------------------------------------------


def run_apply_all(run: ReviewRun, workspaces: Sequence[Workspace]) -> int:
    check_event(run)
    event, key = run.run_event, comment_key(workspaces)
    base = run.options.base_ref or (event.base if event.kind != "change_request" else None)
    sections = [_plan_one(run, w, base, server_check=False) for w in workspaces]
    if any(s.problems for s in sections):
        return EXIT_ERROR
    changed = [s for s in sections if s.plan is not None and s.plan.has_changes]
    if not changed:
        run.say("Nothing to apply: every workspace's Cortex matches the repository.")
        for s in sections:
            _record(run, s, None)
        return EXIT_OK
    if not run.options.auto_approve:
        refusal = _refusal(run, key, sections)
        if refusal is not None:
            refuse(run, refusal)
            for s in sections:
                _record(run, s, "not applied: " + refusal)
            return EXIT_ERROR
    # Each workspace's results go to the log, the summary and the annotations as soon as it
    # is applied, with or without a comment, and whatever happens to the next one.
    results: list[tuple[_Section, ApplyResult, str]] = []
    for section in changed:
        result, table = _apply_one(run, section)
        results.append((section, result, table))
    ok = all(result.ok for _, result, _ in results)
    if run.options.comment != "false":
        parts = [f"### {'✅' if ok else '❌'} Scorecards applied · every workspace"]
        for section, result, table in results:
            parts += [
                f"#### Workspace {code(section.workspace.name)}",
                f"**{escape(summary_line(result))}**",
                table,
            ]
        checksums = {s.workspace.name: s.checksum for s in sections}
        comment_result(
            run,
            key,
            combined_checksum(checksums),
            parts,
            None,
        )
    return EXIT_OK if ok else EXIT_ERROR


def _refusal(run: ReviewRun, key: str, sections: Sequence[_Section]) -> str | None:
    review = reviewed(run, key)
    missing = unreviewed(run, review)
    if missing is not None:
        return missing
    assert review.number is not None and review.comment is not None
    ref = run.host.words.ref(review.number)
    wanted = reviewed_sections(review.comment.body)
    moved = [
        f"{s.workspace.name} (plan {s.checksum}, reviewed {wanted.get(_named(s)) or 'none'})"
        for s in sections
        if wanted.get(_named(s)) != s.checksum
    ]
    planned = {_named(s) for s in sections}
    moved += [f"{name} (reviewed, but not in the config)" for name in wanted if name not in planned]
    # The reviewed plan is the set of sections: the comment's own checksum covers them all,
    # so a section edited, added or lost since the plan run is no reviewed plan either.
    current = combined_checksum({s.workspace.name: s.checksum for s in sections})
    if not moved and current != review.checksum:
        moved.append(f"every workspace (plans {current}, reviewed {review.checksum})")
    if moved:
        return (
            f"the plans to apply are not the plans reviewed in {ref} for workspace(s) "
            f"{'; '.join(moved)}: Cortex, the repository or the {run.host.words.comment} "
            f"changed since. Nothing was applied to any workspace; re-plan in a "
            f"{run.host.words.change_request}."
        )
    run.say(f"Every workspace's plan matches the one reviewed in {ref}.")
    run.summary.append(f"✅ These are the plans reviewed in {ref}.")
    return None


def _apply_one(run: ReviewRun, section: _Section) -> tuple[ApplyResult, str]:
    """Apply one workspace's saved plan: its result, and its result table."""
    assert section.saved is not None and section.settings is not None
    settings = section.settings
    run.say(f"=== applying workspace {section.workspace.name} ===")
    plan = read_plan(section.saved)
    with open_client(settings) as client:
        check_fresh(plan, live_fingerprints(client, touched_tags(plan)))
        result = verify_applied(
            plan, apply_plan(plan, client, concurrency=settings.concurrency), client
        )
    # The results in the log first: whatever fails next, they are what was written.
    table = record_result(run, result)
    _record(run, section, None if result.ok else summary_line(result))
    return result, table


def _record(run: ReviewRun, section: _Section, failure: str | None) -> None:
    if section.settings is not None and section.since is not None and section.plan is not None:
        run.host.record(run, section.settings, section.since, section.plan, failure)
