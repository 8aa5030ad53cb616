// Deep nesting: measured without recursion, refused past the depth a real Orthanc survives.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preambleAndMeta, sequence, tagHeader, text, UID } from '../../fixtures/make-dicoms.js';
import { writeRealWorldShapes } from '../../fixtures/real-world-shapes.js';
import { classifyContent } from '../../src/decode/classify-content.js';
import { MAX_SEQUENCE_DEPTH, sequenceDepth } from '../../src/decode/sequence-depth.js';
import { inspectFile } from '../../src/decode/inspect-file.js';
import { orthancsOfThisFile } from '../helpers/orthanc.js';

const start = orthancsOfThisFile();

const ITEM_UNDEFINED = Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]);
const ITEM_END = Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]);
const SEQUENCE_END = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);

/** `depth` ContentSequences, each in the item of the one above: undefined lengths, or defined ones. */
const nested = (depth: number, lengths: 'undefined' | 'defined'): Buffer => {
  if (lengths === 'defined') {
    let inner = text(0x0040, 0xa160, 'UT', 'leaf');
    for (let level = 0; level < depth; level++) inner = sequence(0x0040, 0xa730, [inner]);
    return inner;
  }
  const open = Buffer.concat([tagHeader(0x0040, 0xa730, 'SQ', 0xffffffff), ITEM_UNDEFINED]);
  const close = Buffer.concat([ITEM_END, SEQUENCE_END]);
  return Buffer.concat([...Array.from({ length: depth }, () => open), ...Array.from({ length: depth }, () => close)]);
};

const sopOf = (depth: number, lengths: 'undefined' | 'defined'): string => `2.25.${depth}${lengths === 'defined' ? 1 : 0}`;

/** A Basic Text SR of its own identity holding `depth` nested sequences. */
const report = (depth: number, lengths: 'undefined' | 'defined' = 'undefined'): Buffer => {
  const sop = sopOf(depth, lengths);
  return Buffer.concat([
    preambleAndMeta(UID.basicTextSr, sop),
    text(0x0008, 0x0016, 'UI', UID.basicTextSr),
    text(0x0008, 0x0018, 'UI', sop),
    text(0x0010, 0x0020, 'LO', `DEPTH${depth}`),
    text(0x0020, 0x000d, 'UI', `2.25.1${depth}`),
    text(0x0020, 0x000e, 'UI', `2.25.2${depth}`),
    nested(depth, lengths),
  ]);
};

const post = async (url: string, body: Buffer): Promise<string> =>
  fetch(`${url}/instances`, { method: 'POST', body }).then(
    (response) => String(response.status),
    (error: unknown) => `connection lost (${String((error as { cause?: { message?: string } }).cause?.message ?? error)})`,
  );

describe('sequence nesting', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oi-depth-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is measured without recursion, with undefined lengths (10,000 levels) and defined ones (3,000)', () => {
    for (const [lengths, depth] of [['undefined', 10_000], ['defined', 3_000]] as const) {
      const meta = preambleAndMeta(UID.basicTextSr, sopOf(depth, lengths)).length;
      expect(sequenceDepth(report(depth, lengths), { start: meta, explicitVr: true, littleEndian: true })).toBe(depth);
    }
    // Implicit VR: a sequence is known by its undefined length, or by an item at the start of its value.
    const implicit = Buffer.from([0x40, 0, 0x30, 0xa7, 0xff, 0xff, 0xff, 0xff, ...ITEM_UNDEFINED, 0x40, 0, 0x30, 0xa7, 8, 0, 0, 0, 0xfe, 0xff, 0, 0xe0, 0, 0, 0, 0, ...ITEM_END, ...SEQUENCE_END]);
    expect(sequenceDepth(implicit, { start: 0, explicitVr: false, littleEndian: true })).toBe(2);
  });

  it(`refuses more than ${MAX_SEQUENCE_DEPTH} levels as too-deep, saying how deep, and takes ${MAX_SEQUENCE_DEPTH}`, () => {
    for (const lengths of ['undefined', 'defined'] as const) {
      const deep = classifyContent(report(MAX_SEQUENCE_DEPTH + 1, lengths), report(MAX_SEQUENCE_DEPTH + 1, lengths).length);
      expect(deep).toEqual({ kind: 'skipped', fileClass: 'too-deep', reason: `nested ${MAX_SEQUENCE_DEPTH + 1} levels deep: not sent, it crashes common DICOM servers` });
      expect(classifyContent(report(MAX_SEQUENCE_DEPTH, lengths), report(MAX_SEQUENCE_DEPTH, lengths).length).kind).toBe('dicom');
    }
  });

  it('the fixture nested 10,000 levels: too-deep (not "corrupt (Maximum call stack size exceeded)"), in this thread too', async () => {
    const paths = await writeRealWorldShapes(dir);
    const result = await inspectFile({ path: paths['nested-10000'], inlineLimit: 1 << 20, maxDecodedSize: 1 << 30, keepBytes: false });
    expect(result).toMatchObject({ kind: 'skipped', fileClass: 'too-deep', reason: 'nested 10000 levels deep: not sent, it crashes common DICOM servers' });
  });

  it(`is what a real Orthanc 1.10 survives: it stores ${MAX_SEQUENCE_DEPTH} levels and dies on ${MAX_SEQUENCE_DEPTH + 1}`, async () => {
    const survivor = await start();
    expect(await post(survivor.url, report(MAX_SEQUENCE_DEPTH))).toBe('200');
    const victim = await start();
    expect(await post(victim.url, report(MAX_SEQUENCE_DEPTH + 1))).toMatch(/^connection lost/);
    expect(await fetch(`${victim.url}/system`).then(() => 'up', () => 'down')).toBe('down');
  });
});
