import { CrashingStack, mayBeCut, report, request, retryUntil } from './crash-support';

jest.setTimeout(420_000);

const admin = { 'x-api-key': 'hf_local_acme_admin_key', 'x-api-org': 'acme', 'content-type': 'application/json' };

/**
 * The admin API dies after storing a rotated secret, before the answer that shows it once. Nothing a sender
 * relies on is lost: the previous secret keeps verifying (the rotation's overlap), and the caller's retry
 * rotates again and gets a secret that verifies.
 */
describe('crash during secret rotation, then the caller retries', () => {
  const stack = new CrashingStack();
  afterAll(() => stack.close());

  it('keeps the old secret working and gives the retry a secret that verifies', async () => {
    // Arrange
    await stack.start('secret-rotated');
    const url = () => stack.stack.url;
    const created = await request(`${url()}/api/webhooks`, { method: 'POST', headers: admin, body: '{}' });
    const { id, verifySecret: first } = created.body as { id: string; verifySecret: string };
    await request(`${url()}/api/webhooks/${id}/workflows/notify`, { method: 'PUT', headers: admin });
    const rotate = () =>
      request(`${url()}/api/webhooks/${id}/rotate-secret`, { method: 'POST', headers: admin, body: '{}' });
    const trigger = (secret: string) =>
      request(`${url()}/api/trigger-webhooks/${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-verify-signature': secret },
        body: '{"order":1}',
      });

    // Act
    const cut = await mayBeCut(rotate);
    await stack.crashed();
    await stack.start();
    const oldStillWorks = await retryUntil(
      () => trigger(first),
      (s) => s === 200 || s === 401,
    );
    const retried = await retryUntil(rotate, (s) => s === 200);
    const second = (retried.body as { verifySecret: string }).verifySecret;
    const newWorks = await trigger(second);

    // Assert
    report({
      scenario: 'secret-rotation',
      kill: 'secret-rotated',
      kills: stack.kills,
      firstAnswer: cut === 'cut' ? 'cut' : cut.status,
      oldSecretAfterRestart: oldStillWorks.status,
      retryAnswer: retried.status,
      newSecret: newWorks.status,
    });
    expect(cut).toBe('cut');
    expect(oldStillWorks.status).toBe(200);
    expect(second).not.toBe(first);
    expect(newWorks.status).toBe(200);
  });
});
