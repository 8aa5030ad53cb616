import type { FileOutcome } from '../core/types.js';

/** What a migration plan needs to know about the DICOM found (or delivered). */
export interface CensusSummary {
  readonly patients: number;
  readonly studies: number;
  readonly series: number;
  readonly instances: number;
  /** Decoded bytes. */
  readonly bytes: number;
  /** The earliest and latest StudyDate seen (YYYYMMDD), absent when none. */
  readonly studyDates?: { readonly first: string; readonly last: string };
  /** Instances per Modality ('' counted as 'unknown'). */
  readonly modalities: Readonly<Record<string, number>>;
}

/** Counts patients, studies and series (memory grows with them, never with files). */
export class Census {
  readonly #patients = new Set<string>();
  readonly #studies = new Set<string>();
  readonly #series = new Set<string>();
  readonly #modalities = new Map<string, number>();
  #instances = 0;
  #bytes = 0;
  #first = '';
  #last = '';

  // Counts one DICOM instance found in the source or delivered to the target, grouped as Orthanc
  // groups them: a patient by its PatientID (an empty one too), a study by PatientID and
  // StudyInstanceUID, a series by those and SeriesInstanceUID (an outcome leaves out empty tags).
  add(outcome: FileOutcome): void {
    if (outcome.fileClass !== 'dicom') return;
    this.#instances++;
    this.#bytes += outcome.decodedSize ?? outcome.size;
    const patient = outcome.patientId ?? '';
    const study = `${patient}|${outcome.studyInstanceUid ?? ''}`;
    this.#patients.add(patient);
    this.#studies.add(study);
    this.#series.add(`${study}|${outcome.seriesInstanceUid ?? ''}`);
    const modality = outcome.modality ?? 'unknown';
    this.#modalities.set(modality, (this.#modalities.get(modality) ?? 0) + 1);
    const date = outcome.studyDate ?? '';
    if (date !== '') {
      if (this.#first === '' || date < this.#first) this.#first = date;
      if (date > this.#last) this.#last = date;
    }
  }

  // The counts so far.
  summary(): CensusSummary {
    return {
      patients: this.#patients.size,
      studies: this.#studies.size,
      series: this.#series.size,
      instances: this.#instances,
      bytes: this.#bytes,
      ...(this.#first === '' ? {} : { studyDates: { first: this.#first, last: this.#last } }),
      modalities: Object.fromEntries([...this.#modalities.entries()].sort(([a], [b]) => a.localeCompare(b))),
    };
  }
}
