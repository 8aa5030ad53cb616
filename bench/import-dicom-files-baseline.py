#!/usr/bin/python3
"""Benchmark baseline: upload a folder the way Orthanc's ImportDicomFiles.py does.

    /usr/bin/python3 bench/import-dicom-files-baseline.py URL FOLDER [--username U --password P]

URL is the Orthanc base URL (e.g. http://127.0.0.1:8042); files are POSTed to URL/instances.
Written from the script's observable behaviour, not copied from it. For every file found by
os.walk, sequentially:
  1. read the whole file;
  2. skip it if json.loads() accepts its content (ImportDicomFiles.py ignores JSON files);
  3. create a NEW httplib2.Http() object, hence a new connection for every file;
  4. POST the bytes to /instances with content-type application/dicom (plus a hand-built
     Basic authorization header when credentials are given); HTTP 200 counts as a success.
The only deviation: directory and file names are sorted so every run sends the same order
(os.walk alone returns them in on-disk order).

Prints one JSON line on stdout:
  {"files": n, "ok": n200, "failed": n, "seconds": wall, "skipped": nJson, "bytes": bytesOf200}
where seconds runs from reading the first file to the last answer. Failures go to stderr.
Standard library + httplib2 only (Debian: apt-get install python3-httplib2).
"""

import argparse
import base64
import json
import os
import sys
import time

import httplib2


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('url', metavar='URL', help='Orthanc base URL, e.g. http://127.0.0.1:8042')
    parser.add_argument('folder', metavar='FOLDER', help='folder to walk recursively')
    parser.add_argument('--username', default=None)
    parser.add_argument('--password', default=None)
    args = parser.parse_args()
    if (args.username is None) != (args.password is None):
        parser.error('--username and --password go together')
    return args


def main():
    args = parse_args()
    target = args.url.rstrip('/') + '/instances'
    headers = {'content-type': 'application/dicom'}
    if args.username is not None:
        token = base64.b64encode(('%s:%s' % (args.username, args.password)).encode('utf-8'))
        headers['authorization'] = 'Basic ' + token.decode('ascii')

    files = 0
    ok = 0
    failed = 0
    skipped = 0
    sent_bytes = 0
    started = time.perf_counter()
    for root, dirs, names in os.walk(args.folder):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            files += 1
            with open(path, 'rb') as f:
                content = f.read()

            try:
                json.loads(content)
                skipped += 1
                continue
            except Exception:
                pass  # Not JSON: upload it.

            try:
                h = httplib2.Http()
                resp, _ = h.request(target, 'POST', body=content, headers=headers)
                if resp.status == 200:
                    ok += 1
                    sent_bytes += len(content)
                else:
                    failed += 1
                    sys.stderr.write('%s: HTTP %d\n' % (path, resp.status))
            except Exception as err:  # ImportDicomFiles.py reports and goes on with the next file.
                failed += 1
                sys.stderr.write('%s: %s\n' % (path, err))
    seconds = time.perf_counter() - started

    print(json.dumps({'files': files, 'ok': ok, 'failed': failed, 'seconds': seconds,
                      'skipped': skipped, 'bytes': sent_bytes}))
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
