"""What changed in the US policy on 30 May 2024? The exact diff between the versions in force on
29 and 30 May, then a check that its example strike really is judged differently on the two days.

Run it with:  python examples/diff_may_29_30.py
"""

from policyrules import Engine

engine = Engine.load(backend="compiled")  # diff walks the classes of both rule sets; the backend only evaluates
report = engine.diff("us@2024-05-29", "us@2024-05-30")
print(report.to_text())
print()

for entry in report.entries:
    print(f"{entry.classes} classes: {entry.description}")
    for field, values in entry.constraints.items():
        print(f"  {field}: {', '.join(str(v) for v in values)}")
    for day in ("2024-05-29", "2024-05-30"):
        verdict = engine.evaluate({**entry.example, "date": day})
        print(f"  e.g. on {day}: {verdict}")
