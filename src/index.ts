// Library API for provisioners: run a sender or a receiver in-process and
// follow its events.
export { SenderSession, type SendOptions, type SendSummary, type SendProgress, type ReceiverSummary } from './sender/session.js';
export { ReceiverSession, type ReceiveOptions, type ReceiveSummary } from './receiver/session.js';
export type { ReceiveProgress } from './receiver/progress.js';
export { BlockcastError, ExitCode, type ErrorCode } from './errors.js';
export * as protocol from './protocol/constants.js';
