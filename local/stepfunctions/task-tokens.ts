import { randomBytes } from 'node:crypto';
import { SfnApiError, taskError } from './api-error';

type TokenState =
  | { readonly kind: 'issued'; readonly executionArn: string }
  | { readonly kind: 'waiting'; readonly executionArn: string; readonly waiter: Waiter }
  | { readonly kind: 'closed'; readonly executionArn: string };

interface Waiter {
  resolve(output: unknown): void;
  reject(error: Error): void;
  heartbeat(): void;
}

/**
 * Task tokens for `.waitForTaskToken` tasks. aws-local-stepfunctions supplies no `$$.Task.Token`, so each
 * read of it (a getter on the run's context) issues a fresh token here; the task that put the token into its
 * parameters claims it and waits until SendTaskSuccess / SendTaskFailure / its heartbeat timeout ends the
 * wait, as in AWS. Tokens of ended tasks answer TaskTimedOut, unknown ones InvalidToken.
 */
export class TaskTokens {
  private readonly tokens = new Map<string, TokenState>();

  issue(executionArn: string): string {
    const token = `hookflow-local-${randomBytes(36).toString('base64url')}`;
    this.tokens.set(token, { kind: 'issued', executionArn });
    return token;
  }

  /** The tokens issued to `executionArn` that appear in a task's parameters. */
  tokensIn(executionArn: string, parameters: unknown): string[] {
    const text = JSON.stringify(parameters) ?? '';
    const found: string[] = [];
    for (const [token, state] of this.tokens) {
      if (state.kind === 'issued' && state.executionArn === executionArn && text.includes(token)) found.push(token);
    }
    return found;
  }

  /**
   * Waits until one of `tokens` is completed. With no token (the task never passed `$$.Task.Token` on) the
   * wait can only end by timeout or stop, exactly as in AWS.
   */
  wait(executionArn: string, tokens: readonly string[], heartbeatSeconds?: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        for (const token of tokens) this.tokens.set(token, { kind: 'closed', executionArn });
      };
      const waiter: Waiter = {
        resolve: (output) => (done(), resolve(output)),
        reject: (error) => (done(), reject(error)),
        heartbeat: () => {
          if (heartbeatSeconds === undefined) return;
          clearTimeout(timer);
          timer = setTimeout(
            () => waiter.reject(taskError('States.HeartbeatTimeout', `no heartbeat for ${heartbeatSeconds} s`)),
            heartbeatSeconds * 1000,
          );
        },
      };
      for (const token of tokens) this.tokens.set(token, { kind: 'waiting', executionArn, waiter });
      waiter.heartbeat();
    });
  }

  succeed(token: string, output: unknown): void {
    this.waiterFor(token).resolve(output);
  }

  fail(token: string, error: string, cause: string): void {
    this.waiterFor(token).reject(taskError(error, cause));
  }

  heartbeat(token: string): void {
    this.waiterFor(token).heartbeat();
  }

  /** The task failed before it could wait (its integration call failed): end the wait with that error. */
  abandon(tokens: readonly string[], error: Error): void {
    for (const token of tokens) {
      const state = this.tokens.get(token);
      if (state?.kind === 'waiting') state.waiter.reject(error);
    }
  }

  /** An execution ended: its outstanding tokens can no longer complete anything. */
  closeExecution(executionArn: string): void {
    for (const [token, state] of this.tokens) {
      if (state.executionArn !== executionArn) continue;
      if (state.kind === 'waiting') state.waiter.reject(taskError('States.Runtime', 'the execution ended'));
      this.tokens.set(token, { kind: 'closed', executionArn });
    }
  }

  private waiterFor(token: string): Waiter {
    const state = this.tokens.get(token);
    if (state === undefined) throw new SfnApiError('InvalidToken', 'Invalid Token: the task token is not known');
    if (state.kind !== 'waiting') throw new SfnApiError('TaskTimedOut', 'Task Timed Out: the task is not waiting');
    return state.waiter;
  }
}
