// What a test file creates and must remove even when a test fails: a
// temporary directory, child processes, and at most one netns lab.
import { afterAll } from 'vitest';
import type { Lab } from '../../bench/lab/netns.js';
import { killAll } from './cli.js';
import { tempDir } from './image.js';

export function testResources(): { dir: string; setLab(lab: Lab | undefined): void } {
  const tmp = tempDir();
  let lab: Lab | undefined;
  afterAll(() => {
    killAll();
    lab?.destroy();
    tmp.cleanup();
  });
  return {
    dir: tmp.dir,
    setLab(next) {
      lab?.destroy();
      lab = next;
    },
  };
}
