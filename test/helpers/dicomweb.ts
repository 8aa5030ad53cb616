// A real DICOMweb server for tests: Debian's Orthanc with its orthanc-dicomweb plugin, and
// instances built in memory with the identifiers a test chooses.
import { createHash } from 'node:crypto';
import { DEFAULT_IDS, buildPart10, concat, encodeExplicit, metaGroup, text, uid, UID } from './dicom-bytes.js';
import type { OrthancOptions, RunningOrthanc } from './orthanc.js';
import type { InstanceRef } from '../../src/targets/target.js';

/** Where Debian's orthanc-dicomweb package puts the plugin. */
export const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

// Why: the options that make a test Orthanc a DICOMweb server under /dicom-web.
export const dicomwebOptions = (options: OrthancOptions = {}): OrthancOptions => ({
  ...options,
  config: { Plugins: [DICOMWEB_PLUGIN], DicomWeb: { Enable: true, Root: '/dicom-web/' }, ...options.config },
});

// The target URL of a running Orthanc's DICOMweb root.
export const dicomwebUrl = (orthanc: RunningOrthanc): string => `dicomweb+${orthanc.url}/dicom-web`;

/** An instance to put: its bytes and how a target is asked about it. */
export interface TestInstance {
  readonly bytes: Uint8Array;
  readonly ref: InstanceRef;
}

const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

// Why: each test names its own study and instances, so that nothing collides on a shared server.
export const testInstance = (study: string, index: number, patientId: string = DEFAULT_IDS.patientId): TestInstance => {
  const ids = { patientId, studyInstanceUid: `2.25.${study}`, seriesInstanceUid: `2.25.${study}.1`, sopInstanceUid: `2.25.${study}.1.${index}` };
  const bytes = buildPart10({ ...ids, pixelBytes: 64 + index * 2 }).bytes;
  return { bytes, ref: { instanceId: '', ...ids, sopClassUid: UID.ctImage, md5: md5(bytes), size: bytes.length } };
};

// A Part 10 file without StudyInstanceUID: the plugin lists it in FailedSOPSequence (0xC000).
export const instanceWithoutStudy = (study: string, index: number): TestInstance => {
  const sopInstanceUid = `2.25.${study}.9.${index}`;
  const bytes = concat(
    new Uint8Array(128),
    new TextEncoder().encode('DICM'),
    metaGroup(UID.ctImage, sopInstanceUid, UID.explicitLe),
    encodeExplicit({ group: 0x0008, element: 0x0016, vr: 'UI', value: uid(UID.ctImage) }),
    encodeExplicit({ group: 0x0008, element: 0x0018, vr: 'UI', value: uid(sopInstanceUid) }),
    encodeExplicit({ group: 0x0010, element: 0x0020, vr: 'LO', value: text('PAT-NOSTUDY') }),
    encodeExplicit({ group: 0x0020, element: 0x000e, vr: 'UI', value: uid(`2.25.${study}.9`) }),
  );
  return {
    bytes,
    ref: { instanceId: '', patientId: 'PAT-NOSTUDY', studyInstanceUid: '', seriesInstanceUid: `2.25.${study}.9`, sopInstanceUid, sopClassUid: UID.ctImage, md5: md5(bytes), size: bytes.length },
  };
};
