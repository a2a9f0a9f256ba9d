/** Names shared by the manifest (package.json) and the code: one place to rename them. */

export const EXTENSION_NAME = 'Leanstar';
/** Client id; also the settings section, so vscode-languageclient reads `leanstar.trace.server`. */
export const CONFIG_SECTION = 'leanstar';

/** The Python module and arguments that start the language server: `leanstar lsp`. */
export const SERVER_ARGS = ['-m', 'leanstar.cli', 'lsp'];
/** Imported by the pre-flight check before the server is started. */
export const PACKAGE_MODULE = 'leanstar';
/** How long the pre-flight `python -c "import leanstar"` may take (a cold import of torch is slow). */
export const PREFLIGHT_TIMEOUT_MS = 30_000;

export const LEAN4_EXTENSION_ID = 'leanprover.lean4';
export const PYTHON_EXTENSION_ID = 'ms-python.python';

export const COMMANDS = {
    suggest: 'leanstar.suggest',
    prove: 'leanstar.prove',
    explain: 'leanstar.explain',
    restartServer: 'leanstar.restartServer',
} as const;

/** The Lean language server's request for the goals at a position (answered by vscode-lean4's client). */
export const LEAN_PLAIN_GOAL = '$/lean/plainGoal';
