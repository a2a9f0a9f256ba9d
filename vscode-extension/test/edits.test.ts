import { describe, expect, it } from 'vitest';
import { planTacticInsertion, type InsertionPlan } from '../src/features/edits';

/** Applies a plan to the text, so the tests read as before -> after. */
function apply(text: string, plan: InsertionPlan): string {
    const lines = text.split('\n');
    const offset = (p: { line: number; character: number }) =>
        lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
    return text.slice(0, offset(plan.start)) + plan.text + text.slice(offset(plan.end));
}

function insert(text: string, line: number, character: number, tactic: string) {
    const lines = text.split('\n');
    const plan = planTacticInsertion({ lineCount: lines.length, lineText: (i) => lines[i] }, { line, character }, tactic);
    const after = apply(text, plan);
    // The cursor lands right after the inserted tactic.
    const cursorLine = after.split('\n')[plan.cursor.line];
    return { after, beforeCursor: cursorLine.slice(0, plan.cursor.character) };
}

describe('planTacticInsertion', () => {
    it('replaces the sorry under the cursor', () => {
        const text = 'theorem t (n : Nat) : n + 0 = n := by\n  sorry\n';
        const { after, beforeCursor } = insert(text, 1, 4, 'simp');
        expect(after).toBe('theorem t (n : Nat) : n + 0 = n := by\n  simp\n');
        expect(beforeCursor).toBe('  simp');
    });

    it('replaces an inline sorry when the cursor touches its end', () => {
        const text = 'theorem t : True := by sorry';
        expect(insert(text, 0, text.length, 'trivial').after).toBe('theorem t : True := by trivial');
    });

    it('aligns a multi-line tactic that replaces a sorry under the sorry column', () => {
        const text = 'theorem t (p q : Prop) (hp : p) (hq : q) : p ∧ q := by\n  sorry';
        const { after, beforeCursor } = insert(text, 1, 2, 'constructor\n    · exact hp\n    · exact hq');
        expect(after).toBe('theorem t (p q : Prop) (hp : p) (hq : q) : p ∧ q := by\n  constructor\n  · exact hp\n  · exact hq');
        expect(beforeCursor).toBe('  · exact hq');
    });

    it('puts the tactic on a new line after a tactic line, at the same indentation', () => {
        const text = 'theorem t (n : Nat) : 0 + n = n := by\n  induction n with\n  | zero => rfl\n  | succ k ih =>\n    rw [Nat.add_succ]';
        const { after, beforeCursor } = insert(text, 4, 5, 'rw [ih]');
        expect(after.split('\n').slice(4)).toEqual(['    rw [Nat.add_succ]', '    rw [ih]']);
        expect(beforeCursor).toBe('    rw [ih]');
    });

    it('indents two spaces deeper after a line ending in by', () => {
        const text = 'theorem t (p : Prop) (hp : p) : p := by';
        expect(insert(text, 0, 10, 'exact hp').after).toBe('theorem t (p : Prop) (hp : p) : p := by\n  exact hp');
        const nested = 'example : True := by\n  have h : True := by';
        expect(insert(nested, 1, 3, 'trivial').after.split('\n')[2]).toBe('    trivial');
    });

    it('continues inside a focusing bullet at the column of its first tactic', () => {
        const text = 'example (p q : Prop) (hp : p) (hq : q) : p ∧ q := by\n  constructor\n  · skip';
        expect(insert(text, 2, 5, 'exact hp').after.split('\n')[3]).toBe('    exact hp');
    });

    it('fills a blank line with the indentation of the proof above', () => {
        const text = 'theorem t : True ∧ True := by\n  constructor\n\n';
        const { after } = insert(text, 2, 0, 'trivial');
        expect(after).toBe('theorem t : True ∧ True := by\n  constructor\n  trivial\n');
        const afterBy = insert('theorem t : True := by\n', 1, 0, 'trivial').after;
        expect(afterBy).toBe('theorem t : True := by\n  trivial');
    });

    it('keeps the indentation already typed on a blank line', () => {
        expect(insert('theorem t : True := by\n      ', 1, 6, 'trivial').after).toBe('theorem t : True := by\n      trivial');
    });

    it('does not mistake a word containing sorry for sorry', () => {
        const text = '  exact not_sorry_lemma';
        expect(insert(text, 0, 12, 'rfl').after).toBe('  exact not_sorry_lemma\n  rfl');
    });
});
