prelude
/-!
# LeanstarCore

A tiny, self-contained stand-in for the parts of Lean's `Init` library that
ordinary tactic proofs need.  Written from scratch for experimenting with a bare
Lean 4.35.0 binary that ships without any `.olean` files.

Many declarations below carry exactly the names that Lean's *compiled-in*
elaborators and tactics look up (`Eq.mpr`, `OfNat.ofNat`, `Lean.Parser.Tactic.exact`,
…): those pieces of Lean refer to such constants by name, so the names are an
interface, not a choice.

Note on evaluation: Lean's interpreter runs a declaration's *native* code whenever
the binary contains a symbol for a constant of the same name (option
`interpreter.prefer_native`, default on).  LeanstarCore relies on that for a handful of
`@[extern]` helpers on `Syntax`/`Name` below, and it also means that same-named
parser descriptions (`Lean.Parser.Tactic.exact`, `«term_=_»`, …) are taken from the
binary at run time; the declarations here were generated to be identical.
-/
universe u v w

-- `T.ctorIdx`/`T.ctorElim` need `cond`, `Nat.ble` and `Nat.decEq`; they are switched
-- off until those exist (see `gen_constructor_elims` further down).
set_option genCtorIdx false

/-! ## Constants the code generator refers to -/
axiom lcErased : Type
axiom lcAny : Type
axiom lcVoid : Type
-- No `lcProof` ("any proposition"): with it reachable, `exact lcProof` looked like a
-- proof until the kernel refused it. Nothing in Lean 4.35 needs the constant to exist (the
-- code generator only builds terms with its name); `unsafeCast` uses a private axiom.
unsafe axiom lcCast {α : Sort u} {β : Sort v} (a : α) : β
unsafe axiom lcUnreachable {α : Sort u} : α

/-! ## Logic -/
def id {α : Sort u} (a : α) : α := a

set_option checkBinderAnnotations false in
abbrev inferInstance {α : Sort u} [i : α] : α := i

set_option bootstrap.inductiveCheckResultingUniverse false in
inductive PUnit : Sort u where
  | unit : PUnit

abbrev Unit : Type := PUnit
@[match_pattern] abbrev Unit.unit : Unit := PUnit.unit

inductive True : Prop where
  | intro : True

theorem trivial : True := True.intro

inductive False : Prop

inductive Empty : Type

def Not (a : Prop) : Prop := a → False

@[macro_inline] def False.elim {C : Sort u} (h : False) : C := h.rec

@[macro_inline] def absurd {a : Prop} {b : Sort v} (h₁ : a) (h₂ : Not a) : b :=
  (h₂ h₁).rec

inductive Eq {α : Sort u} : α → α → Prop where
  | refl (a : α) : Eq a a

set_option linter.defProp false in
@[match_pattern] def rfl {α : Sort u} {a : α} : Eq a a := Eq.refl a

@[macro_inline] def Eq.ndrec.{u1, u2} {α : Sort u2} {a : α} {motive : α → Sort u1}
    (m : motive a) {b : α} (h : Eq a b) : motive b :=
  Eq.rec (motive := fun x _ => motive x) m h

theorem Eq.subst {α : Sort u} {motive : α → Prop} {a b : α} (h₁ : Eq a b) (h₂ : motive a) :
    motive b :=
  Eq.ndrec h₂ h₁

theorem Eq.symm {α : Sort u} {a b : α} (h : Eq a b) : Eq b a :=
  Eq.ndrec (motive := fun x => Eq x a) rfl h

theorem Eq.trans {α : Sort u} {a b c : α} (h₁ : Eq a b) (h₂ : Eq b c) : Eq a c :=
  Eq.ndrec (motive := fun x => Eq a x) h₁ h₂

def cast {α β : Sort u} (h : Eq α β) (a : α) : β :=
  Eq.rec (motive := fun x _ => x) a h

@[macro_inline] def Eq.mp {α β : Sort u} (h : Eq α β) (a : α) : β := cast h a
@[macro_inline] def Eq.mpr {α β : Sort u} (h : Eq α β) (b : β) : α := cast (Eq.symm h) b

theorem congrArg {α : Sort u} {β : Sort v} {a₁ a₂ : α} (f : α → β) (h : Eq a₁ a₂) :
    Eq (f a₁) (f a₂) :=
  Eq.ndrec (motive := fun x => Eq (f a₁) (f x)) rfl h

theorem congrFun {α : Sort u} {β : α → Sort v} {f g : (x : α) → β x} (h : Eq f g) (a : α) :
    Eq (f a) (g a) :=
  Eq.ndrec (motive := fun (k : (x : α) → β x) => Eq (f a) (k a)) rfl h

theorem congr {α : Sort u} {β : Sort v} {f₁ f₂ : α → β} {a₁ a₂ : α}
    (h₁ : Eq f₁ f₂) (h₂ : Eq a₁ a₂) : Eq (f₁ a₁) (f₂ a₂) :=
  Eq.trans (congrFun h₁ a₁) (congrArg f₂ h₂)

inductive HEq : {α : Sort u} → α → {β : Sort u} → β → Prop where
  | refl {α : Sort u} (a : α) : HEq a a

theorem heq_of_eq {α : Sort u} {a a' : α} (h : Eq a a') : HEq a a' :=
  Eq.rec (motive := fun x _ => HEq a x) (HEq.refl a) h

theorem eq_of_heq {α : Sort u} {a a' : α} (h : HEq a a') : Eq a a' :=
  let aux : (β : Sort u) → (b : β) → HEq a b → (e : Eq α β) → Eq (cast e a) b :=
    fun _ _ h => HEq.rec (motive := fun {β} b _ => (e : Eq α β) → Eq (cast e a) b)
      (fun _ => Eq.refl a) h
  aux α a' h (Eq.refl α)

structure PProd (α : Sort u) (β : Sort v) where
  fst : α
  snd : β

structure Prod (α : Type u) (β : Type v) where
  fst : α
  snd : β

structure And (a b : Prop) : Prop where
  intro ::
  left : a
  right : b

inductive Or (a b : Prop) : Prop where
  | inl (h : a) : Or a b
  | inr (h : b) : Or a b

structure Iff (a b : Prop) : Prop where
  intro ::
  mp : a → b
  mpr : b → a

inductive Exists {α : Sort u} (p : α → Prop) : Prop where
  | intro (w : α) (h : p w) : Exists p

@[reducible] def Ne {α : Sort u} (a b : α) : Prop := Not (Eq a b)

axiom propext {a b : Prop} : Iff a b → Eq a b


/-! ## Classes used by elaborators -/
@[reducible] def outParam (α : Sort u) : Sort u := α
@[reducible] def semiOutParam (α : Sort u) : Sort u := α

class Inhabited (α : Sort u) where
  default : α

class inductive Nonempty (α : Sort u) : Prop where
  | intro (val : α) : Nonempty α

/-- Composition of relations, used by `calc`. (Universe order matters to the elaborator.) -/
class Trans.{uR, uS, uT, u₁, u₂, u₃} {α : Sort u₁} {β : Sort u₂} {γ : Sort u₃}
    (r : α → β → Sort uR) (s : β → γ → Sort uS) (t : outParam (α → γ → Sort uT)) where
  trans {a : α} {b : β} {c : γ} : r a b → s b c → t a c

instance instTransEq {α : Sort u} {γ : Sort v} (r : α → γ → Sort w) : Trans Eq r r :=
  ⟨fun e h => Eq.ndrec (motive := fun x => r x _) h (Eq.symm e)⟩
instance instTransEq_1 {α : Sort u} {β : Sort v} (r : α → β → Sort w) : Trans r Eq r :=
  ⟨fun h e => Eq.ndrec h e⟩

/-! ## Booleans and decidability -/
inductive Bool : Type where
  | false : Bool
  | true : Bool

export Bool (false true)

/-- `cond c x y` is `x` if `c` is `true` (used by generated constructor-index tables). -/
@[macro_inline] def cond {α : Sort u} (c : Bool) (x y : α) : α :=
  match c with
  | true => x
  | false => y

/-- The placeholder used by `sorry` and by error recovery (`synthetic := true`). -/
axiom sorryAx (α : Sort u) (synthetic : Bool) : α

class inductive Decidable (p : Prop) where
  | isFalse (h : Not p) : Decidable p
  | isTrue (h : p) : Decidable p

@[inline_if_reduce] def Decidable.decide (p : Prop) [h : Decidable p] : Bool :=
  Decidable.casesOn (motive := fun _ => Bool) h (fun _ => false) (fun _ => true)

export Decidable (isTrue isFalse decide)

