"""A small pack with two contested points (the UK's start date and what UK weapons could strike in
Russia), shared by the readings tests and the atlas's readings tests."""

from __future__ import annotations

from pathlib import Path

from .helpers import write_files

CATALOG = """\
weapons:
  - {id: storm_shadow, name: Storm Shadow, weapon_class: cruise_missile, suppliers: [GB], reach_km: 250}
  - {id: m270, name: M270, weapon_class: rocket_artillery, suppliers: [GB], reach_km: 80}
regions:
  - {id: kharkiv, name: Kharkiv, country: UA, borders: [belgorod]}
  - {id: belgorod, name: Belgorod, country: RU, borders: [kharkiv]}
  - {id: kursk, name: Kursk, country: RU}
"""
SEED = '{document: seed.txt, quote: "anywhere in Russia", grade: secondary}'
DOWNING = '{url: "https://example.org/downing-street", quote: "not changed", grade: official-on-record}'
BASELINE = f"""\
policy: gb
version: baseline
title: UK weapons in Ukraine only
effective_from: 2022-02-24
effective_until: 2024-05-01
default: prohibited
readings:
  - id: gb.strikes-in-russia
    question: When could UK weapons strike inside Russia?
    default: seed
    why_default: The seed report speaks to the point.
    options:
      - {{id: seed, says: "military targets anywhere from 2 May 2024", sources: [{SEED}]}}
      - {{id: split-by-weapon, says: "not Storm Shadow until November", sources: [{DOWNING}]}}
      - {{id: barred, says: "nothing inside Russia before 20 November 2024", sources: [{DOWNING}]}}
  - id: gb.start-date
    question: From when?
    default: cameron
    why_default: The first statement.
    options:
      - {{id: cameron, says: "2 May 2024", sources: [{SEED}]}}
      - {{id: later, says: "1 June 2024", sources: [{DOWNING}]}}
rules:
  - id: gb-inside-ukraine
    title: inside Ukraine
    effect: allowed
    when: {{target_country: UA}}
    source: {SEED}
  - id: gb-no-strikes-in-russia
    title: not in Russia
    effect: prohibited
    when: {{target_country: RU}}
    source: {DOWNING}
"""
SHIFT = f"""\
policy: gb
version: "2024-05-02"
title: UK weapons in Russia
effective_from: {{reading: gb.start-date, options: {{cameron: 2024-05-02, later: 2024-06-01}}}}
extends: baseline
rules:
  - id: gb-military-targets-anywhere
    title: military targets anywhere
    effect: allowed
    when: {{target_category: military}}
    overrides: [gb-no-strikes-in-russia]
    source: {SEED}
    under: {{gb.strikes-in-russia: seed}}
  - id: gb-military-targets-anywhere
    title: military targets anywhere but with Storm Shadow
    effect: allowed
    when: {{target_category: military, not: {{weapon: storm_shadow}}}}
    overrides: [gb-no-strikes-in-russia]
    source: {DOWNING}
    under: {{gb.strikes-in-russia: split-by-weapon}}
"""
# The baseline ends the day before the shift starts, under either date.
BASELINE_UNTIL = "effective_until: {reading: gb.start-date, options: {cameron: 2024-05-01, later: 2024-05-31}}"


def write(root: Path, files: dict[str, str]) -> Path:
    return write_files(root, files, CATALOG)
