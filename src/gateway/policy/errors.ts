/**
 * @module gateway/policy/errors
 * The one load-time refusal of a policy document: malformed XML, an unknown element or attribute, a bad value,
 * `<base/>` where it cannot stand. It names the place (file, line, column) and what is wrong; the gateway keeps
 * serving its previous configuration when a new one is refused.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';
import { formatPosition, type PolicyPosition } from './element.ts';

export class PolicyLoadError extends LanyardError {
  readonly position: PolicyPosition;

  constructor(position: PolicyPosition, problem: string, hint?: string) {
    super('ERR_GATEWAY_POLICY', `Policy error at ${formatPosition(position)}: ${problem}`, {
      hint,
      details: { file: position.file, line: position.line, column: position.column },
    });
    this.name = 'PolicyLoadError';
    this.position = position;
  }
}