/-- `if c then t else e` (no surface syntax is provided for it here). -/
@[macro_inline] def ite {α : Sort u} (c : Prop) [h : Decidable c] (t e : α) : α :=
  Decidable.casesOn (motive := fun _ => α) h (fun _ => e) (fun _ => t)

/-- Dependent `if h : c then t h else e h`. -/
@[macro_inline] def dite {α : Sort u} (c : Prop) [h : Decidable c] (t : c → α) (e : Not c → α) : α :=
  Decidable.casesOn (motive := fun _ => α) h e t

abbrev DecidableEq (α : Sort u) := (a b : α) → Decidable (Eq a b)

theorem of_decide_eq_true {p : Prop} [inst : Decidable p] : Eq (decide p) true → p :=
  match inst with
  | isTrue h => fun _ => h
  | isFalse _ => fun h => Bool.noConfusion h

theorem decide_eq_true {p : Prop} [inst : Decidable p] : p → Eq (decide p) true :=
  match inst with
  | isTrue _ => fun _ => rfl
  | isFalse hn => fun hp => absurd hp hn

theorem decide_eq_false {p : Prop} [inst : Decidable p] : Not p → Eq (decide p) false :=
  match inst with
  | isTrue hp => fun hn => absurd hp hn
  | isFalse _ => fun _ => rfl

theorem of_decide_eq_false {p : Prop} [inst : Decidable p] : Eq (decide p) false → Not p :=
  match inst with
  | isTrue _ => fun h => Bool.noConfusion h
  | isFalse hn => fun _ => hn

/-! ## Natural numbers -/
inductive Nat : Type where
  | zero : Nat
  | succ (n : Nat) : Nat

class OfNat (α : Type u) (_ : Nat) where
  ofNat : α

@[default_instance 100]
instance instOfNatNat (n : Nat) : OfNat Nat n where
  ofNat := n

instance : Inhabited Nat := ⟨Nat.zero⟩

/-! ## Arithmetic on `Nat` (the kernel and the elaborator accelerate these by name) -/
namespace Nat
@[extern "lean_nat_add"]
protected def add : (@& Nat) → (@& Nat) → Nat
  | n, .zero => n
  | n, .succ m => .succ (Nat.add n m)

@[extern "lean_nat_mul"]
protected def mul : (@& Nat) → (@& Nat) → Nat
  | _, .zero => .zero
  | n, .succ m => Nat.add (Nat.mul n m) n

@[extern "lean_nat_pred"]
def pred : (@& Nat) → Nat
  | .zero => .zero
  | .succ n => n

@[extern "lean_nat_sub"]
protected def sub : (@& Nat) → (@& Nat) → Nat
  | n, .zero => n
  | n, .succ m => pred (Nat.sub n m)

@[extern "lean_nat_dec_eq"]
def beq : (@& Nat) → (@& Nat) → Bool
  | .zero, .zero => true
  | .zero, .succ _ => false
  | .succ _, .zero => false
  | .succ n, .succ m => beq n m

theorem eq_of_beq_eq_true : {n m : Nat} → Eq (beq n m) true → Eq n m
  | .zero, .zero, _ => rfl
  | .zero, .succ _, h => Bool.noConfusion h
  | .succ _, .zero, h => Bool.noConfusion h
  | .succ a, .succ b, h => congrArg succ (eq_of_beq_eq_true (n := a) (m := b) h)

theorem ne_of_beq_eq_false : {n m : Nat} → Eq (beq n m) false → Not (Eq n m)
  | .zero, .zero, h => fun _ => Bool.noConfusion h
  | .zero, .succ _, _ => fun h => Nat.noConfusion h
  | .succ _, .zero, _ => fun h => Nat.noConfusion h
  | .succ a, .succ b, h => fun h' => ne_of_beq_eq_false (n := a) (m := b) h (congrArg pred h')

@[extern "lean_nat_dec_eq"]
def decEq (n m : @& Nat) : Decidable (Eq n m) :=
  match h : beq n m with
  | true => isTrue (eq_of_beq_eq_true h)
  | false => isFalse (ne_of_beq_eq_false h)

@[extern "lean_nat_dec_le"]
def ble : (@& Nat) → (@& Nat) → Bool
  | .zero, _ => true
  | .succ _, .zero => false
  | .succ n, .succ m => ble n m

theorem beq_refl : (n : Nat) → Eq (beq n n) true
  | .zero => rfl
  | .succ n => beq_refl n

/-- `n ≤ m` -/
inductive le (n : Nat) : Nat → Prop where
  | refl : le n n
  | step {m : Nat} : le n m → le n (succ m)

/-- `n < m` -/
def lt (n m : Nat) : Prop := le (succ n) m
end Nat

instance instDecidableEqNat : DecidableEq Nat := Nat.decEq

/-- Distinct constructor indices refute an equation (used by `injection`, `cases`, …). -/
theorem noConfusion_of_Nat {α : Sort u} (f : α → Nat) {a b : α} (h : Eq a b) :
    Bool.rec (motive := fun _ => Prop) False True (Nat.beq (f a) (f b)) :=
  have base : Bool.rec (motive := fun _ => Prop) False True (Nat.beq (f a) (f a)) :=
    Eq.mpr (congrArg (Bool.rec (motive := fun _ => Prop) False True) (Nat.beq_refl (f a))) trivial
  Eq.ndrec (motive := fun x => Bool.rec (motive := fun _ => Prop) False True (Nat.beq (f a) (f x)))
    base h

/-- Universe lifting used by the generated `T.ctorElim` definitions. -/
structure PULift.{r, s} (α : Sort s) : Sort (max s r 1) where
  up ::
  down : α

-- From here on, generate `T.ctorIdx`/`T.ctorElim` as Lean normally does, and add them
-- for the inductive types declared above.
set_option genCtorIdx true
attribute [gen_constructor_elims] Bool Nat Decidable

instance instDecidableTrue : Decidable True := isTrue trivial
instance instDecidableFalse : Decidable False := isFalse id

instance instDecidableNot {p : Prop} [dp : Decidable p] : Decidable (Not p) :=
  match dp with
  | isTrue hp => isFalse (fun h => h hp)
  | isFalse hp => isTrue hp

instance instDecidableAnd {p q : Prop} [dp : Decidable p] [dq : Decidable q] : Decidable (And p q) :=
  match dp, dq with
  | isTrue hp, isTrue hq => isTrue ⟨hp, hq⟩
  | isFalse hp, _ => isFalse (fun h => hp h.left)
  | _, isFalse hq => isFalse (fun h => hq h.right)

instance instDecidableOr {p q : Prop} [dp : Decidable p] [dq : Decidable q] : Decidable (Or p q) :=
  match dp, dq with
  | isTrue hp, _ => isTrue (.inl hp)
  | _, isTrue hq => isTrue (.inr hq)
  | isFalse hp, isFalse hq => isFalse (fun h => Or.casesOn (motive := fun _ => False) h hp hq)

instance instDecidableIff {p q : Prop} [dp : Decidable p] [dq : Decidable q] : Decidable (Iff p q) :=
  match dp, dq with
  | isTrue hp, isTrue hq => isTrue ⟨fun _ => hq, fun _ => hp⟩
  | isFalse hp, isFalse hq => isTrue ⟨fun h => absurd h hp, fun h => absurd h hq⟩
  | isTrue hp, isFalse hq => isFalse (fun h => hq (h.mp hp))
  | isFalse hp, isTrue hq => isFalse (fun h => hp (h.mpr hq))

/-! ## Operator classes (the names are what `binop%`, numerals and `simp` expect) -/
class HAdd (α : Type u) (β : Type v) (γ : outParam (Type w)) where
  hAdd : α → β → γ
class HSub (α : Type u) (β : Type v) (γ : outParam (Type w)) where
  hSub : α → β → γ
class HMul (α : Type u) (β : Type v) (γ : outParam (Type w)) where
  hMul : α → β → γ
class HAppend (α : Type u) (β : Type v) (γ : outParam (Type w)) where
  hAppend : α → β → γ
class Add (α : Type u) where
  add : α → α → α
class Sub (α : Type u) where
  sub : α → α → α
class Mul (α : Type u) where
  mul : α → α → α
class Append (α : Type u) where
  append : α → α → α
class LE (α : Type u) where
  le : α → α → Prop
class LT (α : Type u) where
  lt : α → α → Prop

@[default_instance] instance instHAdd {α : Type u} [Add α] : HAdd α α α := ⟨fun a b => Add.add a b⟩
@[default_instance] instance instHSub {α : Type u} [Sub α] : HSub α α α := ⟨fun a b => Sub.sub a b⟩
@[default_instance] instance instHMul {α : Type u} [Mul α] : HMul α α α := ⟨fun a b => Mul.mul a b⟩
instance instHAppend {α : Type u} [Append α] : HAppend α α α := ⟨fun a b => Append.append a b⟩

