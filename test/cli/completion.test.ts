/**
 * `lanyard completion bash|zsh` in the real shells: the bash script registers with `complete` and, driven as
 * bash drives it (COMP_WORDS, COMP_CWORD), completes commands, subcommands, options and option values,
 * skipping the values of options before the cursor; the zsh script parses (`zsh -n`), registers with
 * compinit, and its function offers the same words (zsh's completion builtins replaced by ones that print
 * what they are given). The zsh tests are skipped where zsh is not installed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { tempDir } from '../helpers/stores.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dir = tempDir('lanyard-completion-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function script(shell: 'bash' | 'zsh'): string {
  const r = spawnSync(process.execPath, ['bin/lanyard.js', 'completion', shell], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const file = path.join(dir, `lanyard.${shell}`);
  fs.writeFileSync(file, r.stdout);
  return file;
}

function shell(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE: process.execPath },
  });
  assert.equal(r.status, 0, `${cmd} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const hasZsh = spawnSync('zsh', ['-c', 'exit 0']).status === 0;

describe('lanyard completion', () => {
  test('bash: source <(lanyard completion bash) registers the completion', () => {
    const out = shell('bash', [
      '-c',
      'source <("$NODE" bin/lanyard.js completion bash) && complete -p lanyard',
    ]);
    assert.equal(out.trim(), 'complete -o filenames -F _lanyard lanyard');
  });

  test('bash: completes as bash asks, word by word', () => {
    const file = script('bash');
    const cases: [string[], string][] = [
      [['lanyard', 'ten'], 'tenant'],
      [['lanyard', 'st'], 'status'],
      [['lanyard', 'comp'], 'completion'],
      [['lanyard', 'tenant', 'cr'], 'create'],
      [['lanyard', 'tenant', 'create', '--na'], '--name'],
      [['lanyard', '-o', ''], 'table json tsv'],
      [['lanyard', 'tenant', 'list', '--output', 'j'], 'json'],
      // The value of --data-dir is skipped, not taken for a command.
      [['lanyard', '--data-dir', 'tenant', 'tenant', 'l'], 'list'],
      [['lanyard', 'resource', 'create', '--kind', ''], 'app automation gateway vault vm workflow'],
      [['lanyard', 'easyauth', 'set', '--action', 'Return4'], 'Return401 Return403 Return404'],
      [['lanyard', 'completion', ''], 'bash zsh'],
      [['lanyard', 'app', 'federated', 'a'], 'add'],
    ];
    const lines = cases.map(
      ([words]) =>
        `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _lanyard; echo "\${COMPREPLY[*]}"`,
    );
    const out = shell('bash', ['-c', `source ${file}\n${lines.join('\n')}`]).split('\n');
    for (const [i, [words, expected]] of cases.entries()) {
      assert.equal(out[i], expected, `lanyard ${words.slice(1).join(' ')}⇥`);
    }
  });

  test('zsh: the script parses and registers with compinit', {
    skip: !hasZsh && 'zsh is not installed',
  }, () => {
    const file = script('zsh');
    shell('zsh', ['-n', file]);
    const out = shell('zsh', [
      '-f',
      '-c',
      `autoload -U compinit && compinit -u -d ${path.join(dir, 'zcompdump')}; source ${file}; print -r -- $_comps[lanyard]`,
    ]);
    assert.equal(out.trim(), '_lanyard');
  });

  test('zsh: offers commands with descriptions, options and option values', {
    skip: !hasZsh && 'zsh is not installed',
  }, () => {
    const file = script('zsh');
    const cases: [string[], RegExp][] = [
      [['lanyard', 'ten'], /^tenant:Tenants\\: .* status:show whether/],
      [['lanyard', 'tenant', ''], /^list:List tenants\. show:/],
      [
        ['lanyard', '--data-dir', 'x', 'tenant', 'create', '--'],
        /^--name:stable name .* --output:output format/,
      ],
      [['lanyard', '-o', ''], /^table json tsv$/],
      [['lanyard', 'easyauth', 'set', '--action', ''], /^RedirectToLoginPage AllowAnonymous Return401/],
      [['lanyard', 'completion', ''], /^bash zsh$/],
      [['lanyard', 'up', '-f', ''], /^FILES$/],
    ];
    const stubs = [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: zsh parameter expansion, not a template
      '_describe() { print -r -- "${(j: :)${(P)${@[-1]}}}" }',
      'compadd() { shift; print -r -- "$*" }',
      '_files() { print -r -- FILES }',
    ];
    const lines = cases.map(
      ([words]) => `words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; _lanyard`,
    );
    const out = shell('zsh', ['-f', '-c', `source ${file}\n${stubs.join('\n')}\n${lines.join('\n')}`]).split(
      '\n',
    );
    for (const [i, [words, expected]] of cases.entries()) {
      assert.match(out[i]!, expected, `lanyard ${words.slice(1).join(' ')}⇥`);
    }
  });
});
