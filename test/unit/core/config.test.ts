import { parseConfig, settingNames } from '../../../functions/core/config';

/**
 * The configuration a handler parses at cold start (functions/core/config.ts, built with zod/mini to keep it off
 * the load path). A bad variable fails the cold start with its name and zod's English message: this file imports
 * nothing else of zod, so it also proves the messages do not depend on some other schema having been built first.
 */
const required = {
  REGISTRY_TABLE: 'registry',
  DEDUPE_TABLE: 'dedupe',
  EXECUTION_LINK_TEMPLATE: 'https://console/{executionArn}',
};

describe('parseConfig', () => {
  it('applies the documented defaults and coerces numbers', () => {
    // Arrange
    const env = { ...required, SYNC_WAIT_MS: '1000', REGISTRY_CACHE_SECONDS: '0' };

    // Act
    const config = parseConfig(env);

    // Assert
    expect(config).toEqual({
      ...required,
      DEDUPE_TTL_SECONDS: 86_400,
      DEDUPE_WAIT_MS: 3_000,
      DEDUPE_LEASE_SECONDS: 30,
      MAX_BODY_BYTES: 245_760,
      MAX_STORED_BODY_BYTES: 4_194_304,
      SYNC_WAIT_MS: 1_000,
      EARLY_CALLBACK_TTL_SECONDS: 86_400,
      WAIT_ITEM_GRACE_SECONDS: 86_400,
      CALLBACK_CLAIM_LEASE_SECONDS: 30,
      REGISTRY_CACHE_SECONDS: 0,
      FANOUT_BUSY_REQUEUES: 20,
      FANOUT_BUSY_BACKOFF_SECONDS: 2,
      DELIVERY_RETENTION_DAYS: 7,
      DELIVERY_INDEX_SHARDS: 4,
      DELIVERY_INLINE_BODY_BYTES: 4_096,
      DELIVERY_LIST_MAX_READ: 2_000,
      MAX_BATCH_ITEMS: 1_000,
      INBOUND_MAX_BODY_BYTES: 5_242_880,
      AWS_REQUEST_TIMEOUT_MS: 2_000,
      ANSWER_RESERVE_MS: 1_000,
    });
  });

  it('names every bad variable with its English message', () => {
    // Arrange
    const env = {
      DEDUPE_TABLE: '',
      EXECUTION_LINK_TEMPLATE: 'https://console/',
      MAX_BODY_BYTES: '1.5',
      SYNC_WAIT_MS: '28001',
      DEDUPE_LEASE_SECONDS: '0',
      REGISTRY_CACHE_SECONDS: '-1',
      FANOUT_QUEUE_URL: 'not a url',
    };

    // Act
    const parse = () => parseConfig(env);

    // Assert
    expect(parse).toThrow(
      'hookflow configuration is invalid: ' +
        'REGISTRY_TABLE: Invalid input: expected string, received undefined; ' +
        'DEDUPE_TABLE: Too small: expected string to have >=1 characters; ' +
        'EXECUTION_LINK_TEMPLATE: Invalid string: must include "{executionArn}"; ' +
        'DEDUPE_LEASE_SECONDS: Too small: expected number to be >0; ' +
        'MAX_BODY_BYTES: Invalid input: expected int, received number; ' +
        'SYNC_WAIT_MS: Too big: expected number to be <=28000; ' +
        'REGISTRY_CACHE_SECONDS: Too small: expected number to be >=0; ' +
        'FANOUT_QUEUE_URL: Invalid URL',
    );
  });

  it('lists every setting a construct may set', () => {
    // Act
    const names = [...settingNames];

    // Assert
    expect(names).toEqual([
      'REGISTRY_TABLE',
      'DEDUPE_TABLE',
      'EXECUTION_LINK_TEMPLATE',
      'DEDUPE_TTL_SECONDS',
      'DEDUPE_WAIT_MS',
      'DEDUPE_LEASE_SECONDS',
      'MAX_BODY_BYTES',
      'MAX_STORED_BODY_BYTES',
      'BODIES_BUCKET',
      'SYNC_WAIT_MS',
      'EARLY_CALLBACK_TTL_SECONDS',
      'WAIT_ITEM_GRACE_SECONDS',
      'CALLBACK_CLAIM_LEASE_SECONDS',
      'REGISTRY_CACHE_SECONDS',
      'FANOUT_QUEUE_URL',
      'FANOUT_BUSY_REQUEUES',
      'FANOUT_BUSY_BACKOFF_SECONDS',
      'DELIVERY_RETENTION_DAYS',
      'DELIVERY_INDEX_SHARDS',
      'DELIVERY_INLINE_BODY_BYTES',
      'DELIVERY_LIST_MAX_READ',
      'MAX_BATCH_ITEMS',
      'INBOUND_MAX_BODY_BYTES',
      'AWS_REQUEST_TIMEOUT_MS',
      'ANSWER_RESERVE_MS',
    ]);
  });
});
