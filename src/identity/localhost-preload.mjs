/**
 * Preloaded (`node --import`) into Node programs started by `lanyard run`: resolves `*.localhost` names to
 * loopback, as RFC 6761 §6.3 asks, so per-resource host names (`https://my-vault.localhost:8443`) work without
 * editing /etc/hosts. Plain JavaScript on purpose: the child may run on any Node version.
 */
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';

const isLocalhost = (name) => typeof name === 'string' && /(^|\.)localhost\.?$/i.test(name);

function answer(options, family6) {
  const all = typeof options === 'object' && options !== null && options.all;
  const family = typeof options === 'number' ? options : (options?.family ?? 0);
  const v6 = family === 6 || (family6 && family !== 4);
  const address = v6 ? '::1' : '127.0.0.1';
  return all ? [{ address, family: v6 ? 6 : 4 }] : { address, family: v6 ? 6 : 4 };
}

const lookup = dns.lookup;
dns.lookup = function lanyardLookup(hostname, options, callback) {
  if (!isLocalhost(hostname)) return lookup.call(this, hostname, options, callback);
  const cb = typeof options === 'function' ? options : callback;
  const opts = typeof options === 'function' ? {} : options;
  const result = answer(opts, false);
  process.nextTick(() =>
    Array.isArray(result) ? cb(null, result) : cb(null, result.address, result.family),
  );
  return {};
};

const promisesLookup = dns.promises.lookup;
dns.promises.lookup = function lanyardPromisesLookup(hostname, options) {
  if (!isLocalhost(hostname)) return promisesLookup.call(this, hostname, options);
  return Promise.resolve(answer(options, false));
};

syncBuiltinESMExports();
