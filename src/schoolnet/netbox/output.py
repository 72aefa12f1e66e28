"""A plan, an apply's result and drift as text for people and JSON for machines.

Every line that concerns one object starts with the inventory file:line that says it, so
a reviewer can jump from a plan line to the YAML to edit.
"""

from __future__ import annotations

from typing import Any

from schoolnet.netbox.apply import ApplyResult
from schoolnet.netbox.drift import Drift
from schoolnet.netbox.mapping import Value, key_text, show
from schoolnet.netbox.plan import Change, Plan

PAST = {"create": "created", "update": "updated", "delete": "deleted", "adopt": "adopted"}
SHOWN_PER_TYPE = 20  # creates and deletes listed per type in text (the JSON has them all)


def _json_value(value: Value) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _where(change: Change) -> str:
    return str(change.location) if change.location else f"(not in git; NetBox id {change.id})"


def summary(plan: Plan) -> list[str]:
    lines = []
    for type_name, actions in plan.counts().items():
        lines.append(f"{type_name}: " + ", ".join(f"{n} to {action}" for action, n in actions.items()))
    return lines


def plan_text(plan: Plan, full: bool = False) -> str:
    """Creates and deletes one line each (the first SHOWN_PER_TYPE per type unless full), updates field by field."""
    lines: list[str] = []
    shown: dict[tuple[str, str], int] = {}
    for change in plan.changes:
        if change.action in ("create", "delete"):
            count = shown[(change.type, change.action)] = shown.get((change.type, change.action), 0) + 1
            if not full and count > SHOWN_PER_TYPE and not any(x.endswith("(not schoolnet's)") for x in change.cascade):
                continue  # a delete that takes hand-made objects along is always shown
            lines.append(f"{_where(change)}: {change.action} {change.name}")
            if change.cascade:
                lines.append(f"    NetBox deletes with it: {', '.join(change.cascade)}")
            continue
        lines.append(f"{_where(change)}: {change.action} {change.name}")
        lines += [f"    {field}: {show(old)} → {show(new)}" for field, (old, new) in change.fields.items()]
        if not change.fields:
            lines.append("    (takes the schoolnet tag: values already equal git)" if change.action == "adopt" else
                         "    (records what schoolnet wrote: values already equal git)")
    for (type_name, action), count in shown.items():
        if not full and count > SHOWN_PER_TYPE:
            lines.append(f"... and {count - SHOWN_PER_TYPE} more {type_name} to {action}")
    for change in plan.unowned:
        lines.append(f"{_where(change)}: unowned {change.name} (NetBox id {change.id}) is not tagged schoolnet: "
                     "left alone; adopt it with --adopt")
    for item in plan.drift:
        lines.append(f"{item.location}: drift {item.type} {key_text(item.key)} {item.field}: git {show(item.git)}, "
                     f"NetBox {show(item.netbox)} (edited by hand)")
    if plan.limit is not None:
        lines.append(f"limited to {' '.join(plan.limit.expressions)}: {len(plan.limit.sites)} site(s) and "
                     f"{len(plan.limit.devices)} device(s) selected, with what they point at")
    lines += summary(plan) or ["no changes: NetBox holds what git says" + (" for this limit" if plan.limit else "")]
    lines.append(f"read {sum(len(o) for o in plan.state.objects.values())} objects in {plan.state.requests} requests")
    return "\n".join(lines)


def change_json(change: Change) -> dict[str, Any]:
    return {"action": change.action, "type": change.type, "key": key_text(change.key),
            "location": str(change.location) if change.location else None, "id": change.id,
            "fields": {name: {"old": _json_value(old), "new": _json_value(new)}
                       for name, (old, new) in change.fields.items()},
            "cascade": change.cascade}


def plan_json(plan: Plan) -> dict[str, Any]:
    return {"changes": [change_json(c) for c in plan.changes], "unowned": [change_json(c) for c in plan.unowned],
            "drift": [{"type": d.type, "key": key_text(d.key), "location": str(d.location), "field": d.field,
                       "git": _json_value(d.git), "netbox": _json_value(d.netbox)} for d in plan.drift],
            "summary": plan.counts(), "requests": plan.state.requests,
            "limit": list(plan.limit.expressions) if plan.limit else []}


def result_text(result: ApplyResult) -> str:
    lines = [f"{t}: " + ", ".join(f"{n} {PAST.get(a, a)}" for a, n in actions.items())
             for t, actions in result.written.items()]
    lines.append(f"{sum(sum(a.values()) for a in result.written.values())} objects written in {result.requests} "
                 f"requests, {result.seconds:.1f} s")
    return "\n".join(lines)


def result_json(result: ApplyResult) -> dict[str, Any]:
    return {"written": result.written, "requests": result.requests, "seconds": round(result.seconds, 1)}


def drift_text(drifts: list[Drift]) -> str:
    if not drifts:
        return "no drift: every object schoolnet owns holds what it last wrote"
    return "\n".join(f"{d.location}: {d.type} {key_text(d.key)} {d.field}: git {show(d.git)}, NetBox {show(d.netbox)}"
                     f" (changed by {d.user or 'unknown'} at {d.time or 'an unknown time'})" for d in drifts)


def drift_json(drifts: list[Drift]) -> list[dict[str, Any]]:
    return [{"type": d.type, "key": key_text(d.key), "id": d.id, "location": str(d.location), "field": d.field,
             "git": _json_value(d.git), "netbox": _json_value(d.netbox), "user": d.user, "time": d.time}
            for d in drifts]
