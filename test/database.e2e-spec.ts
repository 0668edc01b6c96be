import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { RunningApp, startApp } from './support/app';
import { testUser } from './support/auth';
import { expectContract } from './support/contract';

interface Database {
  uri: string;
  stop: () => Promise<void>;
}
// scripts/ is plain JavaScript, which the test build does not type-check.
const { startDatabase } = require('../scripts/database') as {
  startDatabase: (options: { dataDir: string; log?: (message: string) => void }) => Promise<Database>;
};

describe('When the database goes away', () => {
  let dataDir: string;
  let database: Database;
  let app: RunningApp;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'calls-service-outage-'));
    database = await startDatabase({ dataDir, log: () => undefined });
    app = await startApp({ MONGODB_URI: `${database.uri}calls_outage` });
  });
  afterAll(async () => {
    await app.stop();
    await database.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  // openapi.yaml documents 503 on every operation, as the exception filter answers it.
  it('answers 503 in the one error shape', async () => {
    const user = testUser();
    await request(app.url).get('/api/contacts').set('Authorization', user.bearer).expect(200);
    await database.stop();

    const response = await request(app.url).get('/api/contacts').set('Authorization', user.bearer).expect(503);

    expectContract('get', '/api/contacts', response);
    expect(response.body).toEqual({
      success: false,
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'The database is unavailable; try again shortly',
    });
  });
});
