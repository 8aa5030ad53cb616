import { workerFile } from './worker-file.js';
import type { Piscina } from 'piscina';
import type { InspectTask } from './inspect-file.js';
import type { Classified, ExpectedFile, FileEntry } from '../core/types.js';

/** Limits every classification task shares. */
export interface ClassifierOptions {
  /** Decode threads; 0: decode on the main thread. */
  readonly workers: number;
  readonly inlineLimit: number;
  readonly maxDecodedSize: number;
  readonly keepBytes: boolean;
  /** The run sends gzip to its target (TargetAssessment.gzipWire): instances come back as gzip members where they gain. */
  readonly gzipWire?: boolean;
  /** The target's MD5 of each instance will be read back (InspectTask.md5ReadBack). */
  readonly md5ReadBack?: boolean;
}


/**
 * Main-thread facade over the worker pool: classify(entry) -> Classified. Knows nothing of HTTP.
 * With 0 workers, files are decoded on the main thread (small machines: see defaultWorkers).
 */
export class Classifier {
  #pool: Promise<Piscina<InspectTask, Classified>> | undefined;
  readonly #options: ClassifierOptions;

  constructor(options: ClassifierOptions) {
    this.#options = options;
  }

  // Runs the worker on one file; the pipeline bounds how many are in flight.
  async classify(entry: FileEntry, expected?: ExpectedFile): Promise<Classified> {
    return this.#run({ path: entry.path, rawPath: entry.rawPath, expected });
  }

  // Proves and parses an instance downloaded whole from a running Orthanc (see inspectDownloaded);
  // its bytes are moved to the worker, not copied, and come back decoded the same way.
  async classifyDownloaded(bytes: Uint8Array, expected: ExpectedFile): Promise<Classified> {
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    return this.#run({ path: '', expected, downloaded: bytes }, whole ? [bytes.buffer as ArrayBuffer] : []);
  }

  // Runs the worker on an instance a running Orthanc describes, downloaded to disk (too large to hold).
  async classifySpooled(path: string, expected: ExpectedFile): Promise<Classified> {
    return this.#run({ path, expected, authority: 'the source' });
  }

  async #run(task: Pick<InspectTask, 'path' | 'rawPath' | 'expected' | 'downloaded' | 'authority'>, transferList: ArrayBuffer[] = []): Promise<Classified> {
    const { inlineLimit, maxDecodedSize, keepBytes, gzipWire, md5ReadBack } = this.#options;
    const whole = { ...task, inlineLimit, maxDecodedSize, keepBytes, gzipWire, md5ReadBack };
    if (this.#options.workers === 0) return (await import('./inspect-file.js')).inspectFile(whole);
    const pool = await (this.#pool ??= this.#start());
    return pool.run(whole, { transferList });
  }

  // Lets started tasks finish, then stops the threads.
  async close(): Promise<void> {
    await (await this.#pool)?.close();
  }

  // Threads (and piscina itself) are loaded when the first file needs one: a resumed run that reads
  // nothing starts none.
  async #start(): Promise<Piscina<InspectTask, Classified>> {
    const { Piscina } = await import('piscina');
    return new Piscina({ filename: workerFile('classify.js'), minThreads: 0, maxThreads: this.#options.workers, idleTimeout: 60_000 });
  }
}
