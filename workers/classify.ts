import { move, transferableSymbol, valueSymbol } from 'piscina';
import { inspectFile, type InspectTask } from '../src/decode/inspect-file.js';
import type { Classified } from '../src/core/types.js';

// Gives the decoded bytes their own ArrayBuffer so it can be transferred, not copied.
const ownBuffer = (bytes: Uint8Array): ArrayBuffer => {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return bytes.buffer;
  }
  // A copy: Buffer#slice would return a view on the same (larger, pooled) ArrayBuffer.
  return new Uint8Array(bytes).buffer;
};

// The piscina task: classify one file in this thread and hand the decoded bytes over without a copy.
// Everything is caught inside inspectFile, so the result is always a tagged value.
export default async function classify(task: InspectTask): Promise<Classified> {
  const result = await inspectFile(task);
  if (result.kind !== 'dicom' || result.bytes === undefined) return result;
  const buffer = ownBuffer(result.bytes);
  const value: Classified = { ...result, bytes: new Uint8Array(buffer) };
  return move({
    get [transferableSymbol]() {
      return [buffer];
    },
    get [valueSymbol]() {
      return value;
    },
  }) as unknown as Classified;
}
