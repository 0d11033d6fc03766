import { ConflictError, EngineBusyError, KeyReusedError } from '../../../functions/core/outcomes';
import { executionNameFor } from '../../../functions/core/runs/execution-name';
import { makeRunStarter, type RunStarterSettings } from '../../../functions/core/runs/start-run';
import { FakeEngine, InMemoryDedupeStore, silentLogger } from '../../support/fakes';

const target = {
  stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:echo',
  workflowType: 'EXPRESS' as const,
};
const settings: RunStarterSettings = {
  dedupeTtlSeconds: 60,
  dedupeWaitMs: 200,
  dedupeLeaseMs: 1_000,
  pollIntervalMs: 10,
};

/** A clock that only moves when the code under test sleeps, so waits are exact and instant. */
/** Another request's claim on key `k1` (body `f1`), taken at `now` with a lease of `leaseMs`: what a duplicate meets. */
const claimHeldBy = (
  dedupe: InMemoryDedupeStore,
  owner: string,
  now: number,
  leaseMs: number,
  standardStateMachineArn?: string,
) =>
  dedupe.claim({
    key: 'k1',
    fingerprint: 'f1',
    owner,
    now,
    leaseMs,
    ttlSeconds: 60,
    ...(standardStateMachineArn === undefined ? {} : { standardStateMachineArn }),
  });

function setup() {
  const clock = { now: 1_700_000_000_000 };
  const engine = new FakeEngine();
  const dedupe = new InMemoryDedupeStore();
  const startRun = makeRunStarter(
    {
      engine,
      dedupe,
      logger: silentLogger,
      now: () => clock.now,
      sleep: async (ms) => {
        clock.now += ms;
      },
    },
    settings,
  );
  return { clock, engine, dedupe, startRun };
}

