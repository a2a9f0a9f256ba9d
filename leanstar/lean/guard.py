"""Refuse tactic text that could run code or change Lean's environment while it is checked.

A model's tactic is pasted into a Lean file (or sent to a REPL) and elaborated. Elaborating
Lean is running code: `#eval` does IO, `run_tac` runs arbitrary meta-programs, a new
`macro` or `initialize` runs at the next command, and a line that starts with a command
keyword ends the proof and starts a command of its own, however far it is indented. Accepted by
Lean is also not accepted by us: `sorry`, a new `axiom` or `native_decide` make Lean say
yes without a kernel-checked proof. `refusal(tactic)` looks at the text before any of this
can happen and says why it must not be run; backends turn that into `Failed(reason="guard")`.

How the text is read
--------------------
The guard splits the text into Lean identifiers with Lean's own character classes (ASCII
letters, `_`, the Greek and letter-like blocks except `λ Π Σ`; then also digits, `'`, `!`,
`?` and subscripts), so it sees every identifier and keyword Lean sees and matches whole
tokens, never substrings: `hIO`, `IO_lemma`, `nat_eval_lemma`, `evalStuff`, `foo.theorem`
(one identifier to Lean, checked) all pass.

Comments are removed before the scan only when that is unambiguous: when the text has no
string literal and no `«quoted name»`, and every comment opener follows whitespace or
starts the text. Elsewhere `--` or `/-` need not start a comment (`«x--»` is a name; in an
interpolated string `s!"{"--"} {e}"` the braces hold code with strings of their own; in
`a-/-- x -/ e` Lean's comment starts one character later than a naive reader's; a notation
token may contain `--`), so a lexer that misread them could take code for a comment. In
those cases the whole text, comments and strings included, is scanned as if it were code:
nothing can hide, at the price of refusing a text whose comment or string merely mentions
a refused word. In the unambiguous case Lean's comments are exact to find (`--` to the end
of the line, `/- ... -/` nesting), so `-- TODO: sorry` costs nothing.

What is refused, and why
------------------------
Shape of the text:
- empty, whitespace-only or comment-only text: not a tactic; Lean reports a parse error
  that names the next line, not the candidate.
- more than `MAX_TACTIC_CHARS` (4096) characters: no real tactic step is that long, and a
  huge text costs Lean time and memory. Checked first, so a 1 MB text is refused at once.
  A whole proof checked in one go (`proof_refusal`) may have `MAX_PROOF_CHARS` (65536).
- control characters other than newline and tab (NUL, escape, carriage return, DEL, C1),
  bidirectional overrides and zero-width characters: they corrupt the file a backend
  writes (NUL ends C strings, a lone CR is a line break to the language server but not to
  every tool) or make the text read differently than it runs ("trojan source").
  Callers normalise line endings to `\\n` first.
- an unterminated block comment `/-`: it swallows everything the backend writes after the
  tactic (the rest of the proof, a check command), so what Lean checks is not what we asked.

Running code during elaboration:
- any `#` command (`#eval`, `#exit`, `#print`, `#check`, `#reduce`, ...): `#eval` runs IO,
  `#exit` stops elaboration (everything after it goes unchecked), `#print axioms` output is
  what a trusted check reads. `#[1, 2]` (an array literal) is fine.
- `run_tac`, `run_cmd`, `run_elab`, `run_meta`, `by_elab`, `eval%`: run an arbitrary
  TacticM/CommandElabM/TermElabM/MetaM program, which can do IO.
- `IO`, `EIO`, `BaseIO`, `System` names: file, process and network access.
- `Lean.Elab`, `Lean.Meta`, `Lean.Core`, `Lean.Environment`, `Lean.Compiler`,
  `Lean.addDecl`, `Lean.addAndCompile` (also as `Elab.`/`Meta.`/`Core.` after `open Lean`):
  meta-programming access to the elaborator and the environment; a proof never needs it.
- `unsafe`, and names like `unsafeCast`, `unsafeIO`, `unsafeBaseIO`, `ptrAddrUnsafe`:
  break the type system or run IO from pure code.
- `implemented_by`, `extern`: replace a definition's code by other code the kernel never
  sees.
- `dbg_trace`, `dbgTrace...`: print from inside evaluation; `trace`: Mathlib's `trace e`
  evaluates the term `e` with the interpreter (`trace_state` is fine: it only prints the goals).
- `polyrith` (calls a web service), `bv_decide`, `bv_check` (run an external SAT solver or
  read a proof file from disk), `llmstep`, `llmqed`, `suggest_tactics`, `search_proof`,
  `select_premises` (call a model server), `auto`, `egg`, `hammer` (start external
  provers): they leave the sandbox of the check and make results depend on other machines.

Proofs that are not proofs:
- `sorry`, `admit`, `stop` (which is `repeat sorry`), `sorryAx`: close goals without a proof.
  `sorryAx` is refused in every spelling (`«sorryAx»`, `_root_.sorryAx`): any component.
- `lcProof`, `lcCast`, `lcUnreachable`: the code generator's unsafe axioms (`lcProof`
  proves any proposition); the kernel refuses a theorem that uses them, and the guard
  refuses them before Lean sees them (any spelling).
- `native_decide`, `decide +native` (the word `native`), `Lean.ofReduceBool`,
  `Lean.ofReduceNat`, `Lean.trustCompiler`: trust compiled code instead of the kernel, an
  extra axiom external checkers cannot verify.

Changing the environment (each of these starts a command, which ends the proof block even
when indented, and then adds or changes declarations that later checks would trust):
- `import`, `prelude`, `theorem`, `lemma`, `def`, `abbrev`, `example`, `instance`,
  `structure`, `class`, `inductive`, `axiom`, `opaque`, `macro`, `macro_rules`, `syntax`,
  `elab`, `elab_rules`, `notation`, `notation3`, `infix`, `infixl`, `infixr`, `prefix`,
  `postfix`, `declare_syntax_cat`, `attribute`, `initialize`, `builtin_initialize`,
  `namespace`, `section`, `end`, `export`, `universe`, `variable`, `omit`, `include`,
  `mutual`, `deriving`, `private`, `protected`, `noncomputable`, `partial`, `alias`,
  `add_decl_doc`, `register_simp_attr`, `irreducible_def`, `seal`, `unseal`, `init_quot`,
  `gen_injective_theorems%`, `register_tactic_tag`, `recommended_spelling`, `grind_pattern`,
  `coinductive`, and a bare `open X` (without `in`).
- `@[...]` attributes: only meaningful on a declaration, and `@[implemented_by]`,
  `@[extern]`, `@[csimp]` change what code runs.
- `set_option` (any, including the tactic form `set_option ... in`), and the words
  `maxHeartbeats`, `maxRecDepth`, `maxSteps` anywhere (e.g. `simp (config := {maxSteps
  := ...})`): lift the resource limits that keep one check from hanging the worker.

Allowed on purpose:
- `open Foo in tac`: the tactic form only scopes names for that one tactic (an `in` later
  on the same line); a bare `open Foo` is refused: inside a proof it is a parse error, on a
  line of its own it ends the proof as a command. The names it opens are still checked
  (`open IO in ...` is refused because of `IO`).
- `decide`, `omega`, `exact?`, `apply?`, `simp?`, `trace_state`: ordinary tactics. A
  suggestion tactic that ends in `sorry` is caught by the final proof check, which
  rejects any proof with a `sorry` warning.

The guard is a first line, not the only one: the final check of a whole proof still
requires no error, no `sorry`, allowed axioms only and the statement unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from leanstar.lean.lexer import ID_FIRST as _ID_FIRST
from leanstar.lean.lexer import ID_REST as _ID_REST
from leanstar.lean.lexer import lex

# What every backend accepts as a guard: tactic text -> the reason to refuse it, or None.
Guard = Callable[[str], "str | None"]

MAX_TACTIC_CHARS = 4096
MAX_PROOF_CHARS = 65536  # a whole proof checked at once (`check_proof`): same rules, more room

# A name: components of identifier characters or «guillemet-quoted» text, joined by dots.
_COMPONENT = f"(?:«[^»]*»|[{_ID_FIRST}][{_ID_REST}]*)"
_NAME = re.compile(f"{_COMPONENT}(?:\\.{_COMPONENT})*(%?)")

# Control characters except \t and \n, DEL and C1, zero-width and bidirectional controls,
# the byte-order mark and lone surrogates (which cannot even be written as UTF-8).
_BAD_CHAR = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    "\ufeff\ud800-\udfff]"
)
_HASH_COMMAND = re.compile(f"#[{_ID_FIRST}][{_ID_REST}]*")

_RUNS_CODE = "runs arbitrary code (it can do IO) while the tactic is checked"
_CHANGES_ENV = "is a command: it ends the proof and changes the environment later checks trust"
_NOT_A_PROOF = "closes goals without a proof"
_TRUSTS_COMPILER = "trusts compiled code instead of the kernel (an extra axiom)"
_EXTERNAL = "starts an external process or network call, outside the checked sandbox"
_LIMITS = "lifts a resource limit that keeps one check from hanging the worker"
_UNSAFE_CONSTANT = (
    "is an unsafe axiom of the code generator: it proves anything, the kernel refuses it"
)
# `open X` without `in`: a command (it ends the proof); `open X in tac` is a tactic.
_BARE_OPEN = re.compile(r"(?<![^\s(;])open\b(?![^\n]*\bin\b)")

# Whole tokens (with a trailing `!`/`?` ignored), each with why it is refused.
_REFUSED_WORDS: dict[str, str] = {
    **dict.fromkeys(["run_tac", "run_cmd", "run_elab", "run_meta", "by_elab"], _RUNS_CODE),
    "unsafe": "switches off the type system's guarantees and allows IO from pure code",
    "implemented_by": "replaces a definition's code by code the kernel never sees",
    "extern": "replaces a definition's code by external native code",
    "trace": "evaluates a term with the interpreter (Mathlib `trace e`); use `trace_state`",
    **dict.fromkeys(["sorry", "admit", "stop", "sorryAx"], _NOT_A_PROOF),
    **dict.fromkeys(["native_decide", "native"], _TRUSTS_COMPILER),
    **dict.fromkeys(
        [
            "polyrith",
            "bv_decide",
            "bv_check",
            "llmstep",
            "llmqed",
            "suggest_tactics",
            "search_proof",
            "select_premises",
            "auto",
            "egg",
            "hammer",
        ],
        _EXTERNAL,
    ),
    **dict.fromkeys(
        [
            "import",
            "prelude",
            "theorem",
            "lemma",
            "def",
            "abbrev",
            "example",
            "instance",
            "structure",
            "class",
            "inductive",
            "axiom",
            "opaque",
            "macro",
            "macro_rules",
            "syntax",
            "elab",
            "elab_rules",
            "notation",
            "notation3",
            "infix",
            "infixl",
            "infixr",
            "prefix",
            "postfix",
            "declare_syntax_cat",
            "attribute",
            "initialize",
            "builtin_initialize",
            "namespace",
            "section",
            "end",
            "export",
            "universe",
            "variable",
            "omit",
            "include",
            "mutual",
            "deriving",
            "private",
            "protected",
            "noncomputable",
            "partial",
            "alias",
            "add_decl_doc",
            "register_simp_attr",
            "irreducible_def",
            "seal",
            "unseal",
            "init_quot",
            "gen_injective_theorems",
            "register_tactic_tag",
            "recommended_spelling",
            "grind_pattern",
            "coinductive",
        ],
        _CHANGES_ENV,
    ),
    "set_option": "changes Lean options; " + _LIMITS,
}

# Words refused wherever they occur as a component of a name (`Lean.ofReduceBool`, `x.maxSteps`).
_REFUSED_COMPONENTS: dict[str, str] = {
    # `«sorryAx»`, `_root_.sorryAx`: every spelling of the name is the same constant.
    "sorryAx": _NOT_A_PROOF,
    **dict.fromkeys(["lcProof", "lcCast", "lcUnreachable"], _UNSAFE_CONSTANT),
    **dict.fromkeys(["ofReduceBool", "ofReduceNat", "trustCompiler"], _TRUSTS_COMPILER),
    **dict.fromkeys(["maxHeartbeats", "maxRecDepth", "maxSteps"], _LIMITS),
}

# Namespaces refused as the first component of a name (after `_root_.`), why.
_REFUSED_ROOTS: dict[str, str] = {
    **dict.fromkeys(["IO", "EIO", "BaseIO", "System"], "gives file, process and network access"),
    **dict.fromkeys(
        ["Elab", "Meta", "Core"],
        "is meta-programming access to the elaborator (after `open Lean`)",
    ),
}
# Second components refused under `Lean.`, why.
_REFUSED_UNDER_LEAN: dict[str, str] = dict.fromkeys(
    ["Elab", "Meta", "Core", "Environment", "Compiler", "addDecl", "addAndCompile"],
    "is meta-programming access to the elaborator and the environment",
)


def refusal(tactic: str, *, max_chars: int = MAX_TACTIC_CHARS) -> str | None:
    """Why `tactic` must not be run, or None when it may be checked by Lean.

    The reason names the offending text first (e.g. "`#eval` is a `#` command ...").
    """
    if len(tactic) > max_chars:
        return f"tactic too long: {len(tactic)} characters (limit {max_chars})"
    if not tactic.strip():
        return "empty tactic"
    bad = _BAD_CHAR.search(tactic)
    if bad:
        return (
            f"control character U+{ord(bad.group()):04X} at offset {bad.start()}: "
            "it corrupts the checked file or hides what the text does"
        )
    if _unterminated_block_comment(tactic):
        return "unterminated block comment `/-`: it would swallow the text after the tactic"
    # Scan without comments when that is unambiguous, else everything (see the docstring).
    code = _without_comments(tactic)
    if code is not None and not code.strip():
        return "empty tactic (only comments)"
    text = tactic if code is None else code
    command = _HASH_COMMAND.search(text)
    if command:
        return (
            f"`{command.group()}` is a `#` command: commands run code (`#eval` does IO), "
            "stop the check (`#exit`) or print what a trusted check reads"
        )
    if _BARE_OPEN.search(text):
        return "`open` without `in` is a command: it ends the proof (write `open X in tac`)"
    if "@[" in text:
        return "`@[...]` attribute: attributes belong to declarations and can replace code"
    for match in _NAME.finditer(text):
        reason = _name_refusal(match.group(0))
        if reason:
            return reason
    return None


def proof_refusal(proof: str) -> str | None:
    """`refusal` for a whole proof (the tactic text after `by`), up to `MAX_PROOF_CHARS`."""
    return refusal(proof, max_chars=MAX_PROOF_CHARS)


def _name_refusal(token: str) -> str | None:
    """Why one name token (as `_NAME` matched it, maybe ending in `%`) is refused."""
    if token.endswith("%"):
        token = token[:-1]
        if token == "eval":
            return f"`eval%` {_RUNS_CODE}"
    word = token.rstrip("!?")
    if word in _REFUSED_WORDS:
        return f"`{word}` {_REFUSED_WORDS[word]}"
    parts = [part.strip("«»") for part in token.split(".")]
    if parts[0] == "_root_":
        parts = parts[1:] or [""]
    for part in parts:
        if part in _REFUSED_COMPONENTS:
            return f"`{part}` {_REFUSED_COMPONENTS[part]}"
        if _is_unsafe_name(part):
            return f"`{part}` is unsafe: it breaks the type system or runs IO from pure code"
        if _is_debug_name(part):
            return f"`{part}` prints from inside evaluation (a debugging side effect)"
    if parts[0] in _REFUSED_ROOTS:
        return f"`{token}`: `{parts[0]}` {_REFUSED_ROOTS[parts[0]]}"
    if parts[0] == "Lean" and len(parts) > 1 and parts[1] in _REFUSED_UNDER_LEAN:
        return f"`{token}`: `Lean.{parts[1]}` {_REFUSED_UNDER_LEAN[parts[1]]}"
    return None


def _is_unsafe_name(part: str) -> bool:
    # unsafeCast, unsafeIO, unsafeBaseIO, ptrAddrUnsafe; not `unsafe_lemma` or `unsafely`.
    rest = part[len("unsafe") :]
    return (part.startswith("unsafe") and rest[:1].isupper()) or part.endswith("Unsafe")


def _is_debug_name(part: str) -> bool:
    # dbg_trace, dbgTrace, dbgTraceIfShared, dbgSleep; not `dbgx` or `hdbg`.
    rest = part[len("dbg") :]
    return part.startswith("dbg") and (rest[:1] == "_" or rest[:1].isupper())


def _comment_spans(text: str) -> tuple[list[tuple[int, int]], bool, bool]:
    """Comments as Lean reads them: (spans, a block comment is left open, unambiguous).

    Lean block comments nest (`/-` ... `-/`, doc comments `/--` alike); `--` runs to the
    end of the line. Lean only looks for a comment between tokens, so an opener glued to
    the text before it (`a-/-- x -/`, a notation token like `<--`) may be part of a token:
    then the spans are marked ambiguous. Strings and quoted names are not understood here
    either; callers only trust the spans for text without them. One linear pass of
    `leanstar.lean.lexer` (comments only).
    """
    lexed = lex(text, literals=False)
    return lexed.comments, lexed.open_comment, lexed.glued_openers == 0


def _unterminated_block_comment(text: str) -> bool:
    return _comment_spans(text)[1]


def _without_comments(text: str) -> str | None:
    """The text with each comment replaced by a space, or None when that is not certain."""
    if '"' in text or "«" in text:
        return None
    spans, _, unambiguous = _comment_spans(text)
    if not unambiguous:
        return None
    pieces, last = [], 0
    for start, end in spans:
        pieces += [text[last:start], " "]  # a space keeps the tokens apart, as in Lean
        last = end
    pieces.append(text[last:])
    return "".join(pieces)
