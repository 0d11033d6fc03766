/**
 * Sets, rotates or removes the signature verifier of a registration (issue 9): a flow, a client webhook, an
 * event workflow (seed 3's webhook by ref) or the inbound style. The secret is generated unless given, stored
 * in the registration's registry item (DynamoDB encrypts it at rest; an HMAC needs the secret itself) and
 * printed once. No redeploy: handlers read it with the registration. Registered webhooks (seed 5) set theirs
 * through the admin API instead.
 *
 *   npx tsx scripts/set-verifier.ts --table <RegistryTableName> --registration flow:orders --kind github [--replay]
 *   npx tsx scripts/set-verifier.ts --table T --registration inbound --kind hmac --header X-Signature \
 *       --algorithm sha256 --encoding hex --prefix sha256= --signed-content '{timestamp}.{body}' --timestamp-header X-Timestamp
 *   npx tsx scripts/set-verifier.ts --table T --registration flow:orders --rotate --overlap-seconds 86400
 *   npx tsx scripts/set-verifier.ts --table T --registration flow:orders --remove
 *
 * Works against AWS (your credentials) or the local stack (AWS_ENDPOINT_URL_DYNAMODB).
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  DeleteItemCommand,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { inboundSecretKey, registrationKey } from '../functions/adapters/aws/registry-items';
import {
  type StoredVerifier,
  replaySchema,
  rotateSecrets,
  storedVerifierSchema,
  verifierSchema,
} from '../functions/core/verify/verifier-config';

const { values } = parseArgs({
  options: {
    table: { type: 'string' },
    registration: { type: 'string' },
    kind: { type: 'string' },
    header: { type: 'string' },
    algorithm: { type: 'string' },
    encoding: { type: 'string' },
    prefix: { type: 'string' },
    'signed-content': { type: 'string' },
    'timestamp-header': { type: 'string' },
    'id-header': { type: 'string' },
    secret: { type: 'string' },
    replay: { type: 'boolean', default: false },
    'tolerance-seconds': { type: 'string' },
    'ledger-seconds': { type: 'string' },
    rotate: { type: 'boolean', default: false },
    'overlap-seconds': { type: 'string', default: '86400' },
    remove: { type: 'boolean', default: false },
  },
});

const USAGE =
  'usage: set-verifier --table <registry table> --registration <flow:id | client-webhook:c/n | event-workflow:ref | inbound>\n' +
  '         (--kind <github|stripe|slack|standard-webhooks|microsoft-graph|contrail|shared-secret|hmac> [options] [--secret S] [--replay]\n' +
  '          | --rotate [--overlap-seconds N] [--secret S] | --remove)';

const generated = () => `whsec_${randomBytes(32).toString('base64')}`;

async function main(): Promise<void> {
  if (values.table === undefined || values.registration === undefined) throw new Error(USAGE);
  const key = marshall(registrationKey(values.registration));
  const client = new DynamoDBClient({});
  const read = async (itemKey: Record<string, AttributeValue>) =>
    (await client.send(new GetItemCommand({ TableName: values.table, Key: itemKey, ConsistentRead: true }))).Item;
  const Item = await read(key);
  // The inbound verifier has an item of its own (INBOUNDVERIFIER), created here; the inbound style is
  // registered when its secret item exists. A verifier left on that secret item by the older layout is moved.
  const inbound = values.registration === 'inbound';
  const secretItem = inbound ? await read(marshall(inboundSecretKey())) : undefined;
  if (inbound ? secretItem === undefined : Item === undefined) {
    throw new Error(`${values.registration} is not registered in ${values.table}`);
  }
  const legacy = secretItem === undefined ? undefined : (unmarshall(secretItem).verifier as unknown);
  const own = Item === undefined ? undefined : (unmarshall(Item).verifier as unknown);
  const current = own ?? legacy;
  const removeLegacy = async () => {
    if (legacy === undefined) return;
    await client.send(
      new UpdateItemCommand({
        TableName: values.table,
        Key: marshall(inboundSecretKey()),
        UpdateExpression: 'REMOVE verifier',
      }),
    );
  };

  if (values.remove) {
    await client.send(
      inbound
        ? new DeleteItemCommand({ TableName: values.table, Key: key })
        : new UpdateItemCommand({ TableName: values.table, Key: key, UpdateExpression: 'REMOVE verifier' }),
    );
    await removeLegacy();
    process.stdout.write(`${values.registration}: verifier removed\n`);
    return;
  }

  let next: StoredVerifier;
  if (values.rotate) {
    if (current === undefined) throw new Error(`${values.registration} has no verifier to rotate`);
    const stored = storedVerifierSchema.parse(current);
    const overlap = Number(values['overlap-seconds']);
    if (!Number.isInteger(overlap) || overlap < 0) throw new Error('--overlap-seconds must be a whole number >= 0');
    next = { ...stored, secrets: rotateSecrets(stored.secrets, values.secret ?? generated(), overlap, Date.now()) };
  } else {
    if (values.kind === undefined) throw new Error(USAGE);
    const verifier = verifierSchema.parse({
      kind: values.kind,
      ...(values.header === undefined ? {} : { header: values.header }),
      ...(values.algorithm === undefined ? {} : { algorithm: values.algorithm }),
      ...(values.encoding === undefined ? {} : { encoding: values.encoding }),
      ...(values.prefix === undefined ? {} : { prefix: values.prefix }),
      ...(values['signed-content'] === undefined ? {} : { signedContent: values['signed-content'] }),
      ...(values['timestamp-header'] === undefined ? {} : { timestampHeader: values['timestamp-header'] }),
      ...(values['id-header'] === undefined ? {} : { idHeader: values['id-header'] }),
    });
    const replay = values.replay
      ? replaySchema.parse({
          ...(values['tolerance-seconds'] === undefined
            ? {}
            : { toleranceSeconds: Number(values['tolerance-seconds']) }),
          ...(values['ledger-seconds'] === undefined ? {} : { ledgerSeconds: Number(values['ledger-seconds']) }),
        })
      : undefined;
    next = {
      verifier,
      ...(replay === undefined ? {} : { replay }),
      secrets: { current: values.secret ?? generated() },
    };
  }

  try {
    await client.send(
      new UpdateItemCommand({
        TableName: values.table,
        Key: key,
        UpdateExpression: 'SET verifier = :v',
        // Never create an item by accident, and never race another rotation.
        // (The inbound verifier's item may not exist yet: UpdateItem creates it.)
        ConditionExpression:
          own === undefined
            ? inbound
              ? 'attribute_not_exists(verifier)'
              : 'attribute_exists(pk) AND attribute_not_exists(verifier)'
            : 'verifier.secrets.#current = :current',
        ...(own === undefined ? {} : { ExpressionAttributeNames: { '#current': 'current' } }),
        ExpressionAttributeValues: marshall(
          {
            ':v': next,
            ...(own === undefined
              ? {}
              : { ':current': (own as { secrets?: { current?: string } }).secrets?.current ?? '' }),
          },
          { removeUndefinedValues: true },
        ),
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw new Error(`${values.registration} changed while this ran; run it again`);
    }
    throw error;
  }
  // Only once the verifier sits on its own item: a crash in between leaves both, which the inbound handler
  // refuses (fail closed) until this runs again.
  await removeLegacy();
  const previous = next.secrets.previous;
  process.stdout.write(
    `${values.registration}: ${next.verifier.kind} verifier${next.replay ? ', replay protection on' : ''}` +
      (previous ? `; the previous secret verifies until ${previous.expiresAt}` : '') +
      `. Secret, shown once:\n${next.secrets.current}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`set-verifier: ${(error as Error).message}\n`);
  process.exit(1);
});
