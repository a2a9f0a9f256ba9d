"""Retrospective rationales: a short thought for a proof step whose tactic is already known.

Lean-STaR trains a model to write a thought, then a tactic. Its training thoughts are
written *retrospectively*: an oracle LLM sees the proof state and the ground-truth next
tactic and writes about two sentences of reasoning that lead from the goal to that tactic,
without naming it (paper: GPT-4, temperature 0.7, top_p 0.95, at most 800 tokens).

    oracle_messages / oracle_prompt   the request to an oracle, in our own words
    parse_oracle_answer               the "reasoning" section of its answer (or None)
    thought_problem                   why a thought is unusable ("names the tactic", ...)
    RuleBasedWriter                   a deterministic offline writer (no model needed)
    OracleWriter                      an oracle behind any `Generator`, with validation

The rule-based writer exists so the whole training pipeline runs offline in the embedded
world: it reads the main goal's shape and the tactic and says, in plain words, what the
goal asks for and why this step fits, so that different tactics get different thoughts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from leanstar.models.base import Generator, SamplingParams
from leanstar.prompt import IM_END, IM_START
from leanstar.proofs import NO_GOALS

# -- 1. The oracle's instructions -------------------------------------------------------------

ORACLE_INSTRUCTIONS = """\
You help build training data for a Lean 4 theorem prover that thinks before it acts.
You will see a Lean 4 proof state and the tactic that a correct proof applies next.
Write the short chain of thought a mathematician would have *before* choosing that
tactic: start from what the goal and the hypotheses say, and arrive at the step.

Rules:
- Keep the reasoning to about two sentences.
- Reason forward from the goal; do not argue backwards from the known tactic.
- Inside the reasoning, never write the tactic's name, its code, or the names of the
  lemmas it uses; describe the mathematical idea instead (hypothesis names are fine).
- Give the tactic only at the very end, in its own section, exactly as given.

