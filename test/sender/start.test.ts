import { describe, expect, it } from 'vitest';
import { StartGate, type StartRule } from '../../src/sender/start.js';

const rule = (o: Partial<StartRule> = {}): StartRule => ({ minReceivers: 1, maxWait: 0, startTimeout: 0, receivers: [], ...o });

describe('StartGate', () => {
  it('starts once --min-receivers have joined, never with nobody', () => {
    const g = new StartGate(rule({ minReceivers: 2 }), 0);
    expect(g.decide([], 1000)).toBe('wait');
    expect(g.decide(['a'], 2000)).toBe('wait');
    expect(g.decide(['a', 'b'], 3000)).toBe('start');
  });

  it('gives up --start-timeout seconds after waiting began, unless the rule holds then', () => {
    const g = new StartGate(rule({ minReceivers: 2, startTimeout: 3 }), 500);
    expect(g.decide(['a'], 3499)).toBe('wait');
    expect(g.decide(['a'], 3500)).toBe('timeout');
    expect(new StartGate(rule({ minReceivers: 2, startTimeout: 3 }), 0).decide(['a', 'b'], 9000)).toBe('start');
  });

  it('with --receivers, waits for every listed name (others may join too) and names the missing', () => {
    const g = new StartGate(rule({ receivers: ['n1', 'n2'], startTimeout: 5 }), 0);
    expect(g.needed).toBe(2);
    expect(g.decide(['n1', 'other'], 100)).toBe('wait');
    expect(g.missing(['n1', 'other'])).toEqual(['n2']);
    expect(g.timeoutMessage(['n1', 'other'])).toBe('Not started after 5 s (--start-timeout): 2 of 2 receiver(s) joined; missing: n2');
    expect(g.decide(['n1', 'other', 'n2'], 200)).toBe('start');
  });

  it('--min-receivers still counts with --receivers', () => {
    const g = new StartGate(rule({ receivers: ['n1'], minReceivers: 3 }), 0);
    expect(g.needed).toBe(3);
    expect(g.decide(['n1', 'x'], 100)).toBe('wait');
    expect(g.decide(['n1', 'x', 'y'], 100)).toBe('start');
  });

  it('--max-wait starts after the first join even with listed receivers missing', () => {
    const g = new StartGate(rule({ receivers: ['n1', 'n2'], maxWait: 2, startTimeout: 10 }), 0);
    expect(g.decide(['n1'], 1000)).toBe('wait');
    expect(g.decide(['n1'], 2999)).toBe('wait');
    expect(g.decide(['n1'], 3000)).toBe('start');
  });

  it('a forced start (SIGUSR1) needs someone joined', () => {
    const g = new StartGate(rule({ minReceivers: 5 }), 0);
    expect(g.force(0)).toBe(false);
    expect(g.decide([], 100)).toBe('wait');
    expect(g.force(1)).toBe(true);
    expect(g.decide([], 200)).toBe('wait'); // joined but not yet confirmed
    expect(g.decide(['a'], 300)).toBe('start');
  });
});
