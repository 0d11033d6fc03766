import { parseEventRequest } from '../../../functions/styles/events/request';
import { httpEvent } from '../../support/api-gateway-events';

const BIG = '1234567890123456789';
const attributes = { specversion: '1.0', id: 'evt-1', source: '/shop', type: 'order.created' };

/** CloudEvents' data keeps the digits the sender wrote in every mode (functions/core/json.ts), as other routes do. */
describe('CloudEvent data with numbers a double cannot hold', () => {
  it.each([
    ['structured', 'application/cloudevents+json', JSON.stringify({ ...attributes, data: { n: 0 } })],
    ['plain JSON', 'application/json', JSON.stringify({ ...attributes, data: { n: 0 } })],
    ['batch', 'application/cloudevents-batch+json', JSON.stringify([{ ...attributes, data: { n: 0 } }])],
  ])('%s mode', (_mode, contentType, template) => {
    // Arrange
    const body = template.replace('"n":0', `"n":${BIG}`);

    // Act
    const { events } = parseEventRequest(
      httpEvent({ path: '/api/v2/event', headers: { 'content-type': contentType }, body }),
      1_000_000,
    );

    // Assert
    expect(JSON.stringify(events[0]!.data)).toBe(`{"n":${BIG}}`);
    expect(events[0]!.id).toBe('evt-1');
  });

  it('binary mode', () => {
    // Act
    const { events } = parseEventRequest(
      httpEvent({
        path: '/api/v2/event',
        headers: {
          'content-type': 'application/json',
          'ce-specversion': '1.0',
          'ce-id': 'evt-1',
          'ce-source': '/shop',
          'ce-type': 'order.created',
        },
        body: `{"n":${BIG}}`,
      }),
      1_000_000,
    );

    // Assert
    expect(JSON.stringify(events[0]!.data)).toBe(`{"n":${BIG}}`);
  });
});