Answer with exactly these three sections:
### Planning of reasoning
(one line: what kind of step the goal calls for)
### Reasoning
(about two sentences)
### Tactic
```lean
(the given tactic)
```"""

ORACLE_TEMPERATURE = 0.7
ORACLE_TOP_P = 0.95
ORACLE_MAX_TOKENS = 800


def _oracle_request(state: str, tactic: str) -> str:
    return (
        f"Proof state:\n```lean\n{state.strip()}\n```\n"
        f"Tactic applied next (known to be correct):\n```lean\n{tactic.strip()}\n```"
    )


def oracle_messages(state: str, tactic: str) -> list[dict[str, str]]:
    """The oracle request as chat messages (system instructions + one user turn)."""
    return [
        {"role": "system", "content": ORACLE_INSTRUCTIONS},
        {"role": "user", "content": _oracle_request(state, tactic)},
    ]


def oracle_prompt(state: str, tactic: str, *, chatml: bool = True) -> str:
    """The oracle request as one prompt string, for the `Generator` protocol.

    With `chatml` (default) it is the messages rendered as ChatML: a chat-tuned completion
    model reads it as is, and an `openai-chat:` backend splits it back into the same
    messages (`leanstar.prompt.chatml_to_messages`). Without, it is plain text that ends
    where the answer starts.
    """
    if chatml:
        turns = [
            f"{IM_START}{m['role']}\n{m['content']}{IM_END}\n"
            for m in oracle_messages(state, tactic)
        ]
        return "".join(turns) + f"{IM_START}assistant\n"
    return (
        f"{ORACLE_INSTRUCTIONS}\n\n{_oracle_request(state, tactic)}\n\n### Planning of reasoning\n"
    )


# -- 2. Reading the oracle's answer -----------------------------------------------------------

# A section heading: "### Reasoning", "**Reasoning:**", "2. Reasoning:", "Reasoning -", with
# optional text after it on the same line.
_HEADING = re.compile(
    # (each run of blanks follows a mark, so a long blank line is read once, not n^2 ways)
    r"^(?P<lead>[ \t]*(?:#{1,6}[ \t]*)?(?:\d+[.)][ \t]*)?(?:(?:\*\*|__)[ \t]*)?)"
    r"(?P<title>planning(?:[ \t]+of[ \t]+reasoning)?|plan|reasoning|tactic)(?![\w])"
    r"[ \t]*(?:\*\*|__)?[ \t]*(?P<sep>[:\-–]?)[ \t]*(?:\*\*|__)?[ \t]*(?P<rest>.*)$",
    re.IGNORECASE | re.MULTILINE,
)


def _is_heading(match: re.Match[str]) -> bool:
    """A heading is marked (#, **, "2."), ends in a colon or dash, or stands alone on its line;
    a sentence that merely starts with "Reasoning ..." is prose."""
    return bool(match.group("lead").strip() or match.group("sep") or not match.group("rest"))


_FENCE_BLOCK = re.compile(r"```[^\n]*\n(.*?)(?:```|$)", re.DOTALL)


@dataclass(frozen=True)
class OracleSections:
    """The three sections of an oracle's answer; None where a section is missing."""

    planning: str | None
    reasoning: str | None
    tactic: str | None


def parse_oracle_sections(text: str) -> OracleSections:
    """Split an oracle answer at its section headings (markdown or bold, any case)."""
    found: dict[str, str] = {}
    headings = [match for match in _HEADING.finditer(text) if _is_heading(match)]
    for index, match in enumerate(headings):
        title = match.group("title").lower()
        key = "reasoning" if title == "reasoning" else "tactic" if title == "tactic" else "plan"
        end = headings[index + 1].start() if index + 1 < len(headings) else len(text)
        body = (match.group("rest") + "\n" + text[match.end() : end]).strip()
        found.setdefault(key, body)  # the first section of each kind counts
    tactic = found.get("tactic")
    if tactic is not None:
        block = _FENCE_BLOCK.search(tactic)
        tactic = (block.group(1) if block else tactic.strip("`")).strip() or None
    return OracleSections(
        planning=_clean_prose(found.get("plan")),
        reasoning=_clean_prose(found.get("reasoning")),
        tactic=tactic,
    )


def _clean_prose(text: str | None) -> str | None:
    """Prose on one line: no bold markers, no stray code block, whitespace collapsed."""
    if text is None:
        return None
    text = text.split("```")[0]  # a code block after the prose belongs to the tactic
    text = re.sub(r"\*\*|__", "", text)
    text = " ".join(text.split()).strip()
    return text or None


def parse_oracle_answer(text: str) -> str | None:
    """The reasoning section of an oracle answer; None when there is none (malformed)."""
    return parse_oracle_sections(text).reasoning


# -- 3. Validating a thought ------------------------------------------------------------------

MAX_THOUGHT_CHARS = 700

# Tokens in a tactic that are syntax, not names of lemmas.
_SYNTAX_WORDS = frozenset(
    {"with", "at", "fun", "using", "only", "by", "in", "generalizing", "then", "else", "if"}
)
# Global constants with ordinary-looking names that a thought must not name either.
_BARE_LEMMAS = frozenset({"absurd", "congrArg", "congrFun", "congr", "funext", "propext"})
_IDENT = re.compile(r"[^\W\d][\w'.!?₀-₉]*")


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _unbullet(tactic: str) -> str:
    """A tactic without the focusing dot in front (`· exact hp` -> `exact hp`)."""
    return re.sub(r"^\s*[·.]\s+", "", tactic)


def tactic_head(tactic: str) -> str:
    """The tactic's keyword: its first word (`exact?` -> `exact`, `· simp` -> `simp`)."""
    words = _unbullet(tactic).split()
    return words[0].rstrip("?!") if words else ""


def lemma_names(tactic: str) -> list[str]:
    """Names of global lemmas or constants in a tactic, as a thought must not write them.

    A name counts when it has a namespace (`Nat.zero_add`, `Or.inl`), an underscore
    between words (`succ_ne_zero`) or a camelCase hump (`congrArg`), or is one of a few
    known bare constants. Short local names (`h`, `ha`, `ih`, `x2`) and case tags after
    `|` (`zero`, `inl`) do not count.
    """
    names: list[str] = []
    for match in _IDENT.finditer(tactic):
        token = match.group(0).rstrip(".")
        before = tactic[: match.start()].rstrip()
        if token in _SYNTAX_WORDS or before.endswith("|"):
            continue
        first, _, rest = token.partition(".")
        if rest and first[:1].isupper():
            names.append(token)
            if "." in rest or _compound(rest):  # `le.step`, `zero_add`: the same lemma
                names.append(rest)
            last = token.rsplit(".", 1)[1]
            if _compound(last):
                names.append(last)
        elif not rest and (_compound(token) or token in _BARE_LEMMAS):
            names.append(token)
    return list(dict.fromkeys(names))


def _compound(name: str) -> bool:
    """`zero_add`, `congrArg`: a multi-word identifier (not `h_1` or `d_1`)."""
    parts = name.split("_")
    if len(parts) > 1 and sum(len(p) >= 2 and p.isalpha() for p in parts) >= 2:
        return True
    return bool(re.search(r"[a-z][A-Z]", name))


def _contains_word(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(word)}(?![\w])", text, re.IGNORECASE) is not None


# Heads whose argument is a type to reach, not a proof term: stating it is fine.
_TYPE_ARGUMENT_HEADS = frozenset({"show", "change", "suffices", "have"})


def thought_problem(thought: str, tactic: str) -> str | None:
    """Why `thought` is unusable as the rationale of `tactic`, or None if it is fine.

    Reasons: "empty", "contains code fence", "too long", "names the tactic" (its keyword
    as a word), "names a lemma" (a lemma the tactic uses), "restates the tactic" (its
    proof term, a projection such as `h.mpr`, or the whole tactic copied).
    """
    text, tactic = thought.strip(), _unbullet(tactic)
    if not text:
        return "empty"
    if "```" in text:
        return "contains code fence"
    if len(text) > MAX_THOUGHT_CHARS:
        return "too long"
    head = tactic_head(tactic)
    if head and _contains_word(text, head):
        return "names the tactic"
    if any(_contains_word(text, name) for name in lemma_names(tactic)):
        return "names a lemma"
    flat_thought, flat_tactic = _normalise(text), _normalise(tactic)
    if len(flat_tactic) >= 4 and _contains_word(flat_thought, flat_tactic):
        return "restates the tactic"
    argument = flat_tactic[len(head) :].strip()
    is_term = head not in _TYPE_ARGUMENT_HEADS and not _IDENT.fullmatch(argument)
    if is_term and len(argument) >= 3 and _contains_word(flat_thought, argument):
        return "restates the tactic"
    for match in _IDENT.finditer(tactic):  # `h.mpr`, `hab.1`: the tactic's own term
        token = match.group(0)
        if "." in token.strip(".") and token[:1].islower() and _contains_word(text, token):
            return "restates the tactic"
    for projection in re.findall(r"(?<![\w.])[^\W\d][\w']*\.\d+", tactic):
        if _contains_word(text, projection):
            return "restates the tactic"
    return None


# -- 4. Reading proof states and expressions --------------------------------------------------


@dataclass(frozen=True)
class Hyp:
    names: tuple[str, ...]
    type: str


@dataclass(frozen=True)
class Goal:
    """One goal of a pretty-printed state: its case tag, hypotheses and target."""

    case: str | None
    hyps: tuple[Hyp, ...]
    target: str

    def hyp_type(self, name: str) -> str | None:
        for hyp in self.hyps:
            if name in hyp.names:
                return hyp.type
        return None

    def hyp_with_type(self, type_: str) -> str | None:
        """The name of a hypothesis whose type is `type_` (up to outer parentheses)."""
        wanted = _strip_parens(_normalise(type_))
        for hyp in reversed(self.hyps):
            if _strip_parens(_normalise(hyp.type)) == wanted:
                return hyp.names[-1]
        return None


def parse_goals(state: str) -> list[Goal]:
    """The goals of a state as Lean prints them (blank line between goals)."""
    if state.strip() in ("", NO_GOALS):
        return []
    goals = []
    for chunk in re.split(r"\n\s*\n", state.strip()):
        lines: list[str] = []
        for line in chunk.split("\n"):  # indented lines continue the previous one
            if lines and line[:1].isspace():
                lines[-1] += " " + line.strip()
            else:
                lines.append(line.strip())
        case = None
        if lines and lines[0].startswith("case "):
            case = lines.pop(0)[5:].strip()
        hyps, target = [], ""
        for line in lines:
            if line.startswith("⊢"):
                target = line[1:].strip()
            elif " : " in line:
                names, _, type_ = line.partition(" : ")
                hyps.append(Hyp(tuple(names.split()), type_.strip()))
        goals.append(Goal(case, tuple(hyps), target))
    return goals


_OPEN, _CLOSE = "([{⟨", ")]}⟩"
_BINDERS = ("∀", "∃", "fun ", "λ")


def _top_level_split(expr: str, op: str) -> tuple[str, str] | None:
    """`expr` split at its first `op` outside brackets and binder bodies."""
    depth, i, token = 0, 0, f" {op} "
    while i < len(expr):
        char = expr[i]
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
        elif depth == 0 and expr.startswith(_BINDERS, i) and (i == 0 or not expr[i - 1].isalnum()):
            return None  # a binder's body runs to the end: nothing after it is top-level
        elif depth == 0 and expr.startswith(token, i):
            return expr[:i].strip(), expr[i + len(token) :].strip()
        i += 1
    return None


def _strip_parens(expr: str) -> str:
    expr = expr.strip()
    while expr.startswith("(") and expr.endswith(")") and _matching_close(expr, 0) == len(expr) - 1:
        expr = expr[1:-1].strip()
    return expr


def _matching_close(expr: str, start: int) -> int:
    depth = 0
    for i in range(start, len(expr)):
        if expr[i] in _OPEN:
            depth += 1
        elif expr[i] in _CLOSE:
            depth -= 1
            if depth == 0:
                return i
    return -1


@dataclass(frozen=True)
class Shape:
    """The outermost form of a proposition: `kind` and its parts.

    kinds: iff, imp, or, and (parts: two sides), not (inner), forall/exists (variables,
    body), eq/ne/le/lt (two sides), false, true, other.
    """

    kind: str
    parts: tuple[str, ...] = ()


_CONNECTIVES = (("iff", "↔"), ("imp", "→"), ("or", "∨"), ("and", "∧"))
_RELATIONS = (("ne", "≠"), ("le", "≤"), ("lt", "<"), ("ge", "≥"), ("gt", ">"), ("eq", "="))


def shape_of(expr: str) -> Shape:
    expr = _strip_parens(_normalise(expr))
    if expr.startswith(("∀", "∃")):
        head, sep, body = expr[1:].partition(",")
        if sep:
            names = re.sub(r"[():]|\bNat\b|\bProp\b|\bList\b", " ", head.split(":")[0]).split()
            return Shape("forall" if expr[0] == "∀" else "exists", (" ".join(names), body.strip()))
    for kind, op in _CONNECTIVES:
        if split := _top_level_split(expr, op):
            return Shape(kind, split)
    if expr.startswith("¬"):
        return Shape("not", (_strip_parens(expr[1:]),))
    for kind, op in _RELATIONS:
        if split := _top_level_split(expr, op):
            return Shape(kind, split)
    if le := re.fullmatch(r"(?:Nat\.le (\S+) (\S+)|(\S+)\.le (\S+))", expr):
        left, right = (le.group(1), le.group(2)) if le.group(1) else (le.group(3), le.group(4))
        return Shape("le", (left, right))
    if expr in ("False", "True"):
        return Shape(expr.lower())
    return Shape("other", (expr,))


def _conjuncts(expr: str, count: int) -> list[str]:
    """`A ∧ B ∧ C` as its first `count` conjuncts (the last one keeps the rest)."""
    parts, rest = [], expr
    while len(parts) < count - 1 and (shape := shape_of(rest)).kind == "and":
        parts.append(shape.parts[0])
        rest = shape.parts[1]
    return [*parts, rest]


def _substitute(expr: str, var: str, value: str) -> str:
    value = value if re.fullmatch(r"[\w.]+", value) else f"({value})"
    return re.sub(rf"(?<![\w.]){re.escape(var)}(?![\w'])", value, expr)


# Closed arithmetic on naturals, evaluated by a small parser (never Python's eval).
_NUM_TOKEN = re.compile(r"\s*(\d+|[-+*/%()])")


def eval_nat(expr: str) -> int | None:
    """The value of a closed natural-number expression (`(10 + 12) * 4`), else None."""
    text = re.sub(r"\s*:\s*Nat\b", "", expr).strip()
    tokens, pos = [], 0
    while pos < len(text):
        match = _NUM_TOKEN.match(text, pos)
        if match is None:
            return None
        tokens.append(match.group(1))
        pos = match.end()
    if not tokens:
        return None
    value, rest = _sum(tokens)
    return value if value is not None and not rest else None


def _sum(tokens: list[str]) -> tuple[int | None, list[str]]:
    value, tokens = _product(tokens)
    while value is not None and tokens and tokens[0] in "+-":
        op, (right, tokens) = tokens[0], _product(tokens[1:])
        if right is None:
            return None, tokens
        value = value + right if op == "+" else max(value - right, 0)  # truncated, as in Nat
    return value, tokens


def _product(tokens: list[str]) -> tuple[int | None, list[str]]:
    value, tokens = _atom(tokens)
    while value is not None and tokens and tokens[0] in "*/%":
        op, (right, tokens) = tokens[0], _atom(tokens[1:])
        if right is None:
            return None, tokens
        if op == "*":
            value *= right
        else:  # Lean: division and remainder by zero give 0 and the number itself
            value = (
                (value // right if op == "/" else value % right)
                if right
                else (0 if op == "/" else value)
            )
    return value, tokens


def _atom(tokens: list[str]) -> tuple[int | None, list[str]]:
    if not tokens:
        return None, tokens
    if tokens[0] == "(":
        value, rest = _sum(tokens[1:])
        if value is None or not rest or rest[0] != ")":
            return None, rest
        return value, rest[1:]
    return (int(tokens[0]), tokens[1:]) if tokens[0].isdigit() else (None, tokens)


def eval_prop(expr: str) -> bool | None:
    """The truth of a closed proposition about numerals, else None."""
    shape = shape_of(expr)
    if shape.kind in ("eq", "ne", "le", "lt", "ge", "gt"):
        left, right = (eval_nat(p) for p in shape.parts)
        if left is None or right is None:
            return None
        return {
            "eq": left == right,
            "ne": left != right,
            "le": left <= right,
            "lt": left < right,
            "ge": left >= right,
            "gt": left > right,
        }[shape.kind]
    if shape.kind in ("true", "false"):
        return shape.kind == "true"
    if shape.kind == "not":
        inner = eval_prop(shape.parts[0])
        return None if inner is None else not inner
    if shape.kind in ("and", "or", "iff", "imp"):
        a, b = (eval_prop(p) for p in shape.parts)
        if a is None or b is None:
            return None
        return {"and": a and b, "or": a or b, "iff": a == b, "imp": (not a) or b}[shape.kind]
    return None


# -- 5. The rule-based writer -----------------------------------------------------------------

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


def _lemma_fact(name: str) -> str | None:
    parts = name.split(".")
    for i in range(len(parts)):
        if (fact := LEMMA_FACTS.get(".".join(parts[i:]))) is not None:
            return fact
    return None


@dataclass(frozen=True)
class Situation:
    """What a rule sees: the main goal, how many goals there are, and the tactic."""

    goal: Goal
    goal_count: int
    tactic: str  # whitespace-normalised
    head: str
    args: str  # the tactic after its keyword

    @property
    def target(self) -> str:
        return self.goal.target

    @property
    def shape(self) -> Shape:
        return shape_of(self.goal.target)


def _c(expr: str, limit: int = 90) -> str:
    """An expression in backticks, shortened when long."""
    expr = _normalise(expr)
    return f"`{expr if len(expr) <= limit else expr[: limit - 1] + '…'}`"


def _hyp(goal: Goal, name: str) -> str:
    """`h : type` for a hypothesis, or just the name when the state does not have it."""
    type_ = goal.hyp_type(name)
    return f"{name} : {_c(type_)}" if type_ else name


def _is_local(goal: Goal, name: str) -> bool:
    return goal.hyp_type(name) is not None


def _term_phrase(goal: Goal, term: str, depth: int = 0) -> str:
    """A proof term described in words: `f ha` -> "f applied to ha"."""
    term = _strip_parens(term)
    if _is_local(goal, term) or depth > 2:
        return term
    if term.startswith("⟨") and term.endswith("⟩"):
        items = _split_args(term[1:-1], ",")
        return "the pair of " + " and ".join(_term_phrase(goal, t, depth + 1) for t in items)
    if m := re.fullmatch(r"([^\W\d][\w']*)\.(1|2|left|right)", term):
        which = "first" if m.group(2) in ("1", "left") else "second"
        return f"the {which} part of {m.group(1)}"
    if m := re.fullmatch(r"([^\W\d][\w']*)\.(mp|mpr)(?: (.+))?", term):
        way = "forwards" if m.group(2) == "mp" else "backwards"
        on = f" on {_term_phrase(goal, m.group(3), depth + 1)}" if m.group(3) else ""
        return f"{m.group(1)} read {way}{on}"
    if m := re.fullmatch(r"Or\.(inl|inr) (.+)", term):
        which = "first" if m.group(1) == "inl" else "second"
        return f"{_term_phrase(goal, m.group(2), depth + 1)} as the {which} alternative"
    if term == "rfl":
        return "a computation"
    pieces = _split_args(term, " ")
    if len(pieces) > 1 and _is_local(goal, pieces[0]):
        args = " and ".join(_term_phrase(goal, p, depth + 1) for p in pieces[1:])
        return f"{pieces[0]} applied to {args}"
    return "a library fact"


def _split_args(text: str, sep: str) -> list[str]:
    """`text` split at `sep` outside brackets."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in _OPEN
        depth -= char in _CLOSE
        if char == sep and depth == 0:
            if current.strip():
                parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


# Each rule: (tactic keywords it handles or None for any, builder). A builder returns a
# thought or None to let the next rule try. The first thought wins.
Builder = Callable[[Situation], str | None]


def _assume(s: Situation) -> str | None:
    names = [n for n in re.split(r"[\s⟨⟩,]+", s.args) if n]
    target, actions, kind = s.target, [], None
    for name in names:
        shape = shape_of(target)
        kind = kind or shape.kind
        if shape.kind == "forall":
            actions.append(f"fix an arbitrary `{name}`")
            var = shape.parts[0].split()[0]
            target = _substitute(shape.parts[1], var, name) if var != name else shape.parts[1]
        elif shape.kind in ("imp", "not", "ne"):
            premise = " = ".join(shape.parts) if shape.kind == "ne" else shape.parts[0]
            actions.append(f"assume {_c(premise)} (as {name})")
            target = shape.parts[1] if shape.kind == "imp" else "False"
        else:
            break
    if not actions:
        return None
    steps = ", ".join(actions[:-1]) + (" and " if len(actions) > 1 else "") + actions[-1]
    lead = {
        "forall": "claims something for every value",
        "not": "is a negation, saying the statement inside is impossible",
        "ne": "is a negation, saying the two sides cannot be equal",
    }.get(kind or "", "is an implication")
    return f"The goal {_c(s.target)} {lead}, so {steps}; it remains to prove {_c(target)}."


def _split_goal(s: Situation) -> str | None:
    if s.head != "constructor" and not re.fullmatch(r"⟨\?_(?:, \?_)+⟩", s.args):
        return None
    shape = s.shape
    if shape.kind == "and":
        a, b = shape.parts
        return (
            f"The goal {_c(s.target)} is a conjunction, so it breaks into two separate goals, "
            f"{_c(a)} and {_c(b)}, each proved on its own."
        )
    if shape.kind == "iff":
        a, b = shape.parts
        return (
            f"The goal {_c(s.target)} is an equivalence, so prove its two directions "
            f"separately: {_c(a + ' → ' + b)} and {_c(b + ' → ' + a)}."
        )
    return None


def _anonymous_pair(s: Situation) -> str | None:
    """`exact ⟨..⟩`, `refine ⟨w, ?_⟩`, `exists w`, `use w`: build the goal from parts."""
    if s.head in ("exists", "use"):
        items = _split_args(s.args, ",")
        holes = None
    else:
        arg = _strip_parens(s.args)
        if not (arg.startswith("⟨") and arg.endswith("⟩")):
            return None
        items = _split_args(arg[1:-1], ",")
        holes = [i for i in items if i.startswith("?")]
    shape = s.shape
    if shape.kind == "exists" and items:
        return _witness(s, shape, items, holes)
    if shape.kind in ("and", "iff") and len(items) >= 2:
        if shape.kind == "iff":
            a, b = shape.parts
            sides = [f"{_c(a + ' → ' + b)}", f"{_c(b + ' → ' + a)}"]
            what = "Both directions of the equivalence"
        else:
            sides = [_c(p) for p in _conjuncts(s.target, len(items))]
            what = "Every part of the conjunction"
        if holes is not None and len(holes) == len(items):
            return None  # all holes: the same as splitting the goal
        described = [
            f"{side} is {_term_phrase(s.goal, item) if not item.startswith('?') else 'left open'}"
            for side, item in zip(sides, items, strict=False)
        ]
        if all(item == "rfl" for item in items):
            return (
                f"{what} {_c(s.target)} is a closed equation that holds by computation, so the "
                "parts can be supplied together in one term instead of one goal at a time."
            )
        return f"{what} {_c(s.target)} is already at hand: {'; '.join(described)}."
    return None


def _witness(s: Situation, shape: Shape, items: list[str], holes: list[str] | None) -> str:
    var, body = shape.parts[0].split()[0], shape.parts[1]
    witness = items[0]
    instance = _substitute(body, var, witness)
    truth = eval_prop(instance)
    same = (
        shape_of(instance).kind == "eq" and len(set(map(_normalise, shape_of(instance).parts))) == 1
    )
    why = " (a computation confirms it)" if truth else " (both sides agree)" if same else ""
    if len(items) > 1 and not items[1].startswith("?") and items[1] != "rfl":
        why = f", which {_term_phrase(s.goal, ' '.join(items[1:]))} provides"
    lead = (
        f"The goal {_c(s.target)} needs a concrete value for `{var}`: `{witness}` works because "
        f"{_c(instance)}{why}"
    )
    if holes:
        return f"{lead}, so commit to `{witness}` and leave {_c(instance)} as the goal to check."
    if s.head in ("exists", "use"):
        return (
            f"{lead}, so supply `{witness}` and let the remaining instance be closed by evaluation."
        )
    return f"{lead}, so give `{witness}` together with that proof in one step."


def _hypothesis_closes(s: Situation) -> str | None:
    if s.head == "assumption":
        name = s.goal.hyp_with_type(s.target)
        if name is None:
            return None
        return (
            f"The goal {_c(s.target)} is already one of the hypotheses ({name}), so nothing new "
            "has to be proved."
        )
    name = s.args
    type_ = s.goal.hyp_type(name)
    if type_ is None:
        return None
    if _strip_parens(_normalise(type_)) == _strip_parens(_normalise(s.target)):
        return (
            f"The hypothesis {name} states exactly the goal {_c(s.target)}, so it closes it "
            "directly."
        )
    if shape_of(type_).kind == "false":
        return (
            f"The hypothesis {name} is `False`, which cannot hold, so the goal {_c(s.target)} "
            "follows at once."
        )
    return (
        f"The hypothesis {_hyp(s.goal, name)} is the goal {_c(s.target)} up to notation, "
        "so it closes it directly."
    )


def _local_term_type(goal: Goal, term: str) -> str | None:
    """The type of a hypothesis or of a projection of one: `h`, `h.2.1`, `h.mpr`."""
    name, *fields = term.split(".")
    type_ = goal.hyp_type(name)
    for field in fields:
        shape = shape_of(type_ or "")
        if shape.kind == "and" and field in ("1", "2", "left", "right"):
            type_ = shape.parts[0 if field in ("1", "left") else 1]
        elif shape.kind == "iff" and field in ("mp", "mpr"):
            a, b = (_paren(p) for p in shape.parts)
            type_ = f"{a} → {b}" if field == "mp" else f"{b} → {a}"
        else:
            return None
    return type_


def _paren(expr: str) -> str:
    simple = shape_of(expr).kind in ("not", "eq", "ne", "le", "lt", "other", "true", "false")
    return expr if simple else f"({_strip_parens(expr)})"


def _projection(s: Situation) -> str | None:
    """`h.1`, `h.2.2`, `h.mpr hb`, `h.elim`, `h.symm`: take a hypothesis apart for the goal."""
    if m := re.fullmatch(r"([^\W\d][\w']*)((?:\.(?:1|2|left|right))+)", s.args):
        name, path = m.group(1), m.group(2).strip(".").split(".")
        type_ = _local_term_type(s.goal, s.args)
        if type_ is None or _normalise(_strip_parens(type_)) != _normalise(_strip_parens(s.target)):
            return None
        if len(path) == 1:
            which = "first" if path[0] in ("1", "left") else "second"
            return (
                f"The goal {_c(s.target)} is the {which} half of the conjunction "
                f"{_hyp(s.goal, name)}, so take that component."
            )
        return (
            f"The goal {_c(s.target)} sits inside the nested conjunction {_hyp(s.goal, name)}, "
            "so dig out that component."
        )
    m = re.fullmatch(r"([^\W\d][\w']*)\.(mp|mpr|elim|symm)(?: (.+))?", s.args)
    if m is None or not _is_local(s.goal, m.group(1)):
        return None
    name, field, arg = m.groups()
    shape = shape_of(s.goal.hyp_type(name) or "")
    if field in ("mp", "mpr") and shape.kind == "iff":
        a, b = shape.parts if field == "mp" else reversed(shape.parts)
        if arg is None and s.head == "apply":
            return (
                f"The equivalence {_hyp(s.goal, name)} turns {_c(a)} into {_c(b)}, so reading it "
                f"in that direction reduces the goal {_c(s.target)} to proving {_c(a)}."
            )
        given = f", and {_term_phrase(s.goal, arg)} provides {_c(a)}" if arg else ""
        return (
            f"The equivalence {_hyp(s.goal, name)} turns {_c(a)} into {_c(b)}{given}, "
            f"so reading it in that direction gives the goal {_c(s.target)}."
        )
    if field == "elim" and shape.kind == "false":
        return (
            f"The hypothesis {name} is `False`, which cannot hold, so any goal follows, "
            f"{_c(s.target)} included."
        )
    if field == "symm":
        return f"The goal {_c(s.target)} is {_hyp(s.goal, name)} with its two sides swapped."
    return None


def _function_term(s: Situation) -> str | None:
    """`exact fun x => ...`: the goal is an implication proved by a function."""
    m = re.fullmatch(r"fun ([^=]+?) => (.+)", s.args)
    if m is None or s.shape.kind not in ("imp", "not", "forall"):
        return None
    names = m.group(1).split()
    premise = s.shape.parts[0] if s.shape.kind != "forall" else "an arbitrary value"
    return (
        f"The goal {_c(s.target)} asks to turn {_c(premise)} into a conclusion, and once it is "
        f"given (as {', '.join(names)}) the conclusion is just {_term_phrase(s.goal, m.group(2))}."
    )


def _library_term(s: Situation) -> str | None:
    """`exact Nat.succ_ne_zero a`, `exact absurd ha hna`, `exact Or.inl h`, `exact congrArg ..`."""
    pieces = _split_args(s.args, " ")
    if not pieces:
        return None
    fn, rest = pieces[0], pieces[1:]
    if fn == "absurd" and len(rest) == 2:
        return (
            f"The hypotheses {_term_phrase(s.goal, rest[0])} and "
            f"{_term_phrase(s.goal, rest[1])} state a fact and its negation, so they clash "
            f"and any goal follows, {_c(s.target)} included."
        )
    if fn in ("Or.inl", "Or.inr") and s.shape.kind == "or" and rest:
        index = 0 if fn == "Or.inl" else 1
        which = ("first", "second")[index]
        return (
            f"Of the two alternatives in {_c(s.target)}, the {which} one, "
            f"{_c(s.shape.parts[index])}, holds by {_term_phrase(s.goal, ' '.join(rest))}, "
            "which settles the disjunction."
        )
    if fn == "Or.symm" and rest:
        return (
            f"The goal {_c(s.target)} is {_hyp(s.goal, rest[0])} with its two alternatives swapped."
        )
    if fn == "congrArg" and rest:
        return (
            f"Both sides of {_c(s.target)} are successors of the two sides of "
            f"{_hyp(s.goal, rest[-1])}, and equal inputs give equal outputs, so the goal "
            "follows from it."
        )
    if fn in lemma_names(fn) or fn in _BARE_LEMMAS:
        fact = _lemma_fact(fn)
        at = f", here at {', '.join(f'`{r}`' for r in rest)}" if rest else ""
        if fact is None:
            return f"The goal {_c(s.target)} is an instance of a general library fact{at}."
        if s.head == "apply" and s.shape.kind in ("le", "lt"):
            return _bound_step(s, fact)
        if s.shape.kind == "lt":
            left, right = s.shape.parts
            unfolded = _c(f"{_paren_sum(left)} + 1 ≤ {right}")
            return (
                f"The goal {_c(s.target)} unfolds to {unfolded}, an instance of a general fact: "
                f"{fact}{at}."
            )
        return f"The goal {_c(s.target)} is an instance of a general fact: {fact}{at}."
    return None


def _paren_sum(expr: str) -> str:
    return expr if re.fullmatch(r"[\w.]+", expr) else f"({expr})"


def _bound_step(s: Situation, fact: str) -> str:
    left, right = s.shape.parts
    lead = ""
    if s.shape.kind == "lt":  # `a < b` is `a + 1 ≤ b` by definition
        left = f"{_paren_sum(left)} + 1"
        lead = f"The goal {_c(s.target)} means {_c(f'{left} ≤ {right}')}, so "
    smaller = None
    if m := re.fullmatch(r"(.+) \+ (\d+)", _strip_parens(right)):
        k = int(m.group(2))
        smaller = m.group(1) if k == 1 else f"{m.group(1)} + {k - 1}"
    elif (value := eval_nat(right)) is not None and value > 0:
        smaller = str(value - 1)
    if smaller is None:
        return (
            f"{lead}To prove {_c(s.target)} it is enough to bound `{left}` by one less, since "
            f"{fact}."
        )
    goal = "" if lead else f"To prove {_c(s.target)} "
    return f"{lead}{goal}it is enough to show {_c(f'{left} ≤ {smaller}')}, since {fact}."


def _use_implication(s: Situation) -> str | None:
    """`exact f ha`, `apply f`, `apply h` (h : ¬X, goal False): the goal is a conclusion."""
    pieces = _split_args(s.args, " ")
    fn_type = _local_term_type(s.goal, pieces[0]) if pieces else None
    if fn_type is None:
        return None
    fn, rest = pieces[0], pieces[1:]
    # A projection (`h.1`) is described in words: writing it would restate the tactic.
    who = _hyp(s.goal, fn) if "." not in fn else f"{_term_phrase(s.goal, fn)} ({_c(fn_type)})"
    subject = f"The hypothesis {who}" if "." not in fn else who[0].upper() + who[1:]
    shape = shape_of(fn_type)
    premises: list[str] = []
    conclusion = fn_type
    goal = _normalise(_strip_parens(s.target))
    while shape.kind in ("imp", "not") and _normalise(_strip_parens(conclusion)) != goal:
        premises.append(shape.parts[0])
        conclusion = shape.parts[1] if shape.kind == "imp" else "False"
        shape = shape_of(conclusion)
    if shape_of(fn_type).kind == "forall":
        at = f" at {', '.join(f'`{r}`' for r in rest)}" if rest else ""
        action = (
            "is that statement"
            if s.head == "exact"
            else "follows by choosing the right instance of it"
        )
        return (
            f"The goal {_c(s.target)} is a special case of the general hypothesis "
            f"{who}, so it {action}{at}."
        )
    if not premises:
        return None
    if shape_of(fn_type).kind == "not" and s.target.strip() == "False":
        inner = premises[0]
        if rest:
            return (
                f"{subject} says {_c(inner)} is impossible, and "
                f"{_term_phrase(s.goal, ' '.join(rest))} proves exactly that, which yields `False`."
            )
        return (
            f"{subject} says {_c(inner)} is impossible, so `False` follows as soon as "
            f"{_c(inner)} is proved; that becomes the new goal."
        )
    if s.head == "apply" and not rest:
        needed = " and ".join(_c(p) for p in premises)
        return (
            f"The goal {_c(s.target)} is the conclusion of {who}, so it suffices "
            f"to prove its premise{'s' if len(premises) > 1 else ''} {needed}."
        )
    given = " and ".join(_term_phrase(s.goal, r) for r in rest) or "the hypotheses"
    return (
        f"The goal {_c(s.target)} is what {who} concludes, and its premise "
        f"{_c(premises[0])} comes from {given}."
    )


def _split_hypothesis(s: Situation) -> str | None:
    """`rcases h with ..`, `obtain ⟨..⟩ := h`, `cases h with ..`: take a hypothesis apart."""
    if s.head == "obtain":
        pattern, _, source = s.args.partition(":=")
    else:
        source, _, pattern = s.args.partition(" with ")
    source, pattern = source.strip(), pattern.strip()
    if not re.fullmatch(r"[^\W\d][\w']*", source):
        return None
    type_ = s.goal.hyp_type(source)
    if type_ is None:
        return None
    thought = _describe_split(s, source, type_, pattern)
    if thought is not None and " => " in pattern:  # arms that finish each case at once
        thought = thought[:-1] + ", each of which is settled immediately."
    return thought


def _describe_split(s: Situation, source: str, type_: str, pattern: str) -> str | None:
    if type_ in ("Nat", "ℕ"):
        tail = re.findall(r"\|\s*(?:succ\s+)?([^\W\d][\w']*)", pattern)
        pred = tail[-1] if tail else "n"
        return (
            f"The goal {_c(s.target)} depends on what `{source}` is, and a natural number is "
            f"either `0` or a successor `{pred} + 1`, so treat those two forms separately."
        )
    if type_.startswith("List"):
        return (
            f"The goal {_c(s.target)} depends on the list `{source}`, which is either empty or "
            "a head in front of a tail, so treat those two forms separately."
        )
    shape = shape_of(type_)
    if " => " in pattern or pattern.startswith("|"):  # `cases h with | inl ha => ..`
        names = re.findall(r"\|\s*\w+\s+([^\W\d][\w']*)", pattern)
        pattern = " | ".join(names)
    leaves = _pattern_leaves(pattern, type_)
    if shape.kind == "or":
        branches = [", ".join(f"{n} : {_c(t)}" for n, t in branch) for branch in leaves]
        listed = "; in the other, ".join(b for b in branches if b)
        return (
            f"The hypothesis {_hyp(s.goal, source)} leaves two possibilities, and the goal "
            f"{_c(s.target)} must hold in both, so consider them one at a time: in one, {listed}."
        )
    facts = ", ".join(f"{n} : {_c(t)}" for n, t in (leaves[0] if leaves else []))
    if shape.kind == "exists":
        var = shape.parts[0].split()[0]
        return (
            f"The hypothesis {_hyp(s.goal, source)} promises some `{var}`, so name that witness "
            f"and its property ({facts}) and use them toward {_c(s.target)}."
        )
    if shape.kind == "and":
        return (
            f"The hypothesis {_hyp(s.goal, source)} bundles several facts; taking it apart gives "
            f"{facts}, which can then be used separately toward {_c(s.target)}."
        )
    return None


def _pattern_leaves(pattern: str, type_: str) -> list[list[tuple[str, str]]]:
    """The names a destructuring pattern gives, with their types, one list per branch."""
    pattern = _strip_parens(pattern.strip())
    alternatives = _split_args(pattern, "|")
    shape = shape_of(type_)
    if len(alternatives) > 1:
        sides, rest = [], type_
        for _ in alternatives[:-1]:
            if (split := shape_of(rest)).kind != "or":
                break
            sides.append(split.parts[0])
            rest = split.parts[1]
        sides.append(rest)
        return [
            [leaf for branch in _pattern_leaves(alt, side) for leaf in branch]
            for alt, side in zip(alternatives, sides, strict=False)
        ]
    if pattern.startswith("⟨") and pattern.endswith("⟩"):
        items = _split_args(pattern[1:-1], ",")
        leaves: list[tuple[str, str]] = []
        rest = type_
        for index, item in enumerate(items):
            last = index == len(items) - 1
            shape = shape_of(rest)
            if last:
                part = rest
            elif shape.kind == "exists":
                var, body = shape.parts[0].split()[0], shape.parts[1]
                part, rest = "Nat", _substitute(body, var, item) if item != "_" else body
            elif shape.kind == "and":
                part, rest = shape.parts
            else:
                part = rest
            for branch in _pattern_leaves(item, part):
                leaves.extend(branch)
        return [leaves]
    if pattern in ("", "_"):
        return [[]]
    return [[(pattern, _strip_parens(type_))]]


def _pick_alternative(s: Situation) -> str | None:
    shape = s.shape
    if shape.kind != "or":
        return None
    index = 0 if s.head == "left" else 1
    chosen, other = shape.parts[index], shape.parts[1 - index]
    which = ("first", "second")[index]
    name = s.goal.hyp_with_type(chosen)
    if name is not None:
        reason = f"the hypothesis {name} gives it"
    elif eval_prop(chosen) is True and eval_prop(other) is False:
        reason = f"it is true by computation while {_c(other)} is false"
    elif eval_prop(chosen) is True:
        reason = "it holds by computation"
    elif eval_prop(other) is False or _constructor_clash(other):
        reason = f"the other one, {_c(other)}, can never hold"
    else:
        reason = "the hypotheses point to it"
    return (
        f"Of the two alternatives in {_c(s.target)}, the {which} one, {_c(chosen)}, is the one "
        f"that can be established ({reason}), so commit to it."
    )


def _recursion(s: Situation) -> str | None:
    var = s.args.split()[0] if s.args else ""
    type_ = s.goal.hyp_type(var)
    if not var or type_ is None:
        return None
    names = re.findall(r"\|\s*\w+((?:\s+[^\W\d][\w']*)+)", s.args)
    step = names[-1].split() if names else []
    if type_.startswith("List"):
        head, tail = step[:2] if len(step) >= 2 else ("a", "as")
        return (
            f"The goal {_c(s.target)} is about an arbitrary list `{var}`, and nothing computes "
            f"until its form is known, so argue by recursion on `{var}`: prove it for the empty "
            f"list, then for `{head} :: {tail}` using the claim for `{tail}`."
        )
    pred = step[0] if step else "n"
    base = _substitute(s.target, var, "0")
    return (
        f"The goal {_c(s.target)} holds for every `{var}` but does not compute while `{var}` is "
        f"unknown, so argue by recursion on `{var}`: check {_c(base)} directly, then get the "
        f"claim for `{pred} + 1` from the claim for `{pred}`."
    )


def _rewrite(s: Situation) -> str | None:
    m = re.fullmatch(r"\[(.*)\](?: at (.+))?", s.args)
    if m is None:
        return None
    rules, location = _split_args(m.group(1), ","), m.group(2)
    steps = []
    for rule in rules:
        backwards = rule.startswith(("←", "<-"))
        name = rule.lstrip("←<- ").strip()
        type_ = s.goal.hyp_type(name)
        if type_ is not None:
            shape = shape_of(type_)
            while shape.kind == "forall":
                shape = shape_of(shape.parts[1])
            if shape.kind in ("eq", "iff"):
                old, new = shape.parts if not backwards else reversed(shape.parts)
                read = " read from right to left" if backwards else ""
                steps.append(f"{name}{read} turns {_c(old)} into {_c(new)}")
            else:
                steps.append(f"{name} supplies an equation to substitute")
        else:
            fact = _lemma_fact(name)
            read = ", read from right to left," if backwards else ""
            steps.append(
                f"the fact that {fact}{read} allows a rewrite"
                if fact
                else "a library equation allows a rewrite"
            )
    if location and location.strip() in (h for hyp in s.goal.hyps for h in hyp.names):
        where = f"In the hypothesis {_hyp(s.goal, location.strip())}"
        goal = f", which brings it to the form the goal {_c(s.target)} needs"
    else:
        where, goal = f"In the goal {_c(s.target)}", ""
    goal = goal or ", moving it toward a form where both sides match"
    return f"{where}, {_join(steps)}{goal}."


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", then ".join(items)


_SIMPLE_PIECES = (
    (r"(?<![\w)])0 \+", "a leading `0 +`"),
    (r"\+ 0(?![\w.])", "a trailing `+ 0`"),
    (r"\* 1(?![\w.])", "a `* 1`"),
    (r"List\.nil \+\+|\[\] \+\+", "an append to the empty list"),
    (r"\+\+ (?:List\.nil|\[\])", "an append of the empty list"),
    (r"\.length|List\.length", "list lengths"),
)


def _simplify(s: Situation) -> str | None:
    m = re.fullmatch(r"(?:only )?(?:\[(.*?)\])?\s*(?:at (.+))?", s.args)
    if m is None:
        return None
    extra, location = m.group(1), m.group(2)
    subject = s.goal.hyp_type(location.strip()) if location else s.target
    if subject is None:
        return None
    found = [what for pattern, what in _SIMPLE_PIECES if re.search(pattern, subject)]
    helpers = [h for h in _split_args(extra or "", ",") if _is_local(s.goal, h)]
    using = f", together with {' and '.join(helpers)}" if helpers else ""
    pieces = f"contains {' and '.join(found)}, which" if found else "is routine:"
    where = (
        f"The hypothesis {location.strip()} : {_c(subject)}"
        if location
        else f"The goal {_c(s.target)}"
    )
    return (
        f"{where} {pieces} standard simplification facts clean up{using}, leaving the two sides "
        "in agreement."
    )


def _by_definition(s: Situation) -> str | None:
    shape = s.shape
    if shape.kind not in ("eq", "iff"):
        return None
    left, right = shape.parts
    lv, rv = eval_nat(left), eval_nat(right)
    if lv is not None and rv is not None:
        return (
            f"Both sides of {_c(s.target)} are closed numerals: {_c(left)} evaluates to `{lv}`, "
            f"the same as {_c(right)}, so the two sides are equal by definition."
        )
    if _normalise(left) == _normalise(right):
        return (
            f"The two sides of {_c(s.target)} are literally the same, so the equation holds by "
            "definition."
        )
    found = [what for pattern, what in _SIMPLE_PIECES[:3] if re.search(pattern, s.target)]
    if "List.cons" in s.target or "::" in s.target or ".length" in s.target:
        found.append("the length of explicitly built lists")
    unfold = f" ({' and '.join(found)} compute away)" if found else ""
    return (
        f"The two sides of {_c(s.target)} become identical once the definitions are unfolded"
        f"{unfold}, so they are equal by definition."
    )


def _evaluate(s: Situation) -> str | None:
    truth = eval_prop(s.target)
    if truth is not True:
        return None
    return (
        f"The goal {_c(s.target)} only involves numerals, so it is a decidable statement that "
        f"can be settled by evaluation: {_evidence(s.target)}."
    )


def _evidence(expr: str) -> str:
    """Why a closed proposition is true, in a few words."""
    shape = shape_of(expr)
    if shape.kind in ("eq", "ne", "le", "lt"):
        left, right = shape.parts
        lv, rv = eval_nat(left), eval_nat(right)
        if shape.kind == "eq":
            return (
                f"{_c(left)} is `{lv}`" if _normalise(left) != str(lv) else f"{_c(right)} is `{rv}`"
            )
        relation = {
            "ne": "different numbers",
            "le": "in increasing order",
            "lt": "in strictly increasing order",
        }
        values = [
            f"{_c(side)} is `{v}`"
            for side, v in ((left, lv), (right, rv))
            if _normalise(side) != str(v)
        ]
        if values:
            return f"{' and '.join(values)}, which are {relation[shape.kind]}"
        return f"{_c(left)} and {_c(right)} are {relation[shape.kind]}"
    if shape.kind == "not":
        return f"{_c(shape.parts[0])} is false ({_evidence_false(shape.parts[0])})"
    if shape.kind == "or":
        a, b = shape.parts
        good = a if eval_prop(a) else b
        return f"{_c(good)} is true ({_evidence(good)})"
    if shape.kind == "and":
        return " and ".join(_evidence(p) for p in shape.parts)
    return "every part is true"


def _evidence_false(expr: str) -> str:
    shape = shape_of(expr)
    if shape.kind in ("eq", "le", "lt"):
        return f"{_c(shape.parts[0])} is `{eval_nat(shape.parts[0])}`"
    return "it evaluates to false"


def _restate(s: Situation) -> str | None:
    if not s.args:
        return None
    why = ""
    if "* 1" in s.target:
        why = " (multiplying by one unfolds to adding to zero)"
    return (
        f"The goal {_c(s.target)} is easier to work with in the definitionally equal form "
        f"{_c(s.args)}{why}, so restate it that way before going on."
    )


def _impossible(s: Situation) -> str | None:
    """contradiction / exfalso / injection: the hypotheses cannot all hold."""
    false_hyp = s.goal.hyp_with_type("False")
    clash = next(
        (
            (hyp.names[-1], hyp.type)
            for hyp in s.goal.hyps
            if eval_prop(hyp.type) is False or _constructor_clash(hyp.type)
        ),
        None,
    )
    if s.head == "injection" and s.args in (n for h in s.goal.hyps for n in h.names):
        type_ = s.goal.hyp_type(s.args) or ""
        if _constructor_clash(type_):
            return (
                f"The hypothesis {_hyp(s.goal, s.args)} equates a successor with `0`, and "
                "different constructors of the naturals are never equal, so it cannot hold "
                f"and the goal {_c(s.target)} follows."
            )
        return (
            f"The hypothesis {_hyp(s.goal, s.args)} equates two successors, and successors are "
            "equal only when their predecessors are, which is what the goal needs."
        )
    if s.head == "exfalso":
        source = f"the hypothesis {false_hyp} is `False`" if false_hyp else "the hypotheses clash"
        return (
            f"The goal {_c(s.target)} has no direct proof here, but {source}, so aim for `False` "
            "instead, from which anything follows."
        )
    if false_hyp:
        return (
            f"The hypothesis {false_hyp} is `False`, so the situation is impossible and the goal "
            f"{_c(s.target)} holds vacuously."
        )
    if clash:
        return (
            f"The hypothesis {clash[0]} : {_c(clash[1])} can never hold (the two sides are "
            f"different numbers), so the goal {_c(s.target)} holds vacuously."
        )
    pair = _hypothesis_and_negation(s.goal)
    if pair:
        return (
            f"The hypotheses {pair[0]} and {pair[1]} state a fact and its negation, so they "
            f"clash and the goal {_c(s.target)} follows."
        )
    return None


def _constructor_clash(type_: str) -> bool:
    shape = shape_of(type_)
    if shape.kind != "eq":
        return False
    left, right = (_strip_parens(p) for p in shape.parts)
    succ = re.compile(r".+ \+ [1-9]\d*")
    return (bool(succ.fullmatch(left)) and right == "0") or (
        bool(succ.fullmatch(right)) and left == "0"
    )


def _hypothesis_and_negation(goal: Goal) -> tuple[str, str] | None:
    for hyp in goal.hyps:
        shape = shape_of(hyp.type)
        if shape.kind == "not" and (positive := goal.hyp_with_type(shape.parts[0])):
            return positive, hyp.names[-1]
    return None


def _flip(s: Situation) -> str | None:
    shape = s.shape
    if shape.kind not in ("eq", "ne", "iff"):
        return None
    op = {"eq": "=", "ne": "≠", "iff": "↔"}[shape.kind]
    swapped = f"{shape.parts[1]} {op} {shape.parts[0]}"
    name = s.goal.hyp_with_type(swapped)
    known = f", which is what {name} states" if name else ""
    return (
        f"The goal {_c(s.target)} is more convenient with its two sides swapped, as "
        f"{_c(swapped)}{known}."
    )


def _eliminate(s: Situation) -> str | None:
    type_ = s.goal.hyp_type(s.args)
    shape = shape_of(type_ or "")
    if shape.kind != "eq":
        return None
    var, value = shape.parts
    if not re.fullmatch(r"[^\W\d][\w']*", var):
        value, var = var, value
    return (
        f"The hypothesis {_hyp(s.goal, s.args)} pins down `{var}`, so eliminate `{var}` "
        f"everywhere by putting {_c(value)} in its place; the goal {_c(s.target)} then "
        "becomes concrete."
    )


def _closed_true(s: Situation) -> str | None:
    if s.shape.kind == "true":
        return "The goal is `True`, which holds with no work at all."
    return None


def _tagged(s: Situation) -> str | None:
    tag = s.args.split()[0] if s.args else "next"
    return (
        f"Among the open goals, the one tagged {tag} is {_c(s.target)}; deal with it on its own "
        "first."
    )


def _fallback(s: Situation) -> str:
    hyps = [n for n in re.findall(r"[^\W\d][\w']*", s.args) if _is_local(s.goal, n)]
    facts = [f for n in lemma_names(s.tactic) if (f := _lemma_fact(n))]
    using = ""
    if hyps:
        using = f" using {' and '.join(dict.fromkeys(hyps))}"
    if facts:
        using += f"{' and' if using else ''} the fact that {facts[0]}"
    kind = {
        "and": "a conjunction",
        "or": "a disjunction",
        "iff": "an equivalence",
        "imp": "an implication",
        "not": "a negation",
        "forall": "a universal statement",
        "exists": "an existential statement",
        "eq": "an equation",
        "ne": "a disequality",
        "le": "an inequality",
        "lt": "a strict inequality",
        "false": "`False`",
    }.get(s.shape.kind, "a proposition")
    return f"The goal {_c(s.target)} is {kind}; the next step should reshape it{using}."


RULES: tuple[tuple[frozenset[str] | None, Builder], ...] = (
    (frozenset({"intro", "intros", "rintro"}), _assume),
    (frozenset({"constructor", "refine", "refine'"}), _split_goal),
    (frozenset({"exact", "refine", "refine'", "exists", "use", "apply"}), _anonymous_pair),
    (frozenset({"exact", "assumption"}), _hypothesis_closes),
    (frozenset({"exact", "apply"}), _projection),
    (frozenset({"exact", "apply"}), _library_term),
    (frozenset({"exact", "apply"}), _use_implication),
    (frozenset({"exact"}), _function_term),
    (frozenset({"rcases", "obtain", "cases", "rcases'"}), _split_hypothesis),
    (frozenset({"left", "right"}), _pick_alternative),
    (frozenset({"induction"}), _recursion),
    (frozenset({"rw", "rewrite", "rwa", "nth_rewrite"}), _rewrite),
    (frozenset({"simp", "simp_all", "simp_arith", "norm_num", "dsimp"}), _simplify),
    (frozenset({"rfl", "exact"}), lambda s: _by_definition(s) if s.args in ("", "rfl") else None),
    (frozenset({"decide", "native_decide", "norm_num", "simp", "omega"}), _evaluate),
    (frozenset({"show", "change"}), _restate),
    (frozenset({"contradiction", "exfalso", "injection", "cases", "nomatch"}), _impossible),
    (frozenset({"symm"}), _flip),
    (frozenset({"subst"}), _eliminate),
    (frozenset({"trivial", "constructor"}), _closed_true),
    (frozenset({"case", "next"}), _tagged),
)


class RuleBasedWriter:
    """A deterministic offline rationale writer: it reads the main goal's shape and the
    tactic and says what the goal asks for and why this step fits, in one or two
    sentences that never name the tactic or its lemmas.

    It lets the training pipeline run end to end without an oracle; its thoughts are
    plainer than an LLM's but differ whenever the right tactic differs.
    """

    def write(self, state: str, tactic: str) -> str:
        goals = parse_goals(state)
        if not goals:
            return (
                "No goals remain, so the proof is already complete and nothing further is needed."
            )
        flat = _normalise(_unbullet(tactic))
        head = tactic_head(flat)
        situation = Situation(goals[0], len(goals), flat, head, flat[len(head) :].strip())
        for heads, build in RULES:
            if heads is not None and head not in heads:
                continue
            thought = build(situation)
            if thought is not None and thought_problem(thought, tactic) is None:
                return thought
        return _fallback(situation)


# -- 6. The oracle writer ---------------------------------------------------------------------


@dataclass(frozen=True)
class OracleAnswer:
    """One oracle answer for (state, tactic): the thought, or why it was rejected."""

    state: str
    tactic: str
    thought: str | None
    problem: str | None  # None when `thought` is usable
    raw: str
    tokens: int

    @property
    def ok(self) -> bool:
        return self.thought is not None


class OracleWriter:
    """Retrospective rationales from an LLM behind any `Generator`.

    An `openai-chat:URL#MODEL` generator (`leanstar.models.loading.load_generator`) turns
    the ChatML prompt back into chat messages; a local completion model reads the ChatML
    as is (pass `chatml=False` for a model without chat tokens). Every answer is parsed and
    validated; rejected ones carry `problem`, and retrying them is the caller's choice.
    """

    def __init__(self, generator: Generator, *, chatml: bool = True) -> None:
        self.generator = generator
        self.chatml = chatml

    async def write_many(
        self,
        items: Sequence[tuple[str, str]],
        *,
        samples: int = 1,
        temperature: float = ORACLE_TEMPERATURE,
        top_p: float = ORACLE_TOP_P,
        max_tokens: int = ORACLE_MAX_TOKENS,
    ) -> list[OracleAnswer]:
        """`samples` answers per (state, tactic), in item order (item 0's samples first).

        Model failures raise the generator's `ModelError`; malformed or rule-breaking
        answers come back with `thought=None` and `problem` saying why.
        """
        if not items:
            return []
        for state, tactic in items:
            if not tactic.strip():
                raise ValueError(f"an oracle item has an empty tactic (state: {state[:60]!r})")
        prompts = [oracle_prompt(state, tactic, chatml=self.chatml) for state, tactic in items]
        params = SamplingParams(
            n=samples,
            temperature=temperature,
            top_p=top_p,
            max_tokens=max_tokens,
            stop=(IM_END,) if self.chatml else (),
        )
        outputs = await self.generator.generate(prompts, params)
        answers = []
        for (state, tactic), samples_out in zip(items, outputs, strict=True):
            for sample in samples_out:
                thought, problem = judge_oracle_answer(sample.text, tactic)
                answers.append(
                    OracleAnswer(state, tactic, thought, problem, sample.text, sample.tokens)
                )
        return answers


def judge_oracle_answer(text: str, tactic: str) -> tuple[str | None, str | None]:
    """(thought, None) for a usable answer, else (None, the reason it is not)."""
    sections = parse_oracle_sections(text)
    if sections.reasoning is None:
        return None, "no reasoning section"
    problem = thought_problem(sections.reasoning, tactic)
    stated = sections.tactic
    if problem is None and stated is not None and _normalise(stated) != _normalise(tactic):
        problem = "states another tactic"
    return (None, problem) if problem else (sections.reasoning, None)
