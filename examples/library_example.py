"""Using policyrules from Python: evaluate strikes, read verdicts, ask what-if questions.

Run it with:  python examples/library_example.py
"""

from policyrules import Engine, PolicyRulesError, ProposedStrike

engine = Engine.load()  # the bundled policy pack; Engine.load("my/rules") for your own

# 1. A strike as a dict: counter-fire with HIMARS into Belgorod, defending Kharkiv.
counterfire = {
    "weapon": "HIMARS", "target_region": "belgorod", "target_type": "artillery",
    "self_defense": True, "defended_region": "kharkiv", "range_km": 30,
}
for day in ("2024-05-29", "2024-05-30"):
    verdict = engine.evaluate({**counterfire, "date": day})
    print(f"{day}: {verdict}")
print()
print(engine.evaluate({**counterfire, "date": "2024-05-30"}).explain())
print()

# 2. A validated strike object: ATACMS into Belgorod stays prohibited.
atacms = ProposedStrike(weapon="ATACMS", target_region="belgorod", target_type="missile_base",
                        self_defense=True, defended_region="kharkiv", range_km=120, date="2024-06-01")
print(engine.evaluate(atacms).explain())
print()

# 3. What if the long-range threshold were 20 km? A new engine; the bundled values stay.
strict = engine.with_parameters({"us.long_range_km": 20})
day = {**counterfire, "date": "2024-06-01"}
print(f"long_range_km=80: {engine.evaluate(day)}")
print(f"long_range_km=20: {strict.evaluate(day)}")
print()

# 4. Invalid input: one error, every problem with its field.
try:
    engine.evaluate({"weapon": "HIMARS", "target_region": "belgorot", "target_type": "troops",
                     "range_km": 120})
except PolicyRulesError as e:
    print(f"refused: {e}")
