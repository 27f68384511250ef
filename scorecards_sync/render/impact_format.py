"""Wording of a score impact, shared by the plan renderers (text and Markdown).

Entity tags and names come from Cortex: renderers escape what these functions return
for their own medium; these functions only choose words and numbers.
"""

from __future__ import annotations

from scorecards_sync.impact import Impact, LevelCount, Move, Position
from scorecards_sync.safe_text import one_line

# The text plan lists this many moving entities, then a count.
MOVES_SHOWN = 20


def position(value: Position) -> str:
    if value is None:
        return "out of scope"
    if isinstance(value, str):
        return value
    return f"{value:g}%"


def after_range(low: Position, high: Position) -> str:
    if low == high:
        return position(low)
    return f"{position(low)}..{position(high)}"


def count_range(count: LevelCount) -> str:
    if count.after_min == count.after_max:
        return str(count.after_min)
    return f"{count.after_min}–{count.after_max}"


def move_text(move: Move) -> str:
    return f"{position(move.before)} → {after_range(move.after_min, move.after_max)}"


def percent(value: float) -> str:
    return f"{value:g}%"


def score_text(impact: Impact) -> str:
    """`average 61% → 55%` or `average 61% → 50%–70%`."""
    score = impact.score
    if score is None:
        return ""
    after = (
        percent(score.after_min)
        if score.after_min == score.after_max
        else f"{percent(score.after_min)}–{percent(score.after_max)}"
    )
    return f"average {percent(score.before)} → {after}"


def changed_levels(impact: Impact) -> list[tuple[str, LevelCount]]:
    """Levels whose count changes or may change (every level when none does)."""
    moving = [
        (name, count)
        for name, count in impact.levels
        if not count.before == count.after_min == count.after_max
    ]
    return moving or [(n, c) for n, c in impact.levels if c.before or c.after_max]


def levels_text(impact: Impact) -> str:
    """`Bronze 14 → 0, No level 3 → 17` (levels that change)."""
    parts = [
        f"{name} {count.before} → {count_range(count)}" for name, count in changed_levels(impact)
    ]
    return ", ".join(parts)


def entities_word(count: int) -> str:
    return f"{count} entit{'y' if count == 1 else 'ies'}"


def self_check_text(impact: Impact) -> str:
    check = impact.self_check
    if check.disagree == 0:
        if check.agree == 1:
            return "self-check: it agrees with Cortex"
        return f"self-check: all {check.agree} agree with Cortex"
    one = check.disagree == 1
    return (
        f"self-check: {check.disagree} of {check.agree + check.disagree} "
        f"{'disagrees' if one else 'disagree'} with Cortex "
        f"({'its' if one else 'their'} preview may be wrong)"
    )


def unknown_text(impact: Impact) -> list[str]:
    return [
        f"rule '{u.rule}' ({u.reason}) unknown for {entities_word(u.entities)} "
        "until Cortex evaluates it"
        for u in impact.unknown_rules
    ]


def summary(impact: Impact) -> str:
    """One line: what changes, how many move, what is unknown, the self-check."""
    what = levels_text(impact) if impact.level_based else score_text(impact)
    moves = len(impact.moves)
    parts = [
        f"impact on {entities_word(impact.entities)}: {what or 'no change'}",
        f"{entities_word(moves)} {'moves' if moves == 1 else 'move'}",
    ]
    if impact.unknown_entities:
        parts.append(f"{entities_word(impact.unknown_entities)} unknown")
    parts.append(self_check_text(impact))
    return " · ".join(parts)


def printable(text: str) -> str:
    """`text` on one line, control, bidi and invisible characters shown as escapes
    (`safe_text.one_line`): entity tags and names come from Cortex, level names and rule
    titles from descriptors, and none may drive the terminal."""
    return one_line(text)


def text_lines(impact: Impact, indent: str = "      ") -> list[str]:
    """The impact for a terminal: a small table of levels (or the average), the moves."""
    lines = [f"{indent}impact on {entities_word(impact.entities)} ({self_check_text(impact)})"]
    if impact.evaluated_at:
        lines[0] = lines[0][:-1] + f"; scores of {impact.evaluated_at})"
    inner = indent + "  "
    if impact.level_based:
        rows = [
            (printable(name), str(count.before), count_range(count))
            for name, count in impact.levels
        ]
        width = max(len("level"), *(len(name) for name, _, _ in rows))
        lines.append(f"{inner}{'level':<{width}}  before → after")
        lines += [f"{inner}{name:<{width}}  {b:>6} → {a}" for name, b, a in rows]
    else:
        lines.append(f"{inner}{score_text(impact)}")
    shown = impact.moves[:MOVES_SHOWN]
    for move in shown:
        lines.append(f"{inner}{printable(move.entity)}: {move_text(move)}")
    if len(impact.moves) > len(shown):
        lines.append(f"{inner}… and {len(impact.moves) - len(shown)} more entities move")
    lines += [f"{inner}unknown: {printable(line)}" for line in unknown_text(impact)]
    if impact.self_check.disagreeing:
        names = ", ".join(printable(t) for t in impact.self_check.disagreeing[:MOVES_SHOWN])
        more = len(impact.self_check.disagreeing) - MOVES_SHOWN
        lines.append(f"{inner}disagreeing: {names}" + (f" and {more} more" if more > 0 else ""))
    lines += [f"{inner}not previewed: {printable(note)}" for note in impact.not_previewed]
    return lines
