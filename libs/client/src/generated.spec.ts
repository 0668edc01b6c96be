import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const GENERATED = join(__dirname, 'generated', 'openapi.ts');

describe('the generated client types', () => {
  it('are what `npm run client:generate` makes from openapi.yaml now', () => {
    const dir = mkdtempSync(join(tmpdir(), 'calls-client-'));
    try {
      const fresh = join(dir, 'openapi.ts');
      const cli = join(ROOT, 'node_modules', 'openapi-typescript', 'bin', 'cli.js');
      execFileSync(process.execPath, [cli, 'openapi.yaml', '-o', fresh], { cwd: ROOT, stdio: 'pipe' });

      const stale = readFileSync(fresh, 'utf8') !== readFileSync(GENERATED, 'utf8');

      expect(stale ? 'libs/client/src/generated/openapi.ts is stale: run `npm run client:generate`' : 'up to date').toBe('up to date');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
