// Lists a running Orthanc's instances in bounded memory: its studies a page at a time (the
// filters answered by the source), then each study's instances and series. Pages are taken by
// offset, so a study deleted on the source meanwhile may shift one out of view: the source's
// journal of changes says whether one was, and then the studies are listed again (those already
// listed are skipped).
import type { Filter } from '../../core/filter.js';
import type { ImportEvents } from '../../core/events.js';
import { ImporterError } from '../../core/errors.js';
import type { InstanceTags, RemoteItem } from '../../core/types.js';
import { findQuery } from './find-query.js';
import type { SourceClient } from './source-client.js';

/** Studies per page of /tools/find. */
const STUDIES_PER_PAGE = 200;
/** Changes per page of /changes. */
const CHANGES_PER_PAGE = 1000;
/** Passes over the studies before a source that keeps deleting is left as it is (and said so). */
const MAX_PASSES = 5;

type Tags = Readonly<Record<string, string | undefined>>;

interface FoundStudy {
  readonly ID: string;
  readonly MainDicomTags?: Tags;
  readonly PatientMainDicomTags?: Tags;
}

interface ListedInstance {
  readonly ID: string;
  readonly FileSize?: number;
  readonly FileUuid?: string;
  readonly ParentSeries: string;
}

interface ListedSeries {
  readonly ID: string;
  readonly MainDicomTags?: Tags;
}

interface Changes {
  readonly Changes: readonly { readonly ChangeType: string; readonly ResourceType: string; readonly Seq: number }[];
  readonly Done: boolean;
  readonly Last: number;
}

// What the journal knows an instance of a running Orthanc by: its ID and its file's UUID (a
// file replaced on the source gets a new UUID, and is read again).
const instanceKey = (instanceId: string, fileUuid: string): string => `orthanc:${instanceId}\u0000${fileUuid}`;

/** The journal of changes of the source, read for deletions. */
class ChangeLog {
  readonly #client: SourceClient;

  constructor(client: SourceClient) {
    this.#client = client;
  }

  // The sequence number of the last change now.
  async last(): Promise<number> {
    return (await this.#read('/changes?last')).Last;
  }

  // Whether a study (or a patient, with its studies) was deleted since `since`.
  async studyDeletedSince(since: number): Promise<boolean> {
    for (let seq = since; ; ) {
      const page = await this.#read(`/changes?since=${seq}&limit=${CHANGES_PER_PAGE}`);
      if (page.Changes.some((change) => change.ChangeType === 'Deleted' && (change.ResourceType === 'Study' || change.ResourceType === 'Patient'))) return true;
      if (page.Done || page.Last <= seq) return false;
      seq = page.Last;
    }
  }

  async #read(path: string): Promise<Changes> {
    const answer = await this.#client.json<Changes>(path);
    if (!answer.ok) throw new ImporterError('E_SOURCE', `The source ${this.#client.endpoint.display} did not answer GET ${path} (${answer.reason})`);
    return answer.value;
  }
}

// One study's instances as items; empty when the study was deleted meanwhile.
const studyItems = async (client: SourceClient, study: FoundStudy): Promise<RemoteItem[]> => {
  const [instances, series] = await Promise.all([
    client.json<ListedInstance[]>(`/studies/${study.ID}/instances?expand`),
    client.json<ListedSeries[]>(`/studies/${study.ID}/series?expand`),
  ]);
  if (!instances.ok || !series.ok) {
    const failed = !instances.ok ? instances : series.ok ? undefined : series;
    if (failed?.status === 404) return [];
    throw new ImporterError('E_SOURCE', `The source ${client.endpoint.display} did not list study ${study.ID} (${failed?.reason ?? 'no answer'})`);
  }
  const seriesTags = new Map(series.value.map((one) => [one.ID, one.MainDicomTags ?? {}]));
  const studyTags = study.MainDicomTags ?? {};
  return instances.value.map((instance) => {
    const ofSeries = seriesTags.get(instance.ParentSeries) ?? {};
    const tags: InstanceTags = {
      patientId: study.PatientMainDicomTags?.['PatientID'] ?? '',
      studyInstanceUid: studyTags['StudyInstanceUID'] ?? '',
      seriesInstanceUid: ofSeries['SeriesInstanceUID'] ?? '',
      accessionNumber: studyTags['AccessionNumber'] ?? '',
      modality: ofSeries['Modality'] ?? '',
      studyDate: studyTags['StudyDate'] ?? '',
    };
    const path = `instances/${instance.ID}`;
    const key = instanceKey(instance.ID, instance.FileUuid ?? '');
    return { kind: 'remote', entry: { path, relativePath: path }, instanceId: instance.ID, listedSize: instance.FileSize ?? 0, studyId: study.ID, key, tags };
  });
};

// One pass over the studies the filter takes, page by page, skipping those an earlier pass listed.
async function* onePass(client: SourceClient, query: Record<string, string>, listed: Set<string>): AsyncGenerator<RemoteItem> {
  for (let since = 0; ; since += STUDIES_PER_PAGE) {
    const page = await client.json<FoundStudy[]>('/tools/find', { Level: 'Study', Query: query, CaseSensitive: false, Expand: true, Since: since, Limit: STUDIES_PER_PAGE });
    if (!page.ok) throw new ImporterError('E_SOURCE', `The source ${client.endpoint.display} did not answer /tools/find (${page.reason})`);
    for (const study of page.value) {
      if (listed.has(study.ID)) continue;
      listed.add(study.ID);
      yield* await studyItems(client, study);
    }
    if (page.value.length < STUDIES_PER_PAGE) return;
  }
}

// Why: every instance of the source the filters may take, each once, even while the source
// deletes studies (see the top of this file). Memory: one page of studies, one study's
// instances, and the IDs of the studies listed so far.
export async function* remoteItems(client: SourceClient, filter: Filter | undefined, events: ImportEvents | undefined): AsyncGenerator<RemoteItem> {
  const changes = new ChangeLog(client);
  const query = findQuery(filter);
  const listed = new Set<string>();
  for (let pass = 1; ; pass++) {
    const before = await changes.last();
    yield* onePass(client, query, listed);
    if (!(await changes.studyDeletedSince(before))) return;
    if (pass === MAX_PASSES) {
      events?.onWarning?.(`studies were deleted on the source ${client.endpoint.display} during each of ${pass} listings: a study stored meanwhile may have been missed; run again to take it`);
      return;
    }
    events?.onInfo?.(`a study was deleted on the source while it was listed (its pages may have shifted): listing its studies again`);
  }
}
