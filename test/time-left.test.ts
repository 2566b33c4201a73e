import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { REDRIVEN_ATTRIBUTE } from '../src/handler/config';
import { AFTER_RESIZE_MS, resizeTime, retriedRecordsFirst, SLOWEST_RECORD_MULTIPLE, startWhileTimeLeft } from '../src/handler/time-left';

/** The clock `performance.now()` reads, moved on only by the records' work. */
let now: number;

beforeEach(() => {
  now = 0;
  jest.spyOn(performance, 'now').mockImplementation(() => now);
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** An upload's record as SQS delivers it a second time. */
function uploadRecord(messageId: string, key: string): SQSRecord {
  const body = { Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'uploads' }, object: { key, size: 1 } } }] };
  return { messageId, body: JSON.stringify(body), attributes: { ApproximateReceiveCount: '2' } } as unknown as SQSRecord;
}

/**
 * An invocation that has `timeoutMs` left when it starts. `run` hands it the next record, which takes `durationMs`
 * (and then throws, with `fails`), and answers whether the record was started.
 */
function invocation(timeoutMs: number) {
  const warn = jest.fn();
  const durations = new Map<string, { durationMs: number; fails: boolean }>();
  const started: string[] = [];
  const invokedAt = now;
  const handle = startWhileTimeLeft(
    async (record) => {
      started.push(record.messageId);
      const { durationMs, fails } = durations.get(record.messageId)!;
      now += durationMs;
      if (fails) throw new Error('S3 is down');
    },
    { getRemainingTimeInMillis: () => timeoutMs - (now - invokedAt) },
    { warn } as unknown as Logger,
  );
  const run = async (durationMs: number, fails = false): Promise<'started' | 'not started'> => {
    const number = durations.size + 1;
    const record = uploadRecord(`message-${number}`, `photo-${number}.jpg`);
    durations.set(record.messageId, { durationMs, fails });
    try {
      await handle(record);
    } catch (error) {
      if (!started.includes(record.messageId)) return 'not started';
      expect(error).toEqual(new Error('S3 is down'));
    }
    return 'started';
  };
  return { run, warn };
}

test('the first record of an invocation always starts, however little time is left, so that every batch makes progress', async () => {
  const { run, warn } = invocation(0);

  expect(await run(5_000)).toBe('started');
  expect(warn).not.toHaveBeenCalled();
});

test(`a record starts while ${SLOWEST_RECORD_MULTIPLE} times the slowest record so far is left, and not with a millisecond less`, async () => {
  const { run } = invocation(60_000);

  expect(await run(15_000)).toBe('started');
  expect(await run(1_000)).toBe('started');
  expect(await run(14_001)).toBe('started');
  // 29,999 ms left: twice the latest record, not twice the slowest
  expect(await run(1)).toBe('not started');

  const exactly = invocation(30_000);
  expect(await exactly.run(10_000)).toBe('started');
  expect(await exactly.run(0)).toBe('started');
  now += 1;
  expect(await exactly.run(0)).toBe('not started');
});

test('however quick the records so far, one starts only with 1 s left, as the README promises, and not with 999 ms', async () => {
  const { run } = invocation(1_100);

  expect(await run(60)).toBe('started');
  expect(await run(40)).toBe('started');
  expect(await run(0)).toBe('started');
  now += 1;
  expect(await run(0)).toBe('not started');
});

test('a record that failed counts for the time it took, and fails with its own error', async () => {
  const { run } = invocation(60_000);

  expect(await run(25_000, true)).toBe('started');
  expect(await run(1)).toBe('not started');
});

test('a record not started fails unhandled with a line that says why, and so does every later one', async () => {
  const { run, warn } = invocation(12_000);
  await run(5_000);

  expect(await run(1)).toBe('not started');
  expect(await run(1)).toBe('not started');
  expect(warn).toHaveBeenCalledTimes(2);
  expect(warn).toHaveBeenLastCalledWith('Too little time left in the invocation to start the record; it is retried', {
    bucket: 'uploads', key: 'photo-3.jpg', messageId: 'message-3', receiveCount: '2', remainingMs: 7_000, neededMs: 10_000, slowestRecordMs: 5_000,
  });
});

