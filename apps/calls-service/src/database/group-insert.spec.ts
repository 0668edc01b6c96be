import { GroupInsert, InsertStalled } from './group-insert';

/** A collection that records each insertMany and answers it as `answer` says. */
function collection(answer: (documents: { _id: string }[]) => Promise<unknown> = async () => undefined) {
  const calls: string[][] = [];
  return {
    calls,
    insertMany: (documents: never[]) => {
      calls.push((documents as { _id: string }[]).map((document) => document._id));
      return answer(documents as { _id: string }[]);
    },
  };
}

/** The driver's error for an unordered insert in which some documents failed. */
const bulkError = (writeErrors: { index: number; code: number; errmsg: string }[]) => Object.assign(new Error('bulk write failed'), { name: 'MongoBulkWriteError', writeErrors });

describe('GroupInsert', () => {
  it('sends the inserts asked for in one turn as one insertMany, and those asked for meanwhile as the next', async () => {
    const target = collection(() => new Promise((resolve) => setTimeout(resolve, 20)));
    const batches = new GroupInsert<{ _id: string }>(target);
    const first = [batches.insert({ _id: 'a' }), batches.insert({ _id: 'b' }), batches.insert({ _id: 'c' })];
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = [batches.insert({ _id: 'd' }), batches.insert({ _id: 'e' })];
    await Promise.all([...first, ...second]);
    expect(target.calls).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
  });

  it('counts a taken _id as stored, fails only the document another error names, and every document when the command fails', async () => {
    const partial = new GroupInsert<{ _id: string }>(
      collection(() =>
        Promise.reject(
          bulkError([
            { index: 0, code: 11000, errmsg: 'E11000 duplicate key' },
            { index: 2, code: 121, errmsg: 'Document failed validation' },
          ]),
        ),
      ),
    );
    const results = await Promise.allSettled([partial.insert({ _id: 'a' }), partial.insert({ _id: 'b' }), partial.insert({ _id: 'c' })]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(((results[2] as PromiseRejectedResult).reason as { code: number }).code).toBe(121);

    const down = Object.assign(new Error('connection closed'), { name: 'MongoNetworkError' });
    // The driver's wrapping of a command's error: each caller gets the error itself (a 503, not a 500).
    const wrapped = new GroupInsert<{ _id: string }>(collection(() => Promise.reject(Object.assign(new Error('connection closed'), { name: 'MongoBulkWriteError', writeErrors: [], errorResponse: down }))));
    expect(await Promise.allSettled([wrapped.insert({ _id: 'a' }), wrapped.insert({ _id: 'b' })])).toEqual([
      { status: 'rejected', reason: down },
      { status: 'rejected', reason: down },
    ]);
    const whole = new GroupInsert<{ _id: string }>(collection(() => Promise.reject(down)));
    const failed = await Promise.allSettled([whole.insert({ _id: 'a' }), whole.insert({ _id: 'b' })]);
    expect(failed).toEqual([
      { status: 'rejected', reason: down },
      { status: 'rejected', reason: down },
    ]);
  });

  it('goes on after a failed command: the next inserts are sent', async () => {
    let fail = true;
    const target = collection(() => (fail ? Promise.reject(new Error('down')) : Promise.resolve()));
    const batches = new GroupInsert<{ _id: string }>(target);
    await expect(batches.insert({ _id: 'a' })).rejects.toThrow('down');
    fail = false;
    await expect(batches.insert({ _id: 'b' })).resolves.toBeUndefined();
  });

  it('gives up on an insert that never answers: its callers fail with InsertStalled, and the next batch goes on', async () => {
    // The driver can hang on an insert written to a socket the database had just closed: it must not hold back the rest.
    let hang = true;
    const target = collection(() => (hang ? new Promise(() => undefined) : Promise.resolve()));
    const batches = new GroupInsert<{ _id: string }>(target, undefined, 500, 50);
    const stuck = [batches.insert({ _id: 'a' }), batches.insert({ _id: 'b' })];
    await new Promise((resolve) => setTimeout(resolve, 5));
    hang = false;
    const next = batches.insert({ _id: 'c' });
    const started = Date.now();
    const results = await Promise.allSettled(stuck);
    expect(Date.now() - started).toBeLessThan(1000);
    for (const result of results) expect((result as PromiseRejectedResult).reason).toBeInstanceOf(InsertStalled);
    await expect(next).resolves.toBeUndefined();
    expect(target.calls).toEqual([['a', 'b'], ['c']]);
  });
});
