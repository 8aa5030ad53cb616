import { move, transferableSymbol, valueSymbol } from 'piscina';
import { inspectFile, type InspectTask } from '../src/decode/inspect-file.js';
import type { Classified, DecodedDicom, GzipWire } from '../src/core/types.js';

// Gives the decoded bytes their own ArrayBuffer so it can be transferred, not copied.
const ownBuffer = (bytes: Uint8Array): ArrayBuffer => {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return bytes.buffer;
  }
  // A copy: Buffer#slice would return a view on the same (larger, pooled) ArrayBuffer.
  return new Uint8Array(bytes).buffer;
};

// A value handed over with these buffers moved, not copied.
const moved = (value: Classified, buffers: readonly ArrayBuffer[]): Classified =>
  move({
    get [transferableSymbol]() {
      return buffers;
    },
    get [valueSymbol]() {
      return value;
    },
  }) as unknown as Classified;

// A gzip member's parts moved over: each part's buffer when it can be moved (larger than Buffer's
// pool, or all its own), else a copy of the part (a few KiB at most).
const movedWire = (result: DecodedDicom, wire: Extract<GzipWire, { kind: 'held' }>): Classified => {
  const buffers = new Set<ArrayBuffer>();
  const parts = wire.parts.map((part) => {
    const { buffer } = part;
    const own = buffer instanceof ArrayBuffer && (buffer.byteLength > Buffer.poolSize || (part.byteOffset === 0 && part.byteLength === buffer.byteLength));
    if (!own) return new Uint8Array(part);
    buffers.add(buffer);
    return part;
  });
  return moved({ ...result, wire: { ...wire, parts } }, [...buffers]);
};

// The piscina task: classify one file in this thread and hand the decoded bytes (or the gzip
// member) over without a copy. Everything is caught inside inspectFile, so the result is always a
// tagged value.
export default async function classify(task: InspectTask): Promise<Classified> {
  const result = await inspectFile(task);
  if (result.kind === 'dicom' && result.wire?.kind === 'held') return movedWire(result, result.wire);
  if (result.kind !== 'dicom' || result.bytes === undefined) return result;
  const buffer = ownBuffer(result.bytes);
  return moved({ ...result, bytes: new Uint8Array(buffer) }, [buffer]);
}
