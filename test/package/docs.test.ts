// The bash completion and the man page are generated from the command line's
// definition: every command and option the CLI has must be in them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { testResources } from '../helpers/resources.js';
import { run } from './machine.js';

const tmp = testResources();
const { program } = (await import(path.join(repoRoot, 'dist', 'cli', 'main.js'))) as { program: Command };
const commands = program.commands.map((c) => c.name());

function generate(script: string, out: string): string {
  const r = run(process.execPath, [path.join(repoRoot, 'scripts', script), '--out', out], { env: process.env });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(out, 'utf8');
}

/** What bash offers for the words typed so far (the last one being completed). */
function complete(script: string, words: string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const r = run('bash', ['-c', `source '${script}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _blockcast; printf '%s\\n' "\${COMPREPLY[@]}"`], { env: process.env });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

describe('bash completion', () => {
  const file = path.join(tmp.dir, 'blockcast.bash');
  const script = generate('completion.mjs', file);

  it('is valid bash naming every command and every option', () => {
    expect(run('bash', ['-n', file], { env: process.env }).status).toBe(0);
    for (const cmd of program.commands) {
      expect(script).toContain(cmd.name());
      for (const o of cmd.options) expect(script, `${cmd.name()} ${o.long}`).toContain(o.long!);
    }
  });

  it('completes commands, options and option values', () => {
    expect(complete(file, ['blockcast', 're'])).toEqual(['receive']);
    expect(complete(file, ['blockcast', ''])).toEqual([...commands, 'help']);
    expect(complete(file, ['blockcast', 'send', '--min-r'])).toEqual(['--min-receivers']);
    expect(complete(file, ['blockcast', 'send', '--cipher', 'ch'])).toEqual(['chacha20-poly1305']);
    expect(complete(file, ['blockcast', 'receive', '--interface', 'l'])).toContain('lo');
  });
});

describe('man page', () => {
  const roff = generate('man.mjs', path.join(tmp.dir, 'blockcast.1')).replace(/\\-/g, '-');

  it('is a section 1 page of this version listing every command and option', () => {
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(roff).toMatch(new RegExp(`^\\.TH "BLOCKCAST" "1" "[^"]+" "blockcast ${version.replace(/\./g, '\\.')}"`));
    for (const cmd of program.commands) {
      expect(roff).toContain(`blockcast ${cmd.name()}`);
      expect(roff).toContain(`.SS ${cmd.name()}\n`);
      for (const o of cmd.options) expect(roff, `${cmd.name()} ${o.long}`).toContain(o.long!);
    }
  });
});
