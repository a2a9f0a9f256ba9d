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

export type Outcome = 'proved' | 'progress' | 'failed' | 'timeout';

/** One (thought, tactic) pair from the model, with Lean's verdict on the tactic. */
export interface SuggestCandidate {
    thought: string;
    tactic: string;
    outcome: Outcome;
    goalsAfter: string[];
    score: number;
    message?: string;
}

/** client -> server `leanstar/suggest` */
export const SUGGEST = 'leanstar/suggest';
export interface SuggestParams extends TextDocumentPositionParams {
    n?: number;
    includeFailed?: boolean;
}
export interface SuggestResult {
    candidates: SuggestCandidate[];
    goalsBefore: string[];
}

/** client -> server `leanstar/prove` (reports work-done progress, honours cancellation) */
export const PROVE = 'leanstar/prove';
export interface ProveParams extends TextDocumentPositionParams {
    workDoneToken?: string;
}
export interface ProveResult {
    proved: boolean;
    proof?: string;
    /** An LSP WorkspaceEdit; converted with the client's protocol2CodeConverter before applying. */
    edit?: unknown;
    attempts: number;
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
}
