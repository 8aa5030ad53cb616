// The main thread's side of the storage walker (workers/storage.ts): index mode walks tens of
// thousands of folders, and that walk runs beside the uploads instead of between them.
import { Worker } from 'node:worker_threads';
import { ImporterError } from '../../core/errors.js';
import type { FileOutcome } from '../../core/types.js';
import type { IndexStamp } from './unchanged.js';
import type { SourceFingerprint } from '../source.js';
import { workerFile } from '../../decode/worker-file.js';

/** What the walker is asked to do. */
export interface StorageTask {
  readonly root: string;
  /** Take the source's fingerprint from this stamp first, before any folder is listed (see unchanged.ts). */
  readonly fingerprint: IndexStamp | undefined;
}

/** What the main thread tells the walker: the index copy to walk with, or to send another batch. */
export type WalkerRequest = { readonly kind: 'index'; readonly copy: string } | { readonly kind: 'pull' };

/** What the walker says: its fingerprint, then batches of outcomes, one per 'pull'. */
export type StorageMessage =
  | { readonly kind: 'fingerprint'; readonly fingerprint: SourceFingerprint }
  | { readonly kind: 'outcomes'; readonly outcomes: FileOutcome[] }
  | { readonly kind: 'end' }
  | { readonly kind: 'error'; readonly message: string };

/** A running walk of the storage. */
export interface StorageScan {
  /** undefined when not asked for, or when the walker could not take it. */
  readonly fingerprint: Promise<SourceFingerprint | undefined>;
  /** The outcomes of every file that is not a live instance, a batch at a time. */
  readonly outcomes: AsyncIterable<readonly FileOutcome[]>;
  /** Stops the walker (idempotent); the run calls it whether the outcomes were read or not. */
  close(): Promise<void>;
}

/**
 * Batches the walker may have ready before the run takes them: it keeps walking while the main
 * thread is busy, and memory stays bounded (a few thousand outcomes), whatever the storage.
 */
const BATCHES_AHEAD = 8;

// Why: the walker answers each 'pull' with a batch, so the run bounds what waits for it. It is
// started before the index is copied: its thread starts up and takes the fingerprint meanwhile,
// then walks once `indexCopy` (the private copy, read through a connection of its own) is there.
export const scanStorage = (task: StorageTask, indexCopy: Promise<string>): StorageScan => {
  const worker = new Worker(workerFile('storage.js'), { workerData: task });
  const request = (message: WalkerRequest): void => {
    worker.postMessage(message);
  };
  const inbox: StorageMessage[] = [];
  let wake: (() => void) | undefined;
  let settleFingerprint: (value: SourceFingerprint | undefined) => void = () => undefined;
  const fingerprint = new Promise<SourceFingerprint | undefined>((resolve) => {
    settleFingerprint = resolve;
  });
  if (task.fingerprint === undefined) settleFingerprint(undefined);
  const deliver = (message: StorageMessage): void => {
    if (message.kind === 'fingerprint') {
      settleFingerprint(message.fingerprint);
      return;
    }
    settleFingerprint(undefined);
    inbox.push(message);
    wake?.();
    wake = undefined;
  };
  worker.on('message', deliver);
  worker.on('error', (error) => {
    deliver({ kind: 'error', message: error.message });
  });
  worker.on('exit', (code) => {
    deliver({ kind: 'error', message: `the walker thread exited (code ${code})` });
  });
  const next = async (): Promise<StorageMessage> => {
    for (;;) {
      const message = inbox.shift();
      if (message !== undefined) return message;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => (closed ??= worker.terminate().then(() => undefined));
  // A copy that cannot be made stops the run where it is awaited (openStorage in storage-source.ts), not here.
  indexCopy.then((copy) => {
    if (closed === undefined) request({ kind: 'index', copy });
  }, () => undefined);
  async function* outcomes(): AsyncGenerator<readonly FileOutcome[]> {
    try {
      for (let ahead = 0; ahead < BATCHES_AHEAD; ahead++) request({ kind: 'pull' });
      for (;;) {
        const message = await next();
        if (message.kind === 'end') return;
        if (message.kind === 'error') throw new ImporterError('E_SOURCE', `Cannot walk the storage ${task.root}: ${message.message}`);
        if (message.kind === 'outcomes') yield message.outcomes;
        request({ kind: 'pull' });
      }
    } finally {
      await close();
    }
  }
  return { fingerprint, outcomes: outcomes(), close };
};
