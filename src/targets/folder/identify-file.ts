// Which instance a file already in the target folder holds, read from its own header: what lets
// the sink tell "another version of this instance" from "another instance" at the same path.
import { open } from 'node:fs/promises';
import { parseDicomHeader } from '../../decode/dicom-header.js';
import { orthancInstanceId } from '../../decode/orthanc-id.js';
import { HEADER_LIMIT } from '../../decode/read-bytes.js';

/** Read first; more (up to HEADER_LIMIT) only when the header runs past it. */
const FIRST_READ = 64 * 1024;

const readHead = async (path: string, length: number): Promise<Buffer> => {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
};

// Only the identifiers matter here: the size given to the parser is unbounded, so that a file whose
// pixel data is damaged or cut short is still known by its header.
const idOf = (head: Buffer): string | undefined => {
  const parsed = parseDicomHeader(head, Number.MAX_SAFE_INTEGER);
  return parsed.ok ? orthancInstanceId(parsed.facts.header) : undefined;
};

/**
 * The instance ID the header of the file at `path` (`size` bytes) gives, computed as for any
 * source file (orthancInstanceId of parseDicomHeader); undefined when it is not a readable DICOM
 * header (or cannot be read at all).
 */
export const headerInstanceId = async (path: string, size: number): Promise<string | undefined> => {
  try {
    const first = await readHead(path, Math.min(size, FIRST_READ));
    const id = idOf(first);
    if (id !== undefined || first.length >= Math.min(size, HEADER_LIMIT)) return id;
    return idOf(await readHead(path, Math.min(size, HEADER_LIMIT)));
  } catch {
    return undefined;
  }
};
