// The published package: the compiled library, CLI and workers, nothing of the tests, benches or fixtures.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('npm pack', () => {
  it('ships dist/src and dist/workers (the CLI and the worker included), and nothing else but the manifest and README', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
    const [packed] = JSON.parse(stdout) as { files: { path: string }[] }[];
    const paths = (packed?.files ?? []).map((file) => file.path);
    expect(paths).toContain('dist/src/cli/main.js');
    expect(paths).toContain('dist/src/index.d.ts');
    expect(paths).toContain('dist/workers/classify.js');
    expect(paths).toContain('dist/src/targets/dicomweb/backend.js');
    const outside = paths.filter((path) => !/^dist\/(src|workers)\//.test(path) && !['package.json', 'README.md'].includes(path));
    expect(outside).toEqual([]);
    expect(paths.filter((path) => path.endsWith('.map'))).toEqual([]);
  });
});
