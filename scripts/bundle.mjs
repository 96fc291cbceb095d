#!/usr/bin/env node
// Bundles hotinit's CLI into one CommonJS file, dist/hotinit.cjs, which is
// what the launcher runs, and pino into another, dist/hotinit-pino.cjs.
// Start-up is what this is for: Node's ES module loader pays per file
// (resolve, read, compile, link), a CommonJS file loads faster than the same
// code as an ES module, and every byte of the first file is compiled before
// the first generation can start, so pino, loaded only once it has started
// (log.ts), is a file of its own. execa stays in node_modules: it is large,
// and needed only for helper commands.
// tsc still emits dist/*.js for the `hotinit/app` export, the tests and the
// declarations.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node22', logLevel: 'warning' };

/** `import('pino')` in the CLI's bundle loads the pino bundle beside it. */
const pinoBeside = {
  name: 'pino-beside',
  setup(build) {
    build.onResolve({ filter: /^pino$/ }, () => ({ path: './hotinit-pino.cjs', external: true }));
  },
};

await build({
  ...common,
  entryPoints: [join(root, 'node_modules/pino/pino.js')],
  outfile: join(root, 'dist/hotinit-pino.cjs'),
});

await build({
  ...common,
  entryPoints: [join(root, 'src/cli.ts')],
  outfile: join(root, 'dist/hotinit.cjs'),
  external: ['execa'],
  plugins: [pinoBeside],
  // The sources are ES modules that find their files from import.meta.url;
  // a CommonJS file has __filename instead.
  define: { 'import.meta.url': '__hotinitModuleUrl' },
  banner: { js: "const __hotinitModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});
