// --follow: reads a running Orthanc's change log (GET /changes) from the sequence noted when the
// run began, page by page, and says which instances it stored since, and how far behind the
// reading is. What Orthanc 1.10.1 answers (seen on it, see the tests):
// - `{"Changes": [{ChangeType, Date, ID, Path, ResourceType, Seq}], "Done", "Last"}`; `Last` is the
//   Seq of the page's last change, or, for an empty page, the log's counter (`?last` answers it too).
// - Date is `YYYYMMDDTHHMMSS` in UTC (an Orthanc started with TZ=Pacific/Pago_Pago writes UTC).
// - A deletion is never logged: the log's rows reference the resource (ON DELETE CASCADE), so
//   deleting a resource removes its changes, and Seq has a gap where they were. The gaps are the
//   only trace of a deletion in the log, counted here as `vanished`.
import { setTimeout as sleep } from 'node:timers/promises';
import { ImporterError } from '../../core/errors.js';
import type { HttpClient } from '../../targets/http/client.js';
import type { GetLimits } from '../../targets/http/http-get.js';
import { lagSeconds } from './follow-lag.js';

/** What following the log says, in order. */
export type FollowEvent =
  /** A NewInstance change. */
  | { readonly kind: 'instance'; readonly id: string; readonly seq: number; readonly date: string }
  /** Changes logged after the noted sequence and gone when read: their resources were deleted on the source. */
  | { readonly kind: 'vanished'; readonly changes: number; readonly afterSeq: number }
  /** The log's counter went below the position: the source's database was replaced; reading again from its start. */
  | { readonly kind: 'reset'; readonly position: number; readonly last: number }
  /** After each page: changes logged and not read yet, and the age of the last one read (0 when none is left; null: its Date was unreadable). */
  | { readonly kind: 'lag'; readonly behindChanges: number; readonly lagSeconds: number | null };

/** How to follow. */
export interface FollowOptions {
  /** The source's client (retries, and the pause while it is away, come with it). */
  readonly client: HttpClient;
  /** Where to start: noteChangeSequence() as the run began. */
  readonly since: number;
  readonly signal: AbortSignal | undefined;
  /** Stop after this long without a change; undefined: until aborted. */
  readonly untilIdleMs: number | undefined;
  /** The wait between two reads of a log that had nothing more. @default 1000 */
  readonly pollMs?: number;
  /** Changes asked per page. @default 1000 */
  readonly pageSize?: number;
}

interface Change {
  readonly ChangeType: string;
  readonly ID: string;
  readonly Seq: number;
  readonly Date: string;
}

interface ChangesPage {
  readonly Changes: readonly Change[];
  readonly Done: boolean;
  readonly Last: number;
}

const PAGE_LIMITS: GetLimits = { timeoutMs: 60_000, maxBytes: 64 * 1024 * 1024 };

const isPage = (value: unknown): value is ChangesPage => {
  const page = value as Partial<ChangesPage> | null;
  return typeof page === 'object' && page !== null && Array.isArray(page.Changes) && typeof page.Done === 'boolean' && typeof page.Last === 'number';
};

// The work's result, or 'aborted' as soon as the signal is (the work goes on unobserved).
const orAborted = async <T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T | 'aborted'> => {
  if (signal === undefined) return work;
  if (signal.aborted) return 'aborted';
  let onAbort = (): void => undefined;
  const abort = new Promise<'aborted'>((resolve) => {
    onAbort = () => {
      resolve('aborted');
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, abort]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
};

// One page of the log, or 'aborted' as soon as the signal is (a source that is away holds the request in its pause).
const readPage = async (client: HttpClient, signal: AbortSignal | undefined, path: string): Promise<ChangesPage | 'aborted'> => {
  const sent = client.send({ method: 'GET', path, plain: PAGE_LIMITS });
  sent.catch(() => undefined); // an answer after the abort is nobody's
  const exchange = await orAborted(sent, signal);
  if (exchange === 'aborted') return exchange;
  if (exchange.kind === 'failed') throw new ImporterError('E_SOURCE', `Could not read the source's change log (GET ${path}): ${exchange.reason}`);
  let page: unknown;
  try {
    page = exchange.statusCode === 200 ? JSON.parse(exchange.text) : undefined;
  } catch {
    page = undefined;
  }
  if (!isPage(page)) throw new ImporterError('E_SOURCE', `The source did not answer GET ${path} as an Orthanc does (HTTP ${exchange.statusCode})`);
  return page;
};

// Why: following must start from the log's position BEFORE the bulk listing, so that an instance
// stored while the listing was read is still followed; call this before listing.
export const noteChangeSequence = async (client: HttpClient): Promise<number> => {
  const page = await readPage(client, undefined, '/changes?last');
  return page === 'aborted' ? 0 : page.Last; // never 'aborted': no signal
};

// Changes between `after` and the page's changes (and its Last) that the log no longer holds.
const gapsOf = (after: number, page: ChangesPage): number => {
  let gone = 0;
  let previous = after;
  for (const change of page.Changes) {
    gone += Math.max(0, change.Seq - previous - 1);
    previous = change.Seq;
  }
  return gone + Math.max(0, page.Last - previous);
};

// Why: --follow copies what the source stores after the run began, until Ctrl-C or a quiet spell;
// the log is read a page at a time (bounded memory however long the backlog), each page's
// NewInstance changes given in order, other change types only moving the position.
export async function* followChanges(options: FollowOptions): AsyncGenerator<FollowEvent> {
  const { client, signal, untilIdleMs, pollMs = 1000, pageSize = 1000 } = options;
  let position = options.since;
  let lastChangeAt = Date.now();
  while (signal?.aborted !== true) {
    const page = await readPage(client, signal, `/changes?since=${position}&limit=${pageSize}`);
    if (page === 'aborted') return;
    if (page.Last < position) {
      yield { kind: 'reset', position, last: page.Last };
      position = 0;
      continue;
    }
    const gone = gapsOf(position, page);
    if (gone > 0) yield { kind: 'vanished', changes: gone, afterSeq: position };
    if (page.Last > position) lastChangeAt = Date.now();
    for (const change of page.Changes) {
      if (change.ChangeType === 'NewInstance') yield { kind: 'instance', id: change.ID, seq: change.Seq, date: change.Date };
    }
    position = Math.max(position, page.Last);
    const newest = page.Changes.at(-1);
    if (page.Done) {
      yield { kind: 'lag', behindChanges: 0, lagSeconds: 0 };
      if (untilIdleMs !== undefined && Date.now() - lastChangeAt >= untilIdleMs) return;
      const wait = untilIdleMs === undefined ? pollMs : Math.min(pollMs, Math.max(0, lastChangeAt + untilIdleMs - Date.now()));
      await sleep(wait, undefined, { signal }).catch(() => undefined);
    } else {
      const counter = await readPage(client, signal, '/changes?last');
      if (counter === 'aborted') return;
      yield { kind: 'lag', behindChanges: Math.max(0, counter.Last - position), lagSeconds: newest === undefined ? 0 : lagSeconds(newest.Date, Date.now()) };
    }
  }
}
