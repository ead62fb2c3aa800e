"""The agent's record as text: bars and sparklines for the terminal, Markdown for a review."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from calldesk.core.record.summary import AgentRecord, Period
from calldesk.core.textsafe import counted

SPARKS = "▁▂▃▄▅▆▇█"
BAR = "█"
BAR_WIDTH = 24
"""Widest bar; with the labels a month line stays inside 80 columns."""


def sparkline(values: Sequence[int]) -> str:
    """`▁▃█▅`: one character per value, scaled to the largest (all blank-low when all are 0)."""
    top = max(values, default=0)
    if top <= 0:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[round(value / top * (len(SPARKS) - 1))] for value in values)


def bar(value: int, top: int, width: int = BAR_WIDTH) -> str:
    """A bar `value/top` of `width`; any value above 0 shows at least one block."""
    if top <= 0 or value <= 0:
        return ""
    return BAR * max(1, round(value / top * width))


# (heading, how to count it for one period) for the sparklines and the tables.
METRICS: tuple[tuple[str, Callable[[Period], int]], ...] = (
    ("Calls taken", lambda p: p.calls),
    ("Permanent fixes filed", lambda p: p.fixes_filed),
    ("Permanent fixes closed", lambda p: p.fixes_closed),
    ("Promises kept on time", lambda p: p.promises_kept_on_time),
    ("Fans made", lambda p: p.fans),
    ("Bad calls weathered", lambda p: p.bad_calls),
    ("Breaks taken", lambda p: p.breaks_taken),
    ("Practice reviews", lambda p: p.reviews),
)


def _promise_rate(record: AgentRecord) -> str:
    closed = record.total("promises_kept_on_time") + record.total("promises_kept_late")
    closed += record.total("promises_dropped")
    on_time = record.total("promises_kept_on_time")
    if not closed:
        return "no promises closed yet"
    return f"{on_time} of {closed} closed promises kept on time ({on_time * 100 // closed}%)"


def render_plain(record: AgentRecord, redact: Callable[[str], str] = str) -> str:
    """The record for the terminal: a sparkline per measure over the weeks, bars per month."""
    weeks = record.weeks
    lines = [
        f"My record, {record.since:%d %b %Y} to {record.until:%d %b %Y}"
        f" ({len(weeks)} week{'s' if len(weeks) != 1 else ''})",
        "",
        f"{'Per week':<24}{'total':>6}  {weeks[0].label if weeks else ''} → "
        f"{weeks[-1].label if weeks else ''}",
    ]
    for name, count in METRICS:
        values = [count(period) for period in weeks]
        lines.append(f"{name:<24}{sum(values):>6}  {sparkline(values[-44:])}")
    lines += ["", "Per month (calls taken)"]
    top = max((period.calls for period in record.months), default=0)
    for period in record.months:
        extra = []
        if period.fixes_filed:
            extra.append(counted(period.fixes_filed, "fix"))
        if period.promises_kept_on_time:
            extra.append(f"{period.promises_kept_on_time} kept")
        if period.fans:
            extra.append(f"{period.fans} fan{'s' if period.fans != 1 else ''}")
        if period.bad_calls:
            extra.append(f"{period.bad_calls} bad")
        tail = f"  {', '.join(extra)}" if extra else ""
        lines.append(f"{period.label}  {period.calls:>4} {bar(period.calls, top)}{tail}")
    lines += [
        "",
        f"Promises: {_promise_rate(record)}.",
        f"Breaks: {record.total('breaks_taken')} taken, {record.total('breaks_skipped')} skipped"
        f" after {counted(record.total('bad_calls'), 'bad call')}.",
        f"Practice: {counted(record.total('reviews'), 'review')},"
        f" {counted(record.total('phrases_started'), 'phrase')} started,"
        f" {record.learned} known by heart.",
    ]
    if record.fixes:
        lines += ["", "Permanent fixes (call: what, status)"]
        lines += [
            f"  call {fix.call_id}: {redact(fix.what)} [{fix.status}]" for fix in record.fixes
        ]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    from calldesk.core.export.escape import escape_line

    return escape_line(text, line_start=False)


def render_markdown(record: AgentRecord, redact: Callable[[str], str] = str) -> str:
    """The record for a review: facts, charts in code blocks, and the calls behind the fixes."""
    lines = [
        f"# My record: {record.since:%d %b %Y} to {record.until:%d %b %Y}",
        "",
        f"- **Calls taken:** {record.total('calls')}",
        f"- **Permanent fixes:** {record.total('fixes_filed')} filed,"
        f" {record.total('fixes_closed')} closed",
        f"- **Promises:** {_promise_rate(record)}",
        f"- **Fans made:** {record.total('fans')}",
        f"- **Bad calls weathered:** {record.total('bad_calls')};"
        f" **breaks taken:** {record.total('breaks_taken')}",
        f"- **Practice:** {counted(record.total('reviews'), 'review')},"
        f" {counted(record.total('phrases_started'), 'phrase')} started,"
        f" {record.learned} known by heart",
        "",
        "## Week by week",
        "",
        "```text",
    ]
    for name, count in METRICS:
        values = [count(period) for period in record.weeks]
        lines.append(f"{name:<24}{sum(values):>6}  {sparkline(values[-44:])}")
    lines += ["```", "", "| Week | Calls | Fixes filed | Fixes closed | Kept on time | Bad calls |"]
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for p in record.weeks:
        lines.append(
            f"| {p.label} | {p.calls} | {p.fixes_filed} | {p.fixes_closed}"
            f" | {p.promises_kept_on_time} | {p.bad_calls} |"
        )
    lines += ["", "## Month by month", "", "```text"]
    top = max((period.calls for period in record.months), default=0)
    lines += [f"{p.label}  {p.calls:>4} {bar(p.calls, top)}" for p in record.months]
    lines += ["```", ""]
    if record.fixes:
        lines += ["## Permanent fixes and the calls they came from", ""]
        for fix in record.fixes:
            lines.append(
                f"- **{fix.status}** {_md(redact(fix.what))} (call {fix.call_id},"
                f" {fix.call_started_at.astimezone():%Y-%m-%d}; `calldesk export --call"
                f" {fix.call_id}`)"
            )
        lines.append("")
    if record.fan_calls:
        lines += ["## Fan moments", ""]
        lines += [
            f"- call {call_id}, {at.astimezone():%Y-%m-%d %H:%M}"
            f" (`calldesk export --call {call_id}`)"
            for call_id, at in record.fan_calls
        ]
        lines.append("")
    return "\n".join(lines)
