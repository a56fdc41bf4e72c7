"""Item runs (1. 2. 3.) whose measure heading is not where they stand.

A careless copy can set a run of items after the wrong measure, and a document can lose a
measure's heading altogether. A run is told by its numbering: one that begins in a measure
at 1 (or where the previous run left off, when items are numbered through the document)
belongs to that measure; one that does not is a stray. A stray run joins the measure whose
own run it continues (its items end just before the stray's first number) when exactly one
measure does and no other stray competes for it; otherwise nothing in the text says whose
it is, and it stays a measure without a heading rather than borrowing a neighbour's.
"""

from __future__ import annotations

from rag.corpus.drafts import Draft


def starts_own_run(measure: Draft, number: int, previous_end: int | None) -> bool:
    """Whether item ``number`` carries on ``measure``'s run (or rightly starts it)."""
    last = measure.last_item
    if last is not None:
        return number == last + 1
    return number == 1 or (previous_end is not None and number == previous_end + 1)


def place_strays(strays: list[Draft], measures: list[Draft]) -> list[Draft]:
    """Merge each stray run into the one measure it continues; return the strays left unplaced."""
    left = list(strays)
    while True:
        claims: dict[int, list[Draft]] = {}
        targets: dict[int, Draft] = {}
        for stray in left:
            first = stray.first_item
            continued = [m for m in measures if first is not None and m.last_item == first - 1]
            if len(continued) == 1:
                claims.setdefault(id(stray), []).append(continued[0])
                targets[id(continued[0])] = continued[0]
        claimants: dict[int, list[Draft]] = {}
        for stray in left:
            for target in claims.get(id(stray), []):
                claimants.setdefault(id(target), []).append(stray)
        placed = [(claimants[key][0], targets[key]) for key in claimants if len(claimants[key]) == 1]
        if not placed:
            return left
        for stray, target in placed:
            target.items.extend(stray.items)
            left.remove(stray)
