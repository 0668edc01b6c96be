import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { warnWhenCollectionsOutgrow } from '../scripts/lib/embedded-limits';
import { databaseUri } from './support/app';

describe("npm run dev's warning when a collection outgrows the embedded database", () => {
  const uri = databaseUri(`calls_limits_${randomBytes(6).toString('hex')}`);
  let client: MongoClient;

  beforeAll(async () => {
    client = await new MongoClient(uri).connect();
    await client.db().collection('calls').insertMany([{ n: 1 }, { n: 2 }, { n: 3 }]);
    await client.db().collection('contacts').insertMany([{ n: 1 }]);
  });
  afterAll(async () => {
    await client.db().dropDatabase();
    await client.close();
  });

  it('prints one line for each collection past the limit, once', async () => {
    const lines: string[] = [];
    const watch = warnWhenCollectionsOutgrow({ uri, log: (line: string) => lines.push(line), limit: 2, everyMs: 50 });
    await watch.checked;
    await new Promise((resolve) => setTimeout(resolve, 300));
    await watch.stop();

    expect(lines).toEqual([expect.stringMatching(/^\[dev\] Warning: calls holds 3 documents; past 2 the embedded database .*MongoDB/)]);
    expect(lines[0]).not.toContain('\n');
  });

  it('prints nothing while every collection is within the limit', async () => {
    const lines: string[] = [];
    const watch = warnWhenCollectionsOutgrow({ uri, log: (line: string) => lines.push(line), limit: 3 });
    await watch.checked;
    await watch.stop();

    expect(lines).toEqual([]);
  });
});