test.each([
  ['is no S3 event', 'hello'],
  ['is S3\'s test event', '{"Event":"s3:TestEvent"}'],
])('a record not started that %s gets its line all the same, naming no key', async (_case, body) => {
  const warn = jest.fn();
  const handle = startWhileTimeLeft(async () => { now += 5_000; }, { getRemainingTimeInMillis: () => 100 }, { warn } as unknown as Logger);
  await handle(uploadRecord('message-1', 'photo-1.jpg'));
  const noUpload = { messageId: 'message-2', body, attributes: { ApproximateReceiveCount: '1' } } as unknown as SQSRecord;

  await expect(handle(noUpload)).rejects.toThrow('not started');
  expect(warn).toHaveBeenCalledTimes(1);
  expect(warn).toHaveBeenCalledWith('Too little time left in the invocation to start the record; it is retried', {
    messageId: 'message-2', receiveCount: '1', remainingMs: 100, neededMs: 10_000, slowestRecordMs: 5_000,
  });
});

test('only the first record is told it has the whole invocation, and each reads the time left as it goes', async () => {
  // GIVEN records that each ask for the time left as they start and again after 1 s of work
  const seen: Array<{ wholeInvocation: boolean; remainingMs: number[] }> = [];
  const handle = startWhileTimeLeft(async (_record, time) => {
    const remainingMs = [time!.remainingMs()];
    now += 1_000;
    remainingMs.push(time!.remainingMs());
    seen.push({ wholeInvocation: time!.wholeInvocation, remainingMs });
  }, { getRemainingTimeInMillis: () => 10_000 - now }, { warn: jest.fn() } as unknown as Logger);

  // WHEN
  await handle(uploadRecord('message-1', 'photo-1.jpg'));
  await handle(uploadRecord('message-2', 'photo-2.jpg'));

  // THEN
  expect(seen).toEqual([
    { wholeInvocation: true, remainingMs: [10_000, 9_000] },
    { wholeInvocation: false, remainingMs: [9_000, 8_000] },
  ]);
});

describe(`the time a resize is given keeps ${AFTER_RESIZE_MS} ms, or a quarter of the time left if less, for the work after it`, () => {
  test.each([
    [60_000, 55_000, 'the whole 5 s is kept, not a quarter'],
    [20_000, 15_000, 'a quarter and 5 s are the same'],
    [8_000, 6_000, 'a quarter is kept'],
    [1_334, 1_000.5, 'the resize still has a second, which libvips can count'],
  ])('with %i ms left a resize may take %d ms: %s', (remainingMs, resizeMs) => {
    expect(resizeTime(remainingMs)).toBe(resizeMs);
  });

  test('with under a second of it left for the resize there is no deadline, only Lambda\'s timeout', () => {
    expect(resizeTime(1_333)).toBeUndefined();
  });
});

describe('the order records are handled in', () => {
  function received(messageId: string, receiveCount: number, redriven = false): SQSRecord {
    const messageAttributes = redriven ? { [REDRIVEN_ATTRIBUTE]: { stringValue: 'true', dataType: 'String' } } : {};
    return { messageId, body: '{}', attributes: { ApproximateReceiveCount: String(receiveCount) }, messageAttributes } as unknown as SQSRecord;
  }
  const order = (...records: SQSRecord[]) =>
    retriedRecordsFirst({ Records: records } as SQSEvent).Records.map((record) => record.messageId);

  test('puts the records SQS delivers again first, the most received first, and keeps the order of the rest', () => {
    expect(order(received('new-1', 1), received('twice', 2), received('new-2', 1), received('thrice', 3), received('new-3', 1)))
      .toEqual(['thrice', 'twice', 'new-1', 'new-2', 'new-3']);
  });

  test('keeps the order SQS gave of records received as often', () => {
    expect(order(received('a', 2), received('b', 2), received('c', 2))).toEqual(['a', 'b', 'c']);
    expect(order(received('c', 1), received('b', 1), received('a', 1))).toEqual(['c', 'b', 'a']);
  });

  test('puts a record moved back from the dead-letter queue, which SQS counts as new, ahead of new ones', () => {
    expect(order(received('new', 1), received('redriven', 1, true), received('twice', 2))).toEqual(['redriven', 'twice', 'new']);
  });

  test('leaves the event it is given as it was', () => {
    const event = { Records: [received('new', 1), received('twice', 2)] } as SQSEvent;

    retriedRecordsFirst(event);

    expect(event.Records.map((record) => record.messageId)).toEqual(['new', 'twice']);
  });
});
