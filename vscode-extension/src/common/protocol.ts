/**
 * The leanstar language server's own methods, as the client sees them. The server (Python,
 * `server/` in this repository) implements the same names and shapes; keep the two in step.
 */

export interface TextDocumentIdentifier {
    uri: string;
}

/** LSP position: zero-based line, UTF-16 character offset (the same units Lean uses). */
export interface Position {
    line: number;
    character: number;
}

export interface TextDocumentPositionParams {
    textDocument: TextDocumentIdentifier;
    position: Position;
}

export interface Range {
    start: Position;
    end: Position;
}

/** An LSP TextEdit: replace `range` (UTF-16 columns) with `newText`. */
export interface TextEdit {
    range: Range;
    newText: string;
}

export type Outcome = 'proved' | 'progress' | 'failed' | 'timeout';

/** One (thought, tactic) pair from the model, with Lean's verdict on the tactic. */
export interface SuggestCandidate {
    thought: string;
    tactic: string;
    outcome: Outcome;
    goalsAfter: string[];
    score: number;
    message?: string;
    /** Whether the thought is true of the proof state (leanstar/faithfulness/); why not. */
    faithful?: boolean;
    unfaithfulBecause?: string;
    /**
     * "model" when the thought is true of the state; "rules" when it was not and `rationale`,
     * the rule-based writer's rationale for the same tactic (checked true of the state), is
     * shown instead; "withheld" when it was not and there is none: show only why.
     */
    thoughtSource?: 'model' | 'rules' | 'withheld';
    rationale?: string;
    /**
     * The exact edit that writes the tactic where Lean checked it (the server's cursor rule,
     * leanstar/lean/cursor.py), valid for the document version in SuggestResult.version.
     */
    edit: TextEdit;
}

/** client -> server `leanstar/suggest` */
export const SUGGEST = 'leanstar/suggest';
export interface SuggestParams extends TextDocumentPositionParams {
    n?: number;
    includeFailed?: boolean;
    /** Progress ($/progress) is reported under this token (client-initiated work-done progress). */
    workDoneToken?: string;
}
export interface SuggestResult {
    candidates: SuggestCandidate[];
    goalsBefore: string[];
    uri: string;
    /** The document version the candidates' edits apply to. */
    version: number;
}

/** client -> server `leanstar/prove` (reports work-done progress, honours cancellation) */
export const PROVE = 'leanstar/prove';
export interface ProveParams extends TextDocumentPositionParams {
    workDoneToken?: string;
}
export interface ProveResult {
    proved: boolean;
    proof?: string;
    /**
     * An LSP WorkspaceEdit whose documentChanges carry the version it applies to (re-based by
     * the server when the file changed during the search); converted with the client's
     * protocol2CodeConverter before applying.
     */
    edit?: unknown;
    /** The document version `edit` applies to. */
    version?: number;
    /** The file changed under the search and the edit could not be re-based: no edit. */
    stale?: boolean;
    attempts: number;
    reason?: string;
}

/** client -> server `leanstar/explain` */
export const EXPLAIN = 'leanstar/explain';
export interface ExplainResult {
    tactic: string;
    goalsBefore: string[];
    goalsAfter: string[];
    rationale: string;
}

/** server -> client request `leanstar/plainGoal`: the goals vscode-lean4 sees at a position. */
export const PLAIN_GOAL = 'leanstar/plainGoal';
export interface PlainGoalResult {
    goals: string[];
}

/** server -> client notification `leanstar/status` */
export const STATUS = 'leanstar/status';
export type ServerState = 'ready' | 'working' | 'modelUnreachable' | 'leanMissing' | 'error';
export interface StatusParams {
    state: ServerState;
    message?: string;
}

/** The part of a LanguageClient the commands use, so tests can hand them a small fake. */
export interface RequestSender {
    sendRequest<R>(method: string, params: unknown, token?: import('vscode').CancellationToken): Promise<R>;
    /** Work-done progress under a client-made token (LanguageClient.onProgress with WorkDoneProgress.type). */
    onProgress?(token: string, handler: (value: { kind: string; message?: string }) => void): { dispose(): void };
}
