// The side files a run streams its reports into (the JSON report's entries, the CSV's rows) as it
// goes, waiting when the disk is slower than the run; each report appears at its path at the end,
// every failure naming the report.
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { ImporterError, isImporterError } from '../core/errors.js';
import { errnoOrMessage } from '../core/errno.js';

/** How a report is named in its failures: what it is ('report', 'CSV report') and the path the user gave. */
export interface ReportName {
  readonly what: string;
  readonly path: string;
}

// Whatever failed (open, write, publish), the run stops with one E_REPORT line naming the report
// the user asked for, never its side file.
const cannotWrite = ({ what, path }: ReportName, error: unknown): ImporterError =>
  new ImporterError('E_REPORT', `Cannot write the ${what} ${path} (${errnoOrMessage(error)})`, { cause: error });

// Opens a file to write a report into, failing with the report's name.
const openReportStream = async (file: string, name: ReportName): Promise<WriteStream> => {
  const stream = createWriteStream(file, { flags: 'w' });
  try {
    await once(stream, 'open');
  } catch (error) {
    throw cannotWrite(name, error);
  }
  return stream;
};

/**
 * A report's side file being written (`<report>.<kind>.tmp`): the first write error (a full disk)
 * is met by the next write or by publish.
 */
export class ReportWriter {
  readonly name: ReportName;
  readonly #file: string;
  readonly #stream: WriteStream;
  #failure: unknown;

  private constructor(name: ReportName, file: string, stream: WriteStream) {
    this.name = name;
    this.#file = file;
    this.#stream = stream;
    stream.on('error', (error) => {
      this.#failure ??= error;
    });
  }

  // Opens the side file `file` of the report `name`: an unwritable folder fails now, before any work.
  static async open(file: string, name: ReportName): Promise<ReportWriter> {
    return new ReportWriter(name, file, await openReportStream(file, name));
  }

  // Writes, and waits when the disk is slower than the run: nothing piles up in memory.
  async write(text: string): Promise<void> {
    if (this.#failure !== undefined) throw cannotWrite(this.name, this.#failure);
    try {
      if (!this.#stream.write(text)) await once(this.#stream, 'drain');
    } catch (error) {
      throw cannotWrite(this.name, error);
    }
  }

  // Writes the report at its path, `head`, the side file's bytes and `tail`, then removes the side
  // file. The report is written in place, not renamed over: a symbolic link or a device
  // (/dev/stdout) given as the path is written through, never replaced.
  async publish(head: string, tail: string): Promise<void> {
    try {
      if (this.#failure !== undefined) throw cannotWrite(this.name, this.#failure);
      this.#stream.end();
      await once(this.#stream, 'finish');
      const out = await openReportStream(this.name.path, this.name);
      out.write(head);
      await pipeline(createReadStream(this.#file), out, { end: false });
      out.end(tail);
      await once(out, 'finish');
    } catch (error) {
      this.#stream.destroy();
      throw isImporterError(error) ? error : cannotWrite(this.name, error);
    } finally {
      await rm(this.#file, { force: true });
    }
  }

  // Drops the side file: the run stopped before it could write the report (another report failed to open).
  async discard(): Promise<void> {
    this.#stream.destroy();
    await rm(this.#file, { force: true });
  }
}
