import request from 'supertest';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { newCallRecord } from '../apps/calls-service/src/calls/call-record';
import { RunningApp, startApp } from './support/app';
import { adminUser, newId, TestUser, testUser } from './support/auth';
import { expectContract } from './support/contract';
import { insertCall, insertContact } from './support/factories';
import { logLines } from './support/logs';

const EXPORT = '/api/calls/export';

/** An RFC 4180 reader, written apart from the service's writer: records of fields, quotes doubled inside quotes. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += char;
  }
  if (field !== '' || record.length > 0) throw new Error(`The CSV does not end with CRLF: ${JSON.stringify(text.slice(-40))}`);
  return records;
}

/** The app process's resident memory, in MB. */
function rssMb(app: RunningApp): number {
  const status = readFileSync(`/proc/${app.process.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** Where the seeded calls start, one a second. */
const FIRST_START = Date.parse('2026-01-01T00:00:00Z');

describe(`GET ${EXPORT}`, () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());
  beforeEach(() => app.clean());

  const exportAs = (user: TestUser, query: Record<string, string | string[]>) =>
    request(app.url)
      .get(EXPORT)
      .set('Authorization', user.bearer)
      .query(query)
      .buffer(true)
      .parse((response, done) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => done(null, text));
      });

  it('writes RFC 4180 CSV with a header row, UTC times, and formula-like cells neutralised', async () => {
    const admin = adminUser();
    const org = admin.organizationId;
    const outcome = await request(app.url).post('/api/call-outcomes').set('Authorization', admin.bearer).send({ name: 'Booked, "hot"' }).expect(201);
    const contactId = await insertContact(app, { organizationId: org, firstName: 'Ada' });
    const older = await insertCall(app, {
      organizationId: org,
      contactId,
      status: 'completed',
      startTime: new Date('2026-11-27T10:00:00Z'),
      answerTime: new Date('2026-11-27T10:00:07Z'),
      endTime: new Date('2026-11-27T10:02:07Z'),
      duration: 120,
    });
    const newer = await insertCall(app, { organizationId: org, startTime: new Date('2026-11-28T09:30:00+02:00') });
    await insertCall(app, { organizationId: newId(), startTime: new Date('2026-11-28T09:30:00Z') });
    await request(app.url)
      .patch(`/api/calls/${older}`)
      .set('Authorization', admin.bearer)
      .send({ outcomeId: outcome.body.outcome._id, notes: '=HYPERLINK("http://evil.example","click")\r\nsecond line, with a comma', tags: ['@risk', '-5', 'plain'] })
      .expect(200);
    await request(app.url).patch(`/api/calls/${newer}`).set('Authorization', admin.bearer).send({ notes: '+1 more' }).expect(200);

    const response = await exportAs(admin, { format: 'csv' }).expect(200);

    expectContract('get', EXPORT, response);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="calls-\d{8}T\d{6}Z\.csv"$/);
    const records = parseCsv(response.body);
    expect(records[0]).toEqual([
      'id', 'startTime', 'answerTime', 'endTime', 'durationSeconds', 'status', 'direction', 'from', 'to', 'userId', 'contactId',
      'outcomeId', 'outcome', 'tags', 'notes', 'endReason', 'providerCallId', 'conversationId',
    ]);
    expect(records.slice(1).map((record) => record[0])).toEqual([newer, older]);
    const row = Object.fromEntries(records[0].map((name, i) => [name, records[2][i]]));
    expect(row).toMatchObject({
      startTime: '2026-11-27T10:00:00.000Z',
      answerTime: '2026-11-27T10:00:07.000Z',
      endTime: '2026-11-27T10:02:07.000Z',
      durationSeconds: '120',
      status: 'completed',
      from: "'+14165550100",
      to: "'+14165550199",
      contactId,
      outcome: 'Booked, "hot"',
      tags: "'@risk, -5, plain",
      notes: '\'=HYPERLINK("http://evil.example","click")\r\nsecond line, with a comma',
      endReason: '',
    });
    expect(records[1][1]).toBe('2026-11-28T07:30:00.000Z');
    expect(records[1][records[0].indexOf('notes')]).toBe("'+1 more");
    // No cell of the file starts a formula.
    expect(records.flat().filter((cell) => /^[=+\-@\t\r]/.test(cell))).toEqual([]);
  });

  it('writes NDJSON, one Call per line as GET answers it, with the list\'s filters', async () => {
    const user = testUser();
    const tagged = await insertCall(app, { organizationId: user.organizationId, startTime: new Date('2026-11-27T10:00:00Z') });
    await insertCall(app, { organizationId: user.organizationId, startTime: new Date('2026-11-27T11:00:00Z') });
    await request(app.url).patch(`/api/calls/${tagged}`).set('Authorization', user.bearer).send({ tags: ['VIP'] }).expect(200);

    const response = await exportAs(user, { format: 'ndjson', tag: 'vip', since: '2026-11-01T00:00:00Z' }).expect(200);

    expectContract('get', EXPORT, response);
    expect(response.headers['content-type']).toBe('application/x-ndjson');
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="calls-\d{8}T\d{6}Z\.ndjson"$/);
    const lines = (response.body as string).split('\n');
    expect(lines.pop()).toBe('');
    const call = (await request(app.url).get(`/api/calls/${tagged}`).set('Authorization', user.bearer).expect(200)).body.call;
    expect(lines.map((line) => JSON.parse(line))).toEqual([call]);
  });

  it('answers an organization without calls with the header row alone', async () => {
    const response = await exportAs(testUser(), {}).expect(200);
    expect(parseCsv(response.body)).toHaveLength(1);
  });

  it('refuses an unknown format (400) and requires a token', async () => {
    const refused = await request(app.url).get(EXPORT).set('Authorization', testUser().bearer).query({ format: 'xlsx' }).expect(400);

    expectContract('get', EXPORT, refused);
    expect(refused.body.message).toBe('format must be one of the following values: csv, ndjson');
    await request(app.url).get(EXPORT).expect(401);
  });
});

describe(`GET ${EXPORT} under the rate limit`, () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ THROTTLE_LIMIT: '2' });
  });
  afterAll(() => app.stop());

  it('counts an export as a request like any other, and answers 429 past the limit', async () => {
    const user = testUser();
    await request(app.url).get(EXPORT).set('Authorization', user.bearer).expect(200);
    await request(app.url).get(EXPORT).set('Authorization', user.bearer).expect(200);

    const limited = await request(app.url).get(EXPORT).set('Authorization', user.bearer).expect(429);

    expectContract('get', EXPORT, limited);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe(`GET ${EXPORT} at 100,000 calls`, () => {
  const CALLS = 100_000;
  let app: RunningApp;
  let user: TestUser;

  beforeAll(async () => {
    // A heap ceiling that 100,000 calls held at once (as documents or as the text sent) would break.
    app = await startApp({ NODE_OPTIONS: '--max-old-space-size=128' });
    user = testUser();
    // Straight into the database, in batches: the export's memory is what is measured, not the seeding.
    for (let batch = 0; batch < CALLS / 10_000; batch++) {
      const calls = Array.from({ length: 10_000 }, (_, i) => {
        const n = batch * 10_000 + i;
        return newCallRecord({
          organizationId: user.organizationId,
          userId: user.userId,
          provider: 'sinch',
          from: '+14165550100',
          to: '+14165550199',
          startTime: new Date(FIRST_START + n * 1000),
          status: 'completed',
          notes: `Call ${n}: a few words of notes, as an agent would leave them after a call.`,
          tags: ['seeded'],
        });
      });
      await app.db.collection('calls').insertMany(calls, { ordered: false });
    }
  }, 600_000);
  afterAll(() => app.stop());

  it('streams them all with flat memory', async () => {
    // A first, smaller export grows V8's young generation to its working size (held small until the service
    // listens: startup-memory.ts), so that what is measured below is what the export holds, not that one-off growth.
    const until = new Date(FIRST_START + 10_000 * 1000).toISOString();
    const warmUp = await fetch(`${app.url}${EXPORT}?format=ndjson&until=${until}`, { headers: { Authorization: user.bearer } });
    expect((await warmUp.text()).split('\n').filter(Boolean)).toHaveLength(10_000);
    const samples: number[] = [];
    const before = rssMb(app);
    let bytes = 0;
    let lines = 0;
    await new Promise<void>((resolve, reject) => {
      const sampler = setInterval(() => samples.push(rssMb(app)), 100);
      http
        .get(`${app.url}${EXPORT}?format=ndjson`, { headers: { Authorization: user.bearer } }, (response) => {
          expect(response.statusCode).toBe(200);
          response.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            for (const byte of chunk) if (byte === 10) lines++;
          });
          response.on('end', () => {
            clearInterval(sampler);
            resolve();
          });
          response.on('error', reject);
        })
        .on('error', reject);
    });

    expect(lines).toBe(CALLS);
    const peak = Math.max(...samples);
    // The export is ~100 MB of JSON; holding it, or the 100,000 documents, would add far more than this.
    const deciles = Array.from({ length: 10 }, (_, i) => samples[Math.floor((i * samples.length) / 10)].toFixed(0));
    console.log(`export: ${(bytes / 1e6).toFixed(0)} MB sent; RSS ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB; by tenths: ${deciles.join(' ')}`);
    expect(bytes).toBeGreaterThan(50e6);
    expect(peak - before).toBeLessThan(60);
  }, 600_000);

  it('stops the query when the client stops reading', async () => {
    await new Promise<void>((resolve, reject) => {
      // The newest 30,000, so that the database's sort (FerretDB sorts every match before the first batch) is shorter.
      const since = new Date(Date.parse('2026-01-01T00:00:00Z') + 70_000 * 1000).toISOString();
      const req = http.get(`${app.url}${EXPORT}?format=csv&since=${since}`, { headers: { Authorization: user.bearer } }, (response) => {
        response.once('data', () => {
          // Read one chunk, then go away without reading the rest.
          req.destroy();
          resolve();
        });
      });
      req.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
    });

    const deadline = Date.now() + 10_000;
    let stopped: Record<string, unknown> | undefined;
    while (!stopped && Date.now() < deadline) {
      stopped = logLines(app).find((line) => /Export of \d+ calls stopped before the end/.test(String(line.msg)));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(stopped).toBeDefined();
    const exported = Number(/Export of (\d+) calls/.exec(String(stopped!.msg))![1]);
    expect(exported).toBeLessThan(15_000);
  }, 60_000);
});


describe(`GET ${EXPORT} to a client that stays connected but stops reading`, () => {
  const CALLS = 20_000;
  const STALL_MS = 1_000;
  let app: RunningApp;
  let user: TestUser;

  beforeAll(async () => {
    app = await startApp({ EXPORT_STALL_TIMEOUT_MS: String(STALL_MS) });
    user = testUser();
    const calls = Array.from({ length: CALLS }, (_, n) =>
      newCallRecord({ organizationId: user.organizationId, userId: user.userId, provider: 'sinch', from: '+14165550100', to: '+14165550199', startTime: new Date(FIRST_START + n * 1000), status: 'completed' }),
    );
    await app.db.collection('calls').insertMany(calls, { ordered: false });
  }, 300_000);
  afterAll(() => app.stop());

  it('ends the export and its query once a chunk goes untaken for EXPORT_STALL_TIMEOUT_MS', async () => {
    let lines = 0;
    let response: http.IncomingMessage | undefined;
    const req = http.get(`${app.url}${EXPORT}?format=ndjson`, { headers: { Authorization: user.bearer } });
    await new Promise<void>((resolve, reject) => {
      req.on('response', (answer) => {
        response = answer;
        expect(answer.statusCode).toBe(200);
        answer.on('data', (chunk: Buffer) => {
          for (const byte of chunk) if (byte === 10) lines++;
        });
        // Take one chunk, then stop reading while keeping the connection open: ~20 MB stay unsent.
        answer.once('data', () => {
          answer.pause();
          resolve();
        });
      });
      req.on('error', reject);
    });

    const deadline = Date.now() + 30_000;
    let stopped: Record<string, unknown> | undefined;
    while (!stopped && Date.now() < deadline) {
      stopped = logLines(app).find((line) => /Export of \d+ calls stopped before the end/.test(String(line.msg)));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(stopped).toBeDefined();
    expect(Number(/Export of (\d+) calls/.exec(String(stopped!.msg))![1])).toBeLessThan(CALLS);
    expect(logLines(app).some((line) => line.msg === `Export cut off: the client took nothing for ${STALL_MS} ms`)).toBe(true);

    // Reading again, the client gets what was in flight, and then the cut: never a complete-looking file.
    const ended = await new Promise<string>((resolve) => {
      response!.on('end', () => resolve('end'));
      response!.on('aborted', () => resolve('aborted'));
      response!.on('error', () => resolve('error'));
      response!.resume();
    });
    expect(ended).not.toBe('end');
    expect(lines).toBeLessThan(CALLS);
  }, 120_000);
});
