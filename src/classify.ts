import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { InspectTask } from './inspect-file.js';
import type { Classified, ExpectedFile, FileEntry } from './types.js';

/** Limits every classification task shares. */
export interface ClassifierOptions {
  readonly workers: number;
  readonly inlineLimit: number;
  readonly maxDecodedSize: number;
  readonly keepBytes: boolean;
}

// The compiled worker sits in dist/workers; when this module runs from TypeScript sources
// (vitest), the compiled copy under dist/ is the one piscina can load.
const workerFile = (): string => {
  const besideBuild = fileURLToPath(new URL('../workers/classify.js', import.meta.url));
  if (existsSync(besideBuild)) return besideBuild;
  return fileURLToPath(new URL('../dist/workers/classify.js', import.meta.url));
};

/** Main-thread facade over the worker pool: classify(entry) -> Classified. Knows nothing of HTTP. */
export class Classifier {
  readonly #pool: Piscina<InspectTask, Classified>;
  readonly #options: ClassifierOptions;

  constructor(options: ClassifierOptions) {
    this.#options = options;
    // Threads start when the first file needs one: a resumed run that reads nothing starts none.
    this.#pool = new Piscina({ filename: workerFile(), minThreads: 0, maxThreads: options.workers, idleTimeout: 60_000 });
  }

  // Runs the worker on one file; the pipeline bounds how many are in flight.
  async classify(entry: FileEntry, expected?: ExpectedFile): Promise<Classified> {
    const { inlineLimit, maxDecodedSize, keepBytes } = this.#options;
    return this.#pool.run({ path: entry.path, rawPath: entry.rawPath, inlineLimit, maxDecodedSize, keepBytes, expected });
  }

  // Lets started tasks finish, then stops the threads.
  async close(): Promise<void> {
    await this.#pool.close();
  }
}
