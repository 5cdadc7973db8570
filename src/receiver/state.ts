// Where a receiver is in its session, in one field, and the one table of
// moves between those places. The STATUS state the sender sees is derived
// from it.
import { StateMachine, type TransitionTable } from '../core/state-machine.js';
import { ReceiverState, type ReceiverStateValue } from '../protocol/constants.js';

export type ReceiverPhase =
  /** Socket joined and workers started; no sender accepted yet. */
  | 'Listening'
  /**
   * Sessions heard and asked, by a STATUS with this run's join nonce,
   * whether a live sender stands behind them; nothing is opened or written
   * yet. Back to Listening when every candidate timed out.
   */
  | 'Candidate'
  /** A live sender's ACK echoed the nonce: it is pinned, the target checked; nothing written yet (the manifest may still be assembling). */
  | 'Joined'
  /** At least one chunk is on the target. */
  | 'Receiving'
  /** Every chunk is written: the whole-image digest is checked and the target synced. */
  | 'Verifying'
  | 'Done'
  | 'Failed'
  /**
   * A restarted receiver (a trusted journal, or --rehash) checking what the
   * target already holds; it receives meanwhile (resume.ts, writer.ts).
   */
  | 'Resuming';

export const RECEIVER_TRANSITIONS: TransitionTable<ReceiverPhase> = {
  Listening: ['Candidate', 'Failed'],
  Candidate: ['Listening', 'Joined', 'Failed'],
  Joined: ['Receiving', 'Resuming', 'Failed'],
  Resuming: ['Receiving', 'Verifying', 'Failed'],
  Receiving: ['Verifying', 'Failed'],
  Verifying: ['Done', 'Failed'],
  Done: [],
  Failed: [],
};

export function receiverStateMachine(): StateMachine<ReceiverPhase> {
  return new StateMachine<ReceiverPhase>('receiver', 'Listening', RECEIVER_TRANSITIONS);
}

/** True once the session has an outcome: nothing more is received or written. */
export function isFinal(phase: ReceiverPhase): boolean {
  return phase === 'Done' || phase === 'Failed';
}

/**
 * The state a STATUS packet reports. Before the first chunk is written a
 * receiver says Joined (a Candidate's STATUS asks to join); a Listening
 * receiver sends no STATUS at all, and Verifying is too brief to be seen as
 * more than Receiving.
 */
export function wireState(phase: ReceiverPhase): ReceiverStateValue {
  switch (phase) {
    case 'Listening':
    case 'Candidate':
    case 'Joined':
    case 'Resuming':
      return ReceiverState.Joined;
    case 'Receiving':
    case 'Verifying':
      return ReceiverState.Receiving;
    case 'Done':
      return ReceiverState.Done;
    case 'Failed':
      return ReceiverState.Failed;
  }
}
