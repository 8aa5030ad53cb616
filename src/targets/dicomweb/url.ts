// The DICOMweb target's URL: dicomweb+http(s)://[user:pass@]host:port/ROOT, read as the Orthanc
// target's URL once its scheme prefix is dropped (same credentials, --header and redaction).
import { parseEndpoint, type Endpoint, type TargetCredentials } from '../http/endpoint.js';

const PREFIX = 'dicomweb+';
const SCHEME = /^dicomweb\+https?:\/\//i;

// True for text the DICOMweb target takes (the user wrote its scheme).
export const isDicomwebUrl = (text: string): boolean => SCHEME.test(text);

// Why: one parser for every HTTP target; `prefix` is the server's DICOMweb root (/dicom-web for
// Orthanc's plugin) and `display` keeps the scheme the user wrote, without credentials.
export const parseDicomwebUrl = (text: string, credentials: TargetCredentials): Endpoint => {
  const endpoint = parseEndpoint(text.slice(PREFIX.length), credentials);
  return { ...endpoint, display: `${PREFIX}${endpoint.display}` };
};
