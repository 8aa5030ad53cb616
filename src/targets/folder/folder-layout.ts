// Where each instance goes in a target folder: a relative path, '/'-separated, whose every
// component is safe on every common filesystem (ext4, XFS, APFS, NTFS, exFAT, FAT32, SMB shares)
// and that stays unique: two different values never share a component.
import { createHash } from 'node:crypto';
import type { DicomHeader } from '../../core/types.js';

export type Layout = 'hierarchy' | 'flat' | 'orthanc';

export const LAYOUTS: readonly Layout[] = ['hierarchy', 'flat', 'orthanc'];

/** Longest component (a DICOM UID has at most 64 characters, so UIDs are never cut). */
export const MAX_COMPONENT_LENGTH = 64;

const EXTENSION = '.dcm';
const SAFE = /^[A-Za-z0-9._-]$/;
// Windows device names, reserved whatever the extension: 'con', 'NUL.txt', 'com1.dcm'.
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
const ORTHANC_ID = /^[0-9a-f]{8}(-[0-9a-f]{8}){4}$/;
const TAG_LENGTH = 9; // '~' + 8 hex characters

const tagOf = (value: string): string => `~${createHash('sha1').update(value, 'utf8').digest('hex').slice(0, 8)}`;

/**
 * One path component made safe: only [A-Za-z0-9._-] (anything else, separators, control and
 * non-ASCII characters included, becomes '_'), never '.', '..' or a leading '.' or '-' (prefixed
 * with '_'), no trailing dot, no Windows device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, with or
 * without an extension: '_' added after the name), never empty ('unknown'), at most `maxLength`
 * characters.
 *
 * Unique: a value that had to be changed (or cut) ends with '~' + the first 8 hex characters of
 * the SHA-1 of the original. '~' is never kept from a value, so a changed value can never take the
 * name of a value kept as it is ('A/B' -> 'A_B~…', 'A_B' -> 'A_B'), and two changed values differ
 * by their hashes. A value holding a lower-case letter is tagged too, so that values differing only
 * in case ('ab', 'AB') stay apart on case-insensitive filesystems (Windows, macOS, exFAT): values
 * kept as they are hold no lower-case letter, and the tag is lower-case hex.
 */
export const safeComponent = (value: string, maxLength: number = MAX_COMPONENT_LENGTH): string => {
  if (maxLength < TAG_LENGTH + 8) throw new RangeError(`maxLength must be at least ${TAG_LENGTH + 8}`);
  let safe = '';
  for (const char of value) safe += SAFE.test(char) ? char : '_';
  if (safe === '') safe = 'unknown';
  if (safe.startsWith('.') || safe.startsWith('-')) safe = `_${safe}`;
  safe = safe.replace(/\.+$/, (dots) => '_'.repeat(dots.length));
  const reserved = RESERVED.exec(safe);
  if (reserved?.[1] !== undefined) safe = `${reserved[1]}_${safe.slice(reserved[1].length)}`;
  const needsTag = safe !== value || safe.length > maxLength || /[a-z]/.test(safe);
  if (!needsTag) return safe;
  return `${safe.slice(0, maxLength - TAG_LENGTH)}${tagOf(value)}`;
};

// The Orthanc instance ID is lower-case hex in five groups of 8: safe and unique as it is.
const orthancName = (orthancId: string): string => (ORTHANC_ID.test(orthancId) ? orthancId : safeComponent(orthancId));

/** The part of a DICOM header a path is made of. */
export type LayoutHeader = Pick<DicomHeader, 'patientId' | 'studyInstanceUid' | 'seriesInstanceUid' | 'sopInstanceUid'>;

const instanceName = (header: LayoutHeader, orthancId: string): string =>
  header.sopInstanceUid === '' ? orthancName(orthancId) : safeComponent(header.sopInstanceUid);

/**
 * The RELATIVE path ('/' separators) of an instance in a target folder:
 * - hierarchy: `<PatientID>/<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm`
 * - flat: `<SOPInstanceUID>.dcm`
 * - orthanc: `<Orthanc instance ID>.dcm`
 * Every component goes through safeComponent; a missing SOPInstanceUID falls back to the Orthanc ID.
 * No component starts with '.', so the sink's temporary files (`.<name>.partial-…`) are never
 * mistaken for results.
 */
export const outputPath = (layout: Layout, header: LayoutHeader, orthancId: string): string => {
  switch (layout) {
    case 'hierarchy':
      return [
        safeComponent(header.patientId),
        safeComponent(header.studyInstanceUid),
        safeComponent(header.seriesInstanceUid),
        `${instanceName(header, orthancId)}${EXTENSION}`,
      ].join('/');
    case 'flat':
      return `${instanceName(header, orthancId)}${EXTENSION}`;
    case 'orthanc':
      return `${orthancName(orthancId)}${EXTENSION}`;
  }
};

/**
 * Where an instance goes when its natural path (outputPath) is taken by a file of another
 * instance: `<name>~<first 8 hex digits of its Orthanc instance ID>.dcm`, beside it. The rest of
 * the path is kept, so the instance stays in its patient/study/series folder.
 */
export const disambiguatedPath = (path: string, orthancId: string): string => {
  const tag = ORTHANC_ID.test(orthancId) ? `~${orthancId.slice(0, 8)}` : tagOf(orthancId);
  return `${path.slice(0, -EXTENSION.length)}${tag}${EXTENSION}`;
};
