import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { DynamoDbDeliveryLedger } from '../../../functions/adapters/aws/dynamodb-delivery-ledger';
import type { DeliveryLedger } from '../../../functions/core/ports';
import { backend } from '../../support/dynamodb-backend';
import { InMemoryDeliveryLedger } from '../../support/fakes';
import { useInMemoryDynamoDb } from '../../support/in-memory-dynamodb';

/**
 * The replay ledger's rules (functions/core/verify/delivery-ledger.ts) hold the same in the DynamoDB ledger,
 * which writes them as condition expressions, and in the in-memory ledger the unit tests use, which calls them:
 * every case runs through both, and both must answer alike. Times are epoch seconds.
 */
const NOW = 1_700_000_000;
const LEASE = 30;
const WINDOW = 600;

type Step =
  | { readonly claim: string; readonly at: number; readonly expect: boolean }
  | { readonly confirm: string }
  | { readonly release: string }
  | { readonly legacy: string };

const cases: readonly (readonly [string, readonly Step[]])[] = [
  [
    'a new delivery is claimed once; a copy is refused while its owner starts the run',
    [
      { claim: 'a', at: NOW, expect: true },
      { claim: 'b', at: NOW + 1, expect: false },
    ],
  ],
  [
    "a pending entry blocks copies until its owner's lease has run out, then a copy takes it over",
    [
      { claim: 'a', at: NOW, expect: true },
      { claim: 'b', at: NOW + LEASE, expect: false },
      { claim: 'c', at: NOW + LEASE + 1, expect: true },
    ],
  ],
  [
    'an accepted delivery blocks every copy until its window ends, and only then',
    [
      { claim: 'a', at: NOW, expect: true },
      { confirm: 'a' },
      { claim: 'b', at: NOW + LEASE + 1, expect: false },
      { claim: 'c', at: NOW + WINDOW, expect: false },
      { claim: 'd', at: NOW + WINDOW + 1, expect: true },
    ],
  ],
  [
    'only the owner releases its entry; a release lets the retry through at once',
    [
      { claim: 'a', at: NOW, expect: true },
      { release: 'someone-else' },
      { claim: 'b', at: NOW + 1, expect: false },
      { release: 'a' },
      { claim: 'c', at: NOW + 2, expect: true },
    ],
  ],
  [
    'an accepted entry is never released',
    [
      { claim: 'a', at: NOW, expect: true },
      { confirm: 'a' },
      { release: 'a' },
      { claim: 'b', at: NOW + 1, expect: false },
    ],
  ],
  [
    'an owner overtaken after its lease can neither confirm nor release the new owner’s entry',
    [
      { claim: 'a', at: NOW, expect: true },
      { claim: 'b', at: NOW + LEASE + 1, expect: true },
      { confirm: 'a' },
      { release: 'a' },
      { claim: 'c', at: NOW + LEASE + 2, expect: false },
      { release: 'b' },
      { claim: 'd', at: NOW + LEASE + 3, expect: true },
    ],
  ],
  [
    'an entry from before leases (no owner lease) counts as accepted until its window ends',
    [
      { legacy: 'entry' },
      { claim: 'b', at: NOW + LEASE + 100, expect: false },
      { claim: 'c', at: NOW + WINDOW + 1, expect: true },
    ],
  ],
];

describe(`the replay ledger's rules, in DynamoDB (${backend}) and in memory alike`, () => {
  const database = useInMemoryDynamoDb();
  let caseNumber = 0;

  /** Runs the steps on one ledger and returns what each claim answered. */
  const run = async (ledger: DeliveryLedger, steps: readonly Step[], key: string, putLegacy: () => Promise<void>) => {
    const answers: boolean[] = [];
    for (const step of steps) {
      if ('claim' in step) {
        answers.push(
          await ledger.claim({
            key,
            owner: step.claim,
            now: step.at,
            leaseUntil: step.at + LEASE,
            expiresAt: step.at + WINDOW,
          }),
        );
      } else if ('confirm' in step) await ledger.confirm(key, step.confirm);
      else if ('release' in step) await ledger.release(key, step.release);
      else await putLegacy();
    }
    return answers;
  };

  it.each(cases)('%s', async (_, steps) => {
    // Arrange: a key of its own per case on the shared table.
    const key = `scope#id#contract-${++caseNumber}`;
    const memory = new InMemoryDeliveryLedger();
    const dynamodb = new DynamoDbDeliveryLedger(database().client, database().tables.dedupe);
    const expected = steps.flatMap((step) => ('claim' in step ? [step.expect] : []));

    // Act
    const inMemory = await run(memory, steps, key, async () => {
      memory.entries.set(key, { expiresAt: NOW + WINDOW, accepted: false });
    });
    const inDynamoDb = await run(dynamodb, steps, key, async () => {
      // As earlier versions wrote it: no owner, no lease, no acceptedAt.
      await database().client.send(
        new PutItemCommand({
          TableName: database().tables.dedupe,
          Item: marshall({ pk: `delivery#${key}`, expiresAt: NOW + WINDOW }),
        }),
      );
    });

    // Assert: the same answers, and the same entry left behind (what a refused copy is told comes from it).
    expect(inMemory).toEqual(expected);
    expect(inDynamoDb).toEqual(expected);
    expect(await dynamodb.peek(key)).toEqual(await memory.peek(key));
  });
});
