from __future__ import annotations

from scorecards_sync.plan import Action, Change, Plan, ServerVerdict


def _plan(verdict: ServerVerdict | None, yaml_text: str = "tag: a\nname: A\n") -> Plan:
    change = Change(Action.CREATE, "a", desired_yaml=yaml_text, server_validation=verdict)
    return Plan((change,), base_url="http://cortex.test")


def test_server_verdicts_do_not_change_the_checksum() -> None:
    reviewed = _plan(ServerVerdict(ok=True, messages=("looks fine",)))
    merged = _plan(None)
    assert reviewed.checksum() == merged.checksum()


def test_what_is_sent_changes_the_checksum() -> None:
    assert _plan(None).checksum() != _plan(None, "tag: a\nname: B\n").checksum()


def test_saved_plan_with_verdicts_round_trips() -> None:
    plan = _plan(ServerVerdict(ok=False, messages=("rule level unknown",)))
    again = Plan.from_json(plan.to_json())
    assert again.changes[0].server_validation == plan.changes[0].server_validation
    assert again.checksum() == plan.checksum()


def test_unmanaged_scorecards_do_not_change_the_checksum() -> None:
    change = Change(Action.CREATE, "a", desired_yaml="tag: a\nname: A\n")
    reviewed = Plan((change,), unmanaged=("other-team",), base_url="http://cortex.test")
    merged = Plan((change,), unmanaged=("other-team", "newer-team"), base_url="http://cortex.test")
    assert reviewed.checksum() == merged.checksum()
