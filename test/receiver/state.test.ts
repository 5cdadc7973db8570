import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from '../../src/core/state-machine.js';
import { ReceiverState } from '../../src/protocol/constants.js';
import { RECEIVER_TRANSITIONS, isFinal, receiverStateMachine, wireState, type ReceiverPhase } from '../../src/receiver/state.js';

describe('receiver state machine', () => {
  it('goes Listening -> Candidate -> Joined -> Receiving -> Verifying -> Done', () => {
    const m = receiverStateMachine();
    const seen: string[] = [m.state];
    m.onTransition((_, to) => seen.push(to));
    for (const s of ['Candidate', 'Joined', 'Receiving', 'Verifying', 'Done'] as const) m.to(s);
    expect(seen).toEqual(['Listening', 'Candidate', 'Joined', 'Receiving', 'Verifying', 'Done']);
  });

  it('joins only through Candidate (a live sender answered), and falls back to Listening when none did', () => {
    const m = receiverStateMachine();
    expect(() => m.to('Joined')).toThrow('receiver: illegal transition Listening -> Joined');
    m.to('Candidate');
    m.to('Listening');
    m.to('Candidate');
    m.to('Joined');
    expect(m.state).toBe('Joined');
  });

  it('can fail from every state that has no outcome yet, and from no final one', () => {
    for (const s of Object.keys(RECEIVER_TRANSITIONS) as ReceiverPhase[]) {
      expect(RECEIVER_TRANSITIONS[s].includes('Failed')).toBe(!isFinal(s));
    }
  });

  it('throws on an illegal transition and stays put', () => {
    const m = receiverStateMachine();
    expect(() => m.to('Receiving')).toThrow(IllegalTransitionError);
    expect(() => m.to('Done')).toThrow('receiver: illegal transition Listening -> Done');
    expect(m.state).toBe('Listening');
    m.to('Failed');
    expect(() => m.to('Joined')).toThrow(IllegalTransitionError);
    expect(() => m.to('Failed')).toThrow(IllegalTransitionError);
  });

  it('has room for Resuming between joining and receiving', () => {
    const m = receiverStateMachine();
    m.to('Candidate');
    m.to('Joined');
    m.to('Resuming');
    m.to('Receiving');
    expect(m.state).toBe('Receiving');
  });

  it('derives the STATUS state: Joined until a chunk is written, then Receiving, then the outcome', () => {
    expect(wireState('Listening')).toBe(ReceiverState.Joined);
    expect(wireState('Candidate')).toBe(ReceiverState.Joined);
    expect(wireState('Joined')).toBe(ReceiverState.Joined);
    expect(wireState('Resuming')).toBe(ReceiverState.Joined);
    expect(wireState('Receiving')).toBe(ReceiverState.Receiving);
    expect(wireState('Verifying')).toBe(ReceiverState.Receiving);
    expect(wireState('Done')).toBe(ReceiverState.Done);
    expect(wireState('Failed')).toBe(ReceiverState.Failed);
  });
});
