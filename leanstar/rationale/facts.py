"""What library lemmas say, in words: a thought describes a lemma without naming it.

The faithfulness check reads the laws quoted here (`0 + n = n`) as true of any state.
"""

from __future__ import annotations

# What library lemmas say, for thoughts that must describe a lemma without naming it.
# Keyed by the lemma's last name component (and `le.step`-style suffixes).
LEMMA_FACTS: dict[str, str] = {
    "zero_add": "adding zero on the left changes nothing (`0 + n = n`)",
    "add_zero": "adding zero on the right changes nothing (`n + 0 = n`)",
    "add_comm": "addition is commutative (`n + m = m + n`)",
    "add_assoc": "addition is associative (`n + m + k = n + (m + k)`)",
    "succ_add": "a successor in the first summand can be pulled out (`(n + 1) + m = (n + m) + 1`)",
    "add_succ": "a successor in the second summand can be pulled out (`n + (m + 1) = (n + m) + 1`)",
    "mul_one": "multiplying by one changes nothing",
    "one_mul": "one times a number is that number",
    "mul_zero": "multiplying by zero gives zero",
    "zero_mul": "zero times anything is zero",
    "mul_comm": "multiplication is commutative",
    "succ_ne_zero": "a successor `n + 1` is never `0`",
    "le.step": "a bound `n ≤ m` also gives `n ≤ m + 1`",
    "le.refl": "every number is at most itself",
    "le_refl": "every number is at most itself",
    "nil_append": "appending a list to the empty list gives that list back",
    "append_nil": "appending the empty list changes nothing",
    "cons_append": "appending after a cons keeps the head in front",
    "length_cons": "a cons is one longer than its tail",
    "length_nil": "the empty list has length zero",
    "length_append": "the length of an append is the sum of the lengths",
}


def lemma_fact(name: str) -> str | None:
    parts = name.split(".")
    for i in range(len(parts)):
        if (fact := LEMMA_FACTS.get(".".join(parts[i:]))) is not None:
            return fact
    return None
