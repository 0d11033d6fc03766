import { apiKeyItem, apiKeyKey, assertKeyMayTrigger, readApiKey } from '../../../functions/core/auth/api-keys';
import { deliveriesAccessOf, deliveryReachOf } from '../../../functions/core/deliveries/access';
import { reaches } from '../../../functions/core/deliveries/listing';
import { ForbiddenError } from '../../../functions/core/outcomes';
import { InMemoryRegistry } from '../../support/fakes';

const key = { keyId: 'k', keyHash: 'a'.repeat(64), flows: ['hello'], orgs: ['acme'], disabled: false };

describe('API key scopes', () => {
  it('reads a key stored before scopes as trigger only, so nothing widens silently', async () => {
    // Arrange: the item as it was stored before scopes existed
    const { scopes: _scopes, ...legacy } = apiKeyItem(key);
    const registry = new InMemoryRegistry().put(legacy);

    // Act
    const read = await readApiKey(registry, key.keyHash);

    // Assert
    expect(read?.scopes).toEqual(['trigger']);
    expect(() => deliveriesAccessOf(read!)).toThrow(new ForbiddenError('this API key lacks the "deliveries" scope'));
  });

  it('keeps the scopes it stores, drops words it does not know, and never reads one as another', async () => {
    const registry = new InMemoryRegistry().put({
      ...apiKeyItem({ ...key, scopes: ['deliveries'] }),
      ...apiKeyKey(key.keyHash),
      scopes: ['deliveries', 'admin'],
    });

    const read = await readApiKey(registry, key.keyHash);

    expect(read?.scopes).toEqual(['deliveries']);
    expect(() => assertKeyMayTrigger(read!, 'hello')).toThrow('this API key lacks the "trigger" scope');
  });
});

describe('what a key reaches', () => {
  const delivery = (style: string, registration: string, org?: string) =>
    ({ style, registration, ...(org === undefined ? {} : { org }) }) as Parameters<typeof reaches>[0];

  it('reaches the union of its flows and its orgs, and no other style, unless it names every flow and org', () => {
    const reach = deliveryReachOf({ ...key, scopes: ['deliveries'] });
    const all = deliveryReachOf({ ...key, flows: ['*'], orgs: ['*'], scopes: ['deliveries'] });

    expect(reaches(delivery('flow-trigger', 'hello'), reach)).toBe(true);
    expect(reaches(delivery('flow-trigger', 'orders'), reach)).toBe(false);
    expect(reaches(delivery('registered-webhooks', 'wh1', 'acme'), reach)).toBe(true);
    expect(reaches(delivery('registered-webhooks', 'wh2', 'globex'), reach)).toBe(false);
    expect(reaches(delivery('inbound', 'wf-1'), reach)).toBe(false);
    expect(reaches(delivery('inbound', 'wf-1'), all)).toBe(true);
    expect(reaches(delivery('flow-trigger', 'orders'), deliveryReachOf({ ...key, flows: ['*'], scopes: [] }))).toBe(
      true,
    );
  });
});
