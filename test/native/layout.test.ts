// The native tree's layout rules: engines (core/) never see Node-API, the
// Node-API wrappers (napi/) never touch a socket, and no file grows past 400
// lines.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'src');
const files = (dir: string): [string, string][] =>
  readdirSync(path.join(src, dir)).map((f) => [`${dir}/${f}`, readFileSync(path.join(src, dir, f), 'utf8')]);
// Code only: comments and string literals may name calls.
const code = (text: string): string => text.replace(/\/\/.*$/gm, '').replace(/"(?:[^"\\\n]|\\.)*"/g, '""');
const socketCall = /(?<![\w.>])(?:::)?(?:socket|bind|connect|setsockopt|send|sendto|sendmsg|sendmmsg|recv|recvfrom|recvmsg|recvmmsg|poll)\s*\(/;

describe('native source layout', () => {
  it('core/ does not include the Node-API header', () => {
    for (const [name, text] of files('core')) expect(text, name).not.toMatch(/#include\s*[<"]napi\.h[>"]/);
  });

  it('napi/ makes no socket calls', () => {
    for (const [name, text] of files('napi')) expect(code(text), name).not.toMatch(socketCall);
  });

  it('no file is over 400 lines', () => {
    for (const [name, text] of [...files('core'), ...files('napi')]) expect(text.split('\n').length, name).toBeLessThanOrEqual(401);
  });
});
