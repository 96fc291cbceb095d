#!/usr/bin/env node
// Assembles the self-contained hotinit tree (/opt/hotinit in the image) from a
// built checkout (`npm ci && npm run build` done):
//
//   OUT/bin/hotinit        the launcher (build/Release/hotinit)
//   OUT/bin/hotinit.node   the addon, beside the launcher where it looks for it
//   OUT/bin/node           this Node.js binary (process.execPath), unless --no-node
//   OUT/lib/hotinit/       dist/*.js and *.cjs (the launcher runs ../lib/hotinit/hotinit.cjs)
//   OUT/lib/package.json   version, "type": "module" and exports (hotinit.cjs reads ../package.json)
//   OUT/lib/node_modules/  the production dependencies named by package-lock.json
//
// Usage: node docker/assemble.mjs [--root DIR] [--no-node] OUT
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { root: { type: 'string' }, 'no-node': { type: 'boolean', default: false } },
  allowPositionals: true,
});
if (positionals.length !== 1) {
  console.error('usage: node docker/assemble.mjs [--root DIR] [--no-node] OUT');
  process.exit(2);
}
const root = resolve(values.root ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
const out = resolve(positionals[0]);

function need(path, hint) {
  if (!existsSync(path)) {
    console.error(`assemble: ${path} is missing (${hint})`);
    process.exit(1);
  }
  return path;
}

const release = join(root, 'build/Release');
const dist = need(join(root, 'dist'), 'run: npm run build');
need(join(release, 'hotinit'), 'run: npm ci');
need(join(release, 'hotinit.node'), 'run: npm ci');
const lock = JSON.parse(readFileSync(need(join(root, 'package-lock.json'), 'a lockfile is required'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'bin'), { recursive: true });
mkdirSync(join(out, 'lib/hotinit'), { recursive: true });

copyFileSync(join(release, 'hotinit'), join(out, 'bin/hotinit'));
copyFileSync(join(release, 'hotinit.node'), join(out, 'bin/hotinit.node'));
chmodSync(join(out, 'bin/hotinit'), 0o755);
if (!values['no-node']) {
  copyFileSync(process.execPath, join(out, 'bin/node'));
  chmodSync(join(out, 'bin/node'), 0o755);
}

// dist: the JavaScript only (declarations and maps are for the npm package).
cpSync(dist, join(out, 'lib/hotinit'), {
  recursive: true,
  filter: (src) => statSync(src).isDirectory() || src.endsWith('.js') || src.endsWith('.cjs'),
});

// lib/ is itself the package: its exports point into hotinit/ where dist/ went,
// so a symlink node_modules/hotinit -> /opt/hotinit/lib makes `hotinit/app` importable.
const exportsInLib = JSON.parse(JSON.stringify(pkg.exports ?? {}).replaceAll('"./dist/', '"./hotinit/'));
const manifest = { name: pkg.name, version: pkg.version, license: pkg.license, type: pkg.type, private: true, exports: exportsInLib };
writeFileSync(join(out, 'lib/package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

// Production dependencies: every lockfile entry not marked dev-only, at its own path.
let packages = 0;
for (const [path, entry] of Object.entries(lock.packages ?? {})) {
  if (path === '' || entry.dev || entry.link || !path.startsWith('node_modules/')) continue;
  const from = need(join(root, path), 'run: npm ci');
  cpSync(from, join(out, 'lib', path), {
    recursive: true,
    // Nested node_modules are lockfile entries of their own.
    filter: (src) => src === from || !src.slice(from.length).includes('/node_modules'),
  });
  packages++;
}

const files = readdirSync(out, { recursive: true }).length;
console.log(`assemble: ${out}: ${packages} dependencies, ${files} files${values['no-node'] ? ', no node' : ''}`);
