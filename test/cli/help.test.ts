// --help groups options the way an admin looks for them.
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

function headings(help: string): string[] {
  return help.split('\n').filter((l) => /^[A-Z][A-Za-z ]*:$/.test(l)).map((l) => l.slice(0, -1));
}

describe('--help', () => {
  it('groups the options of send and receive', async () => {
    const send = await runCli(['send', '--help']);
    expect(send.code).toBe(0);
    expect(headings(send.stdout)).toEqual(['Arguments', 'Network', 'Session start', 'Security', 'Tuning', 'Output', 'Options']);
    expect(send.stdout).toMatch(/Network:\n(.*\n)*?\s+--control-port <n>/);
    expect(send.stdout).toMatch(/Session start:\n(.*\n)*?\s+--start-timeout <s>/);
    expect(send.stdout).toContain('SIGUSR1');
    const receive = await runCli(['receive', '--help']);
    expect(headings(receive.stdout)).toEqual(['Arguments', 'Network', 'Session', 'Security', 'Tuning', 'Output', 'Options']);
  });

  it('lists the commands by what they are for', async () => {
    const r = await runCli(['--help']);
    expect(headings(r.stdout)).toEqual(['Options', 'Transfer', 'Checks', 'Setup', 'Commands']);
    for (const c of ['digest', 'inspect', 'verify']) expect(r.stdout).toContain(`  ${c} [options]`);
  });
});