instance instAddNat : Add Nat := ⟨Nat.add⟩
instance instSubNat : Sub Nat := ⟨Nat.sub⟩
instance instMulNat : Mul Nat := ⟨Nat.mul⟩
instance instLENat : LE Nat := ⟨Nat.le⟩
instance instLTNat : LT Nat := ⟨Nat.lt⟩



/-- Wrappers used to move between universes. -/
structure PLift (α : Sort u) : Type u where
  up ::
  down : α

structure ULift.{r, s} (α : Type s) : Type (max s r) where
  up ::
  down : α

/-- Reinterpret a value at another type (only for the code generator's benefit). -/
private unsafe axiom castProof {α : Prop} : α

@[inline] unsafe def unsafeCast {α : Sort u} {β : Sort v} (a : α) : β :=
  PLift.down (ULift.down.{max u v} (cast castProof (ULift.up.{max u v} (PLift.up a))))

/-! ## Data needed to describe syntax (runtime layouts must match Lean's own) -/
inductive List (α : Type u) where
  | nil : List α
  | cons (head : α) (tail : List α) : List α

structure Array (α : Type u) where
  mk ::
  toList : List α

attribute [extern "lean_array_to_list"] Array.toList
attribute [extern "lean_array_mk"] Array.mk

/-- Opaque at the logical level; string literals elaborate to values of this type. -/
axiom String : Type

/-- The code generator represents `UInt64` as an unboxed 64-bit word (keyed on the name). -/
structure UInt64 where
  ofNatCore ::
  toNat : Nat

instance : Inhabited UInt64 := ⟨⟨Nat.zero⟩⟩

@[extern "lean_uint64_of_nat"] def UInt64.ofNat (n : @& Nat) : UInt64 := ⟨n⟩
@[extern "lean_uint64_mix_hash"] opaque mixHash (u₁ u₂ : UInt64) : UInt64
@[extern "lean_string_hash"] protected opaque String.hash (s : @& String) : UInt64

structure String.Pos.Raw where
  byteIdx : Nat

structure Substring.Raw where
  str : String
  startPos : String.Pos.Raw
  stopPos : String.Pos.Raw

namespace Lean

/-- Hierarchical names; the hash is cached in the object exactly as Lean's runtime expects. -/
inductive Name where
  | anonymous : Name
  | str (pre : Name) (s : String) : Name
  | num (pre : Name) (i : Nat) : Name
with
  @[computed_field] hash : Name → UInt64
    | .anonymous => UInt64.ofNat 1723
    | .str p s => mixHash p.hash s.hash
    | .num p i => mixHash p.hash (UInt64.ofNat i)

instance : Inhabited Name := ⟨.anonymous⟩

namespace Name
def mkStr (p : Name) (s : String) : Name := .str p s
def mkNum (p : Name) (i : Nat) : Name := .num p i
def mkStr1 (a : String) : Name := .str .anonymous a
def mkStr2 (a b : String) : Name := .str (mkStr1 a) b
def mkStr3 (a b c : String) : Name := .str (mkStr2 a b) c
def mkStr4 (a b c d : String) : Name := .str (mkStr3 a b c) d
def mkStr5 (a b c d e : String) : Name := .str (mkStr4 a b c d) e
def mkStr6 (a b c d e f : String) : Name := .str (mkStr5 a b c d e) f
def mkStr7 (a b c d e f g : String) : Name := .str (mkStr6 a b c d e f) g
def mkStr8 (a b c d e f g h : String) : Name := .str (mkStr7 a b c d e f g) h
end Name

/-- Grammar descriptions produced by the `syntax` command (constructor order is significant). -/
inductive ParserDescr where
  | const (name : Name)
  | unary (name : Name) (p : ParserDescr)
  | binary (name : Name) (p q : ParserDescr)
  | node (kind : Name) (prec : Nat) (p : ParserDescr)
  | trailingNode (kind : Name) (prec lhsPrec : Nat) (p : ParserDescr)
  | symbol (val : String)
  | nonReservedSymbol (val : String) (includeIdent : Bool)
  | cat (catName : Name) (rbp : Nat)
  | parser (declName : Name)
  | nodeWithAntiquot (name : String) (kind : Name) (p : ParserDescr)
  | sepBy (p : ParserDescr) (sep : String) (psep : ParserDescr) (allowTrailingSep : Bool)
  | sepBy1 (p : ParserDescr) (sep : String) (psep : ParserDescr) (allowTrailingSep : Bool)
  | unicodeSymbol (val asciiVal : String) (preserveForPP : Bool)

instance : Inhabited ParserDescr := ⟨.const .anonymous⟩

abbrev TrailingParserDescr := ParserDescr

inductive SourceInfo where
  | original (leading : Substring.Raw) (pos : String.Pos.Raw) (trailing : Substring.Raw)
      (endPos : String.Pos.Raw)
  | synthetic (pos : String.Pos.Raw) (endPos : String.Pos.Raw) (canonical : Bool)
  | none

inductive Syntax.Preresolved where
  | namespace (ns : Name)
  | decl (n : Name) (fields : List String)

inductive Syntax where
  | missing : Syntax
  | node (info : SourceInfo) (kind : Name) (args : Array Syntax) : Syntax
  | atom (info : SourceInfo) (val : String) : Syntax
  | ident (info : SourceInfo) (rawVal : Substring.Raw) (val : Name)
      (preresolved : List Syntax.Preresolved) : Syntax

instance : Inhabited Syntax := ⟨.missing⟩
instance {α : Type u} : Inhabited (Array α) := ⟨⟨.nil⟩⟩
instance : Inhabited Bool := ⟨.false⟩
instance : Inhabited SourceInfo := ⟨.none⟩

/-! Helpers implemented by the runtime (the interpreter dispatches on the declaration name). -/
@[extern "l_Lean_Syntax_getArg"] opaque Syntax.getArg (stx : Syntax) (i : Nat) : Syntax
@[extern "l_Lean_Syntax_getNumArgs"] opaque Syntax.getNumArgs (stx : Syntax) : Nat
@[extern "l_Lean_Syntax_getKind"] opaque Syntax.getKind (stx : Syntax) : Name
@[extern "l_Lean_Syntax_setKind"] opaque Syntax.setKind (stx : Syntax) (k : Name) : Syntax
@[extern "l_Lean_mkAtom"] opaque mkAtom (val : String) : Syntax
/-- An identifier that refers to the global constant `c` (pre-resolved, hygienic). -/
@[extern "l_Lean_mkCIdent"] opaque mkCIdent (c : Name) : Syntax
@[extern "l_Lean_SourceInfo_fromRef"] opaque SourceInfo.fromRef (ref : Syntax) (canonical : Bool) :
  SourceInfo
@[extern "l_Lean_Syntax_node1"] opaque Syntax.node1 (info : SourceInfo) (k : Name) (a : Syntax) : Syntax
@[extern "l_Lean_Syntax_node2"] opaque Syntax.node2 (info : SourceInfo) (k : Name) (a b : Syntax) : Syntax
@[extern "l_Lean_Syntax_node3"] opaque Syntax.node3 (info : SourceInfo) (k : Name) (a b c : Syntax) :
  Syntax
@[extern "l_Lean_Syntax_node4"] opaque Syntax.node4 (info : SourceInfo) (k : Name) (a b c d : Syntax) :
  Syntax


@[extern "l_Lean_Syntax_node5"] opaque Syntax.node5 (info : SourceInfo) (k : Name)
  (a b c d e : Syntax) : Syntax

/-- `ToString` is only needed to print raw syntax trees while debugging macros. -/
class _root_.ToString (α : Type u) where
  toString : α → String
instance : Inhabited String := ⟨""⟩
instance : Inhabited (ToString Syntax) := ⟨⟨fun _ => ""⟩⟩
/-- Lean's own printer for raw syntax trees (a closure stored in a global). -/
@[extern "l_Lean_Syntax_instToString"] opaque Syntax.instToString : ToString Syntax

@[extern "l_Lean_Syntax_getArgs"] opaque Syntax.getArgs (stx : Syntax) : Array Syntax
@[extern "lean_name_eq"] opaque Name.beq (a b : Name) : Bool
@[extern "lean_array_push"] opaque _root_.Array.push {α : Type u} (a : Array α) (v : α) : Array α
@[extern "lean_array_get_size"] opaque _root_.Array.size {α : Type u} (a : Array α) : Nat

/-! The types of macros and unexpanders (only their shapes matter to us). -/
inductive EStateM.Result (ε σ α : Type u) where
  | ok : α → σ → EStateM.Result ε σ α
  | error : ε → σ → EStateM.Result ε σ α

axiom Macro.Context : Type
axiom Macro.State : Type

inductive Macro.Exception where
  | error : Syntax → String → Macro.Exception
  | unsupportedSyntax : Macro.Exception

/-- `Syntax → MacroM Syntax`, written out: input, reader context, state. -/
abbrev Macro : Type :=
  Syntax → Macro.Context → Macro.State → EStateM.Result Macro.Exception Macro.State Syntax

/-- `Syntax → UnexpandM Syntax`, written out: input, reference syntax, unit state. -/
abbrev PrettyPrinter.Unexpander : Type :=
  Syntax → Syntax → Unit → EStateM.Result Unit Unit Syntax

end Lean


/-! ## Syntax

Tactic grammar: every declaration below was produced by reading the `ParserDescr`
values compiled into `libleanshared.so` (see `tools/pd2syntax.py`) and writing them
back in the alias form of the `syntax` command (`many(p)`, `optional(p)`,
`orelse(p, q)`, since `p*`, `p?` and `p <|> q` are themselves macros from `Init`).
The node kinds are the ones Lean's compiled-in tactic elaborators are registered for,
so those elaborators pick the nodes up unchanged.
-/
syntax (name := rawNatLit) "nat_lit " num : term

namespace Lean.Parser.Tactic
syntax posConfigItem := " +" noWs ident
syntax negConfigItem := " -" noWs ident
syntax valConfigItem := atomic(" (" notFollowedBy(orelse(&"discharger", &"disch")) ident " := ") withoutPosition(term) ")"
syntax configItem := orelse(Lean.Parser.Tactic.posConfigItem, orelse(Lean.Parser.Tactic.negConfigItem, Lean.Parser.Tactic.valConfigItem))
syntax optConfig := many(colGt Lean.Parser.Tactic.configItem)
end Lean.Parser.Tactic
namespace Lean
syntax binderIdent := orelse(ident, hole)
end Lean
namespace Lean.Parser.Tactic
syntax elimTarget := optional(atomic(Lean.binderIdent " : ")) term
syntax inductionAltLHS := ppDedent(ppLine) withPosition("| " orelse(group(optional("@") ident), hole) many(colGt orelse(ident, hole)))
syntax inductionAlt := many1(Lean.Parser.Tactic.inductionAltLHS) optional(" => " orelse(hole, orelse(syntheticHole, tacticSeq)))
syntax inductionAlts := " with" optional(ppSpace colGt tactic) withPosition(many(colGe Lean.Parser.Tactic.inductionAlt))
syntax rwRule := optional(unicode("← ", "<- ")) term
syntax rwRuleSeq := " [" withoutPosition(sepBy(Lean.Parser.Tactic.rwRule, ",", ", ", allowTrailingSep)) "]"
syntax locationWildcard := " *"
syntax locationType := patternIgnore(orelse(group(atomic("|" noWs "-")), "⊢"))
syntax locationHyp := many1(ppSpace colGt orelse(term:1024, Lean.Parser.Tactic.locationType))
syntax location := withPosition(ppGroup(" at" orelse(Lean.Parser.Tactic.locationWildcard, Lean.Parser.Tactic.locationHyp)))
syntax discharger := atomic(" (" patternIgnore(orelse(&"discharger", &"disch"))) " := " withoutPosition(tacticSeq) ")"
syntax simpStar := "*"
syntax simpErase := "-" term:1024
syntax simpPre := "↓"
syntax simpPost := "↑"
syntax simpLemma := ppGroup(optional(orelse(Lean.Parser.Tactic.simpPre, Lean.Parser.Tactic.simpPost)) optional(unicode("← ", "<- ")) term)
syntax caseArg := Lean.binderIdent many(ppSpace Lean.binderIdent)
syntax generalizeArg := optional(atomic(ident " : ")) term:51 " = " ident
end Lean.Parser.Tactic
namespace Lean
syntax cdotTk := unicode("· ", ". ")
end Lean
syntax (name := Lean.Parser.Tactic.intro) &"intro" notFollowedBy("|") many(ppSpace colGt term:1024) : tactic
syntax (name := Lean.Parser.Tactic.intros) &"intros" many(ppSpace colGt orelse(ident, hole)) : tactic
syntax (name := Lean.Parser.Tactic.exact) &"exact " term : tactic
syntax (name := Lean.Parser.Tactic.apply) &"apply " term : tactic
syntax (name := Lean.Parser.Tactic.refine) &"refine " term : tactic
syntax (name := Lean.Parser.Tactic.refine') &"refine' " term : tactic
syntax (name := Lean.Parser.Tactic.assumption) &"assumption" : tactic
syntax (name := Lean.Parser.Tactic.constructor) &"constructor" Lean.Parser.Tactic.optConfig : tactic
syntax (name := Lean.Parser.Tactic.cases) &"cases " sepBy1(Lean.Parser.Tactic.elimTarget, ",", ", ") optional(" using " term) optional(Lean.Parser.Tactic.inductionAlts) : tactic
syntax (name := Lean.Parser.Tactic.induction) &"induction " sepBy1(Lean.Parser.Tactic.elimTarget, ",", ", ") optional(" using " term) optional(" generalizing" many1(ppSpace colGt term:1024)) optional(Lean.Parser.Tactic.inductionAlts) : tactic
syntax (name := Lean.Parser.Tactic.rewriteSeq) &"rewrite" Lean.Parser.Tactic.optConfig Lean.Parser.Tactic.rwRuleSeq optional(Lean.Parser.Tactic.location) : tactic
syntax (name := Lean.Parser.Tactic.rwSeq) &"rw " Lean.Parser.Tactic.optConfig Lean.Parser.Tactic.rwRuleSeq optional(Lean.Parser.Tactic.location) : tactic
syntax (name := Lean.Parser.Tactic.simp) &"simp" Lean.Parser.Tactic.optConfig optional(Lean.Parser.Tactic.discharger) optional(&" only") optional(" [" withoutPosition(sepBy(orelse(Lean.Parser.Tactic.simpStar, orelse(Lean.Parser.Tactic.simpErase, Lean.Parser.Tactic.simpLemma)), ",", ", ", allowTrailingSep)) "]") optional(Lean.Parser.Tactic.location) : tactic
syntax (name := Lean.Parser.Tactic.simpAll) &"simp_all" Lean.Parser.Tactic.optConfig optional(Lean.Parser.Tactic.discharger) optional(&" only") optional(" [" withoutPosition(sepBy(orelse(Lean.Parser.Tactic.simpErase, Lean.Parser.Tactic.simpLemma), ",", ", ", allowTrailingSep)) "]") : tactic
syntax (name := Lean.Parser.Tactic.dsimp) &"dsimp" Lean.Parser.Tactic.optConfig optional(Lean.Parser.Tactic.discharger) optional(&" only") optional(" [" withoutPosition(sepBy(orelse(Lean.Parser.Tactic.simpErase, Lean.Parser.Tactic.simpLemma), ",", ", ", allowTrailingSep)) "]") optional(Lean.Parser.Tactic.location) : tactic
syntax (name := Lean.Parser.Tactic.decide) &"decide" Lean.Parser.Tactic.optConfig : tactic
syntax (name := Lean.Parser.Tactic.applyRfl) &"apply_rfl" : tactic
syntax (name := Lean.Parser.Tactic.eqRefl) &"eq_refl" : tactic
syntax (name := Lean.Parser.Tactic.tacticRfl) &"rfl" : tactic
syntax (name := Lean.Parser.Tactic.withReducible) &"with_reducible " tacticSeq : tactic
syntax (name := Lean.Parser.Tactic.first) &"first " withPosition(many1(group(ppDedent(ppLine) colGe "| " tacticSeq))) : tactic
syntax (name := Lean.Parser.Tactic.paren) &"(" withoutPosition(tacticSeq) ")" : tactic
syntax (name := Lean.Parser.Tactic.tacticTry_) &"try " tacticSeq : tactic
syntax (name := Lean.Parser.Tactic.allGoals) &"all_goals " tacticSeq : tactic
syntax (name := Lean.Parser.Tactic.anyGoals) &"any_goals " tacticSeq : tactic
syntax (name := Lean.Parser.Tactic.focus) &"focus " tacticSeq : tactic
syntax (name := Lean.Parser.Tactic.case) &"case " sepBy1(Lean.Parser.Tactic.caseArg, " | ", " | ") " => " tacticSeq : tactic
syntax (name := Lean.Parser.Tactic.case') &"case' " sepBy1(Lean.Parser.Tactic.caseArg, " | ", " | ") " => " tacticSeq : tactic
syntax (name := Lean.Parser.Tactic.show) &"show " term : tactic
syntax (name := Lean.Parser.Tactic.contradiction) &"contradiction" : tactic
syntax (name := Lean.Parser.Tactic.left) &"left" : tactic
syntax (name := Lean.Parser.Tactic.right) &"right" : tactic
syntax (name := Lean.Parser.Tactic.tacticExfalso) &"exfalso" : tactic
syntax (name := Lean.Parser.Tactic.tacticTrivial) &"trivial" : tactic
syntax (name := Lean.Parser.Tactic.skip) &"skip" : tactic
syntax (name := Lean.Parser.Tactic.done) &"done" : tactic
syntax (name := Lean.Parser.Tactic.change) &"change " term optional(Lean.Parser.Tactic.location) : tactic
syntax (name := Lean.Parser.Tactic.subst) &"subst" many1(ppSpace colGt term:1024) : tactic
syntax (name := Lean.Parser.Tactic.injection) &"injection " term optional(" with" many1(ppSpace colGt orelse(ident, hole))) : tactic
syntax (name := Lean.Parser.Tactic.unfold) &"unfold" many1(ppSpace colGt ident) optional(Lean.Parser.Tactic.location) : tactic
syntax (name := Lean.Parser.Tactic.generalize) &"generalize " sepBy1(Lean.Parser.Tactic.generalizeArg, ",", ", ") optional(Lean.Parser.Tactic.location) : tactic
syntax (name := Lean.Parser.Tactic.specialize) &"specialize " term : tactic
syntax (name := Lean.Parser.Tactic.revert) &"revert" many1(ppSpace colGt term:1024) : tactic
syntax (name := Lean.Parser.Tactic.clear) &"clear" many1(ppSpace colGt term:1024) : tactic
syntax (name := Lean.Parser.Tactic.tacticNext) &"next " many(Lean.binderIdent) " => " tacticSeq : tactic
syntax (name := Lean.Parser.Tactic.tacticSorry) &"sorry" : tactic
syntax (name := Lean.Parser.Tactic.tacticExists) &"exists " sepBy1(term, ",", ", ") : tactic
syntax (name := Lean.Parser.Tactic.symm) &"symm" optional(Lean.Parser.Tactic.location) : tactic
syntax (name := Lean.Parser.Tactic.fail) &"fail" optional(ppSpace str) : tactic
syntax (name := Lean.Parser.Tactic.failIfSuccess) &"fail_if_success " tacticSeq : tactic
syntax (name := Lean.Parser.Tactic.rename) &"rename " term " => " ident : tactic
syntax (name := Lean.Parser.Tactic.renameI) &"rename_i" many1(ppSpace colGt Lean.binderIdent) : tactic
syntax (name := Lean.Parser.Tactic.tacticRepeat_) &"repeat " tacticSeq : tactic
syntax (name := Lean.Parser.Tactic.exposeNames) &"expose_names" : tactic
syntax (name := Lean.Parser.Tactic.tacticHave__) &"have" letConfig letDecl : tactic
syntax (name := Lean.Parser.Tactic.traceState) &"trace_state" : tactic
syntax (name := Lean.cdot) Lean.cdotTk tacticSeqIndentGt : tactic



/-! `rcases`/`obtain`/`rintro` patterns (syntax categories of their own). -/
/-- The type of the constants that `declare_syntax_cat` creates. -/
structure Lean.Parser.Category
declare_syntax_cat rcasesPat
declare_syntax_cat rintroPat
namespace Lean.Parser.Tactic
syntax rcasesPatMed := sepBy1(rcasesPat, " | ", " | ")
syntax rcasesPatLo := rcasesPatMed optional(" : " term)
end Lean.Parser.Tactic
syntax:1022 (name := Lean.Parser.Tactic.rcasesPat.one) ident : rcasesPat
syntax:1024 (name := Lean.Parser.Tactic.rcasesPat.ignore) "_" : rcasesPat
syntax:1024 (name := Lean.Parser.Tactic.rcasesPat.clear) "-" : rcasesPat
syntax:1022 (name := Lean.Parser.Tactic.rcasesPat.explicit) "@" noWs rcasesPat : rcasesPat
syntax:1024 (name := Lean.Parser.Tactic.rcasesPat.tuple)
  "⟨" sepBy(Lean.Parser.Tactic.rcasesPatLo, ",", ", ") "⟩" : rcasesPat
syntax:1024 (name := Lean.Parser.Tactic.rcasesPat.paren) "(" Lean.Parser.Tactic.rcasesPatLo ")" : rcasesPat
syntax:1022 (name := Lean.Parser.Tactic.rintroPat.one) rcasesPat : rintroPat
syntax:1024 (name := Lean.Parser.Tactic.rintroPat.binder)
  "(" many1(rintroPat) optional(" : " term) ")" : rintroPat
syntax (name := Lean.Parser.Tactic.rcases) &"rcases " sepBy(Lean.Parser.Tactic.elimTarget, ",", ", ")
  optional(" with " Lean.Parser.Tactic.rcasesPatLo) : tactic
syntax (name := Lean.Parser.Tactic.obtain) &"obtain" optional(ppSpace Lean.Parser.Tactic.rcasesPatMed)
  optional(" : " term) optional(" := " sepBy1(term, ",", ", ")) : tactic
syntax (name := Lean.Parser.Tactic.rintro) &"rintro" many1(ppSpace colGt rintroPat)
  optional(" : " term) : tactic

/-! Term notations (node kinds and grammar as in Lean's own library, since the
runtime evaluates parser descriptions by declaration name and would pick up the
compiled-in ones anyway). -/
syntax:50 (name := «term_=_») term:51 " = " term:51 : term
syntax:50 (name := «term_≠_») term:51 " ≠ " term:51 : term
syntax:50 (name := «term_≤_») term:51 unicode(" ≤ ", " <= ") term:51 : term
syntax:50 (name := «term_<_») term:51 " < " term:51 : term
syntax:35 (name := «term_∧_») term:36 unicode(" ∧ ", " /\\ ") term:35 : term
syntax:30 (name := «term_∨_») term:31 unicode(" ∨ ", " \\/ ") term:30 : term
syntax:1024 (name := «term¬_») "¬" term:40 : term
syntax:20 (name := «term_↔_») term:21 " ↔ " term:21 : term
syntax:65 (name := «term_+_») term:65 " + " term:66 : term
syntax:65 (name := «term_-_») term:65 " - " term:66 : term
syntax:70 (name := «term_*_») term:70 " * " term:71 : term
syntax:65 (name := «term_++_») term:65 " ++ " term:66 : term
syntax:67 (name := «term_::_») term:68 " :: " term:67 : term
namespace Lean
syntax bracketedExplicitBinders := "(" withoutPosition(many1(binderIdent ppSpace) ": " term) ")"
syntax unbracketedExplicitBinders := many1(ppSpace binderIdent) optional(" : " term)
syntax explicitBinders := orelse(many1(ppSpace bracketedExplicitBinders), unbracketedExplicitBinders)
end Lean
syntax (name := «term∃_,_») "∃" Lean.explicitBinders ", " term : term

/-! `calc` chains (elaborated by Lean's compiled-in `calc` elaborators via `Trans`). -/
namespace Lean
syntax calcFirstStep := ppIndent(colGe term optional(" := " term))
syntax calcStep := ppIndent(colGe term " := " term)
syntax calcSteps := ppLine withPosition(calcFirstStep) withPosition(many(ppLine linebreak calcStep))
end Lean
syntax (name := Lean.calc) "calc" Lean.calcSteps : term
syntax (name := Lean.calcTactic) &"calc" Lean.calcSteps : tactic

/-- `t <;> s` runs `s` on every goal produced by `t`. -/
syntax:1 (name := Lean.Parser.Tactic.«tactic_<;>_») tactic " <;> " tactic:2 : tactic

/-- `dbg_stx% t` fails with the raw syntax tree of `t` (used to learn node shapes). -/
syntax (name := dbgStx) "dbg_stx% " term : term
namespace LeanstarCore
open Lean
@[macro dbgStx] def expandDbgStx : Macro := fun stx _ s =>
  .error (.error stx (Syntax.instToString.toString (stx.getArg 1))) s
end LeanstarCore

/-! ## Macros and unexpanders

Written directly as functions on `Syntax` (quotations `` `(...) `` would need much
more of `Init`).  Node shapes were read off with `dbg_stx%`. -/
namespace LeanstarCore
open Lean

abbrev MacroResult := EStateM.Result Macro.Exception Macro.State Syntax

/-- Synthetic position info pointing at `ref` (what quotations do). -/
def infoOf (ref : Syntax) : SourceInfo := SourceInfo.fromRef ref false

def null0 : Syntax := Syntax.node .none `null ⟨.nil⟩
def null1 (a : Syntax) : Syntax := Syntax.node1 .none `null a
def null2 (a b : Syntax) : Syntax := Syntax.node2 .none `null a b
def null3 (a b c : Syntax) : Syntax := Syntax.node3 .none `null a b c

/-! ### Terms -/
def mkApp (ref : Syntax) (f : Name) (args : Syntax) : Syntax :=
  Syntax.node2 (infoOf ref) `Lean.Parser.Term.app (mkCIdent f) args

def mkBinRel (ref : Syntax) (f : Name) (a b : Syntax) : Syntax :=
  Syntax.node4 (infoOf ref) `Lean.Parser.Term.binrel (mkAtom "binrel%") (mkCIdent f) a b

def mkBinOp (ref : Syntax) (f : Name) (a b : Syntax) : Syntax :=
  Syntax.node4 (infoOf ref) `Lean.Parser.Term.binop (mkAtom "binop%") (mkCIdent f) a b

/-- `a op b` ↦ `binrel% f a b` -/
def expandRel (f : Name) : Macro := fun stx _ s =>
  .ok (mkBinRel stx f (stx.getArg 0) (stx.getArg 2)) s
/-- `a op b` ↦ `binop% f a b` -/
def expandOp (f : Name) : Macro := fun stx _ s =>
  .ok (mkBinOp stx f (stx.getArg 0) (stx.getArg 2)) s
/-- `a op b` ↦ `f a b` -/
def expandApp2 (f : Name) : Macro := fun stx _ s =>
  .ok (mkApp stx f (null2 (stx.getArg 0) (stx.getArg 2))) s

@[macro «term_=_»] def expandEq : Macro := expandRel `Eq
@[macro «term_≠_»] def expandNe : Macro := expandRel `Ne
@[macro «term_≤_»] def expandLe : Macro := expandRel `LE.le
@[macro «term_<_»] def expandLt : Macro := expandRel `LT.lt
@[macro «term_+_»] def expandAdd : Macro := expandOp `HAdd.hAdd
@[macro «term_-_»] def expandSub : Macro := expandOp `HSub.hSub
@[macro «term_*_»] def expandMul : Macro := expandOp `HMul.hMul
@[macro «term_++_»] def expandAppend : Macro := expandOp `HAppend.hAppend
@[macro «term_∧_»] def expandAnd : Macro := expandApp2 `And
@[macro «term_∨_»] def expandOr : Macro := expandApp2 `Or
@[macro «term_↔_»] def expandIff : Macro := expandApp2 `Iff
@[macro «term_::_»] def expandCons : Macro := expandApp2 `List.cons
@[macro «term¬_»] def expandNot : Macro := fun stx _ s =>
  .ok (mkApp stx `Not (null1 (stx.getArg 1))) s

/-- `fun x => body` (binder `x` is an identifier or a `binderIdent` hole). -/
def mkFun (ref x body : Syntax) : Syntax :=
  Syntax.node2 (infoOf ref) `Lean.Parser.Term.fun (mkAtom "fun")
    (Syntax.node4 (infoOf ref) `Lean.Parser.Term.basicFun (null1 x) null0 (mkAtom "=>") body)

/-- `fun (x : T) => body` -/
def mkFunTyped (ref x ty body : Syntax) : Syntax :=
  mkFun ref (Syntax.node5 (infoOf ref) `Lean.Parser.Term.typeAscription
    (Syntax.node2 .none `Lean.Parser.Term.hygienicLParen (mkAtom "(")
      (Syntax.node1 .none `hygieneInfo (mkCIdent .anonymous)))
    x (mkAtom ":") (null1 ty) (mkAtom ")")) body

/-- Build `Exists fun x₁ => … Exists fun xₙ => body` for binders `ids[i..]`. -/
def existsChain (ref ids : Syntax) (ty? : Syntax) (hasTy : Bool) (body : Syntax) :
    Nat → Nat → Syntax
  | .zero, _ => body
  | .succ fuel, i =>
    let x := (ids.getArg i).getArg 0          -- `binderIdent` wraps an ident or a hole
    let inner := existsChain ref ids ty? hasTy body fuel (Nat.succ i)
    let f := match hasTy with
      | true => mkFunTyped ref x ty? inner
      | false => mkFun ref x inner
    mkApp ref `Exists (null1 f)

/-- `∃ x y, p`, `∃ x : T, p` and `∃ (x y : T), p` (one bracket group). -/
@[macro «term∃_,_»] def expandExists : Macro := fun stx _ s =>
  let bs := (stx.getArg 1).getArg 0         -- the chosen alternative of `explicitBinders`
  let body := stx.getArg 3
  match Name.beq bs.getKind `Lean.unbracketedExplicitBinders with
  | true =>
    let ids := bs.getArg 0
    let tyOpt := bs.getArg 1                -- `null` or `null[":", T]`
    let hasTy := Nat.beq tyOpt.getNumArgs 2
    .ok (existsChain stx ids (tyOpt.getArg 1) hasTy body ids.getNumArgs .zero) s
  | false =>
    -- `many1(bracketedExplicitBinders)`: only a single group is supported
    match Nat.beq bs.getNumArgs 1 with
    | true =>
      let g := bs.getArg 0
      let ids := g.getArg 1
      .ok (existsChain stx ids (g.getArg 3) true body ids.getNumArgs .zero) s
    | false => .error (.error stx "LeanstarCore: `∃` supports only one bracketed binder group") s

/-! ### Unexpanders (for goal display) -/
def unexpandWith (_kind : Name) (arity : Nat) (build : SourceInfo → Syntax → Syntax) :
    PrettyPrinter.Unexpander := fun stx ref s =>
  let args := stx.getArg 1
  match Name.beq stx.getKind `Lean.Parser.Term.app, Nat.beq args.getNumArgs arity with
  | true, true => .ok (build (SourceInfo.fromRef ref false) args) s
  | _, _ => .error () s

def unexpandInfix (k : Name) (tok : String) : PrettyPrinter.Unexpander :=
  unexpandWith k 2 fun i args => Syntax.node3 i k (args.getArg 0) (mkAtom tok) (args.getArg 1)

@[app_unexpander Eq] def unexpandEq := unexpandInfix `«term_=_» "="
@[app_unexpander Ne] def unexpandNe := unexpandInfix `«term_≠_» "≠"
@[app_unexpander LE.le] def unexpandLe := unexpandInfix `«term_≤_» "≤"
@[app_unexpander LT.lt] def unexpandLt := unexpandInfix `«term_<_» "<"
@[app_unexpander And] def unexpandAnd := unexpandInfix `«term_∧_» "∧"
@[app_unexpander Or] def unexpandOr := unexpandInfix `«term_∨_» "∨"
@[app_unexpander Iff] def unexpandIff := unexpandInfix `«term_↔_» "↔"
@[app_unexpander HAdd.hAdd] def unexpandAdd := unexpandInfix `«term_+_» "+"
@[app_unexpander HSub.hSub] def unexpandSub := unexpandInfix `«term_-_» "-"
@[app_unexpander HMul.hMul] def unexpandMul := unexpandInfix `«term_*_» "*"
@[app_unexpander HAppend.hAppend] def unexpandAppend := unexpandInfix `«term_++_» "++"
@[app_unexpander List.cons] def unexpandCons := unexpandInfix `«term_::_» "::"
@[app_unexpander Not] def unexpandNot : PrettyPrinter.Unexpander :=
  unexpandWith `«term¬_» 1 fun i args => Syntax.node2 i `«term¬_» (mkAtom "¬") (args.getArg 0)

/-- `Exists fun x => p` ↦ `∃ x, p` (only for a plain identifier binder). -/
@[app_unexpander Exists] def unexpandExists : PrettyPrinter.Unexpander := fun stx ref s =>
  let f := (stx.getArg 1).getArg 0
  let basic := f.getArg 1
  let binders := basic.getArg 0
  let x := binders.getArg 0
  match Name.beq f.getKind `Lean.Parser.Term.fun, Nat.beq binders.getNumArgs 1,
      Name.beq x.getKind `ident with
  | true, true, true =>
    let i := SourceInfo.fromRef ref false
    let bs := Syntax.node1 i `Lean.explicitBinders
      (Syntax.node2 i `Lean.unbracketedExplicitBinders
        (null1 (Syntax.node1 i `Lean.binderIdent x)) null0)
    .ok (Syntax.node4 i `«term∃_,_» (mkAtom "∃") bs (mkAtom ",") (basic.getArg 3)) s
  | _, _, _ => .error () s

/-! ### Tactics -/
def tacSeq (ref tacs : Syntax) : Syntax :=
  Syntax.node1 (infoOf ref) `Lean.Parser.Tactic.tacticSeq
    (Syntax.node1 (infoOf ref) `Lean.Parser.Tactic.tacticSeq1Indented tacs)
def tacSeq1 (ref t : Syntax) : Syntax := tacSeq ref (null1 t)
def tacSeq2 (ref t₁ t₂ : Syntax) : Syntax := tacSeq ref (null3 t₁ (mkAtom ";") t₂)

def mkTac0 (ref : Syntax) (k : Name) (tok : String) : Syntax :=
  Syntax.node1 (infoOf ref) k (mkAtom tok)
def mkTac1 (ref : Syntax) (k : Name) (tok : String) (a : Syntax) : Syntax :=
  Syntax.node2 (infoOf ref) k (mkAtom tok) a

def alt (ref seq : Syntax) : Syntax := Syntax.node2 (infoOf ref) `group (mkAtom "|") seq
/-- `first | s₁ | s₂` for tactic sequences `s₁ s₂` -/
def first2 (ref s₁ s₂ : Syntax) : Syntax :=
  mkTac1 ref `Lean.Parser.Tactic.first "first" (null2 (alt ref s₁) (alt ref s₂))
def first3 (ref s₁ s₂ s₃ : Syntax) : Syntax :=
  mkTac1 ref `Lean.Parser.Tactic.first "first" (null3 (alt ref s₁) (alt ref s₂) (alt ref s₃))
def skipTac (ref : Syntax) : Syntax := mkTac0 ref `Lean.Parser.Tactic.skip "skip"
def rflTac (ref : Syntax) : Syntax := mkTac0 ref `Lean.Parser.Tactic.tacticRfl "rfl"
/-- `try s` = `first | s | skip` -/
def tryTac (ref seq : Syntax) : Syntax := first2 ref seq (tacSeq1 ref (skipTac ref))
def syntheticHole (ref : Syntax) : Syntax :=
  Syntax.node2 (infoOf ref) `Lean.Parser.Term.syntheticHole (mkAtom "?") (mkAtom "_")

/-- `rfl`: `Eq.refl` up to definitional unfolding, else `@[refl]` lemmas (`Iff.refl`, …). -/
@[macro Lean.Parser.Tactic.tacticRfl] def expandRfl : Macro := fun stx _ s =>
  .ok (first2 stx (tacSeq1 stx (mkTac0 stx `Lean.Parser.Tactic.eqRefl "eq_refl"))
    (tacSeq1 stx (mkTac0 stx `Lean.Parser.Tactic.applyRfl "apply_rfl"))) s

/-- `rw cfg [rules] loc` =
`(rewrite cfg [rules] loc; with_annotate_state <]> (try (with_reducible rfl)))`;
the annotation makes the editor show the state after the closing `rfl` at `]`. -/
@[macro Lean.Parser.Tactic.rwSeq] def expandRw : Macro := fun stx _ s =>
  let rewrite := stx.setKind `Lean.Parser.Tactic.rewriteSeq
  let closer := mkTac1 stx `Lean.Parser.Tactic.withReducible "with_reducible"
    (tacSeq1 stx (rflTac stx))
  let rbrak := (stx.getArg 2).getArg 2
  let annotated := Syntax.node3 (infoOf stx) `Lean.Parser.Tactic.withAnnotateState
    (mkAtom "with_annotate_state") rbrak (tryTac stx (tacSeq1 stx closer))
  .ok (Syntax.node3 (infoOf stx) `Lean.Parser.Tactic.paren (mkAtom "(")
    (tacSeq2 stx rewrite annotated) (mkAtom ")")) s

@[macro Lean.Parser.Tactic.tacticTry_] def expandTry : Macro := fun stx _ s =>
  .ok (tryTac stx (stx.getArg 1)) s

/-- `t <;> s` = `focus (t; all_goals s)` -/
@[macro Lean.Parser.Tactic.«tactic_<;>_»] def expandThenAll : Macro := fun stx _ s =>
  let all := mkTac1 stx `Lean.Parser.Tactic.allGoals "all_goals" (tacSeq1 stx (stx.getArg 2))
  .ok (mkTac1 stx `Lean.Parser.Tactic.focus "focus" (tacSeq2 stx (stx.getArg 0) all)) s

/-- `trivial` = `first | rfl | assumption | exact True.intro` -/
@[macro Lean.Parser.Tactic.tacticTrivial] def expandTrivial : Macro := fun stx _ s =>
  .ok (first3 stx (tacSeq1 stx (rflTac stx))
    (tacSeq1 stx (mkTac0 stx `Lean.Parser.Tactic.assumption "assumption"))
    (tacSeq1 stx (mkTac1 stx `Lean.Parser.Tactic.exact "exact" (mkCIdent `True.intro)))) s

/-- `exfalso` = `apply False.elim` -/
@[macro Lean.Parser.Tactic.tacticExfalso] def expandExfalso : Macro := fun stx _ s =>
  .ok (mkTac1 stx `Lean.Parser.Tactic.apply "apply" (mkCIdent `False.elim)) s

