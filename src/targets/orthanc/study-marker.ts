// --mark-complete NAME on an Orthanc target: once every instance of a study is verified there, the
// study's metadata NAME is set to the run's time, so that scripts on the target can act on whole
// studies instead of StableStudy (which fires on partial ones). Orthanc takes only the metadata
// names its configuration declares (UserMetadata).
import { ImporterError } from '../../core/errors.js';
import type { HttpClient } from '../http/client.js';
import type { MarkResult } from '../target.js';
import { answered, INEXISTENT_ITEM, parseAnswer, UNKNOWN_RESOURCE } from './answer.js';
import { metadataPath, putMetadata } from './carry.js';

/** An Orthanc ID no study has: asked about, the target says whether it knows the name, not the study. */
const NO_STUDY = '00000000-00000000-00000000-00000000-00000000';

// Why: a name the target does not declare would leave every study unmarked after a whole run;
// Orthanc 1.10 checks the name before the study (404 with ErrorCode 7, else 17 for the missing
// study), so a PUT on a study that cannot exist tells it without touching any.
export const checkMarkerDeclared = async (http: HttpClient, name: string): Promise<void> => {
  const put = await http.send(putMetadata('study', NO_STUDY, name, ''));
  const status = put.kind === 'answer' && put.statusCode === 404 ? parseAnswer(put.text).OrthancStatus : undefined;
  if (status === UNKNOWN_RESOURCE) return;
  if (status === INEXISTENT_ITEM) {
    throw new ImporterError(
      'E_USAGE',
      `--mark-complete ${name}: the target does not declare the metadata "${name}": add "UserMetadata": { "${name}": 1024 } to its configuration (any number from 1024 to 65535 that no other name uses), restart it, and run again`,
    );
  }
  throw new ImporterError('E_USAGE', `--mark-complete ${name}: the target did not say whether it takes the metadata "${name}" (${answered(put)})`);
};

// Why: sets a study's marker; `unlessPresent` leaves an existing one as it is (a study this run
// found complete without sending to it, marked by an earlier run).
export const markStudy = async (http: HttpClient, studyId: string, name: string, value: string, unlessPresent: boolean): Promise<MarkResult> => {
  if (unlessPresent) {
    const got = await http.send({ method: 'GET', path: metadataPath('study', studyId, name) });
    if (got.kind === 'answer' && got.statusCode === 200) return { kind: 'present' };
  }
  const put = await http.send(putMetadata('study', studyId, name, value));
  if (put.kind === 'answer' && put.statusCode === 200) return { kind: 'marked' };
  return { kind: 'failed', reason: `study ${studyId}: its metadata ${name} was not set (${answered(put)})` };
};
