import {
  ConflictError,
  DuplicateError,
  EngineBusyError,
  ForbiddenError,
  GoneError,
  InProgressError,
  InvalidInputError,
  KeyReusedError,
  NotFoundError,
  PartialFailureError,
  TooLargeError,
  UnauthorizedError,
  UnsupportedContentError,
} from '../../functions/core/outcomes';
import { httpAnswerOf } from '../../functions/http/outcome-to-http';
import { fanoutDisposition } from '../../functions/styles/inbound/fanout-worker';

describe('outcome-to-http: the one map from domain outcomes to HTTP answers', () => {
  it.each([
    [new InvalidInputError('bad'), 400],
    [new UnauthorizedError('who'), 401],
    [new ForbiddenError('no'), 403],
    [new NotFoundError('none'), 404],
    [new ConflictError('state'), 409],
    [new DuplicateError('again'), 409],
    [new InProgressError('busy key'), 409],
    [new GoneError('gone'), 410],
    [new TooLargeError('big'), 413],
    [new UnsupportedContentError('binary'), 415],
    [new KeyReusedError('other body'), 422],
    [new EngineBusyError('throttled'), 503],
  ])('%s answers %i with {"error": message}', (outcome, status) => {
    const answer = httpAnswerOf(outcome);

    expect(answer.statusCode).toBe(status);
    expect(JSON.parse(answer.body!)).toEqual({ error: outcome.message });
    expect(answer.headers).toMatchObject({ 'content-type': 'application/json' });
  });

  it('says Retry-After only for outcomes that may pass', () => {
    expect(httpAnswerOf(new InProgressError('wait', 3)).headers).toMatchObject({ 'retry-after': '3' });
    expect(httpAnswerOf(new EngineBusyError('throttled')).headers).toMatchObject({ 'retry-after': '1' });
    expect(httpAnswerOf(new InProgressError('no hint')).headers).not.toHaveProperty('retry-after');
    expect(httpAnswerOf(new DuplicateError('again')).headers).not.toHaveProperty('retry-after');
  });

  it('builds every partial failure the same way: 503, Retry-After 1, the message and what was accepted', () => {
    const answer = httpAnswerOf(new PartialFailureError('1 of 2 refused', { batch: [{ index: 0 }] }));

    expect(answer.statusCode).toBe(503);
    expect(answer.headers).toMatchObject({ 'retry-after': '1' });
    expect(JSON.parse(answer.body!)).toEqual({ error: '1 of 2 refused', batch: [{ index: 0 }] });
  });
});

describe('the fan-out worker maps the same outcomes to retry or fail', () => {
  it.each([
    [new EngineBusyError('throttled'), 'retry'],
    [new InProgressError('another delivery is starting it'), 'retry'],
    [new Error('socket hang up'), 'retry'],
    [new KeyReusedError('other body'), 'fail'],
    [new NotFoundError('no workflow'), 'fail'],
    [new InvalidInputError('bad input'), 'fail'],
  ])('%s: %s', (error, disposition) => {
    expect(fanoutDisposition(error)).toBe(disposition);
  });
});
