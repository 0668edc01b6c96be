import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningApp, startApp } from './support/app';

const PROBE = join(__dirname, 'support', 'young-generation.js');
const MB = 2 ** 20;

interface YoungGeneration {
  afterStartUp: number;
  afterSurvivors: number;
}

async function youngGenerationOf(app: RunningApp, file: string): Promise<YoungGeneration> {
  app.process.kill('SIGUSR2');
  for (let waited = 0; waited < 20_000 && !existsSync(file); waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  return JSON.parse(readFileSync(file, 'utf8')) as YoungGeneration;
}

// startup-memory.ts: V8's young generation stays at its initial size while the service starts (it grew
// to its 2 × 16 MB ceiling before, about 28 MB of an idle replica's RSS), and grows as V8 decides
// once the service listens.
describe('The young generation at start-up', () => {
  let app: RunningApp;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'calls-young-generation-'));
    app = await startApp({ NODE_OPTIONS: `--require ${PROBE}`, YOUNG_GENERATION_LOG: join(dir, 'young-generation.json') });
  });

  afterAll(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is still small once the service is ready, and grows again when objects survive', async () => {
    const young = await youngGenerationOf(app, join(dir, 'young-generation.json'));

    expect(young.afterStartUp).toBeLessThanOrEqual(4 * MB);
    // Held for good, it would stay at its initial 1 MB per semi-space, and every request that waits on the
    // database would see its objects promoted into the old generation.
    expect(young.afterSurvivors).toBeGreaterThanOrEqual(8 * MB);
  });
});
