import {
  type AttemptOptions,
  adjustEachAttempt,
  withAbortSignal,
} from '../../../functions/adapters/aws/attempt-options';

/**
 * What a client's HTTP handler applies to each attempt (functions/adapters/aws/attempt-options.ts): one wrapper
 * per client, adjustments in the order added, each abort signal merged with the one before it, a thrown error
 * refusing the attempt unsent. A client here is what the helper touches of an SDK client: its HTTP handler.
 */
describe('adjustEachAttempt', () => {
  function clientSending() {
    const sent: (AttemptOptions | undefined)[] = [];
    const requestHandler = {
      handle: async (_request: object, options?: AttemptOptions) => {
        sent.push(options);
        return { response: {} };
      },
    };
    return { client: { config: { requestHandler } }, requestHandler, sent };
  }

  it('hands the handler every signal it was given, aborted when any of them is, in either order', async () => {
    for (const order of [
      ['a', 'b'],
      ['b', 'a'],
    ]) {
      // Arrange
      const { client, requestHandler, sent } = clientSending();
      const signals = { a: new AbortController(), b: new AbortController() };
      for (const name of order) {
        const signal = signals[name as 'a' | 'b'].signal;
        adjustEachAttempt(client, name, (_request, options) => withAbortSignal(options, signal));
      }

      // Act
      await requestHandler.handle({}, { requestTimeout: 5 });
      signals.b.abort();

      // Assert
      expect(sent[0]?.requestTimeout).toBe(5);
      expect(sent[0]?.abortSignal?.aborted).toBe(true);
      expect(signals.a.signal.aborted).toBe(false);
    }
  });

  it('refuses an attempt unsent when an adjustment throws', async () => {
    // Arrange
    const { client, requestHandler, sent } = clientSending();
    adjustEachAttempt(client, 'refuse', () => {
      throw Object.assign(new Error('too late'), { name: 'AbortError' });
    });

    // Act
    const attempt = requestHandler.handle({}, undefined);

    // Assert
    await expect(attempt).rejects.toMatchObject({ name: 'AbortError', message: 'too late' });
    expect(sent).toEqual([]);
  });

  it('adds an adjustment once per name, and wraps the handler once however many there are', async () => {
    // Arrange
    const { client, requestHandler, sent } = clientSending();
    let calls = 0;
    const count = (_request: object, options: AttemptOptions | undefined) => {
      calls += 1;
      return options;
    };
    adjustEachAttempt(client, 'count', count);
    const wrapped = requestHandler.handle;
    adjustEachAttempt(client, 'count', count);
    adjustEachAttempt(client, 'other', (_request, options) => options);

    // Act
    await requestHandler.handle({}, undefined);

    // Assert
    expect(requestHandler.handle).toBe(wrapped);
    expect(calls).toBe(1);
    expect(sent).toEqual([undefined]);
  });
});
