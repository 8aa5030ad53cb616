// Reading DICOM JSON (PS3.18 F.2) as DICOMweb servers answer it: attributes keyed by tag, upper-
// or lower-case hex ("0020000D" from Orthanc), each with a `Value` array.

/** One dataset of a DICOM JSON answer. */
export type DicomJson = Readonly<Record<string, unknown>>;

// The Value array of an attribute, whatever the case of its tag; [] when absent.
const values = (dataset: DicomJson, tag: string): readonly unknown[] => {
  const attribute = dataset[tag] ?? dataset[tag.toLowerCase()];
  const value = typeof attribute === 'object' && attribute !== null ? (attribute as { Value?: unknown }).Value : undefined;
  return Array.isArray(value) ? value : [];
};

// The first value of a string attribute (UI, CS...), or ''.
export const stringOf = (dataset: DicomJson, tag: string): string => {
  const first = values(dataset, tag)[0];
  return typeof first === 'string' ? first : '';
};

// The first value of a number attribute (US), or undefined; a string of digits is taken too.
export const numberOf = (dataset: DicomJson, tag: string): number | undefined => {
  const first = values(dataset, tag)[0];
  if (typeof first === 'number') return first;
  return typeof first === 'string' && /^\d+$/.test(first) ? Number(first) : undefined;
};

// The items of a sequence attribute (SQ), [] when absent or empty.
export const itemsOf = (dataset: DicomJson, tag: string): DicomJson[] =>
  values(dataset, tag).filter((item): item is DicomJson => typeof item === 'object' && item !== null && !Array.isArray(item));

// Parses text as a DICOM JSON dataset or array of datasets; undefined when it is not one.
export const parseDicomJson = (text: string): DicomJson | readonly DicomJson[] | undefined => {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as DicomJson | DicomJson[]) : undefined;
  } catch {
    return undefined;
  }
};
