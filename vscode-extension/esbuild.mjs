// Bundles the extension and vscode-languageclient into one file, out/extension.js, so the .vsix
// needs no node_modules (`vsce package --no-dependencies`). `tsc` only type-checks (noEmit).
import { build } from 'esbuild';

await build({
    entryPoints: ['src/extension.ts'],
    outfile: 'out/extension.js',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // VS Code 1.82 runs extensions on Node 18.
    target: 'node18',
    external: ['vscode'],
    sourcemap: false,
    minify: true,
    keepNames: true,
    logLevel: 'warning',
});
