import {
  eventWorkflowKey,
  inboundWorkflowKey,
  inboundWorkflowItems,
} from '../../../functions/adapters/aws/registry-items';
import { canonicalRef } from '../../../functions/core/uuid';

describe('canonicalRef: UUIDs compare case-insensitively, everything else exactly', () => {
  it.each([
    ['3F1C2A9E-0B7D-4C55-9A51-1B2C3D4E5F60', '3f1c2a9e-0b7d-4c55-9a51-1b2c3d4e5f60'],
    ['3f1c2a9e-0B7D-4c55-9a51-1b2c3d4e5f60', '3f1c2a9e-0b7d-4c55-9a51-1b2c3d4e5f60'],
    ['3f1c2a9e-0b7d-4c55-9a51-1b2c3d4e5f60', '3f1c2a9e-0b7d-4c55-9a51-1b2c3d4e5f60'],
    ['Workflow Name', 'Workflow Name'],
    ['3F1C2A9E-0B7D-4C55-9A51-1B2C3D4E5F6', '3F1C2A9E-0B7D-4C55-9A51-1B2C3D4E5F6'],
    ['3F1C2A9E0B7D4C559A511B2C3D4E5F60', '3F1C2A9E0B7D4C559A511B2C3D4E5F60'],
    ['hf-1795626225-AbCdEf', 'hf-1795626225-AbCdEf'],
  ])('%s → %s', (ref, expected) => {
    expect(canonicalRef(ref)).toBe(expected);
  });

  it('keys a registered inbound workflow id and its lookup alike, whichever case each is written in', () => {
    const items = inboundWorkflowItems({
      name: 'Onboarding',
      workflowId: '0E4A7A51-5D0F-4A9A-8F4E-2F7C6B1D9E10',
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:onboarding',
      workflowType: 'EXPRESS',
    });

    expect(items.map((item) => item.pk)).toEqual([
      'INBOUNDWORKFLOW#Onboarding',
      'INBOUNDWORKFLOW#0e4a7a51-5d0f-4a9a-8f4e-2f7c6b1d9e10',
    ]);
    expect(inboundWorkflowKey('0e4a7a51-5d0f-4a9a-8f4e-2F7C6B1D9E10').pk).toBe(items[1]!.pk);
    expect(inboundWorkflowKey('onboarding').pk).not.toBe(items[0]!.pk);
    expect(eventWorkflowKey('C0FFEE00-1234-4ABC-9DEF-0123456789AB').pk).toBe(
      'EVENTWORKFLOW#c0ffee00-1234-4abc-9def-0123456789ab',
    );
  });
});
