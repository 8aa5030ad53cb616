// A running Orthanc as the source, over its REST API: `orthanc-import http://old:8042 http://new:8042`.
// It lists its instances in pages (listing.ts), and the stages describe and download each one
// (instance-file.ts) and prove it against the source's own MD5 before it is sent.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isEmptyFilter } from '../../core/filter.js';
import type { ImportOptions } from '../../core/options.js';
import type { ImportEvents, SourceCount } from '../../core/events.js';
import { parseEndpoint } from '../../targets/http/endpoint.js';
import type { LocatedSource, RemoteSourceOptions, Source, SourceOptions } from '../source.js';
import { InstanceFiles } from './instance-file.js';
import { instanceItem, remoteItems, wasListed, type ListedStudy } from './listing.js';
import { noteChangeSequence } from './follow.js';
import { followedItems, FollowTally } from './followed-items.js';
import type { RemoteItem } from '../../core/types.js';
import { ImporterError } from '../../core/errors.js';
import type { TargetSpec } from '../../targets/target.js';
import { SourceClient } from './source-client.js';

/** An http(s):// URL: the source is a running Orthanc. */
export const isOrthancUrl = (source: string): boolean => /^https?:\/\//i.test(source);

/** What the source takes of the run's options. */
type RestOptions = RemoteSourceOptions &
  Pick<ImportOptions, 'filter' | 'inlineLimit' | 'follow' | 'signal'> &
  Pick<SourceOptions, 'studiesInFlight'> & { readonly target?: Pick<TargetSpec, 'display'> | undefined };

// The host of a URL, with the names of this machine's loopback as one.
const hostOf = (url: URL): string => (/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i.test(url.hostname) ? 'loopback' : url.hostname.toLowerCase());

// True when the target (its display URL) is the source server itself: the same Orthanc URL, or a
// DICOMweb root under it (its plugin).
const isSameServer = (source: string, target: string): boolean => {
  const dicomweb = /^dicomweb\+/i.test(target);
  let from: URL;
  let to: URL;
  try {
    from = new URL(source);
    to = new URL(target.replace(/^dicomweb\+/i, ''));
  } catch {
    return false; // a folder
  }
  if (from.protocol !== to.protocol || from.port !== to.port || hostOf(from) !== hostOf(to)) return false;
  const prefix = from.pathname.replace(/\/+$/, '');
  const path = to.pathname.replace(/\/+$/, '');
  return dicomweb ? path.startsWith(`${prefix}/`) : path === prefix;
};

// The bulk listing, then (with --follow) what the source's change log names from `since` on,
// but for an instance stored before its study was listed: the bulk listing had it. Each study's
// size is kept in `sizes` as it is listed.
async function* itemsOf(client: SourceClient, options: RestOptions, events: ImportEvents | undefined, follow: { since: number; tally: FollowTally } | undefined, sizes: Map<string, number>): AsyncGenerator<RemoteItem> {
  const listed = new Map<string, ListedStudy>();
  const filter = isEmptyFilter(options.filter) ? undefined : options.filter;
  yield* remoteItems(client, filter, events, { listed, noteChanges: follow !== undefined, studiesInFlight: options.studiesInFlight, sizes });
  if (follow === undefined || options.follow === undefined) return;
  const { since, tally } = follow;
  const itemOf = async (id: string, seq: number): Promise<{ item: RemoteItem; seq: number } | undefined> => {
    const item = await instanceItem(client, id);
    return item === undefined ? undefined : { item, seq };
  };
  for await (const { item, seq } of followedItems({ client: client.http, since, signal: options.signal, untilIdleMs: options.follow.untilIdleMs, itemOf, events: events ?? {}, tally })) {
    if (!wasListed(listed.get(item.studyId), item.instanceId, seq)) yield item;
  }
}

// How many instances the source holds now (GET /statistics), as the count of a run that takes them all.
async function* instanceCount(client: SourceClient): AsyncGenerator<SourceCount> {
  const answer = await client.json<{ CountInstances?: number }>('/statistics');
  if (answer.ok && typeof answer.value.CountInstances === 'number') yield { items: answer.value.CountInstances, unit: 'instances', final: true };
}

// A study's size as its listing found it, forgotten once taken (the run keeps it from then on).
const takeSize = (sizes: Map<string, number>, studyId: string): number | undefined => {
  const size = sizes.get(studyId);
  sizes.delete(studyId);
  return size;
};

// Opens the source: GET /system first (one clear line when it fails), a spool folder of its own
// for the instances too large to hold (removed on close, whatever happened); with --follow, the
// change log's position is noted before anything is listed.
const openRest = async (url: string, options: RestOptions, events: ImportEvents | undefined): Promise<Source> => {
  const client = await SourceClient.open(url, options, events);
  let follow: { since: number; tally: FollowTally } | undefined;
  let spoolDir: string;
  try {
    follow = options.follow === undefined ? undefined : { since: await noteChangeSequence(client.http), tally: new FollowTally() };
    spoolDir = await mkdtemp(join(tmpdir(), 'orthanc-import-spool-'));
  } catch (error) {
    await client.close();
    throw error;
  }
  const files = new InstanceFiles(client, { mode: options.sourceDownload, spoolDir, inlineLimit: options.inlineLimit });
  const { version, name } = client.system;
  // Each study's instance count, from its listing until the run asks for it (once).
  const sizes = new Map<string, number>();
  return {
    root: client.endpoint.display,
    features: { wholeStudies: true, unknownFiles: false },
    items: () => itemsOf(client, options, events, follow, sizes),
    // A followed source's studies may grow after they were listed: no size is known for certain.
    ...(follow === undefined ? { studySize: (studyId: string) => takeSize(sizes, studyId) } : {}),
    // The source's own count, when the run takes all of it once (no filter, no --follow).
    ...(follow === undefined && isEmptyFilter(options.filter) ? { count: () => instanceCount(client) } : {}),
    ...(follow === undefined ? {} : { follow: follow.tally }),
    remote: files,
    summary: { described: `a running Orthanc ${version}${name === undefined ? '' : ` (${name})`} at ${client.endpoint.display}, read over its REST API` },
    close: async () => {
      try {
        await client.close();
      } finally {
        await rm(spoolDir, { recursive: true, force: true });
      }
    },
  };
};

// Why: the registry's entry for a URL source; nothing is asked of the server until the run opens
// it. Its name in the journal and messages is the URL without credentials.
// A target that is the source itself is refused: every instance would be "already there", and the
// run would say it copied what it never moved.
export const locateRest = (url: string, options: RestOptions): LocatedSource => {
  // The URL without credentials, whether given in it or apart (a malformed URL is refused here).
  const root = parseEndpoint(url, options.sourceCredentials, 'source').display;
  if (options.target !== undefined && isSameServer(root, options.target.display)) {
    throw new ImporterError('E_USAGE', `The target ${options.target.display} is the source ${root} itself: copying an Orthanc onto itself proves nothing; give the new server as the target`);
  }
  return { root, open: (_fingerprint, events) => openRest(url, options, events) };
};
