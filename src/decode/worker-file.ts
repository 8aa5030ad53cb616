import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Why: worker threads need compiled JavaScript. Beside this module sits dist/workers when it runs
// from the build; when it runs from the TypeScript sources (vitest), the build's copy is used.
export const workerFile = (name: string): string => {
  const besideBuild = fileURLToPath(new URL(`../../workers/${name}`, import.meta.url));
  if (existsSync(besideBuild)) return besideBuild;
  return fileURLToPath(new URL(`../../dist/workers/${name}`, import.meta.url));
};
