#!/usr/bin/env node
// Entry point kept in plain JS so `npm` can link it; the CLI itself is TypeScript run directly by Node 24.
import module from 'node:module';

// As package.json's engines: the Node this is built and tested on (TypeScript run directly, node:sqlite).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 24 || (major === 24 && minor < 2)) {
  console.error(
    `lanyard needs Node.js 24.2 or newer (this is ${process.version}). Run it through npm (npm start, npm run lanyard --), which uses the pinned Node 24.`,
  );
  process.exit(1);
}
// `lanyard --version` alone answers before the CLI loads, as src/cli/main.ts would (test/cli/start-light.test.ts).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  const { readFileSync } = await import('node:fs');
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`lanyard ${version} (node ${process.version})\n`);
  process.exit(0);
}
// Compiled-code cache: a CLI start imports a lot; reusing V8's compilation cuts start-up by about a third.
module.enableCompileCache?.();
await import('../src/cli/main.ts');
