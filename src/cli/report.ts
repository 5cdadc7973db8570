// How the CLI talks to people and to provisioners: human lines on stderr,
// or (--json) one JSON object per line on stdout (on stderr when stdout
// carries the image: `receive -`).
import type { EventEmitter } from 'node:events';

export interface Reporter {
  event(type: string, data: Record<string, unknown>): void;
  human(line: string): void;
  /** Sends human lines to `print` instead of stderr (above a live progress bar), until called with undefined. */
  divert(print: ((line: string) => void) | undefined): void;
}

export function makeReporter(json: boolean, quiet = false, jsonOn: 'stdout' | 'stderr' = 'stdout'): Reporter {
  let diverted: ((line: string) => void) | undefined;
  return {
    event(type, data) {
      // process.stdout is touched only when it is used: creating it makes a pipe on fd 1 non-blocking.
      if (json) (jsonOn === 'stdout' ? process.stdout : process.stderr).write(JSON.stringify({ event: type, time: new Date().toISOString(), ...data }) + '\n');
    },
    human(line) {
      if (json || quiet) return;
      if (diverted) diverted(line);
      else process.stderr.write(line + '\n');
    },
    divert(print) {
      diverted = print;
    },
  };
}

/** Forwards every listed session event to the reporter as JSON. */
export function forwardEvents(source: EventEmitter, reporter: Reporter, names: string[]): void {
  for (const name of names) source.on(name, (data: Record<string, unknown>) => reporter.event(name, data ?? {}));
}

export function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}
