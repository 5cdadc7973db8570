// Every TypeScript file under a folder, for tests that check rules over the sources.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export function tsSources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? tsSources(p) : p.endsWith('.ts') ? [p] : [];
  });
}
