"""Claims as data: a YAML file beside each paper's package, one mapping per claim (or per expanded family)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from synthmed.claims.model import Claim

_PLACEHOLDER = re.compile(r"\{(\w+)(:[^}]*)?\}")


def _substitute(value: Any, env: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole and whole.group(2) is None:
            return env[whole.group(1)]  # keep the type (a fraction stays a float for selectors)
        return value.format_map(env) if _PLACEHOLDER.search(value) else value
    if isinstance(value, Mapping):
        return {_substitute(k, env): _substitute(v, env) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_substitute(v, env) for v in value]
    return value


def claim_from_mapping(spec: Mapping[str, Any], **defaults: Any) -> Claim:
    """A :class:`Claim` from a plain mapping (YAML), with ``defaults`` for keys it leaves out."""
    spec = {**defaults, **spec}
    unknown = sorted(set(spec) - {f for f in Claim.__dataclass_fields__})
    if unknown:
        raise ValueError(f"claim {spec.get('id')!r}: unknown field(s) {', '.join(unknown)}; valid: "
                         f"{', '.join(Claim.__dataclass_fields__)}")
    spec["order"] = tuple(dict(s) for s in spec.get("order", ()))
    spec["pair_on"] = tuple(spec.get("pair_on", ("seed",)))
    spec["pool"] = tuple(spec.get("pool", ()))
    spec["paper_cells"] = tuple(dict(c) for c in spec.get("paper_cells", ()))
    return Claim(**spec)


def load_claims(path: str | Path, **defaults: Any) -> list[Claim]:
    """The claims of a YAML file: a list of mappings with :class:`Claim`'s fields. An entry with
    ``expand: {name: [values...], ...}`` stands for one claim per combination of the values, each string of the
    entry formatted with them (``{dataset}``, ``{fraction:.0%}``; a string that is only ``{name}`` takes the value
    itself, keeping its type). ``defaults`` fill fields the entries leave out (e.g. paper=..., chapter=...)."""
    import yaml

    entries = yaml.safe_load(Path(path).read_text()) or []
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list of claims, got {type(entries).__name__}")
    claims = []
    for entry in entries:
        entry = dict(entry)
        expand = entry.pop("expand", None) or {}
        names = list(expand)
        for combo in itertools.product(*(expand[n] for n in names)) if names else [()]:
            env = dict(zip(names, combo))
            claims.append(claim_from_mapping(_substitute(entry, env) if env else entry, **defaults))
    ids = [c.id for c in claims]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"{path}: duplicate claim ids {', '.join(dupes)}")
    return claims


def with_paper_figures(claims: Iterable[Claim], figures: Mapping[str, str]) -> list[Claim]:
    """The claims with ``paper_figure`` set from {claim id: text} where given."""
    return [replace(c, paper_figure=figures[c.id]) if c.id in figures else c for c in claims]


def as_dict(claim: Claim) -> dict[str, Any]:
    """A claim as plain data (e.g. to show or store)."""
    return asdict(claim)
