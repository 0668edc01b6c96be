import { isDuplicateKeyError } from '../common/mongo-errors';
import { SERVER_SELECTION_TIMEOUT_MS } from './database-options';

/**
 * What each caller of a batch gets when its insert has not answered in time. The driver can wait for ever on
 * an insert it wrote to a socket the database had just closed (seen when the database is killed under load), so
 * a batch is given up on rather than let hold back every insert after it. Answered 503, like the outage it is.
 */
export class InsertStalled extends Error {
  override readonly name = 'InsertStalled';

  constructor(ms: number) {
    super(`The database did not answer an insert within ${ms} ms`);
  }
}

/** What the driver's collections (a mongoose model's `.collection` included) offer for an insert of many. */
interface InsertsMany {
  insertMany(documents: never[], options: { ordered: false }): Promise<unknown>;
}

interface Waiting<T> {
  document: T;
  stored: () => void;
  failed: (error: unknown) => void;
}

/** One document's failure in an unordered insert, as the driver reports it. */
interface WriteError {
  index: number;
  code?: unknown;
  errmsg?: unknown;
}

/**
 * Unique inserts of concurrent callers made in one `insertMany(..., { ordered: false })`: what is asked for
 * while no insert is in flight goes with the next turn of the event loop, and what is asked for while one is in
 * flight gathers for the one after it. Each caller awaits its own document's outcome, as with one insert of its
 * own: an `_id` already taken counts as stored (a claim by inserting that is already made), another failure of
 * its document fails that caller only, and a failure of the whole command fails every caller in it. A batch
 * that has not answered within `stallMs` fails its callers with InsertStalled and makes way for the next (what
 * it stores after that is a mark without its call, which the relay discards). Nothing outlives the few
 * milliseconds a batch waits in this process: no other replica needs it.
 */
export class GroupInsert<T> {
  private gathering: Waiting<T>[] = [];
  /** A batch's insert is awaited (until it answers or is given up on): the next batch gathers meanwhile. */
  private inFlight = false;
  private scheduled = false;

  constructor(
    private readonly collection: InsertsMany,
    /** Called once a batch of more than one document is stored, before its callers go on (the crash tests' hook). */
    private readonly afterBatch: (size: number) => void = () => undefined,
    private readonly maxBatch = 500,
    /** As long as an operation waits for the database to be found; a healthy one answers an insert well within it. */
    private readonly stallMs = SERVER_SELECTION_TIMEOUT_MS,
  ) {}

  /** Resolves once the document is stored (or its `_id` was already taken). */
  insert(document: T): Promise<void> {
    return new Promise<void>((stored, failed) => {
      this.gathering.push({ document, stored, failed });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlight || this.scheduled || this.gathering.length === 0) return;
    this.scheduled = true;
    // After the current turn's callers have asked: they share the insert.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.gathering.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    this.inFlight = true;
    const answered = this.collection.insertMany(
      batch.map((waiting) => waiting.document as never),
      { ordered: false },
    ).then(
      () => new Map<number, unknown>(),
      (error: unknown) => failuresOf(error, batch.length),
    );
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<Map<number, unknown>>((resolve) => {
      timer = setTimeout(() => resolve(everyDocument(new InsertStalled(this.stallMs), batch.length)), this.stallMs);
    });
    const failures = await Promise.race([answered, stalled]);
    clearTimeout(timer);
    this.inFlight = false;
    if (batch.length > 1 && failures.size === 0) this.afterBatch(batch.length);
    batch.forEach((waiting, index) => {
      const failure = failures.get(index);
      if (failure === undefined) waiting.stored();
      else waiting.failed(failure);
    });
    this.schedule();
  }
}

/** The same error for each of `size` documents: a command that failed (or was given up on) whole. */
function everyDocument(error: unknown, size: number): Map<number, unknown> {
  return new Map(Array.from({ length: size }, (_, index) => [index, error]));
}

/**
 * The failed documents of an unordered insert, by index: none for a duplicate `_id`, the document's own error
 * for another, every document the command's error when it carries no per-document errors (it failed whole:
 * the database unreachable, a write concern not met).
 */
function failuresOf(error: unknown, size: number): Map<number, unknown> {
  // The driver wraps an error of the whole command (a network error among them) in its bulk write error, whose
  // class then says nothing of the database being unreachable: each caller gets the error a lone insert would.
  const cause = typeof error === 'object' && error !== null ? (error as { errorResponse?: unknown }).errorResponse : undefined;
  const commandError = cause instanceof Error ? cause : error;
  const whole = () => everyDocument(commandError, size);
  if (typeof error !== 'object' || error === null) return whole();
  const { writeErrors, writeConcernError } = error as { writeErrors?: WriteError | WriteError[]; writeConcernError?: unknown };
  if (writeErrors === undefined || writeConcernError) return whole();
  const list = Array.isArray(writeErrors) ? writeErrors : [writeErrors];
  if (list.length === 0) return whole();
  const failures = new Map<number, unknown>();
  for (const writeError of list) {
    if (isDuplicateKeyError({ code: writeError.code, message: writeError.errmsg })) continue;
    failures.set(writeError.index, Object.assign(new Error(String(writeError.errmsg ?? 'insert failed')), { code: writeError.code }));
  }
  return failures;
}
