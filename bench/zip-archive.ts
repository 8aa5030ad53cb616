// A minimal ZIP writer for the batching bench: entries either stored (method 0) or given as a raw
// deflate stream (method 8, what a compressed Orthanc storage holds between its zlib header and
// its Adler-32). The CRC-32 and both sizes are known up front, so each local header carries them
// (no data descriptor). No ZIP64: at most 65,535 entries and 4 GiB, far beyond a batch.
import { crc32 } from 'node:zlib';

/** One archive entry: the decoded bytes (for CRC-32 and size) and, optionally, their raw deflate. */
export interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
  /** A raw deflate stream (no zlib header) of `data`; the entry is stored when absent. */
  readonly deflated?: Buffer;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL = 0x06054b50;
/** 2.0: deflate. */
const VERSION = 20;
/** 1980-01-01 in MS-DOS date format: a fixed date keeps archives byte-identical. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

// Why: the fields the local and the central header share, in the same order.
function commonFields(entry: ZipEntry, crc: number, body: Buffer, name: Buffer): Buffer {
  const b = Buffer.alloc(26);
  b.writeUInt16LE(VERSION, 0);
  b.writeUInt16LE(0, 2); // flags: sizes and CRC are in the header
  b.writeUInt16LE(entry.deflated === undefined ? 0 : 8, 4);
  b.writeUInt16LE(0, 6); // time
  b.writeUInt16LE(DOS_DATE, 8);
  b.writeUInt32LE(crc, 10);
  b.writeUInt32LE(body.length, 14);
  b.writeUInt32LE(entry.data.length, 18);
  b.writeUInt16LE(name.length, 22);
  b.writeUInt16LE(0, 24); // extra field length
  return b;
}

// Why: one POST /instances carries a batch of instances (Orthanc >= 1.8.2 unpacks a ZIP body).
export function zipArchive(entries: readonly ZipEntry[]): Buffer {
  if (entries.length > 0xffff) throw new Error(`a ZIP without ZIP64 holds at most 65535 entries, not ${entries.length}`);
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const body = entry.deflated ?? entry.data;
    const fields = commonFields(entry, crc32(entry.data), body, name);
    const signature = Buffer.alloc(4);
    signature.writeUInt32LE(LOCAL_HEADER, 0);
    parts.push(signature, fields, name, body);
    const record = Buffer.alloc(46);
    record.writeUInt32LE(CENTRAL_HEADER, 0);
    record.writeUInt16LE(VERSION, 4); // made by
    fields.copy(record, 6);
    // comment length, disk number, internal and external attributes stay 0
    record.writeUInt32LE(offset, 42);
    central.push(record, name);
    offset += 4 + fields.length + name.length + body.length;
  }
  const centralBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, centralBytes, end]);
}
