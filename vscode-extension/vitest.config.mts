import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
    resolve: {
        // VS Code is not installable here: the `vscode` module is a small mock (test/vscode.mock.ts).
        alias: { vscode: fileURLToPath(new URL('./test/vscode.mock.ts', import.meta.url)) },
    },
    test: {
        include: ['test/**/*.test.ts'],
        environment: 'node',
        testTimeout: 20_000,
    },
});