describe('makeRunStarter', () => {
  it('starts one execution with a random name when there is no dedupe key', async () => {
    const { engine, dedupe, startRun } = setup();

    const first = await startRun({ target, input: { a: 1 } });
    const second = await startRun({ target, input: { a: 1 } });

    expect(engine.started).toHaveLength(2);
    expect(first.run.executionArn).not.toEqual(second.run.executionArn);
    expect(dedupe.records.size).toBe(0);
  });

  it('starts once per dedupe key and replays the first run to a duplicate', async () => {
    const { engine, startRun } = setup();
    const dedupe = { key: 'k1', fingerprint: 'f1' };

    const first = await startRun({ target, input: { a: 1 }, dedupe });
    const second = await startRun({ target, input: { a: 1 }, dedupe });

    expect(engine.started).toHaveLength(1);
    expect(first).toEqual({ run: second.run, replayed: false });
    expect(second.replayed).toBe(true);
  });

  it('names the execution after the dedupe key and claim time, so a retry asks for the same name', async () => {
    const { engine, startRun } = setup();

    await startRun({ target, input: {}, dedupe: { key: 'k1', fingerprint: 'f1' } });

    expect(engine.started[0]?.name).toBe(executionNameFor('k1', 1_700_000_000_000, 1_700_000_000 + 60));
    expect(engine.started[0]?.name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it('refuses a reused key with a different fingerprint with 422', async () => {
    const { startRun } = setup();
    await startRun({ target, input: {}, dedupe: { key: 'k1', fingerprint: 'f1' } });

    await expect(startRun({ target, input: {}, dedupe: { key: 'k1', fingerprint: 'f2' } })).rejects.toBeInstanceOf(
      KeyReusedError,
    );
  });

  it('releases the claim when the engine fails, so the retry starts the run', async () => {
    const { engine, dedupe, startRun } = setup();
    engine.failWith = new Error('engine down');

    await expect(startRun({ target, input: {}, dedupe: { key: 'k1', fingerprint: 'f1' } })).rejects.toThrow(
      'engine down',
    );
    expect(dedupe.records.size).toBe(0);

    engine.failWith = undefined;
    const retried = await startRun({ target, input: {}, dedupe: { key: 'k1', fingerprint: 'f1' } });
    expect(retried.replayed).toBe(false);
    expect(engine.started).toHaveLength(1);
  });

  it('still answers with the run when recording it on the claim fails (the run did start)', async () => {
    const { engine, dedupe, startRun } = setup();
    dedupe.failCompleteWith = new Error('dynamodb down');

    const started = await startRun({ target, input: {}, dedupe: { key: 'k1', fingerprint: 'f1' } });

    expect(started.run.executionArn).toContain(engine.started[0]?.name);
  });

  it('answers 409 to a duplicate whose first request has not recorded its run within the wait', async () => {
    const { clock, dedupe, startRun } = setup();
    await claimHeldBy(dedupe, 'other', clock.now, 5_000);
    const startedAt = clock.now;

    const attempt = startRun({ target, input: {}, dedupe: { key: 'k1', fingerprint: 'f1' } });

    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    expect(clock.now - startedAt).toBeGreaterThanOrEqual(settings.dedupeWaitMs);
  });

  it('hands a waiting duplicate the run as soon as the first request records it', async () => {
    const { clock, dedupe, startRun } = setup();
    await claimHeldBy(dedupe, 'first', clock.now, 5_000);
    const run = { executionArn: 'arn:aws:states:us-east-1:000000000000:execution:echo:first', startDate: 'x' };
    const originalGet = dedupe.get.bind(dedupe);
    let reads = 0;
    dedupe.get = async (key, now) => {
      reads += 1;
      if (reads === 2) await dedupe.complete('k1', 'first', run);
      return originalGet(key, now);
    };

    const replayed = await startRun({ target, input: {}, dedupe: { key: 'k1', fingerprint: 'f1' } });

    expect(replayed).toEqual({ run, replayed: true });
  });

  it('keeps the claim when the engine did not answer (the run may exist), so the retry asks for the same name', async () => {
    // Arrange: the first start times out on the engine's side; Step Functions may have started it
    const { clock, engine, startRun } = setup();
    engine.failWith = new EngineBusyError('no answer', { mayHaveStarted: true });
    const dedupeKey = { key: 'k1', fingerprint: 'f1' };

    // Act: the first request fails; an immediate retry; a retry after the lease
    const first = await startRun({ target, input: {}, dedupe: dedupeKey }).catch((error: unknown) => error);
    engine.failWith = undefined;
    const immediate = await startRun({ target, input: {}, dedupe: dedupeKey }).catch((error: unknown) => error);
    clock.now += settings.dedupeLeaseMs;
    const later = await startRun({ target, input: {}, dedupe: dedupeKey });

    // Assert: 503 with a Retry-After that outlasts the lease; the claim was kept (not released, not re-made);
    // the retry that took it over asked for the first attempt's execution name (Standard finds that run)
    expect(first).toBeInstanceOf(EngineBusyError);
    expect(first).toMatchObject({ mayHaveStarted: true, retryAfterSeconds: settings.dedupeLeaseMs / 1000 });
    expect(immediate).toBeInstanceOf(ConflictError);
    expect(later.replayed).toBe(false);
    expect(engine.started.map((run) => run.name)).toEqual([
      executionNameFor('k1', 1_700_000_000_000, 1_700_000_000 + 60),
    ]);
  });

  it('releases the claim when the engine refused the start (throttled: nothing started)', async () => {
    const { engine, dedupe, startRun } = setup();
    engine.failWith = new EngineBusyError('throttled');

    await expect(startRun({ target, input: {}, dedupe: { key: 'k1', fingerprint: 'f1' } })).rejects.toMatchObject({
      mayHaveStarted: false,
    });

    expect(dedupe.records.size).toBe(0);
  });

  it('takes over a claim whose owner died before recording a run, reusing its execution name', async () => {
    const { clock, engine, dedupe, startRun } = setup();
    await claimHeldBy(dedupe, 'crashed', clock.now, 1_000);
    clock.now += 1_001;

    const started = await startRun({ target, input: {}, dedupe: { key: 'k1', fingerprint: 'f1' } });

    expect(started.replayed).toBe(false);
    expect(engine.started[0]?.name).toBe(executionNameFor('k1', 1_700_000_000_000, 1_700_000_000 + 60));
  });

  it('starts a new run with a new name once the dedupe window has expired', async () => {
    const { clock, engine, startRun } = setup();
    await startRun({ target, input: {}, dedupe: { key: 'k1', fingerprint: 'f1' } });
    clock.now += 61_000;

    const later = await startRun({ target, input: {}, dedupe: { key: 'k1', fingerprint: 'f2' } });

    expect(later.replayed).toBe(false);
    expect(engine.started).toHaveLength(2);
    expect(engine.started[1]?.name).not.toBe(engine.started[0]?.name);
  });

  describe('a Standard workflow: one write (the claim) and one start', () => {
    const standard = {
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:orders',
      workflowType: 'STANDARD' as const,
    };
    const name = executionNameFor('k1', 1_700_000_000_000, 1_700_000_000 + 60);
    const arn = `arn:aws:states:us-east-1:000000000000:execution:orders:${name}`;

    it('names the run on the claim and records nothing after the start', async () => {
      const { engine, dedupe, startRun } = setup();
      const complete = jest.spyOn(dedupe, 'complete');

      const started = await startRun({ target: standard, input: {}, dedupe: { key: 'k1', fingerprint: 'f1' } });

      expect(started.run.executionArn).toBe(arn);
      expect(dedupe.records.get('k1')).toMatchObject({ executionArn: arn });
      expect(dedupe.records.get('k1')?.run).toBeUndefined();
      expect(complete).not.toHaveBeenCalled();
      expect(engine.started).toHaveLength(1);
    });

    it('answers a duplicate with the run Step Functions has under the claim’s name, starting nothing', async () => {
      const { engine, startRun } = setup();
      const key = { key: 'k1', fingerprint: 'f1' };
      await startRun({ target: standard, input: {}, dedupe: key });

      const duplicate = await startRun({ target: standard, input: {}, dedupe: key });

      expect(duplicate).toEqual({ run: { executionArn: arn, startDate: expect.any(String) }, replayed: true });
      expect(engine.started).toHaveLength(1);
      expect(engine.looked).toEqual([arn]);
    });

    it('makes a duplicate wait while the owner has claimed but not started, and hands it the run once started', async () => {
      // Arrange: another request holds the claim; its run starts while the duplicate polls.
      const { clock, engine, dedupe, startRun } = setup();
      await claimHeldBy(dedupe, 'first', clock.now, 5_000, standard.stateMachineArn);
      const originalFind = engine.findRun.bind(engine);
      engine.findRun = async (executionArn) => {
        if (engine.looked.length === 2) await engine.start({ ...standard, name, input: {} });
        return originalFind(executionArn);
      };

      // Act
      const replayed = await startRun({ target: standard, input: {}, dedupe: { key: 'k1', fingerprint: 'f1' } });

      // Assert: the first request's run, not a second one
      expect(replayed).toEqual({ run: { executionArn: arn, startDate: expect.any(String) }, replayed: true });
      expect(engine.started).toHaveLength(1);
    });

    it('polls Step Functions for a run not started yet with a backoff, so duplicates cannot drain DescribeExecution', async () => {
      // Arrange: a live claim whose run never starts (its owner is slow), and a wait long enough to see the backoff.
      const clock = { now: 1_700_000_000_000 };
      const engine = new FakeEngine();
      const dedupe = new InMemoryDedupeStore();
      const sleeps: number[] = [];
      const startRun = makeRunStarter(
        {
          engine,
          dedupe,
          logger: silentLogger,
          now: () => clock.now,
          sleep: async (ms) => {
            sleeps.push(ms);
            clock.now += ms;
          },
        },
        { ...settings, dedupeWaitMs: 3_000, pollIntervalMs: 50 },
      );
      await claimHeldBy(dedupe, 'slow', clock.now, 30_000, standard.stateMachineArn);

      // Act
      const attempt = await startRun({ target: standard, input: {}, dedupe: { key: 'k1', fingerprint: 'f1' } }).catch(
        (error: unknown) => error,
      );

      // Assert: 409 "retry shortly", after 50, 100, 200, 400, 800, 1000 ms waits: 7 looks in 3 s, not 60
      expect(attempt).toBeInstanceOf(ConflictError);
      expect(sleeps).toEqual([50, 100, 200, 400, 800, 1_000, 1_000]);
      expect(engine.looked.length).toBeLessThanOrEqual(8);
    });

    it('answers 409 when the owner released its claim (its start failed) while the duplicate waited', async () => {
      // Arrange: another request holds the claim, and gives it up during the duplicate's first wait.
      const { clock, engine, dedupe, startRun } = setup();
      await claimHeldBy(dedupe, 'first', clock.now, 5_000, standard.stateMachineArn);
      const originalGet = dedupe.get.bind(dedupe);
      dedupe.get = async (key, now) => {
        await dedupe.release('k1', 'first');
        return originalGet(key, now);
      };

      // Act
      const attempt = startRun({ target: standard, input: {}, dedupe: { key: 'k1', fingerprint: 'f1' } });

      // Assert: "retry shortly", and nothing started
      await expect(attempt).rejects.toBeInstanceOf(ConflictError);
      expect(engine.started).toHaveLength(0);
    });

    it('answers a late duplicate (past the lease) with the started run: no take-over, no second start', async () => {
      const { clock, engine, dedupe, startRun } = setup();
      const key = { key: 'k1', fingerprint: 'f1' };
      const first = await startRun({ target: standard, input: {}, dedupe: key });
      const claimed = dedupe.records.get('k1');
      clock.now += settings.dedupeLeaseMs + 1;

      const late = await startRun({ target: standard, input: {}, dedupe: key });

      expect(late).toEqual({ run: first.run, replayed: true });
      expect(engine.started).toHaveLength(1);
      expect(dedupe.records.get('k1')).toEqual(claimed);
    });

    it('after a crash between claim and start, a retry past the lease takes over and asks for the same name', async () => {
      const { clock, engine, dedupe, startRun } = setup();
      await claimHeldBy(dedupe, 'crashed', clock.now, 1_000, standard.stateMachineArn);
      clock.now += 1_001;

      const retried = await startRun({ target: standard, input: {}, dedupe: { key: 'k1', fingerprint: 'f1' } });

      expect(retried).toMatchObject({ run: { executionArn: arn }, replayed: false });
      expect(engine.started.map((run) => run.name)).toEqual([name]);
    });
  });

  describe('a guarded Express workflow: one write (the claim) and one start; the run guard names the run', () => {
    const guarded = {
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:echo-guarded',
      workflowType: 'EXPRESS' as const,
      runGuarded: true as const,
    };
    const key = { key: 'k1', fingerprint: 'f1' };
    const name = executionNameFor('k1', 1_700_000_000_000, 1_700_000_000 + 60);

    /** A guarded claim on `key` whose owner died (lease 1 s): what a retry meets after a crash. */
    const claimedByCrashedOwner = (dedupe: InMemoryDedupeStore, now: number) =>
      dedupe.claim({
        ...key,
        owner: 'crashed',
        now,
        leaseMs: 1_000,
        ttlSeconds: 60,
        guardedStateMachineArn: guarded.stateMachineArn,
      });

    /** setup() with the fake engine playing the run guard of `guarded`'s state machine into the dedupe store. */
    function guardedSetup(options: { begins?: boolean } = {}) {
      const s = setup();
      s.engine.runGuard = { store: s.dedupe, stateMachines: new Set([guarded.stateMachineArn]), ...options };
      return s;
    }

    it('writes the claim once, naming the guard, and records nothing after the start', async () => {
      // Arrange
      const { engine, dedupe, startRun } = guardedSetup();
      const complete = jest.spyOn(dedupe, 'complete');

      // Act
      const started = await startRun({ target: guarded, input: {}, dedupe: key });

      // Assert
      expect(started.replayed).toBe(false);
      expect(complete).not.toHaveBeenCalled();
      expect(dedupe.records.get('k1')).toMatchObject({ guardedBy: guarded.stateMachineArn });
      expect(dedupe.records.get('k1')?.run).toBeUndefined();
      expect(engine.started).toHaveLength(1);
    });

    it('answers a duplicate with the run the guard admitted, starting nothing', async () => {
      // Arrange
      const { engine, startRun } = guardedSetup();
      const first = await startRun({ target: guarded, input: {}, dedupe: key });

      // Act
      const duplicate = await startRun({ target: guarded, input: {}, dedupe: key });

      // Assert
      expect(duplicate).toEqual({ run: first.run, replayed: true });
      expect(engine.started).toHaveLength(1);
    });

    it('starts one run for ten concurrent duplicates, and all ten answer with it', async () => {
      // Arrange
      const { engine, startRun } = guardedSetup();

      // Act
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => startRun({ target: guarded, input: {}, dedupe: key })),
      );

      // Assert
      expect(engine.started).toHaveLength(1);
      expect(new Set(answers.map((a) => a.run.executionArn)).size).toBe(1);
      expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
    });

    it('makes a duplicate wait while the run has not reached its guard, and hands it the run once it has', async () => {
      // Arrange: the owner's start went out, but its execution has not run the guard's state yet.
      const { engine, dedupe, startRun } = guardedSetup({ begins: false });
      const first = await startRun({ target: guarded, input: {}, dedupe: key });
      const originalGuardedRun = dedupe.guardedRun.bind(dedupe);
      let reads = 0;
      dedupe.guardedRun = async (stateMachineArn, executionName) => {
        reads += 1;
        if (reads === 3) dedupe.guardRuns.set(`run#${stateMachineArn}#${executionName}`, first.run);
        return originalGuardedRun(stateMachineArn, executionName);
      };

      // Act
      const duplicate = await startRun({ target: guarded, input: {}, dedupe: key });

      // Assert
      expect(duplicate).toEqual({ run: first.run, replayed: true });
      expect(engine.started).toHaveLength(1);
    });

    it('answers 409 to a duplicate while the guard has not named the run within the wait', async () => {
      // Arrange
      const { clock, engine, startRun } = guardedSetup({ begins: false });
      await startRun({ target: guarded, input: {}, dedupe: key });
      const startedAt = clock.now;

      // Act
      const attempt = startRun({ target: guarded, input: {}, dedupe: key });

      // Assert
      await expect(attempt).rejects.toBeInstanceOf(ConflictError);
      expect(clock.now - startedAt).toBeGreaterThanOrEqual(settings.dedupeWaitMs);
      expect(engine.started).toHaveLength(1);
    });

    it('answers a retry after a crash between the start and the answer with that run, inside the lease or after it', async () => {
      // Arrange: the owner claimed and started, then died before answering (crash point run-started).
      const { clock, engine, dedupe, startRun } = guardedSetup();
      await claimedByCrashedOwner(dedupe, clock.now);
      const crashed = await engine.start({ ...guarded, name, input: {} });

      // Act
      const inLease = await startRun({ target: guarded, input: {}, dedupe: key });
      clock.now += 1_001;
      const afterLease = await startRun({ target: guarded, input: {}, dedupe: key });

      // Assert: no second start; both answer with the run that began
      expect(inLease).toEqual({ run: crashed, replayed: true });
      expect(afterLease).toEqual({ run: crashed, replayed: true });
      expect(engine.started).toHaveLength(1);
    });

    it('takes over a claim whose owner died before starting, and starts the run under the same name', async () => {
      // Arrange: the owner claimed and died before StartExecution (crash point dedupe-claimed).
      const { clock, engine, dedupe, startRun } = guardedSetup();
      await claimedByCrashedOwner(dedupe, clock.now);
      clock.now += 1_001;

      // Act
      const started = await startRun({ target: guarded, input: {}, dedupe: key });
      const duplicate = await startRun({ target: guarded, input: {}, dedupe: key });

      // Assert
      expect(started.replayed).toBe(false);
      expect(engine.started.map((r) => r.name)).toEqual([name]);
      expect(duplicate).toEqual({ run: started.run, replayed: true });
    });

    it('writes the claim once for a request whose claim carries its delivery record, the record naming the guard', async () => {
      // Arrange
      const { engine, dedupe, startRun } = guardedSetup();
      const complete = jest.spyOn(dedupe, 'complete');
      const carried: boolean[] = [];
      const record = {
        id: 'dlv_01KGE3H9005AZ27SSG7TFPEG2B',
        style: 'flow-trigger' as const,
        registration: 'hello',
        receivedAt: new Date(1_700_000_000_000).toISOString(),
        method: 'POST',
        path: '/flows/hello/trigger',
        outcome: 'started' as const,
        status: 202,
        runs: [],
        headers: {},
        body: { bytes: 2, sha256: 'b'.repeat(64), inline: 'e30=' },
        expiresAt: 1_700_000_000 + 7 * 86_400,
      };
      const delivery = { record, carried: (byClaim: boolean) => carried.push(byClaim) };

      // Act
      const started = await startRun({ target: guarded, input: {}, dedupe: { ...key, delivery } });
      const duplicate = await startRun({ target: guarded, input: {}, dedupe: key });

      // Assert: no second write; the guard's item names the run the record lists, by the claim's own window (its TTL)
      expect(complete).not.toHaveBeenCalled();
      expect(carried).toEqual([true]);
      const claim = dedupe.records.get('k1')!;
      expect(claim).toMatchObject({ guardedBy: guarded.stateMachineArn });
      expect(claim.run).toBeUndefined();
      const runName = executionNameFor('k1', 1_700_000_000_000, claim.expiresAt);
      expect(claim.delivery?.runs).toEqual([{ runGuard: `run#${guarded.stateMachineArn}#${runName}` }]);
      expect(engine.started.map((r) => r.name)).toEqual([runName]);
      expect(dedupe.guardRuns.get(`run#${guarded.stateMachineArn}#${runName}`)).toEqual(started.run);
      expect(duplicate).toEqual({ run: started.run, replayed: true });
    });

    it('still records the run with a second write where something reads it off the claim (recordRun)', async () => {
      // Arrange
      const { dedupe, startRun } = guardedSetup();
      const complete = jest.spyOn(dedupe, 'complete');

      // Act
      await startRun({ target: guarded, input: {}, dedupe: { ...key, recordRun: true } });

      // Assert
      expect(complete).toHaveBeenCalledTimes(1);
      expect(dedupe.records.get('k1')?.guardedBy).toBeUndefined();
      expect(dedupe.records.get('k1')?.run).toBeDefined();
    });

    it('still records the run with a second write for a version or alias ARN, or a workflow without the guard', async () => {
      // Arrange
      const { dedupe, startRun } = guardedSetup();
      const complete = jest.spyOn(dedupe, 'complete');
      const alias = { ...guarded, stateMachineArn: `${guarded.stateMachineArn}:PROD` };
      const { runGuarded: _guard, ...unguarded } = guarded;

      // Act
      await startRun({ target: alias, input: {}, dedupe: { key: 'k-alias', fingerprint: 'f1' } });
      await startRun({ target: unguarded, input: {}, dedupe: { key: 'k-plain', fingerprint: 'f1' } });

      // Assert
      expect(complete).toHaveBeenCalledTimes(2);
      expect(dedupe.records.get('k-alias')?.guardedBy).toBeUndefined();
      expect(dedupe.records.get('k-plain')?.guardedBy).toBeUndefined();
    });
  });
});
