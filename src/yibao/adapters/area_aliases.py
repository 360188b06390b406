"""Names of townships that the plans use but that are not today's: merged away since, or written short. Each maps
to today's township of the same district; ``seen_in`` names the plan that uses it, so a bureau can see why a unit
of its table is counted where it is. Written by hand: the generated township list (``township_data``) has only
today's names."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AreaAlias:
    district: str
    name: str  # as the plan writes it
    today: str  # today's township that it is (or was merged into)
    merged: bool  # merged into ``today``: counted and ranked as ``today``, never as a unit of its own
    seen_in: str  # the plan that uses the name


ALIASES: tuple[AreaAlias, ...] = (
    AreaAlias("120119", "五百户镇", "州河湾镇", merged=True, seen_in="tianjin-jizhou-2018"),
    AreaAlias("120119", "孙各庄乡", "孙各庄满族乡", merged=False, seen_in="tianjin-jizhou-2018"),
    AreaAlias("120119", "街道办", "文昌街道", merged=False, seen_in="tianjin-jizhou-2018"),
)


def alias_of(district: str, name: str) -> AreaAlias | None:
    return next((alias for alias in ALIASES if alias.district == district and alias.name == name), None)
