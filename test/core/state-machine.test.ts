import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { IllegalTransitionError, StateMachine } from '../../src/core/state-machine.js';

type Light = 'red' | 'green' | 'yellow';
const table = { red: ['green'], green: ['yellow'], yellow: ['red'] } as const;

describe('StateMachine', () => {
  it('follows the table and tells listeners', () => {
    const m = new StateMachine<Light>('light', 'red', table);
    const seen: string[] = [];
    m.onTransition((from, to) => seen.push(`${from}>${to}`));
    m.to('green');
    m.to('yellow');
    expect(m.state).toBe('yellow');
    expect(m.is('yellow', 'red')).toBe(true);
    expect(seen).toEqual(['red>green', 'green>yellow']);
  });

  it('throws on a move the table does not allow, and stays put', () => {
    const m = new StateMachine<Light>('light', 'red', table);
    expect(() => m.to('yellow')).toThrow(IllegalTransitionError);
    expect(() => m.to('yellow')).toThrow('light: illegal transition red -> yellow');
    expect(m.state).toBe('red');
    expect(m.can('green')).toBe(true);
  });
});

describe('FakeClock', () => {
  it('moves only when told', () => {
    const c = new FakeClock(5);
    expect(c.now()).toBe(5);
    c.advance(10);
    expect(c.now()).toBe(15);
    c.set(2);
    expect(c.now()).toBe(2);
  });
});
