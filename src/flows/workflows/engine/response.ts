/**
 * @module flows/workflows/engine/response
 * A Response action's evaluated inputs checked as Logic Apps checks them: the status code a whole number from
 * 100 to 599 and not a redirect (3xx), headers an object whose values become text, and the headers the server
 * sets itself dropped.
 */
import type { JsonValue } from '../../expressions/values.ts';
import type { RecordError, ResponseRecord } from '../records.ts';

export function responseOf(
  action: string,
  statusCode: JsonValue | undefined,
  headers: JsonValue | undefined,
  body: JsonValue | undefined,
  dropped: ReadonlySet<string>,
): { response: ResponseRecord } | { error: RecordError } {
  const code = typeof statusCode === 'string' && /^\d{3}$/.test(statusCode) ? Number(statusCode) : statusCode;
  if (
    typeof code !== 'number' ||
    !Number.isInteger(code) ||
    code < 100 ||
    code > 599 ||
    (code >= 300 && code < 400)
  )
    return {
      error: {
        code: 'InvalidResponseStatusCode',
        message: `The response of action '${action}' has the status code '${JSON.stringify(statusCode)}'; a Response answers with a status code from 100 to 599 that is not a redirect (3xx).`,
      },
    };
  const out: Record<string, string> = {};
  if (headers !== undefined && headers !== null) {
    if (typeof headers !== 'object' || Array.isArray(headers))
      return {
        error: {
          code: 'InvalidResponseHeaders',
          message: `The headers of the Response action '${action}' must be an object of names and values.`,
        },
      };
    for (const [name, value] of Object.entries(headers)) {
      if (dropped.has(name.toLowerCase()) && name.toLowerCase() !== 'content-type') continue;
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
        return {
          error: {
            code: 'InvalidResponseHeaders',
            message: `The Response action '${action}' has a header named '${name.slice(0, 80)}', which is not a valid header name.`,
          },
        };
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      if (/[\r\n\0]/.test(text))
        return {
          error: {
            code: 'InvalidResponseHeaders',
            message: `The value of header '${name}' of the Response action '${action}' contains a line break.`,
          },
        };
      out[name] = text;
    }
  }
  return { response: { statusCode: code, headers: out, ...(body === undefined ? {} : { body }) } };
}