/-- `sorry` = `exact sorry` -/
@[macro Lean.Parser.Tactic.tacticSorry] def expandSorry : Macro := fun stx _ s =>
  .ok (mkTac1 stx `Lean.Parser.Tactic.exact "exact"
    (Syntax.node1 (infoOf stx) `Lean.Parser.Term.sorry (mkAtom "sorry"))) s

/-- `exists a, b` = `(refine ⟨a, b, ?_⟩; try trivial)` -/
@[macro Lean.Parser.Tactic.tacticExists] def expandExistsTac : Macro := fun stx _ s =>
  let args := ((stx.getArg 1).getArgs.push (mkAtom ",")).push (syntheticHole stx)
  let ctor := Syntax.node3 (infoOf stx) `Lean.Parser.Term.anonymousCtor (mkAtom "⟨")
    (Syntax.node .none `null args) (mkAtom "⟩")
  let triv := mkTac0 stx `Lean.Parser.Tactic.tacticTrivial "trivial"
  .ok (Syntax.node3 (infoOf stx) `Lean.Parser.Tactic.paren (mkAtom "(")
    (tacSeq2 stx (mkTac1 stx `Lean.Parser.Tactic.refine "refine" ctor)
      (tryTac stx (tacSeq1 stx triv))) (mkAtom ")")) s

/-- `next x y => tacs` = `case _ x y => tacs` -/
@[macro Lean.Parser.Tactic.tacticNext] def expandNext : Macro := fun stx _ s =>
  let hole := Syntax.node1 (infoOf stx) `Lean.binderIdent
    (Syntax.node1 (infoOf stx) `Lean.Parser.Term.hole (mkAtom "_"))
  let arg := Syntax.node2 (infoOf stx) `Lean.Parser.Tactic.caseArg hole (stx.getArg 1)
  .ok (Syntax.node4 (infoOf stx) `Lean.Parser.Tactic.case (mkAtom "case") (null1 arg)
    (mkAtom "=>") (stx.getArg 3)) s

/-- `have x : t := e` = `refine no_implicit_lambda% (have x : t := e; ?_)` -/
@[macro Lean.Parser.Tactic.tacticHave__] def expandHaveTac : Macro := fun stx _ s =>
  let body := Syntax.node5 (infoOf stx) `Lean.Parser.Term.have (mkAtom "have") (stx.getArg 1)
    (stx.getArg 2) (mkAtom ";") (syntheticHole stx)
  let noLam := Syntax.node2 (infoOf stx) `Lean.Parser.Term.noImplicitLambda
    (mkAtom "no_implicit_lambda%") body
  .ok (mkTac1 stx `Lean.Parser.Tactic.refine "refine" noLam) s

end LeanstarCore

/-! ## Library: lemmas used by `rfl`, `simp` and friends, plus a little `Nat`/`List` -/
def Function.const {α : Sort u} (β : Sort v) (a : α) : β → α := fun _ => a

init_quot

axiom Quot.sound {α : Sort u} {r : α → α → Prop} {a b : α} :
  r a b → Quot.mk r a = Quot.mk r b

/-- Function extensionality, derived from `Quot.sound` in the usual way. -/
theorem funext {α : Sort u} {β : α → Sort v} {f g : (x : α) → β x} (h : ∀ x, f x = g x) : f = g :=
  let ext := fun (a b : (x : α) → β x) => ∀ x, a x = b x
  let eval : Quot ext → (x : α) → β x := fun q x =>
    Quot.lift (β := β x) (fun (k : (x : α) → β x) => k x)
      (fun (a b : (x : α) → β x) (e : ext a b) => e x) q
  (congrArg eval (Quot.sound (r := ext) h) : eval (Quot.mk ext f) = eval (Quot.mk ext g))

@[refl] theorem Iff.refl (a : Prop) : a ↔ a := ⟨fun h => h, fun h => h⟩
theorem Iff.rfl {a : Prop} : a ↔ a := Iff.refl a
theorem HEq.rfl {α : Sort u} {a : α} : HEq a a := HEq.refl a
@[refl] theorem Nat.le_refl (n : Nat) : n ≤ n := Nat.le.refl

theorem eq_true {p : Prop} (h : p) : p = True := propext ⟨fun _ => trivial, fun _ => h⟩
theorem eq_false {p : Prop} (h : ¬p) : p = False := propext ⟨fun hp => absurd hp h, False.elim⟩
theorem of_eq_true {p : Prop} (h : p = True) : p := Eq.mpr h trivial
theorem of_eq_false {p : Prop} (h : p = False) : ¬p := fun hp => Eq.mp h hp
theorem eq_false' {p : Prop} (h : p → False) : p = False := eq_false h
theorem congrFun' {α : Sort u} {β : Sort v} {f g : α → β} (h : f = g) (a : α) : f a = g a :=
  congrFun h a
@[simp] theorem eq_self {α : Sort u} (a : α) : (a = a) = True := eq_true rfl
@[simp] theorem iff_self (p : Prop) : (p ↔ p) = True := eq_true Iff.rfl
@[simp] theorem ne_eq {α : Sort u} (a b : α) : (a ≠ b) = ¬(a = b) := rfl
theorem implies_congr {p₁ p₂ : Sort u} {q₁ q₂ : Sort v} (h₁ : p₁ = p₂) (h₂ : q₁ = q₂) :
    (p₁ → q₁) = (p₂ → q₂) := by
  rw [h₁, h₂]
theorem forall_congr {α : Sort u} {p q : α → Prop} (h : ∀ a, p a = q a) :
    (∀ a, p a) = (∀ a, q a) := by
  rw [funext h]
@[simp] theorem implies_true (α : Sort u) : (α → True) = True := eq_true fun _ => trivial
@[simp] theorem true_implies (p : Prop) : (True → p) = p := propext ⟨fun h => h trivial, fun h _ => h⟩
@[simp] theorem and_self (p : Prop) : (p ∧ p) = p := propext ⟨fun h => h.left, fun h => ⟨h, h⟩⟩
@[simp] theorem and_true (p : Prop) : (p ∧ True) = p := propext ⟨fun h => h.left, fun h => ⟨h, trivial⟩⟩
@[simp] theorem true_and (p : Prop) : (True ∧ p) = p := propext ⟨fun h => h.right, fun h => ⟨trivial, h⟩⟩
@[simp] theorem not_false_eq_true : (¬False) = True := eq_true id
theorem Eq.mpr_prop {p q : Prop} (h₁ : p = q) (h₂ : q) : p := Eq.mpr h₁ h₂
theorem Or.elim {a b c : Prop} (h : a ∨ b) (left : a → c) (right : b → c) : c :=
  match h with
  | .inl ha => left ha
  | .inr hb => right hb
attribute [symm] Eq.symm
@[symm] theorem Iff.symm {a b : Prop} (h : a ↔ b) : b ↔ a := ⟨h.mpr, h.mp⟩
@[symm] theorem Ne.symm {α : Sort u} {a b : α} (h : a ≠ b) : b ≠ a := fun e => h e.symm
theorem And.symm {a b : Prop} (h : a ∧ b) : b ∧ a := ⟨h.right, h.left⟩
theorem Or.symm {a b : Prop} (h : a ∨ b) : b ∨ a := h.elim .inr .inl

namespace Nat
/-- Induction with goals stated as `0` and `n + 1` rather than `Nat.zero`/`Nat.succ n`. -/
@[elab_as_elim, induction_eliminator]
protected def rec_add_one {motive : Nat → Sort u} (zero : motive 0)
    (succ : (n : Nat) → motive n → motive (n + 1)) : (t : Nat) → motive t
  | .zero => zero
  | .succ n => succ n (Nat.rec_add_one zero succ n)

/-- Case analysis with goals stated as `0` and `n + 1`. -/
@[elab_as_elim, cases_eliminator]
protected def casesAuxOn {motive : Nat → Sort u} (t : Nat) (zero : motive 0)
    (succ : (n : Nat) → motive (n + 1)) : motive t :=
  match t with
  | .zero => zero
  | .succ n => succ n

@[simp] theorem add_zero (n : Nat) : n + 0 = n := rfl
theorem add_succ (n m : Nat) : n + (m + 1) = (n + m) + 1 := rfl
@[simp] theorem zero_add (n : Nat) : 0 + n = n := by
  induction n with
  | zero => rfl
  | succ n ih => rw [add_succ, ih]
theorem succ_add (n m : Nat) : (n + 1) + m = (n + m) + 1 := by
  induction m with
  | zero => rfl
  | succ m ih => exact congrArg succ ih
theorem add_comm (n m : Nat) : n + m = m + n := by
  induction m with
  | zero => rw [add_zero, zero_add]
  | succ m ih => rw [add_succ, succ_add, ih]
theorem add_assoc (n m k : Nat) : n + m + k = n + (m + k) := by
  induction k with
  | zero => rfl
  | succ k ih => exact congrArg succ ih
theorem succ_ne_zero (n : Nat) : n + 1 ≠ 0 := fun h => Nat.noConfusion h
theorem succ.inj' {n m : Nat} (h : n + 1 = m + 1) : n = m := congrArg pred h
end Nat

namespace List
def length {α : Type u} : List α → Nat
  | nil => 0
  | cons _ as => length as + 1

protected def append {α : Type u} : List α → List α → List α
  | nil, bs => bs
  | cons a as, bs => cons a (List.append as bs)

instance {α : Type u} : Append (List α) := ⟨List.append⟩

@[simp] theorem length_nil {α : Type u} : length (nil : List α) = 0 := rfl
@[simp] theorem length_cons {α : Type u} (a : α) (as : List α) :
    length (a :: as) = length as + 1 := rfl
@[simp] theorem nil_append {α : Type u} (as : List α) : (nil : List α) ++ as = as := rfl
@[simp] theorem cons_append {α : Type u} (a : α) (as bs : List α) :
    (a :: as) ++ bs = a :: (as ++ bs) := rfl
end List

/-! ## Tactic syntax for builtin tactics whose elaborators are compiled in (from TacticExtras) -/
namespace Lean.Parser.Tactic
end Lean.Parser.Tactic
namespace Lean.Parser.Attr
end Lean.Parser.Attr
namespace Lean.Parser.Tactic
end Lean.Parser.Tactic
namespace Lean.Parser.Tactic
end Lean.Parser.Tactic
namespace Lean.Parser.Tactic
syntax anchor := "#" noWs hexnum
end Lean.Parser.Tactic
namespace Lean.Parser.Tactic
end Lean.Parser.Tactic
namespace Lean.Parser.Tactic.Grind
end Lean.Parser.Tactic.Grind
namespace Lean.Parser.Tactic.Grind
end Lean.Parser.Tactic.Grind
namespace Lean.Parser.Tactic.Grind
end Lean.Parser.Tactic.Grind
namespace Lean.Parser.Tactic.Grind
end Lean.Parser.Tactic.Grind
syntax (name := Lean.Parser.Tactic.split) &"split" optional(ppSpace colGt term) optional(Lean.Parser.Tactic.location) : tactic
syntax (name := Lean.Parser.Tactic.substVars) &"subst_vars" : tactic
syntax (name := Lean.Parser.Tactic.injections) &"injections" many(ppSpace colGt orelse(ident, hole)) : tactic
syntax (name := Lean.Parser.Tactic.nativeDecide) &"native_decide" Lean.Parser.Tactic.optConfig : tactic
syntax (name := Lean.Parser.Tactic.exact?) &"exact?" Lean.Parser.Tactic.optConfig optional(" using " sepBy1(colGt ident, ",", ", ")) : tactic
syntax (name := Lean.Parser.Tactic.congr) &"congr" optional(ppSpace num) : tactic
syntax (name := Lean.Parser.Tactic.acRfl) &"ac_rfl" : tactic
syntax (name := Lean.Parser.Tactic.omega) &"omega" Lean.Parser.Tactic.optConfig : tactic
syntax (name := Lean.Parser.Tactic.apply?) &"apply?" Lean.Parser.Tactic.optConfig optional(" using " sepBy1(colGt term, ",", ", ")) : tactic
syntax (name := Lean.Parser.Tactic.simpArith) &"simp_arith " Lean.Parser.Tactic.optConfig optional(Lean.Parser.Tactic.discharger) optional(&" only") optional(" [" sepBy(orelse(Lean.Parser.Tactic.simpStar, orelse(Lean.Parser.Tactic.simpErase, Lean.Parser.Tactic.simpLemma)), ",", ", ") "]") optional(Lean.Parser.Tactic.location) : tactic
