import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { VALIDATE, validatedDefinitions } from '../../../local/stepfunctions/validated-definitions';

/**
 * A definition that passed asl-validator once is not validated again at the next local stack start (each start
 * otherwise paid about 90 ms per workflow), and nothing that fails validation ever skips it.
 */
describe('definitions remembered as validated (local/stepfunctions/validated-definitions.ts)', () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'hookflow-asl-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  const valid = JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } });
  const invalid = JSON.stringify({ StartAt: 'Nowhere', States: { Done: { Type: 'Succeed' } } });
  const construct = (text: string, options: object) =>
    new StateMachine(JSON.parse(text) as StateMachineDefinition, { validationOptions: options });

  it('validates a definition the first time, and skips only the same text once it passed', () => {
    // Arrange
    const first = validatedDefinitions(folder);

    // Act
    const before = first.optionsFor(valid);
    construct(valid, before);
    first.passed(valid);
    const later = validatedDefinitions(folder); // a later start, reading the same folder

    // Assert
    expect(before).toBe(VALIDATE);
    expect(later.optionsFor(valid)).toEqual({ noValidate: true });
    expect(later.optionsFor(valid.replace('Done', 'Fin'))).toBe(VALIDATE);
    expect(readdirSync(folder)).toHaveLength(1);
  });

  it('validates a refused definition every time: it is never remembered', () => {
    const definitions = validatedDefinitions(folder);

    for (let start = 0; start < 2; start++) {
      const options = definitions.optionsFor(invalid);
      expect(options).toBe(VALIDATE);
      expect(() => construct(invalid, options)).toThrow(/State machine definition is invalid/);
    }
    expect(readdirSync(folder)).toHaveLength(0);
  });

  it('validates everything when it cannot remember (a folder it cannot write)', () => {
    // A folder under a file cannot be made (ENOTDIR).
    writeFileSync(join(folder, 'a-file'), '');
    const definitions = validatedDefinitions(join(folder, 'a-file', 'asl-validated'));

    definitions.passed(valid);

    expect(definitions.optionsFor(valid)).toBe(VALIDATE);
  });
});
