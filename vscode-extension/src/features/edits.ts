/**
 * Where a chosen tactic goes in the file. Pure text logic (no VS Code types), so the rules are
 * tested directly:
 *
 * 1. The cursor is on a `sorry`: the tactic replaces it.
 * 2. The cursor is on a blank line: the tactic goes on that line, indented like the proof.
 * 3. Otherwise: the tactic goes on a new line after the cursor's line, indented like the proof.
 *
 * "Indented like the proof": after a line ending in `by`, two spaces deeper; inside a `·` bullet,
 * at the column of the bullet's first tactic; otherwise at the column of the line above.
 * Continuation lines of a multi-line tactic keep their relative indentation under the first line.
 */
import type { Position } from '../common/protocol';

export interface LineSource {
    lineCount: number;
    lineText(line: number): string;
}

export interface InsertionPlan {
    /** Range to replace (start == end for a pure insertion). */
    start: Position;
    end: Position;
    text: string;
    /** Where the cursor goes afterwards: the end of the inserted tactic. */
    cursor: Position;
}

const SORRY = /\bsorry\b/g;
const ENDS_WITH_BY = /(^|[\s(:=])by\s*$/;
const BULLET = /^\s*[·.]\s+/;
const INDENT_STEP = 2;

export function planTacticInsertion(doc: LineSource, position: Position, tactic: string): InsertionPlan {
    const line = doc.lineText(position.line);
    const tacticLines = tactic.replace(/\s+$/, '').split('\n');

    const sorry = sorryAt(line, position.character);
    if (sorry) {
        return place(position.line, sorry.start, sorry.end, '', sorry.start, tacticLines);
    }
    if (line.trim() === '') {
        const column = line.length > 0 ? line.length : indentAfter(previousNonBlank(doc, position.line));
        return place(position.line, 0, line.length, ' '.repeat(column), column, tacticLines);
    }
    // New line after this one: the inserted text starts with the line break.
    const column = indentAfter(line);
    return place(position.line, line.length, line.length, '\n' + ' '.repeat(column), column, tacticLines, 1);
}

/** The `sorry` token the cursor is on or touching, if any. */
function sorryAt(line: string, character: number): { start: number; end: number } | undefined {
    for (const match of line.matchAll(SORRY)) {
        const start = match.index ?? 0;
        const end = start + match[0].length;
        if (start <= character && character <= end) {
            return { start, end };
        }
    }
    return undefined;
}

/** Column where a tactic following `line` starts. */
function indentAfter(line: string | undefined): number {
    if (line === undefined) {
        return INDENT_STEP;
    }
    const own = line.length - line.trimStart().length;
    if (ENDS_WITH_BY.test(line)) {
        return own + INDENT_STEP;
    }
    const bullet = BULLET.exec(line);
    return bullet ? bullet[0].length : own;
}

function previousNonBlank(doc: LineSource, line: number): string | undefined {
    for (let i = line - 1; i >= 0; i--) {
        const text = doc.lineText(i);
        if (text.trim() !== '') {
            return text;
        }
    }
    return undefined;
}

/**
 * Builds the plan: `prefix` (line break and/or indentation) + the tactic, whose first line starts
 * at `column` and whose later lines are shifted to sit under it.
 */
function place(
    line: number,
    startCharacter: number,
    endCharacter: number,
    prefix: string,
    column: number,
    tacticLines: string[],
    lineOffset = 0,
): InsertionPlan {
    const [first, ...rest] = tacticLines;
    const shifted = dedent(rest).map((l) => (l.trim() === '' ? '' : ' '.repeat(column) + l));
    const text = prefix + [first.trim(), ...shifted].join('\n');
    const lastLine = shifted.length > 0 ? shifted[shifted.length - 1] : ' '.repeat(column) + first.trim();
    const cursorLine = line + lineOffset + shifted.length;
    return {
        start: { line, character: startCharacter },
        end: { line, character: endCharacter },
        text,
        cursor: { line: cursorLine, character: lastLine.length },
    };
}

/** Removes the indentation the continuation lines share (the model may indent them absolutely). */
function dedent(lines: string[]): string[] {
    const indents = lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length);
    const common = indents.length > 0 ? Math.min(...indents) : 0;
    return lines.map((l) => l.slice(Math.min(common, l.length - l.trimStart().length)));
}
