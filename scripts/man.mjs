#!/usr/bin/env node
// Builds man/blockcast.1 from docs/blockcast.1.md with marked-man (run by
// `npm run man` and `prepack`). The SYNOPSIS and OPTIONS sections are generated from the command line's
// definition, so they name every command and option the CLI has.
//   node scripts/man.mjs [--out FILE]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.join(root, 'man', 'blockcast.1');
const { program } = await import(path.join(root, 'dist', 'cli', 'main.js'));
const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

// One definition list per command: `flags`: description.
function optionsMarkdown() {
  const sections = [];
  for (const cmd of program.commands) {
    const items = cmd.options.map((o) => `* \`${o.flags}\`:\n  ${escape(o.description)}`);
    if (items.length) sections.push(`### ${cmd.name()}\n\n${items.join('\n\n')}`);
  }
  return sections.join('\n\n');
}
// One line per command: `blockcast send` [*options*] *image*.
function synopsisMarkdown() {
  const usage = (cmd) => cmd.usage().replace(/<([^>]+)>/g, '*$1*').replace(/\[(options)\]/g, '[*$1*]');
  const lines = program.commands.map((cmd) => `\`blockcast ${cmd.name()}\` ${usage(cmd)}`);
  return [...lines, '`blockcast` `--version` | `--help`'].join('\n\n');
}
const escape = (text) => text.replace(/</g, '&lt;').replace(/>/g, '&gt;');

const page = readFileSync(path.join(root, 'docs', 'blockcast.1.md'), 'utf8').replace(/<!-- synopsis:[^>]*-->/, synopsisMarkdown)
  .replace(/<!-- options:[^>]*-->/, optionsMarkdown);
const markedMan = path.join(path.dirname(createRequire(import.meta.url).resolve('marked-man/package.json')), 'bin', 'marked-man.js');
const roff = spawnSync(process.execPath, [markedMan, '--no-breaks', '--version', `blockcast ${version}`, '--manual', 'blockcast manual'], {
  input: page,
  encoding: 'utf8',
});
if (roff.status !== 0 || !roff.stdout) {
  process.stderr.write(`man: marked-man failed: ${roff.stderr}\n`);
  process.exit(1);
}
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, roff.stdout);
process.stderr.write(`man: ${path.relative(root, out)}\n`);
