/** WHATWG encoding labels of the single-byte and multi-byte DICOM character sets (PS3.3 C.12.1.1.2). */
const ENCODINGS: Readonly<Record<string, string>> = {
  'ISO_IR 192': 'utf-8',
  'ISO_IR 101': 'iso-8859-2',
  'ISO_IR 109': 'iso-8859-3',
  'ISO_IR 110': 'iso-8859-4',
  'ISO_IR 144': 'iso-8859-5',
  'ISO_IR 127': 'iso-8859-6',
  'ISO_IR 126': 'iso-8859-7',
  'ISO_IR 138': 'iso-8859-8',
  'ISO_IR 148': 'iso-8859-9',
  'ISO_IR 203': 'iso-8859-15',
  'ISO_IR 166': 'windows-874',
  'ISO_IR 13': 'shift_jis',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

/** ISO-8859-1, byte for code point (TextDecoder's 'latin1' is windows-1252). */
export const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

// Why: Orthanc converts text to UTF-8 from the dataset's SpecificCharacterSet (0008,0005) before it
// hashes the identifiers into its IDs; Latin-1 (its default) when absent or not one it can name here.
// Code extensions (ISO 2022 escape sequences between values) are read by their first character set.
export const decoderFor = (specificCharacterSet: string): ((bytes: Uint8Array) => string) => {
  const first = (specificCharacterSet.split('\\')[0] ?? '').trim().replace(/^ISO 2022 IR /, 'ISO_IR ');
  const label = ENCODINGS[first];
  if (label === undefined) return latin1;
  const decoder = new TextDecoder(label);
  return (bytes) => decoder.decode(bytes);
};
