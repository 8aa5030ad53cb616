// The storage walker's thread (see src/source/storage-scan.ts): the source's fingerprint first,
// then every file of the storage that is not a live instance, classified from the index.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { errnoOrMessage } from '../src/core/errno.js';
import { storageOutcomes } from '../src/sources/orthanc-storage/index-source.js';
import { attachmentsInOrder } from '../src/sources/orthanc-storage/sqlite/orthanc-index.js';
import type { StorageMessage, StorageTask, WalkerRequest } from '../src/sources/orthanc-storage/storage-scan.js';
import { fingerprintSource } from '../src/sources/orthanc-storage/unchanged.js';

const port = parentPort;
const task = workerData as StorageTask;
let pulls = 0;
let wake: (() => void) | undefined;
let indexCopy: string | undefined;

const send = (message: StorageMessage): void => {
  port?.postMessage(message);
};

// Waits until the main thread has said what `ready` looks for.
const until = async (ready: () => boolean): Promise<void> => {
  while (!ready()) {
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  }
};

// Waits for the main thread to ask for the next message, and takes that request.
const pulled = async (): Promise<void> => {
  await until(() => pulls > 0);
  pulls--;
};

// Takes the fingerprint, then walks and answers each 'pull' with the next batch, then 'end'.
const run = async (): Promise<void> => {
  if (task.fingerprint !== undefined) send({ kind: 'fingerprint', fingerprint: await fingerprintSource(task.root, task.fingerprint) });
  await until(() => indexCopy !== undefined);
  const db = new Database(indexCopy ?? '', { readonly: true, fileMustExist: true });
  const attachments = attachmentsInOrder(db);
  try {
    for await (const outcomes of storageOutcomes(task.root, attachments)) {
      await pulled();
      send({ kind: 'outcomes', outcomes });
    }
    await pulled();
    send({ kind: 'end' });
  } finally {
    attachments.close();
    db.close();
  }
};

port?.on('message', (request: WalkerRequest) => {
  if (request.kind === 'index') indexCopy = request.copy;
  else pulls++;
  wake?.();
  wake = undefined;
});
run().then(
  () => port?.close(),
  (error: unknown) => {
    send({ kind: 'error', message: errnoOrMessage(error) });
    port?.close();
  },
);
