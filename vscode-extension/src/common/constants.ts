/** Names shared by the manifest (package.json) and the code: one place to rename them. */

export const EXTENSION_NAME = 'Leanstar';
/** Client id; also the settings section, so vscode-languageclient reads `leanstar.trace.server`. */
export const CONFIG_SECTION = 'leanstar';

/** The Python module and arguments that start the language server: `leanstar lsp`. */
export const SERVER_ARGS = ['-m', 'leanstar.cli', 'lsp'];
/** Imported by the pre-flight check before the server is started. */
export const PACKAGE_MODULE = 'leanstar';
/** ...and this too: a leanstar without it is too old to have the `lsp` command. */
export const SERVER_MODULE = 'leanstar.server.lsp';
/** The extension's id (publisher.name in package.json): the Settings editor filters by it. */
export const EXTENSION_ID = 'leanstar.leanstar';
/** How long the pre-flight `python -c "import leanstar"` may take (a cold import of torch is slow). */
export const PREFLIGHT_TIMEOUT_MS = 30_000;

export const LEAN4_EXTENSION_ID = 'leanprover.lean4';
export const PYTHON_EXTENSION_ID = 'ms-python.python';

export const COMMANDS = {
    suggest: 'leanstar.suggest',
    prove: 'leanstar.prove',
    explain: 'leanstar.explain',
    restartServer: 'leanstar.restartServer',
    /** Internal: completes a ghost-text suggestion that replaces a `sorry` (features/inline.ts). */
    finishInline: 'leanstar.finishInlineSuggestion',
} as const;

/** The Lean language server's request for the goals at a position (answered by vscode-lean4's client). */
export const LEAN_PLAIN_GOAL = '$/lean/plainGoal';
