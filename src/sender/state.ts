// Where a sender is in its session, and the one table of moves between
// states. The phase a sender announces on the wire follows from its state.
import { StateMachine, type TransitionTable } from '../core/state-machine.js';
import { Phase, type PhaseValue } from '../protocol/constants.js';

/**
 * waiting:   announcing, gathering receivers until enough have joined.
 * sending:   the first pass over every chunk (repairs go ahead of it).
 * repairing: every chunk sent once; serving NACKs until every receiver is done or lost.
 * ending:    announcing the end to receivers (after an abort too).
 * ended:     the summary is built.
 * failed:    an error ended the session (bad image, socket error, no receivers).
 *
 * Room for later passes, declared so the table can take them: `carousel`
 * (cycling the chunks again for late joiners, entered from sending instead
 * of repairing) and `catch-up` (a pass for a receiver that fell behind,
 * entered from repairing and back). Nothing moves into them yet: add the
 * edge to sending's or repairing's row with the pass that implements them.
 */
export type SenderState = 'waiting' | 'sending' | 'repairing' | 'ending' | 'ended' | 'failed' | 'carousel' | 'catch-up';

export const SENDER_TRANSITIONS: TransitionTable<SenderState> = {
  // Straight to ending: aborted before anyone joined (the first pass never starts with nobody).
  waiting: ['sending', 'ending', 'failed'],
  // Straight to ending: an abort, or a native send error, during the first pass.
  sending: ['repairing', 'ending', 'failed'],
  repairing: ['ending', 'failed'],
  carousel: ['ending', 'failed'],
  'catch-up': ['repairing', 'ending', 'failed'],
  // Failed: an error found while announcing the end (it is thrown after).
  ending: ['ended', 'failed'],
  ended: [],
  failed: [],
};

export function senderStateMachine(): StateMachine<SenderState> {
  return new StateMachine<SenderState>('sender', 'waiting', SENDER_TRANSITIONS);
}

/** The phase ANNOUNCE carries in each state. */
export function wirePhase(state: SenderState): PhaseValue {
  switch (state) {
    case 'waiting':
      return Phase.Waiting;
    case 'sending':
    case 'carousel':
      return Phase.Sending;
    case 'repairing':
    case 'catch-up':
      return Phase.Repairing;
    case 'ending':
    case 'ended':
    case 'failed':
      return Phase.Ended;
  }
}
