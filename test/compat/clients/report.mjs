/**
 * @module test/compat/clients/report
 * Shared by the client scripts: runs the client code, then prints one `COMPAT_RESULT <json>` line with what it
 * got (ok + value) or how it failed (error name, message, codes, and every nested message). Never calls
 * process.exit: the process must end on its own once the client has nothing left open.
 */

function describe(err) {
  const texts = [];
  const walk = (e, depth) => {
    if (!e || depth > 5) return;
    if (typeof e === 'object') {
      if (e.message) texts.push(String(e.message));
      if (e.errorResponse?.errorDescription) texts.push(String(e.errorResponse.errorDescription));
      if (e.error_description) texts.push(String(e.error_description));
      if (Array.isArray(e.errors)) for (const inner of e.errors) walk(inner, depth + 1);
      walk(e.cause, depth + 1);
    } else {
      texts.push(String(e));
    }
  };
  walk(err, 0);
  return {
    name: err?.name,
    message: err?.message,
    code: err?.code ?? err?.cause?.code,
    errorCode: err?.errorResponse?.error ?? err?.error,
    statusCode: err?.statusCode ?? err?.status,
    cause: err?.cause
      ? { name: err.cause.name, errorCode: err.cause.errorCode, code: err.cause.code }
      : undefined,
    text: texts.join('\n'),
  };
}

/** Runs `fn` and prints its value (or its failure) as the process's result line. */
export async function report(fn) {
  let result;
  try {
    result = { ok: true, value: await fn() };
  } catch (err) {
    result = { ok: false, error: describe(err) };
  }
  process.stdout.write(`COMPAT_RESULT ${JSON.stringify(result)}\n`);
}

/** An @azure/identity AccessToken without the token itself repeated in logs: the parent verifies it. */
export function tokenInfo(t) {
  return { token: t.token, expiresOnTimestamp: t.expiresOnTimestamp, tokenType: t.tokenType };
}
