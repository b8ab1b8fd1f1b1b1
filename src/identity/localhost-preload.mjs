/**
 * Preloaded (`node --import`) into Node programs started by `lanyard run`: resolves `*.localhost` names to
 * loopback, as RFC 6761 §6.3 asks, so per-resource host names (`https://my-vault.localhost:8443`) work without
 * editing /etc/hosts. With `lanyard run --azure-hosts` (LANYARD_AZURE_HOSTS = {"target":"host:port","hosts":[…]})
 * it also sends TLS connections to Azure's own host names on port 443 to Lanyard's main listener, keeping the
 * name as SNI and for the certificate check, so a program that hard-codes login.microsoftonline.com or
 * management.azure.com talks to Lanyard unchanged. Plain JavaScript on purpose: the child may run on any Node
 * version.
 */
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
import tls from 'node:tls';

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

const azure = (() => {
  try {
    const v = JSON.parse(process.env.LANYARD_AZURE_HOSTS ?? '');
    const m = /^(.+):(\d+)$/.exec(v.target);
    return m && Array.isArray(v.hosts) ? { host: m[1], port: Number(m[2]), patterns: v.hosts } : undefined;
  } catch {
    return undefined;
  }
})();

const isAzure = (name) => {
  if (!azure || typeof name !== 'string') return false;
  const h = name.toLowerCase().replace(/\.$/, '');
  return azure.patterns.some((p) =>
    p.startsWith('*.')
      ? h.endsWith(p.slice(1)) && !h.slice(0, h.length - p.length + 1).includes('.')
      : h === p,
  );
};

if (azure) {
  const connect = tls.connect;
  // tls.connect(options[, cb]) — what https.Agent and undici call — or tls.connect(port, host[, options][, cb]).
  tls.connect = function lanyardTlsConnect(...args) {
    let o;
    if (typeof args[0] === 'object' && args[0] !== null) o = args[0];
    else if ((typeof args[0] === 'number' || typeof args[0] === 'string') && typeof args[1] === 'string') {
      o = {
        ...(typeof args[2] === 'object' && args[2] !== null ? args[2] : {}),
        port: args[0],
        host: args[1],
      };
      args = [o, ...args.slice(typeof args[2] === 'object' ? 3 : 2)];
    }
    const name = o && (o.servername || o.host);
    const port = o && (o.port === undefined ? 443 : Number(o.port));
    if (o && !o.socket && !o.path && port === 443 && isAzure(name)) {
      args[0] = { ...o, host: azure.host, port: azure.port, servername: name };
    }
    return connect.apply(this, args);
  };
}

syncBuiltinESMExports();
