// Resuming an interrupted receive: where the target's journal lives, the
// receiver id a restart reuses (so the sender takes it as a rejoin, not a
// stranger), and, once a session is joined, what to take from the target:
// a trusted journal's chunks, or every chunk (--rehash), each hashed
// against the manifest before it is kept (writer.ts, image/holdings.ts).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathKind } from '../image/device.js';
import type { Target } from '../image/target.js';
import type { Announce } from '../protocol/packets.js';
import { JOURNAL_DIR, Journal, journalPath, readJournal, type JournalVerdict } from './journal.js';
import type { ResumeFrom } from './writer.js';

export interface ResumeSettings {
  target: string;
  /** Trust the target's journal (default): a restart keeps the chunks it lists (each re-hashed). */
  resume: boolean;
  /** Re-hash every chunk of the target against the manifest and keep those that match, journal or not. */
  rehash: boolean;
  /** The journal's file (default: beside a file target, under /var/lib/blockcast for a block device). */
  journal?: string;
}

/** What a joined session resumes from: the journal it appends to, and the chunks to check. */
export interface Resumption {
  journal?: Journal;
  from?: ResumeFrom;
  /** For the 'resume' event: the journal's file and what was found in it. */
  file: string;
  verdict: JournalVerdict;
  candidates: number | 'all';
}

export class ResumePlan {
  readonly file: string;
  /** The id the interrupted run reported under, if its journal says so. */
  readonly previousId?: number;

  constructor(private readonly settings: ResumeSettings) {
    let kind: ReturnType<typeof pathKind>['kind'] = 'missing';
    try {
      kind = pathKind(settings.target).kind;
    } catch {
      // the target's own checks say what is wrong with it
    }
    this.file = journalPath(settings.target, kind, settings.journal);
    const id = settings.resume ? readJournal(this.file).receiverId : undefined;
    if (id) this.previousId = id;
  }

  /** On joining a session whose image goes to `target` at offsets: opens the journal and decides what to check. */
  open(a: Announce, target: Target, receiverId: number, warn: (message: string) => void): Resumption {
    const { resume, rehash } = this.settings;
    const key = { manifestDigest: a.manifestDigest, chunkCount: a.chunkCount, chunkSize: a.chunkSize };
    const found = resume ? readJournal(this.file, key) : { verdict: 'missing' as const, chunks: [], tornBytes: 0 };
    if (found.verdict === 'other-image') warn(`the journal ${this.file} is of another image: starting over`);
    if (found.verdict === 'corrupt') warn(`the journal ${this.file} is unreadable: starting over`);
    const trusted = found.verdict === 'trusted' && !rehash;
    if (path.dirname(this.file) === JOURNAL_DIR) {
      try {
        mkdirSync(JOURNAL_DIR, { recursive: true, mode: 0o700 });
      } catch (err) {
        warn(`no resume journal: cannot create ${JOURNAL_DIR} (${(err as Error).message}); give one with --journal FILE`);
        return { file: this.file, verdict: found.verdict, candidates: 0 };
      }
    }
    const journal = new Journal(this.file, key, receiverId, trusted, target.fd, warn);
    let from: ResumeFrom | undefined;
    if (rehash) from = { candidates: 'all', holdFirst: false, journaled: false };
    else if (trusted && found.chunks.length > 0) from = { candidates: found.chunks, holdFirst: true, journaled: true };
    return { journal, ...(from ? { from } : {}), file: this.file, verdict: found.verdict, candidates: rehash ? 'all' : trusted ? found.chunks.length : 0 };
  }
}
