// docs/ARCHITECTURE.md's rule that wire bytes are read and written only in
// src/protocol: no other source file takes a field offset from the wire
// tables or reads integers out of buffers, except the files that hold
// formats of their own (named below with what they hold).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tsSources as sources } from '../helpers/sources.js';

const SRC = path.resolve(__dirname, '../../src');
/** Not wire formats: a prepared image file, the resume journal, HKDF's info, the AEAD nonce. */
const OWN_FORMATS = ['image/prepared.ts', 'receiver/journal.ts', 'security/kdf.ts', 'security/seal.ts'];
const BUFFER_INTS = /\.(read|write)(U?Int(8|16|32)|Big(U?)Int64)(LE|BE)?\(/;

describe('wire bytes only in src/protocol', () => {
  it('no other file reads a wire offset or an integer out of a buffer', () => {
    const offenders = sources(SRC)
      .map((p) => path.relative(SRC, p))
      .filter((rel) => !rel.startsWith('protocol/') && !OWN_FORMATS.includes(rel))
      .filter((rel) => {
        const text = readFileSync(path.join(SRC, rel), 'utf8');
        return text.includes('offsetOf(') || BUFFER_INTS.test(text);
      });
    expect(offenders).toEqual([]);
  });
});
