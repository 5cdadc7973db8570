import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from '../../src/core/state-machine.js';
import { Phase } from '../../src/protocol/constants.js';
import { SENDER_TRANSITIONS, senderStateMachine, wirePhase, type SenderState } from '../../src/sender/state.js';

describe('sender state machine', () => {
  it('runs a whole session: waiting, sending, repairing, ending, ended', () => {
    const m = senderStateMachine();
    const phases = [wirePhase(m.state)];
    for (const s of ['sending', 'repairing', 'ending', 'ended'] as const) {
      m.to(s);
      phases.push(wirePhase(m.state));
    }
    expect(phases).toEqual([Phase.Waiting, Phase.Sending, Phase.Repairing, Phase.Ended, Phase.Ended]);
  });

  it('ends from the first pass (abort) and fails from every live state', () => {
    const aborted = senderStateMachine();
    aborted.to('sending');
    aborted.to('ending');
    aborted.to('ended');
    for (const path of [[], ['sending'], ['sending', 'repairing'], ['sending', 'ending']] as SenderState[][]) {
      const m = senderStateMachine();
      for (const s of path) m.to(s);
      m.to('failed');
      expect(wirePhase(m.state)).toBe(Phase.Ended);
    }
  });

  it('throws on a move the table does not allow, and stays put', () => {
    const m = senderStateMachine();
    expect(() => m.to('repairing')).toThrow(IllegalTransitionError);
    expect(() => m.to('repairing')).toThrow('sender: illegal transition waiting -> repairing');
    expect(m.state).toBe('waiting');
    m.to('sending');
    m.to('repairing');
    expect(() => m.to('sending')).toThrow('sender: illegal transition repairing -> sending');
    m.to('ending');
    m.to('ended');
    for (const s of Object.keys(SENDER_TRANSITIONS) as SenderState[]) expect(m.can(s)).toBe(false);
  });

  it('declares carousel and catch-up, which nothing enters yet', () => {
    const entered = new Set(Object.values(SENDER_TRANSITIONS).flat());
    expect(entered.has('carousel')).toBe(false);
    expect(entered.has('catch-up')).toBe(false);
    expect(wirePhase('carousel')).toBe(Phase.Sending);
    expect(wirePhase('catch-up')).toBe(Phase.Repairing);
    expect(entered.has('waiting')).toBe(false); // the initial state only
  });
});
