/** Turns an execution ARN into the link a caller gets: `{executionArn}` in the template is replaced. */
export function executionLinker(template: string): (executionArn: string) => string {
  return (executionArn) => template.replaceAll('{executionArn}', executionArn);
}
